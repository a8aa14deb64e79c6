package sync

import (
	"context"
	"errors"
	"fmt"
	gosync "sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

// Result is what Apply did to one target.
type Result struct {
	// Status is the run's outcome for the target: planned, applied (every
	// change accepted), partial (the run went to its end, but some changes
	// were refused or failed), refused (a guard) or failed (stopped on an
	// error).
	Status string `json:"status"`
	// Applied counts the steps the target accepted: account changes,
	// groups created or adopted, membership changes.
	Applied int `json:"applied"`
	// Refused counts the steps the target refused, and those not sent
	// because a step they depend on was refused.
	Refused int `json:"refused"`
	// Failed counts every step that was not applied: the refused ones and
	// the other per-object failures (an account gone during the run). The
	// next run plans them again.
	Failed int `json:"failed"`
	// Errors says, one line each, what was not applied and why.
	Errors []string `json:"errors,omitempty"`
}

// Applier performs plans against one target.
type Applier struct {
	Name   string
	Target targets.Target
	Store  Recorder
	RunID  int64
	Log    logrus.FieldLogger
	Now    func() time.Time
	// InSource reports whether a source ID belongs to a person of this
	// run's source read. A create refused because its userName exists
	// takes over that account only when its link's person is not (a
	// rehire). Nil: nobody is.
	InSource func(sourceID string) bool
	// Rehire is the target's Policy.Rehire: with RehireOff a create
	// refused for its userName never takes over a disabled account.
	Rehire string
	// Protect is the target's Policy.Protect: a create refused because
	// its userName exists never takes over a protected account
	// (apply_protect.go).
	Protect Protect
	// Concurrency is how many writes to different objects may be in
	// flight at once (see runPhase); 0 or 1 applies one change at a time.
	// The Target must be safe for concurrent use when it is more than 1.
	Concurrency int
	// Progress, when set, follows the apply's steps.
	Progress Progress

	// held is the outcome of the last write, not committed yet: it is
	// committed with the next write's intent (one transaction, one sync
	// to disk per write) or by flush.
	held *state.Op
	// slots, in a concurrent phase, bounds the writes in flight.
	slots *writeSlots
}

// applyRun is what one Apply has done so far. Its workers share it: mu
// guards res, made and notDone.
type applyRun struct {
	mu  gosync.Mutex
	res Result
	// made maps the source IDs of accounts created, adopted or rehired in
	// this run to their target IDs.
	made map[string]string
	// notDone maps the source IDs whose account change was not applied to
	// why: their group additions are not sent either.
	notDone map[string]string
	// bySource finds a person's change, for the reasons of their roles.
	bySource map[string]*Change
}

// Apply performs the plan: revocations first, then grants. Members leave
// their groups, then leavers (and orphans, when the policy says so) are
// disabled or deleted; then movers, rehires, adoptions and joiners are
// written, then groups are created and members added. Each of these four
// phases ends before the next starts; within one, up to Concurrency
// changes to different objects are in flight at once (never two writes to
// one account, userName, person or group).
//
// Every target write is recorded as intended before it is sent and
// completed with its outcome after. A change the target refuses, or that
// fails for that one object, is recorded, counted in the Result, and the
// run goes on with every change that does not depend on it (a person whose
// create was refused is not added to groups; a group whose create was
// refused gets no members). Any other error (network after retries, auth,
// ctx cancelled, the state store) stops Apply at once and is returned,
// with everything before it recorded, so the next run carries on.
//
// A write's outcome is committed together with the next write's intent,
// or before anything else is recorded or read, and at the end: idsync
// stopping in between leaves the write's pending row, which the next run
// reports.
func (ap *Applier) Apply(ctx context.Context, p *Plan) (Result, error) {
	res, err := ap.apply(ctx, p)
	if ferr := ap.flush(ctx); ferr != nil {
		err = errors.Join(err, fmt.Errorf("record the last change: %w", ferr))
	}
	return res, err
}

func (ap *Applier) apply(ctx context.Context, p *Plan) (Result, error) {
	r := &applyRun{made: map[string]string{}, notDone: map[string]string{}, bySource: map[string]*Change{}}
	for i := range p.Changes {
		if c := &p.Changes[i]; c.SourceID != "" {
			r.bySource[c.SourceID] = c
		}
	}
	var gm targets.GroupManager
	if len(p.Groups) > 0 {
		var ok bool
		if gm, ok = ap.Target.(targets.GroupManager); !ok {
			return r.res, fmt.Errorf("target %s does not manage groups", ap.Name)
		}
	}
	phases := ap.phases(p, gm, r)
	step := func() {}
	if ap.Progress != nil {
		m := ap.Progress.Begin(ap.Name, steps(phases))
		defer ap.Progress.End(ap.Name)
		step = func() { m.Add(1) }
	}
	for _, jobs := range phases {
		if err := ap.runPhase(ctx, jobs, step); err != nil {
			return r.result(), err
		}
	}
	return r.result(), nil
}

// revokes reports whether the change takes access away: leavers, and
// orphans the policy disables or deletes.
func revokes(c *Change) bool { return c.Kind == Leaver || c.Kind == Orphan }

// perObject reports whether err concerns one object only, so that the run
// goes on with the others.
func perObject(err error) bool {
	return errors.Is(err, targets.ErrRejected) || errors.Is(err, targets.ErrConflict) ||
		errors.Is(err, targets.ErrNotFound) || errors.Is(err, state.ErrLinkConflict)
}

// refusal reports whether err is the target's no to this object.
func refusal(err error) bool {
	return errors.Is(err, targets.ErrRejected) || errors.Is(err, targets.ErrConflict)
}

// settle counts the outcome of one step. A per-object error is kept in the
// result and nil returned: the run goes on. Any other error is returned.
func (r *applyRun) settle(what string, err error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case err == nil:
		r.res.Applied++
		return nil
	case !perObject(err):
		return fmt.Errorf("%s: %w", what, err)
	}
	r.res.Failed++
	if refusal(err) {
		r.res.Refused++
	}
	r.res.Errors = append(r.res.Errors, what+": "+err.Error())
	return nil
}

