package ldapsource

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// msg is one syncrepl message for the tracker.
type msg struct {
	entry    *ldap.Entry
	controls []ldap.Control
}

func uuidN(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012x", n) }

func state(s ldap.ControlSyncStateState, n int, cookie string, classes ...string) msg {
	st := &ldap.ControlSyncState{State: s, Cookie: []byte(cookie)}
	copy(st.EntryUUID[:], []byte{0, 0, 0, 0, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, byte(n)})
	e := &ldap.Entry{DN: fmt.Sprintf("cn=e%d,dc=x", n)}
	if len(classes) > 0 {
		e.Attributes = []*ldap.EntryAttribute{{Name: "objectClass", Values: classes}}
	}
	return msg{entry: e, controls: []ldap.Control{st}}
}

func person(s ldap.ControlSyncStateState, n int, cookie string) msg {
	return state(s, n, cookie, "top", "inetOrgPerson")
}

func group(s ldap.ControlSyncStateState, n int, cookie string) msg {
	return state(s, n, cookie, "top", "GroupOfNames")
}

func info(i *ldap.ControlSyncInfo) msg { return msg{controls: []ldap.Control{i}} }

func refreshDone(cookie string) msg {
	return info(&ldap.ControlSyncInfo{Value: ldap.SyncInfoRefreshDelete,
		RefreshDelete: &ldap.ControlSyncInfoRefreshDelete{Cookie: []byte(cookie), RefreshDone: true}})
}

func presentDone(cookie string) msg {
	return info(&ldap.ControlSyncInfo{Value: ldap.SyncInfoRefreshPresent,
		RefreshPresent: &ldap.ControlSyncInfoRefreshPresent{Cookie: []byte(cookie), RefreshDone: true}})
}

func idSet(deletes bool, ns ...int) msg {
	set := &ldap.ControlSyncInfoSyncIdSet{RefreshDeletes: deletes}
	for _, n := range ns {
		set.SyncUUIDs = append(set.SyncUUIDs, state(0, n, "").controls[0].(*ldap.ControlSyncState).EntryUUID)
	}
	return info(&ldap.ControlSyncInfo{Value: ldap.SyncInfoSyncIdSet, SyncIdSet: set})
}

func newCookie(c string) msg {
	return info(&ldap.ControlSyncInfo{Value: ldap.SyncInfoNewcookie, NewCookie: &ldap.ControlSyncInfoNewCookie{Cookie: []byte(c)}})
}

func ids(ns ...int) []string {
	var out []string
	for _, n := range ns {
		out = append(out, uuidN(n))
	}
	return out
}

func TestTracker(t *testing.T) {
	const (
		add    = ldap.SyncStateAdd
		mod    = ldap.SyncStateModify
		del    = ldap.SyncStateDelete
		prsnt  = ldap.SyncStatePresent
		c0, c1 = "c0", "c1"
	)
	for _, tc := range []struct {
		name    string
		cookie  string
		max     int
		msgs    []msg
		want    []Event
		wantErr error
	}{
		{name: "first start: the refresh is a full reconciliation",
			msgs: []msg{person(add, 1, ""), group(add, 2, ""), refreshDone(c1)},
			want: []Event{{Full: true, Cookie: []byte(c1)}}},
		{name: "resume: the refresh's changes in one event",
			cookie: c0,
			msgs:   []msg{person(add, 1, ""), group(mod, 2, ""), idSet(true, 3, 4), person(mod, 5, ""), refreshDone(c1)},
			want:   []Event{{Changed: ids(1, 5), Deleted: ids(3, 4), Groups: []string{"cn=e2,dc=x"}, Cookie: []byte(c1)}}},
		{name: "resume: changed then deleted is deleted",
			cookie: c0,
			msgs:   []msg{person(mod, 1, ""), person(del, 1, ""), refreshDone(c1)},
			want:   []Event{{Deleted: ids(1), Cookie: []byte(c1)}}},
		{name: "resume: deleted then added again is changed",
			cookie: c0,
			msgs:   []msg{idSet(true, 1), person(add, 1, ""), refreshDone(c1)},
			want:   []Event{{Changed: ids(1), Cookie: []byte(c1)}}},
		{name: "resume: a present phase implies deletions: full",
			cookie: c0,
			msgs:   []msg{person(mod, 1, ""), idSet(false, 2, 3), presentDone(c1)},
			want:   []Event{{Full: true, Cookie: []byte(c1)}}},
		{name: "resume: present entries: full",
			cookie: c0,
			msgs:   []msg{person(prsnt, 2, ""), refreshDone(c1)},
			want:   []Event{{Full: true, Cookie: []byte(c1)}}},
		{name: "resume: nothing changed, no cookie back: no event",
			cookie: c0,
			msgs:   []msg{refreshDone("")},
		},
		{name: "resume: changes without a cookie back: the cookie was ignored",
			cookie:  c0,
			msgs:    []msg{person(add, 1, ""), person(add, 2, ""), refreshDone("")},
			wantErr: errCookieIgnored},
		{name: "resume: too many changes: full",
			cookie: c0, max: 2,
			msgs: []msg{person(mod, 1, ""), person(mod, 2, ""), idSet(true, 3), person(mod, 4, ""), refreshDone(c1)},
			want: []Event{{Full: true, Cookie: []byte(c1)}}},
		{name: "persist: every change at once, with its cookie",
			cookie: c0,
			msgs: []msg{refreshDone(""), person(mod, 1, "c2"), person(del, 2, "c3"), group(mod, 3, "c4"),
				person(mod, 4, ""), newCookie("c5"), newCookie("c5")},
			want: []Event{
				{Changed: ids(1), Cookie: []byte("c2")},
				{Deleted: ids(2), Cookie: []byte("c3")},
				{Groups: []string{"cn=e3,dc=x"}, Cookie: []byte("c4")},
				{Changed: ids(4)},
				{Cookie: []byte("c5")},
			}},
		{name: "an entry without a sync state control",
			cookie:  c0,
			msgs:    []msg{{entry: &ldap.Entry{DN: "cn=x"}}},
			wantErr: errors.New(`entry "cn=x" without a sync state control`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			maxPending := tc.max
			if maxPending == 0 {
				maxPending = DefaultMaxPending
			}
			w, err := NewWatcher(Config{URL: "ldap://127.0.0.1", Users: UserSearch{BaseDN: "dc=x"}}, quietLog())
			if err != nil {
				t.Fatal(err)
			}
			var cookie []byte
			if tc.cookie != "" {
				cookie = []byte(tc.cookie)
			}
			tr := newTracker(cookie, w.groupOC, maxPending)
			var got []Event
			for _, m := range tc.msgs {
				ev, ok, err := tr.handle(m.entry, m.controls)
				if err != nil {
					if tc.wantErr == nil || (!errors.Is(err, tc.wantErr) && err.Error() != tc.wantErr.Error()) {
						t.Fatalf("error %v, want %v", err, tc.wantErr)
					}
					return
				}
				if ok {
					got = append(got, ev)
				}
			}
			if tc.wantErr != nil {
				t.Fatalf("no error, want %v", tc.wantErr)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("events:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestRefusedPermanent(t *testing.T) {
	ldapErr := func(code uint16) error {
		return fmt.Errorf("ldap: watch: %w", ldap.NewError(code, errors.New("x")))
	}
	for _, tc := range []struct {
		name               string
		err                error
		cookie             []byte
		refused, permanent bool
	}{
		{"e-syncRefreshRequired", ldapErr(ldap.LDAPResultSyncRefreshRequired), []byte("c"), true, false},
		{"cookie ignored", fmt.Errorf("w: %w", errCookieIgnored), []byte("c"), true, false},
		{"protocol error on a cookie", ldapErr(ldap.LDAPResultProtocolError), []byte("c"), true, true},
		{"e-syncRefreshRequired without cookie", ldapErr(ldap.LDAPResultSyncRefreshRequired), nil, false, false},
		{"protocol error without cookie", ldapErr(ldap.LDAPResultProtocolError), nil, false, true},
		{"bind refused", ldapErr(ldap.LDAPResultInvalidCredentials), []byte("c"), false, true},
		{"no syncprov", ldapErr(ldap.LDAPResultUnavailableCriticalExtension), nil, false, true},
		{"connection lost", ldapErr(ldap.ErrorNetwork), []byte("c"), false, false},
		{"search ended", errSearchEnded, []byte("c"), false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := refused(tc.err, tc.cookie); got != tc.refused {
				t.Errorf("refused = %v, want %v", got, tc.refused)
			}
			if got := permanent(tc.err); got != tc.permanent {
				t.Errorf("permanent = %v, want %v", got, tc.permanent)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		attempt int
		want    time.Duration
	}{{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {7, time.Minute}, {1000, time.Minute}} {
		if got := ExponentialBackoff(time.Second, time.Minute, tc.attempt); got != tc.want {
			t.Errorf("ExponentialBackoff(attempt %d) = %v, want %v", tc.attempt, got, tc.want)
		}
	}
	for _, tc := range []struct {
		r    float64
		want time.Duration
	}{{0, 5 * time.Second}, {0.5, 7500 * time.Millisecond}, {0.999, 9995 * time.Millisecond}} {
		if got := Jitter(10*time.Second, tc.r); got != tc.want {
			t.Errorf("Jitter(10s, %v) = %v, want %v", tc.r, got, tc.want)
		}
	}
}
