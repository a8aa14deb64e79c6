package state

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// AccessQuery selects what AccessAt reconstructs. Zero fields match
// everything.
type AccessQuery struct {
	At     time.Time // the moment; required
	Target string
	Role   string // only accounts that held this role, and only this role
	Person string // a userName (any case), a source ID or an account ID
}

// AccessRow is one account a person held in a target at a moment and,
// when it held roles, one of them: a row per role (or one row, Role empty,
// for an account with none).
type AccessRow struct {
	Target   string
	UserName string
	SourceID string
	TargetID string
	Active   bool
	// Since is when idsync created, adopted or re-linked the account.
	Since time.Time
	// Grant is the audit record that gave the account (create, link,
	// relink), and GrantReasons its reasons: the rules and source values.
	Grant        int64
	GrantReasons []string
	// Changed and ChangeReasons are the last change to the account at or
	// before the moment (the grant itself when there was none since).
	Changed       time.Time
	Change        int64
	ChangeReasons []string
	Role          string
	RoleSince     time.Time
	RoleReason    string // the rule that gave the role
	RoleGrant     int64  // the add-members record
	// Unconfirmed is set when a write behind this row was never
	// confirmed (pending or unconfirmed in the audit): it may or may not
	// have reached the target.
	Unconfirmed bool
}

// result returns the rows matching q, by target, userName (any case),
// account and role. The accounts are sorted, not the rows, and the rows
// made in one allocation; equal reasons are decoded once and shared.
func (r *replay) result(q AccessQuery) ([]AccessRow, error) {
	type pick struct {
		key  accountKey
		name string // userName in lower case
		a    *accountState
	}
	person := strings.ToLower(q.Person)
	picks := make([]pick, 0, len(r.accounts))
	n := 0
	for key, a := range r.accounts {
		if q.Target != "" && key.target != q.Target {
			continue
		}
		name := strings.ToLower(a.userName)
		if person != "" && name != person && a.sourceID != q.Person && key.id != q.Person {
			continue
		}
		switch {
		case q.Role != "":
			if a.role(q.Role) == nil {
				continue
			}
			n++
		case len(a.roles) == 0:
			n++
		default:
			n += len(a.roles)
		}
		picks = append(picks, pick{key, name, a})
	}
	slices.SortFunc(picks, func(x, y pick) int {
		if c := strings.Compare(x.key.target, y.key.target); c != 0 {
			return c
		}
		if c := strings.Compare(x.name, y.name); c != 0 {
			return c
		}
		return strings.Compare(x.key.id, y.key.id)
	})
	reasons := map[string][]string{}
	decode := func(v string) ([]string, error) {
		if l, ok := reasons[v]; ok {
			return l, nil
		}
		l, err := reasonList(v)
		reasons[v] = l
		return l, err
	}
	out := make([]AccessRow, 0, n)
	for _, pk := range picks {
		a := pk.a
		base := AccessRow{Target: pk.key.target, UserName: a.userName, SourceID: a.sourceID, TargetID: pk.key.id, Active: a.active,
			Since: fromMS(a.since), Grant: a.grant, Changed: fromMS(a.changed), Change: a.change, Unconfirmed: a.unconfirmed}
		var err error
		if base.GrantReasons, err = decode(a.grantWhy); err != nil {
			return nil, err
		}
		base.ChangeReasons = base.GrantReasons
		if a.change != a.grant {
			if base.ChangeReasons, err = decode(a.changeWhy); err != nil {
				return nil, err
			}
		}
		if len(a.roles) == 0 {
			out = append(out, base)
			continue
		}
		if len(a.roles) > 1 {
			slices.SortFunc(a.roles, func(x, y heldRole) int { return strings.Compare(x.name, y.name) })
		}
		for _, rs := range a.roles {
			if q.Role != "" && rs.name != q.Role {
				continue
			}
			out = append(out, base)
			row := &out[len(out)-1]
			row.Role, row.RoleSince, row.RoleReason, row.RoleGrant = rs.name, fromMS(rs.since), rs.reason, rs.grant
			row.Unconfirmed = row.Unconfirmed || rs.unconfirmed
		}
	}
	return out, nil
}

func reasonList(v string) ([]string, error) {
	if v == "" {
		return nil, nil
	}
	var out []string
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		return nil, fmt.Errorf("audit reasons: %w", err)
	}
	return out, nil
}