// account performs one account change and settles it.
func (ap *Applier) account(ctx context.Context, c *Change, r *applyRun) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	id, err := ap.change(ctx, c)
	r.mu.Lock()
	if err == nil && id != "" {
		r.made[c.SourceID] = id
	}
	if err != nil && c.SourceID != "" && (c.Action == Create || c.Action == Link || c.Action == Relink) {
		// The person has no account of theirs to add to groups.
		r.notDone[c.SourceID] = fmt.Sprintf("%s of %q was not applied: %v", c.Action, c.UserName, err)
	}
	r.mu.Unlock()
	if err != nil {
		ap.Log.WithError(err).WithFields(logrus.Fields{"user": c.UserName, "action": c.Action}).Warn("change not applied; the next run plans it again")
	}
	return r.settle(fmt.Sprintf("%s %s %q", c.Kind, c.Action, c.UserName), err)
}

func (ap *Applier) audit(c *Change, action Action) state.Audit {
	a := state.Audit{
		RunID: ap.RunID, Time: ap.Now(), Target: ap.Name, Kind: string(c.Kind), Action: string(action),
		SourceID: c.SourceID, TargetID: c.TargetID, UserName: c.UserName, Reasons: c.explainAccount(),
		Before: c.Before, After: c.After,
	}
	if !c.SourceChanged.IsZero() {
		a.Detail = state.SourceChangedDetail(c.SourceChanged, c.SourceChangedBy)
	}
	return a
}

func (ap *Applier) link(c *Change, targetID string, active bool) *state.Link {
	return &state.Link{Target: ap.Name, SourceID: c.SourceID, TargetID: targetID,
		UserName: c.UserName, DN: c.DN, Active: active}
}

// change performs one account change and records it. It returns the
// target ID of an account it created, adopted or rehired.
func (ap *Applier) change(ctx context.Context, c *Change) (string, error) {
	update := func(ctx context.Context) error { return ap.Target.Update(ctx, c.TargetID, *c.After) }
	switch c.Action {
	case Create:
		return ap.create(ctx, c)
	case Update, Link:
		id := ""
		if c.Action == Link {
			id = c.TargetID
		}
		op := func() state.Op { return state.Op{Link: ap.link(c, c.TargetID, true)} }
		if c.Action == Link && len(c.Attrs) == 0 && c.Before.ExternalID == c.After.ExternalID {
			return id, ap.record(ctx, c, op())
		}
		return id, ap.send(ctx, c, c.Action, update, op)
	case Relink:
		return c.TargetID, ap.send(ctx, c, Relink, update, func() state.Op {
			return state.Op{Link: ap.link(c, c.TargetID, true), Replaces: c.PreviousSourceID}
		})
	case Disable:
		disable := update
		if d, ok := ap.Target.(targets.Deactivator); ok {
			disable = func(ctx context.Context) error { return d.Deactivate(ctx, c.TargetID) }
		}
		return "", ap.send(ctx, c, Disable, disable, func() state.Op {
			if c.Kind == Leaver {
				return state.Op{Link: ap.link(c, c.TargetID, false)}
			}
			return state.Op{}
		})
	case Delete:
		del := func(ctx context.Context) error {
			if err := ap.Target.Delete(ctx, c.TargetID); err != nil && !errors.Is(err, targets.ErrNotFound) {
				return err
			}
			return nil
		}
		return "", ap.send(ctx, c, Delete, del, func() state.Op { return state.Op{Unlink: c.Kind == Leaver} })
	case Unlink:
		return "", ap.record(ctx, c, state.Op{Unlink: true})
	case Record, Roles:
		op := state.Op{}
		if c.TargetID != "" && c.SourceID != "" {
			op.Link = ap.link(c, c.TargetID, c.Kind != Leaver)
		}
		return "", ap.record(ctx, c, op)
	}
	return "", fmt.Errorf("unknown action %q", c.Action)
}

