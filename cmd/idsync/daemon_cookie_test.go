package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets/scim/scimtest"

	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
)

// rewriteOffline edits the database of the stopped slapd s the way an
// administrator restoring an edited export would: slapcat, drop the
// entries whose DN is in drop, give the people in titles a new title (and
// a new entryCSN, as a modification would), then slapadd it all into an
// empty database with -w (contextCSN set to the greatest entryCSN).
// slapmodify would be simpler, but slapd 2.5's gives a modified entry a
// new entryUUID, and crashes on a delete with -w.
func rewriteOffline(t *testing.T, s *slapdtest.Server, drop map[string]bool, titles map[string]string) {
	t.Helper()
	conf := filepath.Join(s.Dir, "slapd.conf")
	bin := func(name string) string { return filepath.Join(filepath.Dir(slapdtest.SlapaddPath), name) }
	export, err := exec.Command(bin("slapcat"), "-o", "ldif_wrap=no", "-f", conf).Output()
	if err != nil {
		t.Fatalf("slapcat: %v", err)
	}
	var out strings.Builder
	for _, rec := range strings.Split(strings.TrimSpace(string(export)), "\n\n") {
		lines := strings.Split(rec, "\n")
		dn := strings.TrimPrefix(lines[0], "dn: ")
		if drop[dn] {
			continue
		}
		title, retitle := "", false
		for uid, t := range titles {
			if strings.EqualFold(dn, "uid="+uid+","+people) {
				title, retitle = t, true
			}
		}
		for _, l := range lines {
			switch {
			case strings.HasPrefix(l, "contextCSN:"):
				continue // -w sets it
			case retitle && (strings.HasPrefix(l, "title:") || strings.HasPrefix(l, "entryCSN:")):
				continue // slapadd generates a new entryCSN
			}
			out.WriteString(l + "\n")
		}
		if retitle {
			out.WriteString("title: " + title + "\n")
		}
		out.WriteString("\n")
	}
	path := filepath.Join(t.TempDir(), "edited.ldif")
	if err := os.WriteFile(path, []byte(out.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(s.Dir, "data")
	if err := os.RemoveAll(data); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if msg, err := exec.Command(bin("slapadd"), "-w", "-f", conf, "-l", path).CombinedOutput(); err != nil {
		t.Fatalf("slapadd: %v\n%s", err, msg)
	}
}

// entryUUIDs returns the entryUUIDs of the people with the uids, by uid.
func entryUUIDs(t *testing.T, e *env, uids ...string) map[string]string {
	t.Helper()
	c := e.slapd.Conn(t)
	defer c.Close()
	out := map[string]string{}
	for _, uid := range uids {
		res, err := c.Search(ldap.NewSearchRequest(people, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
			"(uid="+ldap.EscapeFilter(uid)+")", []string{"entryUUID"}, nil))
		if err != nil || len(res.Entries) != 1 {
			t.Fatalf("entryUUID of %s: %v", uid, err)
		}
		out[uid] = res.Entries[0].GetAttributeValue("entryUUID")
	}
	return out
}

// TestDaemonStaleCookieReconciles: while slapd is down its database is
// edited offline (a person deleted, three retitled; rewriteOffline), more
// changes than its syncprov session log holds, and that log is lost with
// the restart anyway: the watcher's cookie is stale when it reconnects,
// and the server can only answer with a present-phase refresh. That must
// become a full reconciliation (a Full event), and every change, the
// delete too (which such a refresh only reports by leaving the person
// out), reaches SCIMMY, on the same accounts.
func TestDaemonStaleCookieReconciles(t *testing.T) {
	e, d, c := watchingDaemon(t, slapdtest.WithSessionLog(2))
	if !e.users()["nvarga"].Active {
		t.Fatal("nvarga has no active account after the first run")
	}
	titles := map[string]string{"spatel": "Offline 1", "oandersen": "Offline 2", "lhaddad": "Offline 3"}
	uuids := entryUUIDs(t, e, "spatel", "oandersen", "lhaddad")
	ids := map[string]string{}
	for uid, a := range e.users() {
		ids[uid] = a.ID
	}
	full := logLines(d, "event handled, cookie saved", "full=true")
	lost := logLines(d, "connection lost, reconnecting")

	e.slapd.Stop()
	waitLog(t, d, lost+1, "connection lost, reconnecting")
	rewriteOffline(t, e.slapd, map[string]bool{"uid=nvarga,ou=contractors," + people: true}, titles)
	if err := e.slapd.Restart(); err != nil {
		t.Fatal(err)
	}
	waitLog(t, d, full+1, "event handled, cookie saved", "full=true")
	waitWatcher(t, d, c, "watching")

	users := e.users()
	if n := len(users); n != len(ids) {
		t.Errorf("%d accounts after the reconciliation, want %d", n, len(ids))
	}
	for uid, id := range ids {
		if users[uid].ID != id {
			t.Errorf("%s: account %s, want the same one as before (%s)", uid, users[uid].ID, id)
		}
	}
	if got := entryUUIDs(t, e, "spatel", "oandersen", "lhaddad"); !maps.Equal(got, uuids) {
		t.Errorf("the offline edit changed entryUUIDs: %v, was %v", got, uuids)
	}
	if u, ok := users["nvarga"]; !ok || u.Active {
		t.Errorf("nvarga, deleted while slapd was down: account %+v, want it disabled", u)
	}
	for uid, title := range titles {
		if got := users[uid].Attrs.Get("title"); got != title {
			t.Errorf("%s: title %q, want %q", uid, got, title)
		}
	}
	// The watcher follows changes again after the full run.
	setTitle(t, e, "eobrien", "After the reconciliation")
	waitTitle(t, e, d, "eobrien", "After the reconciliation")
}

// TestDaemonCookieNewerThanServer: the saved cookie is newer than the
// directory's state (a directory restored from a backup, a cookie saved
// from another server, a clock that ran ahead), which slapd refuses with
// unwillingToPerform ("consumer state is newer than provider!"). The
// watcher must start over without it (a full reconciliation) and follow
// the changes from there, not retry the cookie forever while every change
// waits for the next scheduled full run.
func TestDaemonCookieNewerThanServer(t *testing.T) {
	slapd := slapdtest.Start(t, slapdtest.WithLDIFFile("../../testdata/sample/day1.ldif"))
	url, token := scimtest.StartSCIMMY(t)
	e := newEnv(t, slapd, url, token, "")
	addr := freeAddr(t)
	e.appendConfig(fmt.Sprintf("\n[daemon]\nwatch = true\nstop_grace = \"20s\"\n\n[admin]\nlisten = %q\n", addr))
	st, err := state.Open(context.Background(), filepath.Join(e.dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	ahead := time.Now().Add(time.Hour).UTC().Format("20060102150405.000000Z")
	err = st.SaveWatchCookie(context.Background(), "ldap", []byte("rid=000,csn="+ahead+"#000000#000#000000"), time.Now())
	if err = errors.Join(err, st.Close()); err != nil {
		t.Fatal(err)
	}

	d := startDaemon(t, e, addr)
	t.Cleanup(func() { d.stop(t) })
	waitLog(t, d, 1, "event handled, cookie saved", "full=true")
	setTitle(t, e, "spatel", "After the refused cookie")
	waitTitle(t, e, d, "spatel", "After the refused cookie")
}
