package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

// ChangeReader is a Source that can read only what some directory changes
// touch, for an incremental run. *ldapsource.Source is one (after
// KeepGroups).
type ChangeReader interface {
	// ReadChanges reads the people that changes touch: ids are the IDs of
	// entries changed or deleted (people, or groups), groups the DNs of
	// groups added, changed or renamed. fn is called once for each person
	// they touch who is still in scope, as Read would call it. covered
	// lists the IDs whose state the read settled: a covered ID fn did not
	// see has left the source. full is true, with nothing read, when the
	// source cannot tell what the changes touch: the caller must read
	// everything. Errors are as for Read.
	ReadChanges(ctx context.Context, ids, groups []string, fn func(mapping.Entry) error) (covered []string, full bool, err error)
}

// Changes are what changed in the source, for RunChanges.
type Changes struct {
	// IDs are the source IDs of entries changed or deleted (people or
	// groups).
	IDs []string
	// Groups are the DNs of groups added, changed or renamed.
	Groups []string
	// Deleted are those of IDs the source reported deleted from the
	// directory, not merely gone out of scope (Active Directory tombstones):
	// a linked person among them who is not read again leaves with the
	// reason "deleted".
	Deleted []string
	// GoneAt are, for IDs a watcher reported deleted or gone out of its
	// scope, when its report arrived: syncrepl does not say when an entry
	// was deleted, so a person among them who is gone from the source
	// leaves with that as the directory's time (ChangedByNotice).
	GoneAt map[string]time.Time
}

// Incremental describes the part of the directory an incremental plan
// covers.
type Incremental struct {
	// People is how many source IDs the changes covered (found or gone).
	People int `json:"people"`
	// Linked is how many accounts of the target idsync has linked in all.
	Linked int `json:"linked"`
}

// errFull says an incremental run cannot be planned for a target and a
// full run is needed; it carries why.
type errFull struct{ why string }

func (e errFull) Error() string { return e.why }

func needFull(format string, args ...any) error { return errFull{fmt.Sprintf(format, args...)} }

// RunChanges runs an incremental pass: it reads only the people ch touches
// (through a ChangeReader source) and, for every target, only their links
// and accounts (read one by one, with their groups), plans them with the
// same rules as a full run, checks the guards against the whole target,
// applies, and updates the snapshot rows of those people alone. A person
// the changes cover who is no longer in the source is a leaver at once.
//
// When an incremental pass cannot be sure of its plan it runs a full one
// (Run) instead, and logs why: the source cannot read changes or does not
// know what they touch (no full read since it started), a target has never
// been applied in full, cannot read an account by ID with its groups, or
// a change needs what only a listing shows (a joiner whose userName an
// account linked to someone else holds, a role whose group idsync has not
// made yet).
func (r *Runner) RunChanges(ctx context.Context, opts Options, ch Changes) (*Outcome, error) {
	cr, ok := r.Source.(ChangeReader)
	if !ok {
		return r.full(ctx, opts, "the source cannot read changes")
	}
	now := r.now()
	mode := modeOf(opts)
	src, covered, full, err := r.readChanges(ctx, cr, ch, now)
	if err != nil {
		return nil, errors.Join(err, r.recordFailure(ctx, mode, err))
	}
	if full {
		return r.full(ctx, opts, "the source does not know what the changes touch")
	}
	views := make([]*targetView, len(r.Targets))
	for i, t := range r.Targets {
		v, err := r.partialView(ctx, t, src.forTarget(t), covered)
		var ef errFull
		if errors.As(err, &ef) {
			return r.full(ctx, opts, "target "+t.Name+": "+ef.why)
		}
		if err != nil {
			err = fmt.Errorf("target %s: %w (nothing was planned or changed)", t.Name, err)
			return nil, errors.Join(err, r.recordFailure(ctx, mode, err))
		}
		views[i] = v
	}
	out := &Outcome{}
	var errs []error
	planned := make([]*plannedTarget, len(r.Targets))
	for i, t := range r.Targets { // every target planned before any applies: SoD rules see them all
		planned[i] = r.planTarget(ctx, t, mode, opts, now, src, views[i])
		// The dated events of the people touched: a date that changed
		// moves the daemon's timer as a full run would.
		out.NextDue = earliest(out.NextDue, nextDue(now, datesOf(src.forTarget(t), t.Policy, now), t, views[i], planned[i].p))
	}
	if err := r.checkSoD(ctx, planned); err != nil {
		r.refuseAll(ctx, planned, err)
	}
	for _, pt := range planned {
		errs = r.applyPlanned(ctx, pt, opts, out, errs)
	}
	return out, errors.Join(errs...)
}

