package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/idsync/idsync/internal/admin"
	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// watchingDaemon starts slapd (options opts, the sample directory) and
// SCIMMY, and `idsync run` watching them with its admin listener; it
// returns once the first run is done and the watcher is watching, its
// initial refresh handled.
func watchingDaemon(t *testing.T, opts ...slapdtest.Option) (*env, *inProcessDaemon, *admin.Client) {
	t.Helper()
	slapd := slapdtest.Start(t, append([]slapdtest.Option{slapdtest.WithLDIFFile("../../testdata/sample/day1.ldif")}, opts...)...)
	url, token := scimtest.StartSCIMMY(t)
	e := newEnv(t, slapd, url, token, "")
	addr := freeAddr(t)
	e.appendConfig(fmt.Sprintf("\n[daemon]\nwatch = true\nstop_grace = \"20s\"\n\n[admin]\nlisten = %q\n", addr))
	d := startDaemon(t, e, addr)
	t.Cleanup(func() { d.stop(t) })
	c, err := admin.NewClient(admin.Config{Listen: addr})
	if err != nil {
		t.Fatal(err)
	}
	waitWatcher(t, d, c, "watching")
	// The watcher's first event (its initial refresh) has been handled.
	waitLog(t, d, 1, "event handled, cookie saved", "full=true")
	return e, d, c
}

// waitWatcher waits until /status shows the watcher in state.
func waitWatcher(t *testing.T, d *inProcessDaemon, c *admin.Client, state string) {
	t.Helper()
	eventually(t, "watcher "+state, d.done, func() bool {
		st, err := c.Status(context.Background())
		return err == nil && st.Watcher != nil && st.Watcher.State == state
	})
}

// waitLog waits until the daemon's log has at least n lines containing
// every one of parts.
func waitLog(t *testing.T, d *inProcessDaemon, n int, parts ...string) {
	t.Helper()
	eventually(t, fmt.Sprintf("%d log lines with %q", n, parts), d.done, func() bool {
		return logLines(d, parts...) >= n
	})
}

// logLines counts the daemon's log lines containing every one of parts.
func logLines(d *inProcessDaemon, parts ...string) int {
	n := 0
	for _, line := range strings.Split(d.log.String(), "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			n++
		}
	}
	return n
}

// setTitle replaces the title of the person with uid in slapd.
func setTitle(t *testing.T, e *env, uid, title string) {
	t.Helper()
	c := e.slapd.Conn(t)
	m := ldap.NewModifyRequest("uid="+uid+","+people, nil)
	m.Replace("title", []string{title})
	if err := c.Modify(m); err != nil {
		t.Fatalf("modify %s: %v", uid, err)
	}
	c.Close()
}

// waitTitle waits until the account of uid has title at the target.
func waitTitle(t *testing.T, e *env, d *inProcessDaemon, uid, title string) {
	t.Helper()
	eventually(t, uid+"'s title "+title, d.done, func() bool {
		return e.users()[uid].Attrs.Get("title") == title
	})
}

// TestDaemonSurvivesSlapdRestart: slapd crashes (SIGKILL) mid-watch; the
// watcher notices and reconnects with backoff; a change made as soon as
// slapd is back (before the watcher reconnected) and one made once it
// watches again both reach SCIMMY, and /status shows it watching.
func TestDaemonSurvivesSlapdRestart(t *testing.T) {
	e, d, c := watchingDaemon(t)
	setTitle(t, e, "spatel", "Before the crash")
	waitTitle(t, e, d, "spatel", "Before the crash")

	lost := logLines(d, "connection lost, reconnecting")
	e.slapd.Stop()
	waitLog(t, d, lost+1, "connection lost, reconnecting")
	if err := e.slapd.Restart(); err != nil {
		t.Fatal(err)
	}
	setTitle(t, e, "oandersen", "Changed while the watcher was away")
	waitTitle(t, e, d, "oandersen", "Changed while the watcher was away")

	setTitle(t, e, "lhaddad", "Changed after the restart")
	waitTitle(t, e, d, "lhaddad", "Changed after the restart")
	waitWatcher(t, d, c, "watching")
	if u := e.users()["spatel"]; u.Attrs.Get("title") != "Before the crash" {
		t.Errorf("spatel's title = %q after the restart", u.Attrs.Get("title"))
	}
}
