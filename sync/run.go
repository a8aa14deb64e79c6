package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

// Mapper turns source entries into people; *mapping.Mapper is one.
type Mapper interface {
	// Map applies the rules to one entry. It is pure.
	Map(e mapping.Entry, now time.Time) (mapping.Person, error)
	// Rule returns the text of the rule with the given key.
	Rule(key string) string
	// AttributePaths lists the target attribute paths the rules set.
	AttributePaths() []string
	// Roles lists the role names the rules name statically.
	Roles() []string
}

// TargetSpec is one configured target.
type TargetSpec struct {
	Name   string
	Target targets.Target
	Policy Policy
	Guards Guards
	// Mapper, when set, is the target's own rules (scope, attributes,
	// roles); nil: the runner's Mapper.
	Mapper Mapper
	// Concurrency is how many writes to different objects of this target
	// an apply may have in flight at once (Applier.Concurrency); 0 or 1:
	// one at a time.
	Concurrency int
}

// Runner runs the flow for one source and its targets.
type Runner struct {
	Source  Source
	Mapper  Mapper
	Store   Store
	Targets []TargetSpec
	Log     logrus.FieldLogger
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
	// Retention, when set, is applied to the audit at the end of every
	// apply run that was not stopped, before the chain head is logged:
	// the [audit] retention and the audit checkpoints. Its ctx is the
	// run's: a stop cancels it.
	Retention func(ctx context.Context) error
	// SoD are the segregation-of-duties rules checked against every run's
	// plans (sod.go); with rules, a full run plans every target before it
	// applies any, so that a rule across targets sees the whole run.
	SoD []SoDRule
	// SoDOthers names the configured targets not in this run (a run of
	// one target): what their people hold, as idsync recorded it
	// (Store.RoleHolders), is checked by the SoD rules with the run's
	// plans, so that a rule across targets holds in a run of one.
	SoDOthers []string
	// Progress, when set, follows every apply (a terminal line, or log
	// lines under the daemon).
	Progress Progress
}

// Options change one run.
type Options struct {
	// DryRun stops after the plan: nothing is written to the target or the
	// state except the run record.
	DryRun    bool
	Overrides Overrides
	// Inspect, when set, is called with each target's plan once it is
	// built, before the guards check it, and with what it was built from.
	// It may set fingerprints (a plan to save) or drop changes (a saved
	// plan applied: SavedPlan.Filter); an error refuses that target's run
	// before anything is written.
	Inspect func(p *Plan, in *PlanInputs) error
	// Saved, when set, applies a saved plan (apply --plan): Saved.Filter
	// keeps of each target's fresh plan only the approved changes, and the
	// target's group size limit is checked against those, the changes
	// written, not against the whole fresh plan. It runs before Inspect.
	Saved *SavedPlan
}

// Outcome is what a run did, target by target.
type Outcome struct {
	Plans   []*Plan
	Results []Result
	// NextDue is when the next dated event falls (a start or end date, a
	// staged deletion: due.go); zero when none is known. A full run's is
	// the next of every person's; an incremental run's (Plan.Incremental
	// set) is the next of the people it touched: it can only bring the
	// full run's earlier.
	NextDue time.Time
}