func modeOf(opts Options) string {
	if opts.DryRun {
		return state.ModePlan
	}
	return state.ModeApply
}

// full runs a full pass in place of an incremental one.
func (r *Runner) full(ctx context.Context, opts Options, why string) (*Outcome, error) {
	r.Log.WithField("why", why).Info("incremental run not possible: running a full reconciliation")
	return r.Run(ctx, opts)
}

// readChanges reads and maps the people ch touches.
func (r *Runner) readChanges(ctx context.Context, cr ChangeReader, ch Changes, now time.Time) (source, []string, bool, error) {
	src := source{others: r.targetMappers()}
	start := time.Now()
	covered, full, err := cr.ReadChanges(ctx, ch.IDs, ch.Groups, func(e mapping.Entry) error {
		r.mapEntry(&src, e, now)
		return nil
	})
	if err == nil && !full {
		src.index = NewPeopleIndex(len(src.people))
		err = src.index.Add(src.people)
		src.indexOthers()
	}
	if err != nil {
		return source{}, nil, false, fmt.Errorf("read changes: %w (nothing was planned or changed)", err)
	}
	slices.Sort(covered)
	covered = slices.Compact(covered)
	src.partial = covered
	src.goneAt = ch.GoneAt
	if len(ch.Deleted) > 0 {
		src.deleted = make(map[string]bool, len(ch.Deleted))
		for _, id := range ch.Deleted {
			src.deleted[id] = true
		}
	}
	r.Log.WithFields(logrus.Fields{"changes": len(ch.IDs) + len(ch.Groups), "covered": len(covered),
		"people": len(src.people), "seconds": time.Since(start).Seconds()}).Debug("changes read")
	return src, covered, full, nil
}

// partialView reads what target t knows of the covered people: their
// links, their linked accounts with their groups, and the accounts their
// userNames hold, one request each.
func (r *Runner) partialView(ctx context.Context, t TargetSpec, src source, covered []string) (*targetView, error) {
	v := &targetView{partial: &Incremental{People: len(covered)}}
	var err error
	if v.lastCount, v.haveLast, err = r.Store.LastSourceCount(ctx, t.Name); err != nil {
		return nil, err
	}
	if !v.haveLast { // a run applied to its end saved a snapshot
		return nil, needFull("no full reconciliation has been applied yet")
	}
	if v.partial.Linked, err = r.Store.LinkCount(ctx, t.Name); err != nil {
		return nil, err
	}
	links, err := r.Store.LinksOf(ctx, t.Name, covered)
	if err != nil {
		return nil, err
	}
	v.links = planLinks(links)
	if v.managerLinks, err = r.managerLinks(ctx, t.Name, src.people); err != nil {
		return nil, err
	}
	if v.groupIDs, err = r.Store.GroupIDs(ctx, t.Name); err != nil {
		return nil, err
	}
	rd, err := r.accountReader(t, src, v.groupIDs)
	if err != nil {
		return nil, err
	}
	if err := rd.readLinked(ctx, links); err != nil {
		return nil, err
	}
	if err := rd.findJoiners(ctx, r.Store, t.Name, src.people, links); err != nil {
		return nil, err
	}
	v.accounts = ListingOf(r.mapperOf(t).AttributePaths(), rd.accounts)
	if rd.roles {
		if v.groups, v.groupIDs, err = rd.roleGroups(src.people, v.groupIDs, r.mapperOf(t).Roles()); err != nil {
			return nil, err
		}
	}
	if v.pending, err = r.pendingAudit(ctx, t.Name); err != nil {
		return nil, err
	}
	if len(v.pending) > 0 {
		// A write whose outcome was never recorded may have made an
		// account only a listing finds (by externalId).
		return nil, needFull("%d earlier writes have no recorded outcome", len(v.pending))
	}
	v.index = IndexListing(v.accounts, v.groups, v.links)
	return v, nil
}

