package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/idsync/idsync/targets"
)

// Audit is the record of one change idsync made (or tried to make) in a
// target. Rows are never updated.
type Audit struct {
	ID     int64 // assigned on insert
	RunID  int64 // 0 when the change was made outside a run
	Time   time.Time
	Target string
	// Kind: joiner, mover, leaver, orphan, adopt, group.
	Kind string
	// Action: create, update, disable, delete, link, create-group,
	// add-members, remove-members, ...
	Action   string
	SourceID string
	TargetID string
	UserName string
	Reasons  []string         // why, for example the rule and source value
	Before   *targets.Account // the account before the change, if known
	After    *targets.Account // the account after the change, if any
	Detail   string           // free text, e.g. members added
	Error    string           // set when the target call failed
}

// check validates a and fills the defaults (Time).
func (a *Audit) check() error {
	switch {
	case a.Target == "":
		return errors.New("audit has no target")
	case a.Kind == "" || a.Action == "":
		return errors.New("audit needs a kind and an action")
	}
	if a.Time.IsZero() {
		a.Time = now()
	}
	return nil
}

// insertAudit inserts a (already checked) inside tx and returns its ID.
func (s *Store) insertAudit(ctx context.Context, tx *sql.Tx, a Audit) (int64, error) {
	var reasons, before, after any // nil is stored as NULL
	if len(a.Reasons) > 0 {
		b, err := json.Marshal(a.Reasons)
		if err != nil {
			return 0, fmt.Errorf("audit reasons: %w", err)
		}
		reasons = string(b)
	}
	for _, p := range []struct {
		dst *any
		acc *targets.Account
	}{{&before, a.Before}, {&after, a.After}} {
		if p.acc != nil {
			b, err := json.Marshal(p.acc)
			if err != nil {
				return 0, fmt.Errorf("audit account: %w", err)
			}
			*p.dst = string(b)
		}
	}
	var runID any
	if a.RunID != 0 {
		runID = a.RunID
	}
	res, err := tx.StmtContext(ctx, s.stmts.insertAudit).Exec(runID, ms(a.Time), a.Target, a.Kind, a.Action,
		a.SourceID, a.TargetID, a.UserName, reasons, before, after, a.Detail, a.Error)
	if err != nil {
		return 0, fmt.Errorf("insert audit: %w", err)
	}
	return res.LastInsertId()
}

// AuditFilter selects audit rows. Zero fields match everything; set fields
// must all match.
type AuditFilter struct {
	Target   string
	RunID    int64
	SourceID string
	TargetID string
	UserName string    // compared case-insensitively (ASCII)
	Since    time.Time // rows at or after Since
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
	q := `SELECT id, coalesce(run_id, 0), time, target, kind, action, source_id, target_id, user_name,
		reasons, before, after, detail, error FROM audit`
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
	var reasons, before, after sql.NullString
	if err := rows.Scan(&a.ID, &a.RunID, &t, &a.Target, &a.Kind, &a.Action, &a.SourceID, &a.TargetID,
		&a.UserName, &reasons, &before, &after, &a.Detail, &a.Error); err != nil {
		return a, err
	}
	a.Time = fromMS(t)
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
