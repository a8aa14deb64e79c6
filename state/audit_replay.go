package state

import (
	"context"
	"fmt"
	"strings"
)

type accountKey struct{ target, id string }

type accountState struct {
	userName, sourceID  string
	active, unconfirmed bool
	since, changed      int64
	grant, change       int64
	grantWhy, changeWhy string     // reasons, as stored (JSON)
	roles               []heldRole // few: a slice, not a map
}

// heldRole is one role an account holds.
type heldRole struct {
	name        string
	since       int64
	grant       int64
	reason      string
	unconfirmed bool
}

// role returns the account's role name, nil when it does not hold it.
func (a *accountState) role(name string) *heldRole {
	for i := range a.roles {
		if a.roles[i].name == name {
			return &a.roles[i]
		}
	}
	return nil
}

func (a *accountState) dropRole(name string) {
	for i := range a.roles {
		if a.roles[i].name == name {
			a.roles = append(a.roles[:i], a.roles[i+1:]...)
			return
		}
	}
}

// replay rebuilds who held which account and role from the audit records
// at or before a moment, one record at a time, in ID order.
type replay struct {
	at       int64
	target   string
	accounts map[accountKey]*accountState
	groups   map[accountKey]string // group ID -> role
	skipped  map[string]int        // per target, redacted records that could not be replayed
	// strs keeps one copy of the strings many accounts share (targets,
	// roles, reasons), so that they hold neither a copy each nor the
	// record they came from.
	strs map[string]string
	// maxTime is the latest time of the records replayed.
	maxTime int64
	// marks, in a pass that makes checkpoints, are record IDs in
	// ascending order: once the records up to one are replayed (before
	// the first record past it), onMark is called with it.
	marks  []int64
	onMark func(upTo int64) error
	// init, when set, loads the state the replay starts from (a
	// checkpoint); the pass calls it before the first record.
	init func(ctx context.Context) error
}

// start calls init once.
func (r *replay) start(ctx context.Context) error {
	if r.init == nil {
		return nil
	}
	f := r.init
	r.init = nil
	return f(ctx)
}

// maxShared bounds strs: past it, strings are copied, not shared.
const maxShared = 1 << 16

func newReplay(q AccessQuery) *replay {
	return &replay{at: ms(q.At), target: q.Target, accounts: map[accountKey]*accountState{}, groups: map[accountKey]string{}, strs: map[string]string{}, skipped: map[string]int{}}
}

// skippedFor returns how many redacted records of target (all when "")
// could not be replayed.
func (r *replay) skippedFor(target string) int {
	if target != "" {
		return r.skipped[target]
	}
	n := 0
	for _, v := range r.skipped {
		n += v
	}
	return n
}

// shared returns a copy of s that the replay may keep.
func (r *replay) shared(s string) string {
	if v, ok := r.strs[s]; ok {
		return v
	}
	v := strings.Clone(s)
	if len(r.strs) < maxShared {
		r.strs[v] = v
	}
	return v
}

// wants reports whether the record can change what the replay rebuilds:
// at or before the moment, of the target asked for, and not refused or
// failed (those changed nothing).
func (r *replay) wants(sr *storedRow) bool {
	return sr.time <= r.at && (r.target == "" || sr.target == r.target) && sr.status != AuditRefused && sr.status != AuditFailed
}

// replayRec is a record as the replay keeps it until its turn: the fields
// it reads (pieces of the row as read), its after account reduced to its
// active flag, and the members of a group change already decoded, by the
// goroutine that read the record rather than the one replaying.
type replayRec struct {
	id, time                     int64
	target, kind, action, status string
	sourceID, targetID, userName string
	reasons                      string
	after                        int8 // 0: none; 1: active; -1: inactive
	redacted                     bool
	members                      []storedMember
	membersErr                   error
}