// Run reads the source once, then plans (and unless opts.DryRun applies)
// every target in turn. A source read error stops the run before any plan.
// A guard refusal or apply error stops that target's run and is returned
// with the others', after every target has been tried. An apply that went
// to its end with changes refused or failed returns an error wrapping
// ErrPartial that lists them.
func (r *Runner) Run(ctx context.Context, opts Options) (*Outcome, error) {
	now := r.now()
	mode := "apply"
	if opts.DryRun {
		mode = "plan"
	}
	// The source read and, for every target, its listing and its state
	// (links, group IDs, the last count) are read at the same time; a
	// failed source read cancels the rest.
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The people the run's mapper maps share the equal strings of the
	// first target that plans with that mapper (share.go).
	views := make([]chan *targetView, len(r.Targets))
	sh, shareWith := &sharer{}, slices.IndexFunc(r.Targets, func(t TargetSpec) bool { return t.Mapper == nil })
	for i, t := range r.Targets {
		views[i] = make(chan *targetView, 1)
		go func(t TargetSpec, ch chan<- *targetView) {
			v := r.view(lctx, t, opts.Overrides)
			if i == shareWith {
				sh.ready(v)
			}
			ch <- v
		}(t, views[i])
	}
	src, err := r.readSource(ctx, now, r.sizeHint(ctx), sh)
	if err != nil {
		cancel()
		for _, ch := range views {
			<-ch
		}
		return nil, errors.Join(err, r.recordFailure(ctx, mode, err))
	}
	out := &Outcome{}
	var errs []error
	var planned []*plannedTarget
	for i, t := range r.Targets {
		v := <-views[i]
		if v.err != nil {
			if errors.Is(v.err, ErrGuard) {
				v.err = errors.Join(v.err, r.recordRefusal(ctx, t.Name, mode, v.err))
			}
			errs = append(errs, fmt.Errorf("target %s: %w", t.Name, v.err))
			continue
		}
		if i == shareWith && v.index != nil {
			// The view was ready only after the read ended.
			for k := range src.people[:src.unshared] {
				v.share(&src.people[k])
			}
		}
		pt := r.planTarget(ctx, t, mode, opts, now, src, v)
		out.NextDue = earliest(out.NextDue, nextDue(now, datesOf(src.forTarget(t), t.Policy, now), t, v, pt.p))
		if len(r.SoD) == 0 { // no rules: apply each target as soon as it is planned
			errs = r.applyPlanned(ctx, pt, opts, out, errs)
			continue
		}
		planned = append(planned, pt)
	}
	if err := r.checkSoD(ctx, planned); err != nil {
		r.refuseAll(ctx, planned, err)
	}
	for _, pt := range planned {
		errs = r.applyPlanned(ctx, pt, opts, out, errs)
	}
	return out, errors.Join(errs...)
}

// applyPlanned checks the guards of a planned target and applies its plan,
// adding the outcome to out and any error to errs.
func (r *Runner) applyPlanned(ctx context.Context, pt *plannedTarget, opts Options, out *Outcome, errs []error) []error {
	p, res, err := r.applyTarget(ctx, pt, opts)
	if p != nil {
		out.Plans = append(out.Plans, p)
		out.Results = append(out.Results, res)
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("target %s: %w", pt.t.Name, err))
	}
	return errs
}

