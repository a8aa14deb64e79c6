package ldapsource

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-ldap/ldap/v3"
)

var (
	// errSearchEnded: the server ended the persistent search without an
	// error.
	errSearchEnded = errors.New("the server ended the sync search")
	// errCookieIgnored: the server answered a search with a cookie as if
	// it had none (slapd does so with a cookie it cannot parse): changes
	// in the refresh, and no new cookie at its end.
	errCookieIgnored = errors.New("the server ignored the cookie")
)

// session runs one syncrepl search from cookie until it fails, handing
// the events to emit. progressed reports whether the server answered the
// search at all (it resets the backoff).
func (w *Watcher) session(ctx context.Context, cookie []byte, emit func(Event) error) (progressed bool, err error) {
	conn, closeConn, url, err := w.src.openServer(ctx)
	if err != nil {
		return false, err
	}
	defer closeConn()
	if w.opts.state != nil {
		w.opts.state(true, nil)
	}
	// A request timeout would end the persistent search, and with one
	// go-ldap drops responses the consumer is slow to take.
	conn.SetTimeout(0)
	req := ldap.NewSearchRequest(w.base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		w.filter, []string{"objectClass"}, nil)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	resp := conn.Syncrepl(sctx, req, 64, ldap.SyncRequestModeRefreshAndPersist, cookie, false)
	t := newTracker(cookie, w.groupOC, w.opts.maxPending)
	for resp.Next() {
		progressed = true
		ev, ok, err := t.handle(resp.Entry(), resp.Controls())
		if err != nil {
			return progressed, fmt.Errorf("ldap: watch %s: %w", url, err)
		}
		if ok {
			if err := emit(ev); err != nil {
				return progressed, err
			}
		}
	}
	if err := resp.Err(); err != nil {
		return progressed, fmt.Errorf("ldap: watch %s: %w", url, err)
	}
	return progressed, fmt.Errorf("ldap: watch %s: %w", url, errSearchEnded)
}

// tracker turns the messages of one syncrepl search into events. During
// the refresh phase it gathers changes and hands them out as one event
// when the refresh is done; in the persist phase every message is an
// event of its own.
type tracker struct {
	refreshing bool
	full       bool // the refresh is (or turned into) a full one
	resumed    bool // the search was sent with a cookie
	gotCookie  bool // the server sent a cookie during the refresh
	cookie     []byte
	sent       []byte // the cookie of the last event
	groupOC    map[string]bool
	max        int
	changed    ordered
	deleted    ordered
	groups     ordered
}

func newTracker(cookie []byte, groupOC map[string]bool, maxPending int) *tracker {
	return &tracker{
		refreshing: true, full: len(cookie) == 0, resumed: len(cookie) > 0, cookie: cookie, sent: cookie,
		groupOC: groupOC, max: maxPending,
	}
}

// handle takes one message (an entry with its sync state control, or an
// intermediate sync info message, or the search's end with its sync done
// control) and returns the event it completes, if any.
func (t *tracker) handle(e *ldap.Entry, controls []ldap.Control) (Event, bool, error) {
	if e != nil {
		st, ok := ldap.FindControl(controls, ldap.ControlTypeSyncState).(*ldap.ControlSyncState)
		if !ok {
			return Event{}, false, fmt.Errorf("entry %q without a sync state control", e.DN)
		}
		t.entry(e, st)
		return t.flush(t.refreshing)
	}
	if info, ok := ldap.FindControl(controls, ldap.ControlTypeSyncInfo).(*ldap.ControlSyncInfo); ok {
		return t.info(info)
	}
	if done, ok := ldap.FindControl(controls, ldap.ControlTypeSyncDone).(*ldap.ControlSyncDone); ok {
		t.setCookie(done.Cookie)
		if !done.RefreshDeletes {
			t.full = true
		}
		t.refreshing = false
		return t.flush(false)
	}
	return Event{}, false, nil
}