// accountReader reads the accounts of an incremental run one by one.
type accountReader struct {
	getter targets.Getter
	finder targets.Finder
	member targets.MemberGetter // set when roles are planned
	roles  bool
	// accounts read so far, and the groups (by ID) each is a member of.
	accounts []targets.Account
	memberOf map[string][]string // group ID -> account IDs
	seen     map[string]bool     // account IDs read
}

// accountReader returns the reader for target t, or an errFull when t
// cannot be read account by account.
func (r *Runner) accountReader(t TargetSpec, src source, groupIDs map[string]string) (*accountReader, error) {
	rd := &accountReader{memberOf: map[string][]string{}, seen: map[string]bool{}}
	var ok bool
	if rd.getter, ok = t.Target.(targets.Getter); !ok {
		return nil, needFull("the target cannot read one account by ID")
	}
	if rd.finder, ok = t.Target.(targets.Finder); !ok {
		return nil, needFull("the target cannot look an account up by userName")
	}
	if len(t.Policy.Protect.Groups) > 0 {
		return nil, needFull("protect.groups needs the target's whole group listing")
	}
	if _, gm := t.Target.(targets.GroupManager); gm && (len(r.mapperOf(t).Roles()) > 0 || len(groupIDs) > 0 || anyRoles(src.people)) {
		rd.roles = true
		if rd.member, ok = t.Target.(targets.MemberGetter); !ok {
			return nil, needFull("the target cannot read an account's groups")
		}
	}
	return rd, nil
}

// read reads account id (with its groups when roles are planned); ok is
// false when the account is gone.
func (rd *accountReader) read(ctx context.Context, id string) (ok bool, err error) {
	if rd.seen[id] {
		return true, nil
	}
	var a targets.Account
	if rd.roles {
		var groups []string
		var known bool
		a, groups, known, err = rd.member.GetWithGroups(ctx, id)
		if err == nil && !known {
			return false, needFull("the target did not report the groups of account %s", id)
		}
		for _, g := range groups {
			rd.memberOf[g] = append(rd.memberOf[g], id)
		}
	} else {
		a, err = rd.getter.Get(ctx, id)
	}
	if errors.Is(err, targets.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read account %s: %w", id, err)
	}
	rd.seen[id] = true
	rd.accounts = append(rd.accounts, a)
	return true, nil
}

// readLinked reads the account of every link; an account gone is left out,
// as a listing would leave it out.
func (rd *accountReader) readLinked(ctx context.Context, links []state.Link) error {
	for _, l := range links {
		if _, err := rd.read(ctx, l.TargetID); err != nil {
			return err
		}
	}
	return nil
}

// findJoiners looks up the userName of every person who should have an
// account and has no link, so that planning adopts an existing account as
// a full run would. An account linked to someone else needs a full run:
// only the whole source says whether that person left (a rehire).
func (rd *accountReader) findJoiners(ctx context.Context, st Store, target string, people []mapping.Person, links []state.Link) error {
	linked := make(map[string]bool, len(links))
	for _, l := range links {
		linked[l.SourceID] = true
	}
	for i := range people {
		p := &people[i]
		if linked[p.SourceID] || !p.InScope || p.Disabled || p.Account.UserName == "" {
			continue
		}
		a, err := rd.finder.FindByUserName(ctx, p.Account.UserName)
		if errors.Is(err, targets.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("look up userName %q: %w", p.Account.UserName, err)
		}
		l, err := st.LinkOf(ctx, target, a.ID)
		if err == nil && l.SourceID != p.SourceID {
			return needFull("the account %s of joiner %s's userName %q is linked to %s", a.ID, p.DN, p.Account.UserName, l.SourceID)
		}
		if err != nil && !errors.Is(err, state.ErrNotFound) {
			return err
		}
		if _, err := rd.read(ctx, a.ID); err != nil {
			return err
		}
	}
	return nil
}