// AccessAt reconstructs, from the audit, who held which account and roles
// in each target at q.At, with the records and rules that gave them. It
// starts from the latest checkpoint dated at or before q.At, when there
// is one, and replays the records after it. It verifies what it reads in
// the same pass (the checkpoint, the records up to the next checkpoint
// and any later one dated at or before q.At, and the chain from the
// checkpoint to its head) and refuses, with an error wrapping
// ErrChainBroken that names the first bad record, when that does not
// verify: a report built on an altered audit is no evidence. skipped
// counts the redacted records it could not replay.
func (s *Store) AccessAt(ctx context.Context, q AccessQuery) (rows []AccessRow, res VerifyResult, skipped int, err error) {
	if q.At.IsZero() {
		return nil, res, 0, fmt.Errorf("state: access: no date")
	}
	when := q.At.UTC().Format(time.RFC3339)
	for attempt := 1; ; attempt++ {
		rp := newReplay(q)
		sp, err := s.accessSpan(ctx, rp.at)
		if err != nil {
			return nil, res, 0, fmt.Errorf("state: access at %s: %w", when, err)
		}
		if sp.from != nil {
			from := sp.from
			rp.init = func(ctx context.Context) error { return loadCheckpoint(ctx, s.db, from, rp) }
		}
		if s.afterSpan != nil {
			s.afterSpan()
		}
		res, err = s.verify(ctx, VerifyOptions{}, rp, sp)
		if (err != nil || !res.OK()) && attempt < 3 && s.checkpointMoved(ctx, sp.from) {
			continue // a redaction made it again meanwhile: read the new one
		}
		if err != nil {
			return nil, res, 0, err
		}
		if !res.OK() {
			return nil, res, 0, fmt.Errorf("state: access at %s: %w: %s (run idsync audit verify)", when, ErrChainBroken, res.Problems[0])
		}
		rows, err = rp.result(q)
		if err != nil {
			return nil, res, 0, fmt.Errorf("state: access: %w", err)
		}
		return rows, res, rp.skippedFor(q.Target), nil
	}
}

// checkpointMoved reports whether the checkpoint c (nil: none) is no longer
// stored as it was listed: dropped or made again since.
func (s *Store) checkpointMoved(ctx context.Context, c *checkpoint) bool {
	if c == nil {
		return false
	}
	cps, err := checkpoints(ctx, s.db)
	if err != nil {
		return false
	}
	for _, now := range cps {
		if now.upTo == c.upTo {
			return now.digest() != c.digest()
		}
	}
	return true
}

// retentionHorizon returns the last record the retention deleted or
// anonymised (0: none).
func retentionHorizon(ctx context.Context, q queryer) (int64, error) {
	var horizon int64
	err := q.QueryRowContext(ctx, `SELECT coalesce(max(audit_id), 0) FROM audit_chain WHERE event IN ('prune', 'anonymise')`).Scan(&horizon)
	return horizon, err
}

// accessSpan returns what a report at the moment at reads: from the
// latest checkpoint dated at or before it, the records up to the next
// checkpoint, and the later records dated at or before it (a clock set
// back). A moment before the retention's horizon is refused.
func (s *Store) accessSpan(ctx context.Context, at int64) (span, error) {
	sp := span{partial: true}
	cps, err := checkpoints(ctx, s.db)
	if err != nil {
		return sp, err
	}
	horizon, err := retentionHorizon(ctx, s.db)
	if err != nil {
		return sp, err
	}
	next := -1
	for i := range cps {
		if cps[i].upTo == horizon && cps[i].time > at {
			return sp, fmt.Errorf("the audit's retention deleted or anonymised the records up to %d: the earliest moment a report can show is %s, the time of the last of them",
				horizon, fromMS(cps[i].time).UTC().Format("2006-01-02T15:04:05.000Z07:00"))
		}
		if cps[i].time <= at {
			sp.from, next = &cps[i], i+1
		} else if sp.from == nil {
			next = i
			break
		}
	}
	if next < 0 || next >= len(cps) {
		return sp, nil
	}
	sp.hi = cps[next].upTo
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM audit INDEXED BY audit_time WHERE time <= ? AND id > ? ORDER BY id`, at, sp.hi)
	if err != nil {
		return sp, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return sp, err
		}
		sp.extra = append(sp.extra, id)
	}
	return sp, rows.Err()
}
