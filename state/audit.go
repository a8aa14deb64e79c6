package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
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
	// Members are the accounts of a group change (add-members,
	// remove-members), each with the rule that gives or takes the role:
	// what "report access" replays. Detail names only the first few.
	Members []AuditMember `json:",omitempty"`
	// Rules are the mapping rules Reasons (and the members' reasons)
	// name, set on write. They are not personal data and stay when the
	// rest is redacted.
	Rules []string `json:",omitempty"`
	// Redacted names the personal fields (columns) removed by a
	// redaction or by the retention; set on read.
	Redacted []string `json:",omitempty"`
}

// AuditMember is one account in a group change.
type AuditMember struct {
	SourceID string `json:"sourceId,omitempty"`
	TargetID string `json:"targetId,omitempty"`
	UserName string `json:"userName,omitempty"`
	// Reason is why the account gains or loses the role (its rule).
	Reason string `json:"reason,omitempty"`
	// Redacted is set (and the rest empty) when the member was redacted.
	Redacted bool `json:"redacted,omitempty"`
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
// recorded once. Either way the row is chained.
func (s *Store) putAudit(ctx context.Context, tx *sql.Tx, a Audit) error {
	e, err := s.putRow(ctx, tx, a)
	if err != nil {
		return err
	}
	return appendChain(ctx, tx, &s.stmts, e)
}

// putRow writes a as putAudit does and returns its chain entry, for the
// caller to append.
func (s *Store) putRow(ctx context.Context, tx *sql.Tx, a Audit) (newEntry, error) {
	if a.ID == 0 {
		d, err := s.insertRow(ctx, tx, a)
		return newEntry{auditID: d.id, event: eventInsert, digest: d.digest}, err
	}
	e, err := encodeAudit(a)
	if err != nil {
		return newEntry{}, err
	}
	n, err := rowsAffected(tx.StmtContext(ctx, s.stmts.completeSame).ExecContext(ctx, a.TargetID, e.reasons, e.before, e.after, a.Detail,
		a.Error, a.Status, e.members, e.rules, a.ID, a.Target, a.Kind, a.Action, a.SourceID, a.UserName))
	if err == nil && n == 0 {
		n, err = rowsAffected(tx.StmtContext(ctx, s.stmts.completeAudit).ExecContext(ctx, a.Target, a.Kind, a.Action, a.SourceID, a.TargetID,
			a.UserName, e.reasons, e.before, e.after, a.Detail, a.Error, a.Status, e.members, e.rules, a.ID))
	}
	switch {
	case err != nil:
		return newEntry{}, fmt.Errorf("complete audit %d: %w", a.ID, err)
	case n != 1:
		return newEntry{}, fmt.Errorf("complete audit %d: no pending audit row with that ID", a.ID)
	}
	d, err := s.stored(ctx, tx, a.ID)
	if err != nil {
		return newEntry{}, err
	}
	return newEntry{auditID: a.ID, event: eventComplete, digest: d.digest}, nil
}

// rowsAffected returns the rows a statement changed.
func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// encodedAudit holds an Audit's stored forms; nil is stored as NULL.
type encodedAudit struct {
	reasons, before, after, members any
	rules, salt                     string
}

// encodeAudit returns a's stored columns, with a fresh salt.
func encodeAudit(a Audit) (encodedAudit, error) {
	var e encodedAudit
	salts, err := newSalts(1)
	if err != nil {
		return e, err
	}
	e.salt, e.rules = salts[0], rulesOf(a.Reasons, a.Members)
	if len(a.Reasons) > 0 {
		b, err := json.Marshal(a.Reasons)
		if err != nil {
			return e, fmt.Errorf("audit reasons: %w", err)
		}
		e.reasons = string(b)
	}
	for _, p := range []struct {
		dst *any
		acc *targets.Account
	}{{&e.before, a.Before}, {&e.after, a.After}} {
		if p.acc != nil {
			b, err := json.Marshal(p.acc)
			if err != nil {
				return e, fmt.Errorf("audit account: %w", err)
			}
			*p.dst = string(b)
		}
	}
	if len(a.Members) > 0 {
		ms := make([]storedMember, len(a.Members))
		for i, m := range a.Members {
			ms[i] = storedMember{SourceID: m.SourceID, TargetID: m.TargetID, UserName: m.UserName, Reason: m.Reason}
		}
		b, err := json.Marshal(ms)
		if err != nil {
			return e, fmt.Errorf("audit members: %w", err)
		}
		e.members = string(b)
	}
	return e, nil
}

// insertAudit inserts a (already checked) inside tx, chains it and
// returns its ID.
func (s *Store) insertAudit(ctx context.Context, tx *sql.Tx, a Audit) (int64, error) {
	d, err := s.insertRow(ctx, tx, a)
	if err != nil {
		return 0, err
	}
	return d.id, appendChain(ctx, tx, &s.stmts, newEntry{auditID: d.id, event: eventInsert, digest: d.digest})
}

// insertRow inserts a (already checked) inside tx and returns its ID and
// the digest of the row as stored: the caller chains it.
func (s *Store) insertRow(ctx context.Context, tx *sql.Tx, a Audit) (sealed, error) {
	e, err := encodeAudit(a)
	if err != nil {
		return sealed{}, err
	}
	var runID any
	if a.RunID != 0 {
		runID = a.RunID
	}
	res, err := tx.StmtContext(ctx, s.stmts.insertAudit).ExecContext(ctx, runID, ms(a.Time), a.Target, a.Kind, a.Action,
		a.SourceID, a.TargetID, a.UserName, e.reasons, e.before, e.after, a.Detail, a.Error, a.Status, e.salt, e.members, e.rules)
	if err != nil {
		return sealed{}, fmt.Errorf("insert audit: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return sealed{}, fmt.Errorf("insert audit: %w", err)
	}
	return s.stored(ctx, tx, id)
}

// stored reads row id back as stored inside tx and returns its digest.
func (s *Store) stored(ctx context.Context, tx *sql.Tx, id int64) (sealed, error) {
	d, err := digestRow(tx.StmtContext(ctx, s.stmts.chain[0]).QueryRowContext(ctx, id))
	if err != nil {
		return sealed{}, fmt.Errorf("chain audit %d: %w", id, err)
	}
	return d, nil
}

// SettlePending marks target's pending audit rows up to ID upTo (inclusive)
// AuditUnconfirmed, adding note to their error, and returns how many it
// changed. A run that reported them calls it once its plan has reconciled
// the accounts they name. Each settled row is chained.
func (s *Store) SettlePending(ctx context.Context, target string, upTo int64, note string) (int, error) {
	if err := needTarget("settle pending audit", target); err != nil {
		return 0, err
	}
	var n int
	err := s.write(ctx, "settle pending audit of "+target, func(tx *sql.Tx) error {
		ids, err := pendingIDs(ctx, tx, target, upTo)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE audit SET status = 'unconfirmed', error = ? WHERE id = ?`, note, id); err != nil {
				return err
			}
			if err := seal(ctx, tx, &s.stmts, id, eventSettle, ""); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

func pendingIDs(ctx context.Context, tx *sql.Tx, target string, upTo int64) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM audit WHERE target = ? AND status = 'pending' AND id <= ? ORDER BY id`, target, upTo)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