// entry records one entry's state.
func (t *tracker) entry(e *ldap.Entry, st *ldap.ControlSyncState) {
	t.setCookie(st.Cookie)
	id := st.EntryUUID.String()
	switch st.State {
	case ldap.SyncStatePresent:
		// Present entries list what is left; what is gone is implied.
		t.full = true
	case ldap.SyncStateAdd, ldap.SyncStateModify:
		if t.full && t.refreshing {
			return // the full reconciliation reads it
		}
		if t.isGroup(e) {
			t.groups.add(e.DN)
		} else {
			t.deleted.remove(id)
			t.changed.add(id)
		}
	case ldap.SyncStateDelete:
		t.changed.remove(id)
		t.deleted.add(id)
	}
	t.overflow()
}

// info handles an intermediate Sync Info message.
func (t *tracker) info(info *ldap.ControlSyncInfo) (Event, bool, error) {
	switch info.Value {
	case ldap.SyncInfoNewcookie:
		t.setCookie(info.NewCookie.Cookie)
		return t.flush(t.refreshing)
	case ldap.SyncInfoRefreshDelete:
		t.setCookie(info.RefreshDelete.Cookie)
		t.refreshing = t.refreshing && !info.RefreshDelete.RefreshDone
	case ldap.SyncInfoRefreshPresent:
		// The present phase names what is left: deletions are implied.
		t.setCookie(info.RefreshPresent.Cookie)
		t.full = true
		t.refreshing = t.refreshing && !info.RefreshPresent.RefreshDone
	case ldap.SyncInfoSyncIdSet:
		set := info.SyncIdSet
		t.setCookie(set.Cookie)
		if !set.RefreshDeletes {
			t.full = true
			break
		}
		for _, u := range set.SyncUUIDs {
			t.changed.remove(u.String())
			t.deleted.add(u.String())
		}
		t.overflow()
	}
	return t.flush(t.refreshing)
}

func (t *tracker) setCookie(c []byte) {
	if len(c) > 0 {
		t.cookie = c
		t.gotCookie = t.gotCookie || t.refreshing
	}
}

func (t *tracker) isGroup(e *ldap.Entry) bool {
	for _, oc := range e.GetAttributeValues("objectClass") {
		if t.groupOC[strings.ToLower(oc)] {
			return true
		}
	}
	return false
}

// overflow turns a refresh with too many changes into a full one.
func (t *tracker) overflow() {
	if t.changed.len()+t.deleted.len()+t.groups.len() > t.max {
		t.full = true
		t.changed, t.deleted, t.groups = ordered{}, ordered{}, ordered{}
	}
}

// flush returns the pending event unless hold is set or there is nothing
// to say (no change and the same cookie as the last event). A full event
// carries no lists: the full reconciliation covers them.
func (t *tracker) flush(hold bool) (Event, bool, error) {
	ev := Event{Changed: t.changed.list, Deleted: t.deleted.list, Groups: t.groups.list, Full: t.full}
	if !hold && t.resumed && !t.gotCookie && !ev.empty() {
		return Event{}, false, errCookieIgnored
	}
	t.resumed = t.resumed && hold
	if ev.Full {
		ev.Changed, ev.Deleted, ev.Groups = nil, nil, nil
	}
	if hold || (ev.empty() && string(t.cookie) == string(t.sent)) {
		return Event{}, false, nil
	}
	if string(t.cookie) != string(t.sent) {
		ev.Cookie = t.cookie
	}
	t.sent = t.cookie
	t.full = false
	t.changed, t.deleted, t.groups = ordered{}, ordered{}, ordered{}
	return ev, true, nil
}

func (e Event) empty() bool {
	return !e.Full && len(e.Changed) == 0 && len(e.Deleted) == 0 && len(e.Groups) == 0
}

// ordered is a set that keeps the order of first insertion.
type ordered struct {
	list []string
	idx  map[string]int
}

func (o *ordered) len() int { return len(o.list) }

func (o *ordered) add(s string) {
	if _, ok := o.idx[s]; ok {
		return
	}
	if o.idx == nil {
		o.idx = map[string]int{}
	}
	o.idx[s] = len(o.list)
	o.list = append(o.list, s)
}

func (o *ordered) remove(s string) {
	i, ok := o.idx[s]
	if !ok {
		return
	}
	o.list = append(o.list[:i], o.list[i+1:]...)
	if len(o.list) == 0 {
		o.list = nil
	}
	delete(o.idx, s)
	for j := i; j < len(o.list); j++ {
		o.idx[o.list[j]] = j
	}
}
