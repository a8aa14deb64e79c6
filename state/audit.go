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

// Audit statuses. A row that records a target write is inserted with
// AuditPending by Begin before the write is sent, and completed by Commit
// with the outcome; a row whose write never reached the target (a state
// change, a change skipped because what it depends on was refused) is
// inserted complete.
const (
	// AuditPending: the write was about to be sent; its outcome was never
	// recorded (idsync stopped, or the state store failed, in between).
	AuditPending = "pending"
	// AuditApplied: the target accepted the change.
	AuditApplied = "applied"
	// AuditRefused: the target refused this change (Error holds its
	// answer), or refused something the change depends on.
	AuditRefused = "refused"
	// AuditFailed: the write failed for another reason (Error says why).
	AuditFailed = "failed"
	// AuditUnconfirmed: a pending row a later run reported and settled; the
	// write may or may not have reached the target, and that run's plan
	// reconciled the account with what the target holds.
	AuditUnconfirmed = "unconfirmed"
)

// Audit is the record of one change idsync made (or tried to make) in a
// target. Rows are never deleted; a pending row is completed once.
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
	// Status is one of the Audit statuses. Empty means AuditFailed when
	// Error is set, else AuditApplied.
	Status string
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
	if a.Status == "" {
		a.Status = AuditApplied
		if a.Error != "" {
			a.Status = AuditFailed
		}
	}
	switch a.Status {
	case AuditPending, AuditApplied, AuditRefused, AuditFailed, AuditUnconfirmed:
		return nil
	}
	return fmt.Errorf("audit status %q is not a status", a.Status)
}

// Begin records the intent of one target write, before it is sent: it
// inserts a with status AuditPending (whatever a.Status says), in its own
// transaction, and returns the row's ID. Complete the row with Commit (or
// SetGroupID), passing the ID in Audit.ID, once the target answered: a
// crash in between leaves the pending row, so no write goes unrecorded.
func (s *Store) Begin(ctx context.Context, a Audit) (int64, error) {
	a.Status, a.ID = AuditPending, 0
	what := fmt.Sprintf("begin %s/%s source %q account %q", a.Kind, a.Action, a.SourceID, a.TargetID)
	if err := a.check(); err != nil {
		return 0, fmt.Errorf("state: %s: %w", what, err)
	}
	var id int64
	err := s.write(ctx, what, func(tx *sql.Tx) error {
		var err error
		id, err = s.insertAudit(ctx, tx, a)
		return err
	})
	return id, err
}

// putAudit inserts a (already checked) inside tx or, when a.ID is set,
// completes the pending row a.ID with every field of a but its run and
// time. Completing a row that is not pending is an error: an outcome is
// recorded once.
func (s *Store) putAudit(ctx context.Context, tx *sql.Tx, a Audit) error {
	if a.ID == 0 {
		_, err := s.insertAudit(ctx, tx, a)
		return err
	}
	reasons, before, after, err := auditJSON(a)
	if err != nil {
		return err
	}
	res, err := tx.StmtContext(ctx, s.stmts.completeAudit).ExecContext(ctx, a.Target, a.Kind, a.Action, a.SourceID, a.TargetID, a.UserName,
		reasons, before, after, a.Detail, a.Error, a.Status, a.ID)
	if err != nil {
		return fmt.Errorf("complete audit %d: %w", a.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("complete audit %d: %w", a.ID, err)
	} else if n != 1 {
		return fmt.Errorf("complete audit %d: no pending audit row with that ID", a.ID)
	}
	return nil
}

// auditJSON returns a's JSON columns; nil is stored as NULL.
func auditJSON(a Audit) (reasons, before, after any, err error) {
	if len(a.Reasons) > 0 {
		b, err := json.Marshal(a.Reasons)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("audit reasons: %w", err)
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
				return nil, nil, nil, fmt.Errorf("audit account: %w", err)
			}
			*p.dst = string(b)
		}
	}
	return reasons, before, after, nil
}

// insertAudit inserts a (already checked) inside tx and returns its ID.
func (s *Store) insertAudit(ctx context.Context, tx *sql.Tx, a Audit) (int64, error) {
	reasons, before, after, err := auditJSON(a)
	if err != nil {
		return 0, err
	}
	var runID any
	if a.RunID != 0 {
		runID = a.RunID
	}
	res, err := tx.StmtContext(ctx, s.stmts.insertAudit).Exec(runID, ms(a.Time), a.Target, a.Kind, a.Action,
		a.SourceID, a.TargetID, a.UserName, reasons, before, after, a.Detail, a.Error, a.Status)
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
		reasons, before, after, detail, error, status FROM audit`
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
		&a.UserName, &reasons, &before, &after, &a.Detail, &a.Error, &a.Status); err != nil {
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

// SettlePending marks target's pending audit rows up to ID upTo (inclusive)
// AuditUnconfirmed, adding note to their error, and returns how many it
// changed. A run that reported them calls it once its plan has reconciled
// the accounts they name.
func (s *Store) SettlePending(ctx context.Context, target string, upTo int64, note string) (int, error) {
	if err := needTarget("settle pending audit", target); err != nil {
		return 0, err
	}
	var n int64
	err := s.write(ctx, "settle pending audit of "+target, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE audit SET status = 'unconfirmed', error = ?
			WHERE target = ? AND status = 'pending' AND id <= ?`, note, target, upTo)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