// roleGroups returns the groups of the roles that matter to the people
// read, with the accounts read as their only members, and groupIDs cut
// down to those roles: the roles they have or are given, the roles the
// rules name, and the groups their accounts are in. Planning then adds
// and removes those accounts alone; any other group would plan nothing,
// and going through every group at every change would cost as much as
// the directory has groups. A role someone should have whose group
// idsync has not recorded needs a full run, which finds or creates the
// group.
func (rd *accountReader) roleGroups(people []mapping.Person, groupIDs map[string]string, static []string) ([]targets.Group, map[string]string, error) {
	for i := range people {
		p := &people[i]
		if !p.InScope || p.Disabled {
			continue
		}
		for _, role := range p.Roles {
			if _, ok := groupIDs[role.Name]; !ok {
				return nil, nil, needFull("role %q has no group in the target yet", role.Name)
			}
		}
	}
	ids := map[string]string{}
	keep := func(role string) {
		if id, ok := groupIDs[role]; ok {
			ids[role] = id
		}
	}
	for _, role := range static {
		keep(role)
	}
	for i := range people {
		for _, role := range people[i].Roles {
			keep(role.Name)
		}
	}
	for role, id := range groupIDs {
		if len(rd.memberOf[id]) > 0 {
			ids[role] = id
		}
	}
	groups := make([]targets.Group, 0, len(ids))
	for _, role := range sortedKeys(ids) {
		id := ids[role]
		groups = append(groups, targets.Group{ID: id, DisplayName: role, Members: rd.memberOf[id]})
	}
	return groups, ids, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// inPartial is inSource for an incremental run, which knows only the
// people it covered: an ID covered and not read has left the source; any
// other ID is taken to be there, so that no account is taken over on a
// guess (the next full run settles it).
func inPartial(src source) func(id string) bool {
	return func(id string) bool {
		if _, covered := slices.BinarySearch(src.partial, id); !covered {
			return true
		}
		if _, ok := src.index.bySource[id]; ok {
			return true
		}
		return slices.ContainsFunc(src.unmapped, func(u Unmapped) bool { return u.SourceID == id })
	}
}

// storeSnapshot saves what the run read as target's snapshot: all of it
// for a full run; for an incremental one, the rows of the people it
// covered, and the run records the last count moved by the change in
// people in scope.
func (r *Runner) storeSnapshot(ctx context.Context, target string, run *state.Run, src source) error {
	if src.partial == nil {
		return r.saveSnapshot(ctx, target, run.ID, src.people)
	}
	entries := make([]state.SnapshotEntry, 0, len(src.people))
	read := make(map[string]bool, len(src.people)+len(src.unmapped))
	for i := range src.people {
		p := &src.people[i]
		read[p.SourceID] = true
		entries = append(entries, state.SnapshotEntry{SourceID: p.SourceID, DN: p.DN, UserName: p.Account.UserName,
			InScope: p.InScope, Disabled: p.Disabled, Hash: p.Hash()})
	}
	for _, u := range src.unmapped {
		read[u.SourceID] = true // kept as it was: its account is left alone
	}
	var gone []string
	for _, id := range src.partial {
		if !read[id] {
			gone = append(gone, id)
		}
	}
	delta, err := r.Store.UpdateSnapshot(ctx, target, run.ID, entries, gone)
	if err != nil {
		return err
	}
	run.SourceCount = max(run.SourceCount+delta, 0)
	return nil
}

// ChangeLister is a Source that can list what changed since a time (by the
// directory's modification stamps), for an incremental poll where the
// directory sends no change notifications. *ldapsource.Source is one.
type ChangeLister interface {
	// ChangedSince returns the IDs of the people and the DNs of the
	// groups added or changed at or after since. Deletions are not seen.
	ChangedSince(ctx context.Context, since time.Time) (ids, groups []string, err error)
}

// WatermarkLister is a Source that lists what changed after a watermark
// it hands out, for an incremental poll: Active Directory's
// highestCommittedUSN of one domain controller (*ldapsource.Source with
// flavour = "ad").
type WatermarkLister interface {
	// Watermark returns the source's position now: a run that starts
	// after the call and succeeds covers every change before it. Nil, with
	// no error, says the source has none (polls go by ChangedSince).
	Watermark(ctx context.Context) ([]byte, error)
	// ChangedAfter returns the people (IDs) and groups (DNs) changed after
	// mark, and among those people the ones deleted from the directory
	// (as Changes.Deleted). full is true, with nothing listed, when the
	// source cannot tell (the mark is another server's: a failover).
	ChangedAfter(ctx context.Context, mark []byte) (ids, groups, deleted []string, full bool, err error)
}

// RunAfter runs an incremental pass (RunChanges) over what the source
// says changed after mark (from WatermarkLister.Watermark, taken before the
// last run that succeeded): an incremental poll by watermark. A source
// that cannot list by watermark, or that cannot tell what changed after
// mark, runs a full reconciliation instead. When nothing changed, nothing
// runs and the Outcome has no plans.
func (r *Runner) RunAfter(ctx context.Context, opts Options, mark []byte) (*Outcome, error) {
	wl, ok := r.Source.(WatermarkLister)
	if !ok || mark == nil {
		return r.full(ctx, opts, "the source has no watermark to list changes after")
	}
	ids, groups, deleted, full, err := wl.ChangedAfter(ctx, mark)
	if err != nil {
		err = fmt.Errorf("list changes: %w (nothing was planned or changed)", err)
		return nil, errors.Join(err, r.recordFailure(ctx, modeOf(opts), err))
	}
	if full {
		return r.full(ctx, opts, "the source cannot list the changes after its watermark")
	}
	ch := Changes{IDs: ids, Groups: groups, Deleted: deleted}
	r.Log.WithFields(logrus.Fields{"people": len(ch.IDs), "deleted": len(ch.Deleted), "groups": len(ch.Groups)}).Debug(
		"changes listed after the watermark")
	if len(ch.IDs) == 0 && len(ch.Groups) == 0 {
		return &Outcome{}, nil
	}
	return r.RunChanges(ctx, opts, ch)
}

// RunSince runs an incremental pass (RunChanges) over what the source
// says changed at or after since: an incremental poll. A source that
// cannot list its changes, or a zero since (no run to count from), runs a
// full reconciliation instead. When nothing changed, nothing runs and the
// Outcome has no plans. A poll does not see people deleted from the
// directory: they become leavers at the next full reconciliation.
func (r *Runner) RunSince(ctx context.Context, opts Options, since time.Time) (*Outcome, error) {
	cl, ok := r.Source.(ChangeLister)
	if !ok {
		return r.full(ctx, opts, "the source cannot list its changes")
	}
	if since.IsZero() {
		return r.full(ctx, opts, "no full run to count the changes from")
	}
	ids, groups, err := cl.ChangedSince(ctx, since)
	if err != nil {
		err = fmt.Errorf("list changes: %w (nothing was planned or changed)", err)
		return nil, errors.Join(err, r.recordFailure(ctx, modeOf(opts), err))
	}
	r.Log.WithFields(logrus.Fields{"since": since.Format(time.RFC3339), "people": len(ids), "groups": len(groups)}).Debug("changes listed")
	if len(ids) == 0 && len(groups) == 0 {
		return &Outcome{}, nil
	}
	return r.RunChanges(ctx, opts, Changes{IDs: ids, Groups: groups})
}