// record commits a change that writes nothing to the target.
func (ap *Applier) record(ctx context.Context, c *Change, op state.Op) error {
	if err := ap.flush(ctx); err != nil {
		return err
	}
	op.Audit = ap.audit(c, c.Action)
	return ap.Store.Commit(ctx, op)
}

// begin records the intent of a write, with the held outcome of the last
// one when there is one, and returns the pending row's ID.
func (ap *Applier) begin(ctx context.Context, a state.Audit) (int64, error) {
	if ap.held == nil {
		return ap.Store.Begin(ctx, a)
	}
	held := ap.held
	ap.held = nil
	op := *held
	op.Next = &a
	if err := ap.Store.Commit(ctx, op); err != nil {
		// Nothing of it was committed: the outcome stays held, for flush.
		ap.held = held
		return 0, err
	}
	return a.ID, nil
}

// hold keeps the outcome op of a write for the next commit. An op whose
// link would conflict is committed at once, so that the error is the
// change's own. The target took the write: its outcome is recorded even
// when ctx was cancelled.
func (ap *Applier) hold(ctx context.Context, op state.Op) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if op.Link != nil {
		owner, err := ap.Store.LinkOf(ctx, ap.Name, op.Link.TargetID)
		switch {
		case err == nil && owner.SourceID != op.Link.SourceID && owner.SourceID != op.Replaces:
			return ap.Store.Commit(ctx, op)
		case err != nil && !errors.Is(err, state.ErrNotFound):
			return err
		}
	}
	ap.held = &op
	return nil
}

// flush commits the held outcome, even when ctx was cancelled.
func (ap *Applier) flush(ctx context.Context) error {
	if ap.held == nil {
		return nil
	}
	op := *ap.held
	ap.held = nil
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return ap.Store.Commit(fctx, op)
}

// send records the intent of c's write, makes it with call and records the
// outcome: on success the op done returns (its link change) with the audit
// row completed as applied; on failure the row completed as refused or
// failed. It returns call's error, or the store's.
func (ap *Applier) send(ctx context.Context, c *Change, action Action, call func(context.Context) error, done func() state.Op) error {
	a := ap.audit(c, action)
	id, err := ap.begin(ctx, a)
	if err != nil {
		return fmt.Errorf("record the intent of %s %q: %w", action, c.UserName, err)
	}
	a.ID = id
	if werr := ap.slots.send(ctx, call); werr != nil {
		unlink := errors.Is(werr, targets.ErrNotFound) && c.SourceID != "" && c.TargetID != ""
		return ap.refused(ctx, a, werr, unlink)
	}
	op := done()
	op.Audit = a
	op.Audit.Status = state.AuditApplied
	if err := ap.hold(ctx, op); err != nil {
		if !errors.Is(err, state.ErrLinkConflict) {
			return err
		}
		// The target took it; the link cannot be recorded. Complete the
		// row without it: the write stays on record.
		a.Status, a.Error = state.AuditFailed, "applied in the target, but its link was not recorded: "+err.Error()
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if cerr := ap.Store.Commit(cctx, state.Op{Audit: a}); cerr != nil {
			return fmt.Errorf("%v; recording it failed: %w", err, cerr)
		}
		return err
	}
	return nil
}

// refused completes the pending audit row a with the target's answer werr
// (refused, or failed) and returns werr; when unlink is set (the account
// vanished during the run) the link is dropped in the same commit, and the
// next run plans the person again. The outcome is recorded even when ctx
// was cancelled; an error recording it is returned in werr's place.
func (ap *Applier) refused(ctx context.Context, a state.Audit, werr error, unlink bool) error {
	a.Error, a.Status = werr.Error(), state.AuditFailed
	if refusal(werr) {
		a.Status = state.AuditRefused
	}
	if unlink {
		a.Error += " (the account is gone from the target; its link is dropped and the next run plans it again)"
	}
	if err := ap.flush(ctx); err != nil {
		return fmt.Errorf("%v; recording the change before it failed: %w", werr, err)
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := ap.Store.Commit(rctx, state.Op{Audit: a, Unlink: unlink}); err != nil {
		return fmt.Errorf("%v; recording it failed: %w", werr, err)
	}
	return werr
}

// create creates the account. A create refused because the userName exists
// is recorded as refused, then the existing account is correlated.
func (ap *Applier) create(ctx context.Context, c *Change) (string, error) {
	var newID string
	call := func(ctx context.Context) (err error) {
		newID, err = ap.Target.Create(ctx, *c.After)
		return err
	}
	err := ap.send(ctx, c, Create, call, func() state.Op {
		c.TargetID = newID
		return state.Op{Link: ap.link(c, newID, true)}
	})
	if errors.Is(err, targets.ErrConflict) {
		return ap.adoptOnConflict(ctx, c, err)
	}
	return newID, err
}
