package sync

import "context"

// Watcher reports changes in a directory as they happen, so that a run can
// cover only the people they touch. OpenLDAP's syncrepl (RFC 4533) is one
// implementation (sync/ldapsource); Active Directory's DirSync and change
// notification control are meant to be another.
//
// Implementations live in packages that do not import sync: they declare
// their own event type with exactly WatchEvent's fields, and the caller
// converts with WatcherFunc:
//
//	sync.WatcherFunc(func(ctx context.Context, cookie []byte, fn func(sync.WatchEvent) error) error {
//		return w.Watch(ctx, cookie, func(e ldapsource.Event) error { return fn(sync.WatchEvent(e)) })
//	})
type Watcher interface {
	// Watch blocks until ctx is done, then returns ctx's error (wrapped),
	// or an error fn returned, or an error that retrying cannot fix (bad
	// configuration, bind refused). Connection losses are not returned:
	// Watch reconnects with a capped, jittered backoff and resumes from the
	// cookie of the last event fn accepted.
	//
	// cookie is the resume point saved from a previous Watch (the Cookie of
	// the last event its caller handled), or nil to start from scratch.
	// Starting from scratch, or from a cookie the server no longer accepts,
	// yields an event with Full set: the caller must reconcile everything.
	//
	// fn is called from Watch's goroutine only, one event at a time, in the
	// order the server reported the changes; the next event waits until fn
	// returns. fn must handle the event (run the incremental or full pass)
	// before it saves event.Cookie: once saved, the changes the event
	// carries are never reported again, while a crash before the save
	// replays them (delivery is at least once; events are idempotent). An
	// event with a nil Cookie leaves the saved cookie as it is. An error
	// from fn stops Watch, which returns it.
	Watch(ctx context.Context, cookie []byte, fn func(WatchEvent) error) error
}

// WatchEvent is one batch of directory changes, in the identifiers the
// Source uses (entryUUID on OpenLDAP, objectGUID on Active Directory).
// An ID may appear in Changed of one event and Deleted of a later one; the
// later event wins. Within one event an ID is in at most one list.
type WatchEvent struct {
	// Changed are the IDs of people (not groups) added, modified, renamed
	// or moved, or that came into the watched scope: read each again.
	// Their group memberships may have changed too.
	Changed []string
	// Deleted are the IDs of entries deleted or gone out of the watched
	// scope (people become leavers; a group's former members, known from
	// the last snapshot, need reading again).
	Deleted []string
	// Groups are the DNs of groups added, modified or renamed: read their
	// members again and re-read every person who joined or left them.
	// Membership changes reach the watcher only as changes of the group
	// (memberOf maintained by the server is not reported).
	Groups []string
	// Full says the watcher cannot tell what changed (first start, a
	// cookie the server refused, more changes than the watcher keeps, or
	// deletes the server only reports as a list of what is present): the
	// caller must run a full reconciliation. The other fields may still be
	// set; a full run covers them.
	Full bool
	// Cookie is the resume point after this event, to save once the event
	// is handled; nil when it does not move.
	Cookie []byte
	// Tombstones says that Deleted are deletions from the directory
	// (Active Directory tombstones), not entries that may only have left
	// the watched scope: the leavers they make have the reason "deleted".
	Tombstones bool
}

// Empty reports whether e asks for nothing but saving its cookie.
func (e WatchEvent) Empty() bool {
	return !e.Full && len(e.Changed) == 0 && len(e.Deleted) == 0 && len(e.Groups) == 0
}

// WatcherFunc adapts a function to Watcher.
type WatcherFunc func(ctx context.Context, cookie []byte, fn func(WatchEvent) error) error

// Watch calls f.
func (f WatcherFunc) Watch(ctx context.Context, cookie []byte, fn func(WatchEvent) error) error {
	return f(ctx, cookie, fn)
}

var _ Watcher = WatcherFunc(nil)
