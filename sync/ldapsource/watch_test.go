package ldapsource

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
)

// The watcher's events convert to the engine's: the same fields.
var _ sync.Watcher = sync.WatcherFunc(func(ctx context.Context, cookie []byte, fn func(sync.WatchEvent) error) error {
	return (*Watcher)(nil).Watch(ctx, cookie, func(e Event) error { return fn(sync.WatchEvent(e)) })
})

// waitFor bounds every wait on a channel: generous, since a test only
// waits that long when it is about to fail.
const waitFor = 30 * time.Second

// watchRun is a Watch running in the background. Its backoff reports each
// reconnection attempt on attempts and waits for release.
type watchRun struct {
	events   chan Event
	done     chan error
	attempts chan int
	release  chan struct{}
	cancel   context.CancelFunc
}

func startWatch(t testing.TB, cfg Config, cookie []byte, opts ...WatchOption) *watchRun {
	t.Helper()
	r := &watchRun{
		events: make(chan Event, 1000), done: make(chan error, 1),
		attempts: make(chan int, 100), release: make(chan struct{}),
	}
	backoff := func(ctx context.Context, attempt int) error {
		r.attempts <- attempt
		select {
		case <-r.release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	w, err := NewWatcher(cfg, quietLog(), append([]WatchOption{WithBackoff(backoff)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		r.done <- w.Watch(ctx, cookie, func(e Event) error {
			r.events <- e
			return nil
		})
	}()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop cancels the watch and checks it ended with ctx's error.
func (r *watchRun) stop(t testing.TB) {
	t.Helper()
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Watch returned %v, want context.Canceled", err)
		}
	case <-time.After(waitFor):
		t.Error("Watch did not return after cancel")
	}
}

// next returns the next event that asks for something (events that only
// move the cookie are skipped), and the last cookie seen up to it.
func (r *watchRun) next(t testing.TB, cookie *[]byte) Event {
	t.Helper()
	for {
		select {
		case e := <-r.events:
			if e.Cookie != nil && cookie != nil {
				*cookie = e.Cookie
			}
			if e.Full || len(e.Changed)+len(e.Deleted)+len(e.Groups) > 0 {
				return e
			}
		case err := <-r.done:
			t.Fatalf("Watch returned %v while waiting for an event", err)
		case <-time.After(waitFor):
			t.Fatal("no event within", waitFor)
		}
	}
}

func (r *watchRun) attempt(t testing.TB) int {
	t.Helper()
	select {
	case a := <-r.attempts:
		return a
	case err := <-r.done:
		t.Fatalf("Watch returned %v while waiting for a reconnection", err)
	case <-time.After(waitFor):
		t.Fatal("no reconnection attempt within", waitFor)
	}
	return 0
}

func watchServer(t *testing.T, opts ...slapdtest.Option) (*slapdtest.Server, Config) {
	t.Helper()
	var buf bytes.Buffer
	if err := slapdtest.GenerateLDIF(&buf, 10, 3); err != nil {
		t.Fatal(err)
	}
	srv := slapdtest.Start(t, append(opts, slapdtest.WithLDIF(buf.Bytes()))...)
	return srv, testConfig(t, srv)
}

func wantEvent(t *testing.T, got Event, want Event) {
	t.Helper()
	if got.Full != want.Full || !slices.Equal(got.Changed, want.Changed) ||
		!slices.Equal(got.Deleted, want.Deleted) || !slices.Equal(got.Groups, want.Groups) {
		t.Fatalf("event = %+v, want %+v", got, want)
	}
	if len(got.Cookie) == 0 {
		t.Fatalf("event %+v has no cookie", got)
	}
}

func modify(t testing.TB, c *ldap.Conn, dn string, change func(*ldap.ModifyRequest)) {
	t.Helper()
	req := ldap.NewModifyRequest(dn, nil)
	change(req)
	if err := c.Modify(req); err != nil {
		t.Fatalf("modify %s: %v", dn, err)
	}
}

func uuidOf(t testing.TB, c *ldap.Conn, dn string) string {
	t.Helper()
	res, err := c.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, 0, 0, 0, false,
		"(objectClass=*)", []string{"entryUUID"}, nil))
	if err != nil {
		t.Fatalf("read %s: %v", dn, err)
	}
	return res.Entries[0].GetAttributeValue("entryUUID")
}

func TestWatchChanges(t *testing.T) {
	t.Parallel()
	srv, cfg := watchServer(t)
	admin := srv.Conn(t)
	r := startWatch(t, cfg, nil)
	wantEvent(t, r.next(t, nil), Event{Full: true}) // no cookie: reconcile everything

	srv.Add(t, "dn: uid=new,"+slapdtest.PeopleDN+"\nobjectClass: inetOrgPerson\nuid: new\ncn: New\nsn: N\n")
	wantEvent(t, r.next(t, nil), Event{Changed: []string{uuidOf(t, admin, "uid=new,"+slapdtest.PeopleDN)}})

	modify(t, admin, slapdtest.UserDN(1), func(m *ldap.ModifyRequest) { m.Replace("title", []string{"Boss"}) })
	wantEvent(t, r.next(t, nil), Event{Changed: []string{slapdtest.UserUUID(1)}})

	if err := admin.Del(ldap.NewDelRequest(slapdtest.UserDN(2), nil)); err != nil {
		t.Fatal(err)
	}
	wantEvent(t, r.next(t, nil), Event{Deleted: []string{slapdtest.UserUUID(2)}})

	// A membership change is a change of the group: the memberOf the
	// server maintains on the person is not reported.
	modify(t, admin, slapdtest.GroupDN(0), func(m *ldap.ModifyRequest) { m.Add("member", []string{"uid=new," + slapdtest.PeopleDN}) })
	wantEvent(t, r.next(t, nil), Event{Groups: []string{slapdtest.GroupDN(0)}})

	// A rename is a change of the same ID.
	if err := admin.ModifyDN(ldap.NewModifyDNRequest(slapdtest.UserDN(4), "uid=renamed", true, "")); err != nil {
		t.Fatal(err)
	}
	wantEvent(t, r.next(t, nil), Event{Changed: []string{slapdtest.UserUUID(4)}})
}

// TestWatchSlapdRestart stops slapd mid-watch; changes made after it is
// back but before the watcher reconnects arrive from the refresh on the
// saved cookie, and later changes as they happen.
func TestWatchSlapdRestart(t *testing.T) {
	t.Parallel()
	srv, cfg := watchServer(t, slapdtest.WithAccessLog())
	r := startWatch(t, cfg, nil)
	var cookie []byte
	wantEvent(t, r.next(t, &cookie), Event{Full: true})

	srv.Stop()
	if a := r.attempt(t); a != 1 {
		t.Fatalf("first reconnection attempt = %d, want 1", a)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	admin := srv.Conn(t)
	modify(t, admin, slapdtest.UserDN(1), func(m *ldap.ModifyRequest) { m.Replace("title", []string{"Boss"}) })
	if err := admin.Del(ldap.NewDelRequest(slapdtest.UserDN(2), nil)); err != nil {
		t.Fatal(err)
	}
	r.release <- struct{}{}
	got := r.next(t, &cookie)
	wantEvent(t, got, Event{Changed: []string{slapdtest.UserUUID(1)}, Deleted: []string{slapdtest.UserUUID(2)}})
	modify(t, admin, slapdtest.UserDN(3), func(m *ldap.ModifyRequest) { m.Replace("title", []string{"Later"}) })
	wantEvent(t, r.next(t, &cookie), Event{Changed: []string{slapdtest.UserUUID(3)}})

	// A new Watch from the saved cookie (idsync restarted) reports what
	// changed while nobody watched, and only that.
	r.stop(t)
	modify(t, admin, slapdtest.UserDN(5), func(m *ldap.ModifyRequest) { m.Replace("title", []string{"Offline"}) })
	r2 := startWatch(t, cfg, cookie)
	wantEvent(t, r2.next(t, &cookie), Event{Changed: []string{slapdtest.UserUUID(5)}})
}

// TestWatchRefusedCookie: a cookie the server cannot use leads to a fresh
// start and a full reconciliation, never to silence.
func TestWatchRefusedCookie(t *testing.T) {
	t.Parallel()
	_, cfg := watchServer(t)
	for _, cookie := range []string{"garbage", "rid=000,csn=20000101000000.000000Z#000000#000#000000", "rid=000,sid=fff,csn=29991231235959.999999Z#000000#fff#000000"} {
		t.Run(cookie, func(t *testing.T) {
			r := startWatch(t, cfg, []byte(cookie))
			got := r.next(t, nil)
			t.Logf("%+v", got)
			wantEvent(t, got, Event{Full: true})
		})
	}
}

// TestWatchResume: a new Watch from a saved cookie gets what changed while
// nobody watched as a list when syncprov keeps a session log, and as a
// full reconciliation when it has none (the server then only lists what is
// left, so deletions are implied).
func TestWatchResume(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []slapdtest.Option
		want Event
	}{
		{"no session log", nil, Event{Full: true}},
		{"session log", []slapdtest.Option{slapdtest.WithSessionLog(100)},
			Event{Changed: []string{slapdtest.UserUUID(1)}, Deleted: []string{slapdtest.UserUUID(2)}}},
		{"access log", []slapdtest.Option{slapdtest.WithAccessLog()},
			Event{Changed: []string{slapdtest.UserUUID(1)}, Deleted: []string{slapdtest.UserUUID(2)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, cfg := watchServer(t, tc.opts...)
			admin := srv.Conn(t)
			r := startWatch(t, cfg, nil)
			var cookie []byte
			wantEvent(t, r.next(t, &cookie), Event{Full: true})
			r.stop(t)
			modify(t, admin, slapdtest.UserDN(1), func(m *ldap.ModifyRequest) { m.Replace("title", []string{"Offline"}) })
			if err := admin.Del(ldap.NewDelRequest(slapdtest.UserDN(2), nil)); err != nil {
				t.Fatal(err)
			}
			r = startWatch(t, cfg, cookie)
			wantEvent(t, r.next(t, &cookie), tc.want)
			// Then changes arrive one by one.
			modify(t, admin, slapdtest.UserDN(3), func(m *ldap.ModifyRequest) { m.Replace("title", []string{"Later"}) })
			wantEvent(t, r.next(t, &cookie), Event{Changed: []string{slapdtest.UserUUID(3)}})
		})
	}
}

// TestWatchStops: what reconnecting cannot fix ends Watch, and so does an
// error of fn, returned as it is.
func TestWatchStops(t *testing.T) {
	t.Parallel()
	_, cfg := watchServer(t)
	bad := cfg
	bad.BindPassword.File = filepath.Join(t.TempDir(), "wrong")
	if err := os.WriteFile(bad.BindPassword.File, []byte("wrong"), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := NewWatcher(bad, quietLog(), WithBackoff(func(context.Context, int) error {
		return errors.New("backoff called")
	}))
	if err != nil {
		t.Fatal(err)
	}
	err = w.Watch(context.Background(), nil, func(Event) error { return nil })
	if !ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
		t.Errorf("bad password: Watch returned %v, want invalid credentials", err)
	}

	w, err = NewWatcher(cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	if err := w.Watch(context.Background(), nil, func(Event) error { return stop }); err != stop {
		t.Errorf("fn failed: Watch returned %v, want fn's error as it is", err)
	}

	// The first refresh reads every entry in scope: a size limit stops
	// it, for good, with a hint.
	_, lcfg := watchServer(t, slapdtest.WithSizeLimit("size.soft=5 size.hard=5 size.prtotal=unlimited"))
	w, err = NewWatcher(lcfg, quietLog(), WithBackoff(func(context.Context, int) error {
		return errors.New("backoff called")
	}))
	if err != nil {
		t.Fatal(err)
	}
	err = w.Watch(context.Background(), nil, func(Event) error { return nil })
	if !ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) || !strings.Contains(err.Error(), "size=unlimited") {
		t.Errorf("size limit: Watch returned %v, want size limit exceeded with a hint", err)
	}

	cfg.IDAttribute = "uid"
	if _, err := NewWatcher(cfg, quietLog()); err == nil || !strings.Contains(err.Error(), "entryUUID") {
		t.Errorf("NewWatcher with id_attribute uid: %v, want an error naming entryUUID", err)
	}
}