// recordFailure records a failed run for every target, so that `idsync
// runs` shows a run that never got to plan.
func (r *Runner) recordFailure(ctx context.Context, mode string, cause error) error {
	// Record it even when ctx was cancelled (a signal during the read).
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var errs []error
	for _, t := range r.Targets {
		run, err := r.Store.StartRun(ctx, t.Name, mode)
		if err == nil {
			run.Status, run.Error = state.StatusFailed, cause.Error()
			err = r.Store.FinishRun(ctx, run)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// recordRefusal records a run of target that a guard stopped before it
// planned.
func (r *Runner) recordRefusal(ctx context.Context, target, mode string, cause error) error {
	run, err := r.Store.StartRun(ctx, target, mode)
	if err != nil {
		return err
	}
	return r.finish(ctx, run, state.StatusRefused, nil, nil, cause)
}

// targetView is what a run knows of one target before planning: what the
// target has and what the state store remembers of it.
type targetView struct {
	accounts  *Listing
	groups    []targets.Group
	links     []state.PlanLink
	groupIDs  map[string]string
	lastCount int
	haveLast  bool
	// pending are audit rows of earlier runs whose write's outcome was
	// never recorded.
	pending []state.Audit
	// index is built here, while the source is still being read, so that
	// planning does not wait for it.
	index *TargetIndex
	// partial is set for an incremental run: the view holds only the
	// covered people's links and accounts.
	partial *Incremental
	err     error

	// managerLinks are the links of managers outside an incremental
	// run's people (Input.ManagerLinks).
	managerLinks []state.PlanLink
}

func (r *Runner) view(ctx context.Context, t TargetSpec, o Overrides) *targetView {
	v := &targetView{}
	n, err := r.Store.LinkCount(ctx, t.Name)
	if err != nil {
		v.err = err
		return v
	}
	// Once idsync has run, the target holds about as many accounts as
	// there are links: size the list for that rather than grow it.
	if v.accounts, v.groups, v.err = r.listTarget(ctx, t, r.mapperOf(t).AttributePaths(), n+n/16); v.err != nil {
		return v
	}
	ids := newIDTable(v.accounts)
	ids.shareMembers(v.groups)
	v.links = make([]state.PlanLink, 0, n)
	v.err = r.Store.PlanLinks(ctx, t.Name, func(l state.PlanLink) error {
		ids.shareLink(&l)
		v.links = append(v.links, l)
		return nil
	})
	if v.err != nil {
		return v
	}
	if v.groupIDs, v.err = r.Store.GroupIDs(ctx, t.Name); v.err != nil {
		return v
	}
	if v.lastCount, v.haveLast, v.err = r.Store.LastSourceCount(ctx, t.Name); v.err != nil {
		return v
	}
	if v.err = r.checkListing(ctx, t, o, v); v.err != nil {
		return v
	}
	if v.pending, v.err = r.pendingAudit(ctx, t.Name); v.err != nil {
		return v
	}
	v.index = IndexListing(v.accounts, v.groups, v.links)
	// The index holds every group's members as account indexes; planning
	// never reads the listing's member IDs again.
	for i := range v.groups {
		v.groups[i].Members = nil
	}
	return v
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// readSource reads and maps every person, in source order, on the calling
// goroutine. A mapping error for one person is kept as Unmapped (the plan
// leaves that person's account alone). The people are indexed once the
// read ends. sizeHint is how many people to make room for. Once sh's view
// is ready, the people share its strings (share.go): those mapped before
// at once, the others as they are mapped; src.unshared counts the people
// left to share when the view was not ready before the read ended (sh may
// be nil). Equal role lists are shared too.
func (r *Runner) readSource(ctx context.Context, now time.Time, sizeHint int, sh *sharer) (source, error) {
	src := source{people: make([]mapping.Person, 0, sizeHint), others: r.targetMappers(), unshared: -1}
	var roles roleLists
	start := time.Now()
	err := r.Source.Read(ctx, func(e mapping.Entry) error {
		n := len(src.people)
		r.mapEntry(&src, e, now)
		if len(src.people) == n {
			return nil // unmapped
		}
		p := &src.people[n]
		p.Roles = roles.intern(p.Roles)
		if sh.share(p) && src.unshared < 0 {
			// The view is ready: the people mapped before share now.
			for k := range src.people[:n] {
				sh.share(&src.people[k])
			}
			src.unshared = 0
		}
		return nil
	})
	if src.unshared < 0 {
		src.unshared = len(src.people)
	}
	if err == nil {
		src.index = NewPeopleIndex(len(src.people))
		err = src.index.Add(src.people)
		src.indexOthers()
	}
	if err != nil {
		return source{}, fmt.Errorf("read source: %w (nothing was planned or changed)", err)
	}
	r.Log.WithFields(logrus.Fields{"people": len(src.people), "unmapped": len(src.unmapped),
		"seconds": time.Since(start).Seconds()}).Debug("source read")
	return src, nil
}

// sizeHint returns how many people were in scope at the last applied run
// of any target, with some room to grow; 0 before the first. A hint too
// small only costs a copy as the list grows.
func (r *Runner) sizeHint(ctx context.Context) int {
	n := 0
	for _, t := range r.Targets {
		if c, ok, err := r.Store.LastSourceCount(ctx, t.Name); err == nil && ok {
			n = max(n, c)
		}
	}
	return n + n/16
}

// source is what a run read from the source, for every target.
type source struct {
	people   []mapping.Person
	index    *PeopleIndex
	unmapped []Unmapped
	// partial, for an incremental run, are the source IDs it covered,
	// sorted; nil for a full run.
	partial []string
	// deleted, for an incremental run, are the IDs the changes say were
	// deleted from the directory (Changes.Deleted).
	deleted map[string]bool
	// goneAt, for an incremental run, is Changes.GoneAt.
	goneAt map[string]time.Time
	// others are the people as the targets' own mappers made them
	// (target_rules.go).
	others []*mapped
	// unshared is how many people, from the first, have not shared the
	// strings of the view that was ready only after the read (share.go).
	unshared int
}

// inSource returns a func reporting whether a person of src (mapped or not)
// has a source ID. Its set is made on first use: only a create refused for
// an existing userName asks.
func inSource(src source) func(id string) bool {
	if src.partial != nil {
		return inPartial(src)
	}
	var ids map[string]bool
	return func(id string) bool {
		if ids == nil {
			ids = make(map[string]bool, len(src.people)+len(src.unmapped))
			for i := range src.people {
				ids[src.people[i].SourceID] = true
			}
			for _, u := range src.unmapped {
				ids[u.SourceID] = true
			}
		}
		return ids[id]
	}
}

// listTarget lists the accounts, as a listing holding the values of paths,
// and, for a GroupManager, the groups of t. sizeHint is how many accounts
// are expected.
func (r *Runner) listTarget(ctx context.Context, t TargetSpec, paths []string, sizeHint int) (*Listing, []targets.Group, error) {
	accounts := NewListing(paths, sizeHint)
	if err := t.Target.List(ctx, func(a targets.Account) error {
		accounts.Add(a)
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("list accounts: %w (nothing was planned or changed)", err)
	}
	gm, ok := t.Target.(targets.GroupManager)
	if !ok {
		return accounts, nil, nil
	}
	groups := []targets.Group{}
	if err := gm.ListGroups(ctx, func(g targets.Group) error {
		groups = append(groups, g)
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("list groups: %w (nothing was planned or changed)", err)
	}
	return accounts, groups, nil
}

// plannedTarget is a target planned and inspected, not yet checked by
// its guards nor applied; done is set when its run already ended (err).
type plannedTarget struct {
	t    TargetSpec
	run  state.Run
	p    *Plan
	src  source
	v    *targetView
	held []SoDHolding // what its people hold now, with SoD rules only
	done bool
	res  Result
	err  error
}

// planTarget starts target t's run, plans it and runs opts.Inspect.
func (r *Runner) planTarget(ctx context.Context, t TargetSpec, mode string, opts Options, now time.Time,
	src source, v *targetView) *plannedTarget {
	pt := &plannedTarget{t: t, v: v}
	var err error
	if pt.run, err = r.Store.StartRun(ctx, t.Name, mode); err != nil {
		pt.done, pt.err = true, err
		return pt
	}
	start := time.Now()
	src = src.forTarget(t)
	pt.src = src
	p, limit := r.plan(t, now, src, v)
	if opts.Saved == nil {
		limit(p)
	}
	pt.p = p
	r.Log.WithFields(logrus.Fields{"target": t.Name, "changes": len(p.Changes), "seconds": time.Since(start).Seconds()}).Debug("plan built")
	pt.run.SourceCount = p.Summary.InScope
	if v.partial != nil {
		p.Incremental, pt.run.SourceCount = v.partial, v.lastCount
	}
	var in *PlanInputs
	if opts.Inspect != nil || opts.Saved != nil || len(r.SoD) > 0 {
		in = newPlanInputs(src, v, r.Mapper.Roles())
	}
	if opts.Saved != nil {
		in.limit = limit
		err := opts.Saved.Filter(p, in)
		in.limit = nil
		if err != nil {
			pt.done = true
			pt.err = r.finish(ctx, pt.run, state.StatusRefused, p, &pt.res, fmt.Errorf("refusing to apply, nothing was changed: %w", err))
			return pt
		}
	}
	if opts.Inspect != nil {
		if err := opts.Inspect(p, in); err != nil {
			pt.done = true
			pt.err = r.finish(ctx, pt.run, state.StatusRefused, p, &pt.res, fmt.Errorf("refusing to apply, nothing was changed: %w", err))
			return pt
		}
	}
	if len(r.SoD) > 0 {
		pt.held = SoDHeld(in, r.SoD)
	}
	return pt
}

// checkSoD checks the SoD rules against the plans of the targets still
// to apply, all together, and what the people of the targets not in the
// run hold.
func (r *Runner) checkSoD(ctx context.Context, pts []*plannedTarget) error {
	if len(r.SoD) == 0 {
		return nil
	}
	var ts []SoDTarget
	for _, pt := range pts {
		if !pt.done {
			ts = append(ts, SoDTarget{Plan: pt.p, Held: pt.held})
		}
	}
	for _, name := range r.SoDOthers {
		hs, err := r.Store.RoleHolders(ctx, name)
		if err != nil {
			return fmt.Errorf("segregation of duties: what target %s holds: %w", name, err)
		}
		t := SoDTarget{Plan: &Plan{Target: name}, Elsewhere: true}
		for _, h := range hs {
			t.Held = append(t.Held, SoDHolding{SourceID: h.SourceID, UserName: h.UserName, Role: h.Role})
		}
		ts = append(ts, t)
	}
	flags, _ := CheckSoD(r.SoD, ts)
	for _, f := range flags {
		r.Log.WithFields(logrus.Fields{"target": f.Target, "rule": f.Rule, "role": f.Role, "user": f.UserName,
			"blocked": f.Blocked}).Warn("segregation of duties: a grant completes a forbidden set of roles")
	}
	return nil
}

// refuseAll ends the runs of the planned targets, refused with err,
// before anything is written.
func (r *Runner) refuseAll(ctx context.Context, pts []*plannedTarget, err error) {
	for _, pt := range pts {
		if !pt.done {
			pt.done = true
			pt.err = r.finish(ctx, pt.run, state.StatusRefused, pt.p, &pt.res, fmt.Errorf("refusing to apply, nothing was changed: %w", err))
		}
	}
}

// applyTarget checks the guards of a planned target and, unless a dry
// run, applies its plan and records the run.
func (r *Runner) applyTarget(ctx context.Context, pt *plannedTarget, opts Options) (*Plan, Result, error) {
	if pt.done {
		return pt.p, pt.res, pt.err
	}
	t, run, p, src, v := pt.t, pt.run, pt.p, pt.src, pt.v
	pt.v, pt.src = nil, source{} // let the view go once applied
	p.Warnings = append(p.Warnings, pendingWarnings(v.pending)...)
	if gerr := t.Guards.Check(p, v.lastCount, v.haveLast, opts.Overrides); gerr != nil {
		if opts.DryRun {
			p.Warnings = append(p.Warnings, "apply would refuse this plan: "+gerr.Error())
		} else {
			res := Result{}
			err := r.finish(ctx, run, state.StatusRefused, p, &res, fmt.Errorf("refusing to apply, nothing was changed: %w", gerr))
			return p, res, err
		}
	}
	if opts.DryRun {
		res := Result{}
		r.Log.WithFields(logrus.Fields{"target": t.Name, "dry_run": true}).Info(SummaryLine(p))
		err := r.finish(ctx, run, state.StatusPlanned, p, &res, nil)
		return p, res, err
	}
	if err := r.settlePending(ctx, t.Name, run.ID, v.pending); err != nil {
		return p, Result{}, r.finish(ctx, run, state.StatusFailed, p, &Result{}, err)
	}
	ap := &Applier{Name: t.Name, Target: t.Target, Store: r.Store, RunID: run.ID, Log: r.Log.WithField("target", t.Name), Rehire: t.Policy.Rehire,
		Protect: t.Policy.Protect, Now: r.now, InSource: inSource(src), Concurrency: t.Concurrency, Progress: r.Progress}
	res, err := ap.Apply(ctx, p)
	if err != nil {
		err = r.finish(ctx, run, state.StatusFailed, p, &res, err)
		return p, res, err
	}
	if err := r.storeSnapshot(ctx, t.Name, &run, src); err != nil {
		err = r.finish(ctx, run, state.StatusFailed, p, &res, err)
		return p, res, err
	}
	status := state.StatusApplied
	var runErr error
	if res.Failed > 0 {
		status = state.StatusPartial
		runErr = fmt.Errorf("%w: %s", ErrPartial, failureText(res))
	}
	r.Log.WithFields(logrus.Fields{"target": t.Name, "applied": res.Applied, "refused": res.Refused, "failed": res.Failed}).Info(SummaryLine(p))
	err = r.finish(ctx, run, status, p, &res, runErr)
	return p, res, err
}

// ErrPartial is wrapped by the error of a run that went to its end with
// changes the target refused or that failed one by one.
var ErrPartial = errors.New("some changes were not applied")

func failureText(res Result) string {
	return fmt.Sprintf("%d of %d steps were not applied (%d refused by the target); the next run plans them again:\n  %s",
		res.Failed, res.Failed+res.Applied, res.Refused, strings.Join(res.Errors, "\n  "))
}

// plan builds target t's plan, and returns it with the function that
// applies the target's group size limit to it (or to what is kept of it:
// a saved plan applied), which the caller calls.
func (r *Runner) plan(t TargetSpec, now time.Time, src source, v *targetView) (*Plan, func(*Plan)) {
	m := r.mapperOf(t)
	roles := m.Roles()
	groups := v.groups
	if groups != nil && len(roles) == 0 && len(v.groupIDs) == 0 && !anyRoles(src.people) && len(t.Policy.Protect.Groups) == 0 {
		groups = nil // no role rules: leave the target's groups alone
	}
	p := BuildPlan(Input{
		Target: t.Name, Now: now, People: rewriteUserNames(t.Target, src.people), Unmapped: src.unmapped, Links: v.links,
		Listing: v.accounts, Groups: groups, GroupIDs: v.groupIDs, StaticRoles: roles,
		Managed: m.AttributePaths(), Rule: m.Rule, RuleKey: ruleKeyOf(m), Policy: t.Policy,
		Index: v.index, PeopleIndex: src.index, ManagerLinks: v.managerLinks, Deleted: src.deleted, GoneAt: src.goneAt,
	})
	describeActions(t.Target, p)
	index := v.index
	return p, func(p *Plan) { limitGroupSizes(t.Target, groups, index, p) }
}

func anyRoles(people []mapping.Person) bool {
	for _, p := range people {
		if len(p.Roles) > 0 {
			return true
		}
	}
	return false
}

func (r *Runner) saveSnapshot(ctx context.Context, target string, runID int64, people []mapping.Person) error {
	order := make([]int, len(people))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(i, j int) bool { return people[order[i]].SourceID < people[order[j]].SourceID })
	i := 0
	return r.Store.SaveSnapshot(ctx, target, runID, func() (state.SnapshotEntry, bool, error) {
		if i == len(order) {
			return state.SnapshotEntry{}, false, nil
		}
		p := &people[order[i]]
		i++
		return state.SnapshotEntry{SourceID: p.SourceID, DN: p.DN, UserName: p.Account.UserName,
			InScope: p.InScope, Disabled: p.Disabled, Hash: p.Hash()}, true, nil
	})
}

// finish records the run's end. The run's own error, if any, is returned,
// joined with any error recording it.
func (r *Runner) finish(ctx context.Context, run state.Run, status string, p *Plan, res *Result, runErr error) error {
	run.Status = status
	if p != nil {
		run.Summary = SummaryLine(p)
	}
	if res != nil {
		res.Status = status
		if run.Mode == state.ModeApply && status != state.StatusRefused {
			run.Summary += fmt.Sprintf(" Applied %d, refused %d, failed %d.", res.Applied, res.Refused, res.Failed-res.Refused)
		}
	}
	if runErr != nil {
		run.Error = runErr.Error()
	}
	// Record the end even when ctx was cancelled.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := r.Store.FinishRun(fctx, run); err != nil {
		return errors.Join(runErr, err)
	}
	if run.Mode == state.ModeApply {
		// Not for a run that was stopped: a stop stops the upkeep too.
		if r.Retention != nil && ctx.Err() == nil {
			if err := r.Retention(ctx); err != nil {
				r.Log.WithError(err).Warn("audit upkeep not done; the next apply run tries again")
			}
		}
		r.logChainHead(fctx, run)
	}
	return runErr
}

// chainHeader is the optional ability of a Store to report the head of
// its audit chain (*state.Store has it).
type chainHeader interface {
	AuditHead(ctx context.Context) (state.ChainHead, error)
}

// logChainHead logs the head of the audit chain at the end of an apply
// run, so that a rewrite of the whole database can be caught against the
// logs ("idsync audit verify --head SEQ:HASH").
func (r *Runner) logChainHead(ctx context.Context, run state.Run) {
	h, ok := r.Store.(chainHeader)
	if !ok {
		return
	}
	head, err := h.AuditHead(ctx)
	if err != nil {
		r.Log.WithError(err).WithField("target", run.Target).Warn("audit chain head: not read")
		return
	}
	r.Log.WithFields(logrus.Fields{"target": run.Target, "run": run.ID, "head": head.String()}).Info("audit chain head")
}
