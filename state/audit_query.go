package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/idsync/idsync/targets"
)

// AuditFilter selects audit rows. Zero fields match everything; set fields
// must all match.
type AuditFilter struct {
	Target   string
	RunID    int64
	SourceID string
	TargetID string
	UserName string    // compared case-insensitively (ASCII)
	Since    time.Time // rows at or after Since
	Status   string    // one of the Audit statuses
}

// Audit calls fn exactly once for each audit row matching f, oldest first,
// and stops at the first error fn returns, returning it unwrapped.
func (s *Store) Audit(ctx context.Context, f AuditFilter, fn func(Audit) error) error {
	var conds []string
	var args []any
	add := func(cond string, arg any) {
		conds = append(conds, cond)
		args = append(args, arg)
	}
	if f.Target != "" {
		add("target = ?", f.Target)
	}
	if f.RunID != 0 {
		add("run_id = ?", f.RunID)
	}
	if f.SourceID != "" {
		add("source_id = ?", f.SourceID)
	}
	if f.TargetID != "" {
		add("target_id = ?", f.TargetID)
	}
	if f.UserName != "" {
		add("user_name = ?", f.UserName) // the column is COLLATE NOCASE
	}
	if !f.Since.IsZero() {
		add("time >= ?", ms(f.Since))
	}
	switch f.Status {
	case "":
	case AuditPending:
		// A literal, so that the partial index of pending rows is used.
		conds = append(conds, "status = 'pending'")
	default:
		add("status = ?", f.Status)
	}
	q := `SELECT id, coalesce(run_id, 0), time, target, kind, action, source_id, target_id, user_name,
		reasons, before, after, detail, error, status, members, rules, redacted FROM audit`
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	rows, err := s.db.QueryContext(ctx, q+" ORDER BY id", args...)
	if err != nil {
		return fmt.Errorf("state: audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAudit(rows)
		if err != nil {
			return fmt.Errorf("state: audit: %w", err)
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("state: audit: %w", err)
	}
	return nil
}

func scanAudit(rows *sql.Rows) (Audit, error) {
	var a Audit
	var t int64
	var reasons, before, after, members, redacted sql.NullString
	var rules string
	if err := rows.Scan(&a.ID, &a.RunID, &t, &a.Target, &a.Kind, &a.Action, &a.SourceID, &a.TargetID,
		&a.UserName, &reasons, &before, &after, &a.Detail, &a.Error, &a.Status, &members, &rules, &redacted); err != nil {
		return a, err
	}
	a.Time = fromMS(t)
	if err := decodeExtras(&a, members.String, rules, redacted.String); err != nil {
		return a, err
	}
	if reasons.Valid {
		if err := json.Unmarshal([]byte(reasons.String), &a.Reasons); err != nil {
			return a, fmt.Errorf("audit %d reasons: %w", a.ID, err)
		}
	}
	for _, p := range []struct {
		src sql.NullString
		dst **targets.Account
	}{{before, &a.Before}, {after, &a.After}} {
		if p.src.Valid {
			var acc targets.Account
			if err := json.Unmarshal([]byte(p.src.String), &acc); err != nil {
				return a, fmt.Errorf("audit %d account: %w", a.ID, err)
			}
			*p.dst = &acc
		}
	}
	return a, nil
}

// decodeExtras fills a's Members, Rules and Redacted from their columns.
func decodeExtras(a *Audit, members, rules, redacted string) error {
	if members != "" {
		var ms []storedMember
		if err := json.Unmarshal([]byte(members), &ms); err != nil {
			return fmt.Errorf("audit %d members: %w", a.ID, err)
		}
		a.Members = make([]AuditMember, len(ms))
		for i, m := range ms {
			a.Members[i] = AuditMember{SourceID: m.SourceID, TargetID: m.TargetID, UserName: m.UserName, Reason: m.Reason, Redacted: m.Redacted}
		}
	}
	if rules != "" {
		if err := json.Unmarshal([]byte(rules), &a.Rules); err != nil {
			return fmt.Errorf("audit %d rules: %w", a.ID, err)
		}
	}
	if redacted != "" {
		var red map[string]string
		if err := json.Unmarshal([]byte(redacted), &red); err != nil {
			return fmt.Errorf("audit %d redacted: %w", a.ID, err)
		}
		for _, f := range personalFields {
			if _, ok := red[f]; ok {
				a.Redacted = append(a.Redacted, f)
			}
		}
	}
	return nil
}
