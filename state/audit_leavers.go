package state

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Leaver is one person's departure from one target, as the audit shows
// it: when idsync saw it and when the access was revoked.
type Leaver struct {
	Target   string
	UserName string
	SourceID string
	TargetID string
	// Detected is when the directory said the person left, when it says:
	// the end date that disabled them, the entry's change time
	// (modifyTimestamp, whenChanged), or the arrival of a watcher's report
	// of its delete, as recorded on the first revocation
	// (SourceChangedDetail); else when idsync saw it, the start of the run
	// (its read of the source) that first planned the revocation.
	// DetectedBy names which: "end date", "modifyTimestamp or
	// whenChanged", "delete notification", or DetectedByRun.
	Detected   time.Time
	DetectedBy string
	// Revoked is when the target accepted the disable or delete (the
	// Action of record Record); zero while it has not.
	Revoked time.Time
	Action  string
	Record  int64
	// Attempts counts the revocations tried, refused and failed included.
	Attempts int
}

// DetectedByRun is a Leaver's DetectedBy when the directory gave no time:
// Detected is the start of the run that first planned the revocation.
const DetectedByRun = "run start"

// sourceChangedPrefix starts the detail of a leaver's record that holds
// when the directory said the person left.
const sourceChangedPrefix = "source changed "

// SourceChangedDetail is the detail recorded on a leaver's audit record
// when the directory said when the person left: the time (RFC 3339) and
// what it comes from, e.g. "source changed 2026-12-01T09:30:00Z (end
// date)". Leavers reads it back.
func SourceChangedDetail(at time.Time, by string) string {
	return sourceChangedPrefix + at.UTC().Format(time.RFC3339) + " (" + by + ")"
}

// parseSourceChanged reads a SourceChangedDetail; ok is false for any
// other detail (or a redacted one).
func parseSourceChanged(detail string) (at time.Time, by string, ok bool) {
	rest, found := strings.CutPrefix(detail, sourceChangedPrefix)
	if !found {
		return time.Time{}, "", false
	}
	stamp, by, found := strings.Cut(rest, " (")
	by, closed := strings.CutSuffix(by, ")")
	t, err := time.Parse(time.RFC3339, stamp)
	if !found || !closed || err != nil {
		return time.Time{}, "", false
	}
	return t.UTC(), by, true
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
	q := `SELECT a.id, a.target, a.source_id, a.target_id, a.user_name, a.action, a.status, a.time, coalesce(r.started, a.time), a.detail
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
		var status, detail string
		var at, started int64
		if err := rows.Scan(&l.Record, &l.Target, &l.SourceID, &l.TargetID, &l.UserName, &l.Action, &status, &at, &started, &detail); err != nil {
			return nil, fmt.Errorf("state: leavers: %w", err)
		}
		key := l.Target + "\x00" + l.SourceID + "\x00" + l.TargetID
		if l.SourceID == "" && l.TargetID == "" {
			key = fmt.Sprintf("%s\x00#%d", l.Target, l.Record) // redacted
		}
		cur := open[key]
		if cur == nil {
			cur = &Leaver{Target: l.Target, UserName: l.UserName, SourceID: l.SourceID, TargetID: l.TargetID, Detected: fromMS(started),
				DetectedBy: DetectedByRun, Action: l.Action, Record: l.Record}
			// A directory time after the run's start is a skewed clock:
			// the run's start is kept.
			if t, by, ok := parseSourceChanged(detail); ok && !t.After(cur.Detected) {
				cur.Detected, cur.DetectedBy = t, by
			}
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
