package ldapsource

import (
	"context"
	"os"
	"slices"
	gosync "sync"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/sync/ldapsource/sambatest"
	"github.com/sirupsen/logrus"
)

// adWatch runs a watcher on cfg from cookie and returns its events, and a
// function that stops it and returns Watch's error.
func adWatch(t *testing.T, cfg Config, cookie []byte) (<-chan Event, func() error) {
	t.Helper()
	w, err := NewWatcher(cfg, debugLog(), WithBackoff(func(ctx context.Context, _ int) error { return ctx.Err() }))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	events := make(chan Event, 16)
	done := make(chan error, 1)
	go func() {
		done <- w.Watch(ctx, cookie, func(e Event) error {
			events <- e
			return nil
		})
	}()
	var once gosync.Once
	var werr error
	stop := func() error {
		once.Do(func() {
			cancel()
			werr = <-done
		})
		return werr
	}
	t.Cleanup(func() { _ = stop() })
	return events, stop
}

// next waits for the next event; the DC's notification is expected well
// within the bound.
func next(t *testing.T, events <-chan Event) Event {
	t.Helper()
	select {
	case e := <-events:
		return e
	case <-time.After(20 * time.Second):
		t.Fatal("no event within 20s")
	}
	return Event{}
}

// guidOf reads the objectGUID of dn as the source formats it.
func guidOf(t *testing.T, c *ldap.Conn, dn string) string {
	t.Helper()
	res, err := c.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"objectGUID"}, nil))
	if err != nil || len(res.Entries) != 1 {
		t.Fatalf("read %s: %v", dn, err)
	}
	g, err := formatGUID(res.Entries[0].GetRawAttributeValue("objectGUID"))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestADWatch: DirSync woken by change notifications against Samba: a
// first start is Full; a modified person is Changed, a group's member
// change is in Groups, a deleted person (tombstone) is Deleted; a restart
// from the saved cookie sees what changed meanwhile and is not Full; the
// cookie of another DC, or one the DC refuses, gives Full.
func TestADWatch(t *testing.T) {
	s := sambatest.Start(t)
	t.Cleanup(func() {
		if t.Failed() {
			s.Stop()
			b, _ := os.ReadFile(s.Dir + "/log.samba")
			os.WriteFile("/tmp/ad-watch-samba.log", b, 0o600)
			if len(b) > 3000 {
				b = b[len(b)-3000:]
			}
			t.Log(string(b))
		}
	})
	cfg := adConfig(t, s)
	c := s.Conn(t)
	if err := s.GrantDirSync(sambatest.ServiceDNValue, true); err != nil {
		t.Fatal(err)
	}
	dn := func(n int) string { return sambatest.UserDN(sambatest.StaffCN(n), sambatest.StaffOU(n)) }
	events, stop := adWatch(t, cfg, nil)
	first := next(t, events)
	if !first.Full || first.Cookie == nil {
		t.Fatalf("first event %+v, want Full with a cookie", first)
	}

	mod := ldap.NewModifyRequest(dn(20), nil)
	mod.Replace("title", []string{"Director"})
	if err := c.Modify(mod); err != nil {
		t.Fatal(err)
	}
	e := next(t, events)
	if id := guidOf(t, c, dn(20)); e.Full || !slices.Contains(e.Changed, id) {
		t.Fatalf("after a modify: %+v, want %s changed", e, id)
	}

	gmod := ldap.NewModifyRequest(sambatest.GroupDN("Newsletter"), nil)
	gmod.Add("member", []string{dn(21)})
	if err := c.Modify(gmod); err != nil {
		t.Fatal(err)
	}
	e = next(t, events)
	if !slices.Contains(e.Groups, sambatest.GroupDN("Newsletter")) {
		t.Fatalf("after a member change: %+v, want the group", e)
	}
	gone := guidOf(t, c, dn(22))
	if err := c.Del(ldap.NewDelRequest(dn(22), nil)); err != nil {
		t.Fatal(err)
	}
	e = next(t, events)
	if e.Full || !slices.Contains(e.Deleted, gone) {
		t.Fatalf("after a delete: %+v, want %s deleted", e, gone)
	}
	if err := stop(); err == nil {
		t.Error("Watch returned nil after cancel")
	}
	saved := e.Cookie

	// Changes while idsync is down arrive at the restart.
	mod = ldap.NewModifyRequest(dn(23), nil)
	mod.Replace("title", []string{"Director"})
	if err := c.Modify(mod); err != nil {
		t.Fatal(err)
	}
	events, stop = adWatch(t, cfg, saved)
	e = next(t, events)
	if id := guidOf(t, c, dn(23)); e.Full || !slices.Contains(e.Changed, id) {
		t.Fatalf("resumed: %+v, want %s changed", e, id)
	}
	_ = stop()

	ck, err := parseADCookie(saved)
	if err != nil {
		t.Fatal(err)
	}
	other := adCookie{DC: "CN=NTDS Settings,CN=DC2,CN=Servers,CN=Default-First-Site-Name,CN=Sites,CN=Configuration," + sambatest.BaseDN, DirSync: ck.DirSync}
	refused := adCookie{DC: ck.DC, DirSync: []byte("not a DirSync cookie")}
	for name, cookie := range map[string][]byte{"another DC's": other.encode(), "refused": refused.encode(), "malformed": []byte("{")} {
		events, stop = adWatch(t, cfg, cookie)
		if e := next(t, events); !e.Full {
			t.Errorf("%s cookie: %+v, want Full", name, e)
		}
		_ = stop()
	}
}

func debugLog() *logrus.Logger { l := logrus.New(); l.SetLevel(logrus.DebugLevel); return l }
