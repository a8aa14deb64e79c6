package state

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// Leaver is one person's departure from one target, as the audit shows
// it: when idsync saw it and when the access was revoked.
type Leaver struct {
	Target   string
	UserName string
	SourceID string
	TargetID string
	// Detected is when idsync saw the person leave: the start of the run
	// (its read of the source) that first planned the revocation.
	Detected time.Time
	// Revoked is when the target accepted the disable or delete (the
	// Action of record Record); zero while it has not.
	Revoked time.Time
	Action  string
	Record  int64
	// Attempts counts the revocations tried, refused and failed included.
	Attempts int
}

// Delay is Revoked - Detected, or now - Detected while not revoked.
func (l Leaver) Delay(now time.Time) time.Duration {
	if l.Revoked.IsZero() {
		return now.Sub(l.Detected)
	}
	return l.Revoked.Sub(l.Detected)
}

// Leavers returns the leavers detected at or after since (of target, when
// set), oldest first: one per person, target and departure (a rehire who
// leaves again is a second one). A redacted leaver keeps its times.
func (s *Store) Leavers(ctx context.Context, since time.Time, target string) ([]Leaver, error) {
	q := `SELECT a.id, a.target, a.source_id, a.target_id, a.user_name, a.action, a.status, a.time, coalesce(r.started, a.time)
		FROM audit a LEFT JOIN runs r ON r.id = a.run_id
		WHERE a.kind = 'leaver' AND a.action IN ('disable', 'delete')`
	var args []any
	if target != "" {
		q += ` AND a.target = ?`
		args = append(args, target)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY a.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("state: leavers: %w", err)
	}
	defer rows.Close()
	open := map[string]*Leaver{} // by target and person, until revoked
	var all []*Leaver
	for rows.Next() {
		var l Leaver
		var status string
		var at, started int64
		if err := rows.Scan(&l.Record, &l.Target, &l.SourceID, &l.TargetID, &l.UserName, &l.Action, &status, &at, &started); err != nil {
			return nil, fmt.Errorf("state: leavers: %w", err)
		}
		key := l.Target + "\x00" + l.SourceID + "\x00" + l.TargetID
		if l.SourceID == "" && l.TargetID == "" {
			key = fmt.Sprintf("%s\x00#%d", l.Target, l.Record) // redacted
		}
		cur := open[key]
		if cur == nil {
			cur = &Leaver{Target: l.Target, UserName: l.UserName, SourceID: l.SourceID, TargetID: l.TargetID, Detected: fromMS(started),
				Action: l.Action, Record: l.Record}
			open[key] = cur
			all = append(all, cur)
		}
		cur.Attempts++
		if status == AuditApplied || status == AuditUnconfirmed {
			cur.Revoked, cur.Action, cur.Record = fromMS(at), l.Action, l.Record
			delete(open, key)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("state: leavers: %w", err)
	}
	var out []Leaver
	for _, l := range all {
		if !l.Detected.Before(since) {
			out = append(out, *l)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Detected.Before(out[j].Detected) })
	return out, nil
}