// replayForm returns the record sr as the replay keeps it.
func replayForm(sr *storedRow) replayRec {
	p := &sr.personal
	out := replayRec{id: sr.id, time: sr.time, target: sr.target, kind: sr.kind, action: sr.action, status: sr.status,
		sourceID: p[fSourceID], targetID: p[fTargetID], userName: p[fUserName], reasons: p[fReasons], redacted: sr.redacted != ""}
	switch {
	case p[fAfter] == "":
	case strings.Contains(p[fAfter], `"active":false`):
		out.after = -1
	default:
		out.after = 1
	}
	if sr.kind == "group" && (sr.action == "add-members" || sr.action == "remove-members") && p[fMembers] != "" {
		out.members, out.membersErr = parseMembers(p[fMembers], nil)
	}
	return out
}

// feed applies one record of a pass, calling onMark for the marks it
// passes.
func (r *replay) feed(sr *replayRec) error {
	if err := r.flushMarks(sr.id - 1); err != nil {
		return err
	}
	return r.row(sr)
}

// flushMarks calls onMark for the marks up to id.
func (r *replay) flushMarks(id int64) error {
	for len(r.marks) > 0 && r.marks[0] <= id {
		m := r.marks[0]
		r.marks = r.marks[1:]
		if err := r.onMark(m); err != nil {
			return err
		}
	}
	return nil
}

// row applies one record. Records the target refused, or that failed,
// changed nothing; pending and unconfirmed ones count, flagged.
func (r *replay) row(sr *replayRec) error {
	if sr.time > r.at || (r.target != "" && sr.target != r.target) {
		return nil
	}
	r.maxTime = max(r.maxTime, sr.time)
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
	key := accountKey{sr.target, sr.targetID}
	if key.id == "" {
		if sr.redacted {
			r.skipped[sr.target]++
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
	// The strings kept are copies, so that an account does not hold the
	// whole record it came from in memory.
	why := r.shared(sr.reasons)
	if a == nil {
		a = &accountState{since: sr.time, grant: sr.id, grantWhy: why, active: true}
		r.accounts[accountKey{r.shared(key.target), strings.Clone(key.id)}] = a
	}
	switch sr.action {
	case "create", "link", "relink":
		if sr.action == "relink" || a.sourceID != sr.sourceID {
			a.since, a.grant, a.grantWhy = sr.time, sr.id, why
		}
	}
	if a.sourceID != sr.sourceID {
		a.sourceID = strings.Clone(sr.sourceID)
	}
	a.change, a.changed, a.changeWhy = sr.id, sr.time, why
	if sr.userName != "" && a.userName != sr.userName {
		a.userName = strings.Clone(sr.userName)
	}
	switch {
	case sr.action == "disable":
		a.active = false
	case sr.after != 0:
		a.active = sr.after > 0
	}
	a.unconfirmed = a.unconfirmed || unconfirmed
	return nil
}

// group applies a group record: which group holds a role, and members
// added or removed.
func (r *replay) group(sr *replayRec, unconfirmed bool) error {
	gkey := accountKey{sr.target, sr.targetID}
	role := sr.userName
	switch sr.action {
	case "create-group", "adopt-group":
		r.groups[accountKey{r.shared(gkey.target), strings.Clone(gkey.id)}] = r.shared(role)
		return nil
	case "add-members", "remove-members":
	default:
		return nil
	}
	if sr.membersErr != nil {
		return fmt.Errorf("audit %d members: %w", sr.id, sr.membersErr)
	}
	if len(sr.members) == 0 {
		return nil
	}
	if role == "" {
		role = r.groups[gkey]
	}
	role = r.shared(role)
	for _, m := range sr.members {
		if m.Redacted || m.TargetID == "" {
			r.skipped[sr.target]++
			continue
		}
		a := r.accounts[accountKey{sr.target, m.TargetID}]
		if a == nil {
			continue
		}
		if sr.action == "remove-members" {
			a.dropRole(role)
			continue
		}
		h := a.role(role)
		if h == nil {
			a.roles = append(a.roles, heldRole{name: role})
			h = &a.roles[len(a.roles)-1]
		}
		*h = heldRole{name: role, since: sr.time, grant: sr.id, reason: r.shared(m.Reason), unconfirmed: unconfirmed}
	}
	return nil
}
