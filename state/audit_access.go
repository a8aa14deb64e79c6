package state

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
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

type accountKey struct{ target, id string }

type accountState struct {
	userName, sourceID  string
	active, unconfirmed bool
	since, changed      int64
	grant, change       int64
	grantWhy, changeWhy string // reasons, as stored (JSON)
	roles               map[string]*roleState
}

type roleState struct {
	since       int64
	grant       int64
	reason      string
	unconfirmed bool
}

// replay rebuilds who held which account and role from the audit records
// at or before a moment, one stored record at a time, in ID order.
type replay struct {
	at       int64
	target   string
	accounts map[accountKey]*accountState
	groups   map[accountKey]string // group ID -> role
	skipped  int                   // redacted records that could not be replayed
}

func newReplay(q AccessQuery) *replay {
	return &replay{at: ms(q.At), target: q.Target, accounts: map[accountKey]*accountState{}, groups: map[accountKey]string{}}
}

// wants reports whether the record can change what the replay rebuilds:
// at or before the moment, of the target asked for, and not refused or
// failed (those changed nothing).
func (r *replay) wants(sr *storedRow) bool {
	return sr.time <= r.at && (r.target == "" || sr.target == r.target) && sr.status != AuditRefused && sr.status != AuditFailed
}

// replayForm is the record as the replay keeps it until its turn: after
// is "" (none), "T" or "F" (its active flag), members only for a group
// change, redacted "" or "y", and none of the rest of the fields the
// replay does not read.
func replayForm(sr *storedRow) storedRow {
	out := storedRow{id: sr.id, time: sr.time, target: sr.target, kind: sr.kind, action: sr.action, status: sr.status}
	p, q := &sr.personal, &out.personal
	q[fSourceID], q[fTargetID], q[fUserName], q[fReasons] = p[fSourceID], p[fTargetID], p[fUserName], p[fReasons]
	switch {
	case p[fAfter] == "":
	case strings.Contains(p[fAfter], `"active":false`):
		q[fAfter] = "F"
	default:
		q[fAfter] = "T"
	}
	if sr.kind == "group" {
		q[fMembers] = p[fMembers]
	}
	if sr.redacted != "" {
		out.redacted = "y"
	}
	return out
}

// row applies one record (in its replayForm). Records the target refused, or that failed,
// changed nothing; pending and unconfirmed ones count, flagged.
func (r *replay) row(sr *storedRow) error {
	if sr.time > r.at || (r.target != "" && sr.target != r.target) {
		return nil
	}
	unconfirmed := false
	switch sr.status {
	case AuditRefused, AuditFailed:
		return nil
	case AuditPending, AuditUnconfirmed:
		unconfirmed = true
	}
	if sr.kind == "group" {
		return r.group(sr, unconfirmed)
	}
	p := &sr.personal
	key := accountKey{sr.target, p[fTargetID]}
	if key.id == "" {
		if sr.redacted != "" {
			r.skipped++
		}
		return nil
	}
	a := r.accounts[key]
	switch sr.action {
	case "delete", "unlink":
		delete(r.accounts, key)
		return nil
	case "report":
		return nil
	}
	// The strings kept are copied out of the scanned row, so that each
	// account does not hold its whole last record in memory.
	why := strings.Clone(p[fReasons])
	if a == nil {
		a = &accountState{since: sr.time, grant: sr.id, grantWhy: why, active: true, roles: map[string]*roleState{}}
		r.accounts[accountKey{strings.Clone(key.target), strings.Clone(key.id)}] = a
	}
	switch sr.action {
	case "create", "link", "relink":
		if sr.action == "relink" || a.sourceID != p[fSourceID] {
			a.since, a.grant, a.grantWhy = sr.time, sr.id, why
		}
	}
	if a.sourceID != p[fSourceID] {
		a.sourceID = strings.Clone(p[fSourceID])
	}
	a.change, a.changed, a.changeWhy = sr.id, sr.time, why
	if p[fUserName] != "" && a.userName != p[fUserName] {
		a.userName = strings.Clone(p[fUserName])
	}
	switch {
	case sr.action == "disable":
		a.active = false
	case p[fAfter] != "":
		a.active = p[fAfter] == "T"
	}
	a.unconfirmed = a.unconfirmed || unconfirmed
	return nil
}

// group applies a group record: which group holds a role, and members
// added or removed.
func (r *replay) group(sr *storedRow, unconfirmed bool) error {
	p := &sr.personal
	gkey := accountKey{sr.target, p[fTargetID]}
	role := p[fUserName]
	switch sr.action {
	case "create-group", "adopt-group":
		r.groups[accountKey{strings.Clone(gkey.target), strings.Clone(gkey.id)}] = strings.Clone(role)
		return nil
	case "add-members", "remove-members":
	default:
		return nil
	}
	if role == "" {
		role = r.groups[gkey]
	}
	role = strings.Clone(role) // kept by the accounts: not the whole record
	if p[fMembers] == "" {
		return nil
	}
	var ms []storedMember
	if err := json.Unmarshal([]byte(p[fMembers]), &ms); err != nil {
		return fmt.Errorf("audit %d members: %w", sr.id, err)
	}
	for _, m := range ms {
		if m.Redacted || m.TargetID == "" {
			r.skipped++
			continue
		}
		a := r.accounts[accountKey{sr.target, m.TargetID}]
		if a == nil {
			continue
		}
		if sr.action == "remove-members" {
			delete(a.roles, role)
			continue
		}
		a.roles[role] = &roleState{since: sr.time, grant: sr.id, reason: m.Reason, unconfirmed: unconfirmed}
	}
	return nil
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
		name := strings.ToLower(a.userName)
		if person != "" && name != person && a.sourceID != q.Person && key.id != q.Person {
			continue
		}
		switch {
		case q.Role != "":
			if a.roles[q.Role] == nil {
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
	sort.Slice(picks, func(i, j int) bool {
		x, y := &picks[i], &picks[j]
		if x.key.target != y.key.target {
			return x.key.target < y.key.target
		}
		if x.name != y.name {
			return x.name < y.name
		}
		return x.key.id < y.key.id
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
	var roles []string
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
		roles = roles[:0]
		for role := range a.roles {
			if q.Role == "" || role == q.Role {
				roles = append(roles, role)
			}
		}
		sort.Strings(roles)
		for _, role := range roles {
			rs := a.roles[role]
			out = append(out, base)
			row := &out[len(out)-1]
			row.Role, row.RoleSince, row.RoleReason, row.RoleGrant = role, fromMS(rs.since), rs.reason, rs.grant
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
// verifies the whole chain in the same pass and refuses, with an error
// wrapping ErrChainBroken that names the first bad record, when it does
// not verify: a report built on an altered audit is no evidence. skipped
// counts the redacted records it could not replay.
func (s *Store) AccessAt(ctx context.Context, q AccessQuery) (rows []AccessRow, res VerifyResult, skipped int, err error) {
	if q.At.IsZero() {
		return nil, res, 0, fmt.Errorf("state: access: no date")
	}
	rp := newReplay(q)
	res, err = s.verify(ctx, VerifyOptions{}, rp)
	if err != nil {
		return nil, res, 0, err
	}
	if !res.OK() {
		return nil, res, 0, fmt.Errorf("state: access at %s: %w: %s (run idsync audit verify)", q.At.UTC().Format(time.RFC3339), ErrChainBroken, res.Problems[0])
	}
	rows, err = rp.result(q)
	if err != nil {
		return nil, res, 0, fmt.Errorf("state: access: %w", err)
	}
	return rows, res, rp.skipped, nil
}
