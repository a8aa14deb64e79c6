package main

import (
	"os"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// TestManagerSCIMMY: with manager = 'attr("manager")', idsync sends
// SCIMMY the manager's account ID in the enterprise extension: not on
// the run that creates the manager's account too (a warning says so), on
// the next one; a change of manager in slapd is an update, a manager who
// is no person of the source is a warning that changes nothing, and a
// removed manager (and title: any attribute) is cleared. Every run ends
// converged.
func TestManagerSCIMMY(t *testing.T) {
	slapd := slapdtest.Start(t, slapdtest.WithLDIFFile("../../testdata/sample/day1.ldif"))
	url, token := scimtest.StartSCIMMY(t)
	e := newEnv(t, slapd, url, token, "")
	cfg, err := os.ReadFile(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	withRule := strings.Replace(string(cfg), "[mapping.attributes]\n", "[mapping.attributes]\nmanager = 'attr(\"manager\")'\n", 1)
	if err := os.WriteFile(e.cfg, []byte(withRule), 0o600); err != nil {
		t.Fatal(err)
	}
	c := slapd.Conn(t)
	setManager := func(uid, manager string) {
		t.Helper()
		m := ldap.NewModifyRequest("uid="+uid+","+people, nil)
		if manager == "" {
			m.Delete("manager", nil)
		} else {
			m.Replace("manager", []string{manager})
		}
		if err := c.Modify(m); err != nil {
			t.Fatal(err)
		}
	}
	managerOf := func(uid string) string {
		t.Helper()
		users := e.users()
		id := users[uid].Attrs.Get("manager")
		for name, a := range users {
			if a.ID == id {
				return name
			}
		}
		return id
	}
	converged := func() {
		t.Helper()
		if out := e.mustIdsync(exitOK, "plan", "--exit-code"); !strings.Contains(out, "No changes") {
			t.Fatalf("not converged:\n%s", tail(out))
		}
	}
	setManager("spatel", "uid=oandersen,"+people)

	p := e.plan()
	if w := strings.Join(p.Warnings, "\n"); !strings.Contains(w, `manager "uid=oandersen,`+people+`" of uid=spatel,`+people+` has no account in target scim`) {
		t.Errorf("first plan warnings = %q, want spatel's manager reported", w)
	}
	e.mustIdsync(exitOK, "apply")
	if got := managerOf("spatel"); got != "" {
		t.Fatalf("after the first apply spatel's manager = %q, want none yet", got)
	}
	e.mustIdsync(exitOK, "apply")
	if got := managerOf("spatel"); got != "oandersen" {
		t.Fatalf("after the second apply spatel's manager = %q, want oandersen's account", got)
	}
	converged()

	setManager("spatel", "UID=lhaddad, ou=people,dc=example,dc=org")
	e.mustIdsync(exitOK, "apply")
	if got := managerOf("spatel"); got != "lhaddad" {
		t.Fatalf("after the change spatel's manager = %q, want lhaddad's account", got)
	}
	converged()

	setManager("spatel", "uid=nobody,"+people)
	p = e.plan()
	if w := strings.Join(p.Warnings, "\n"); len(p.Changes) != 0 || !strings.Contains(w, "no person of the source has that DN or ID") {
		t.Errorf("unknown manager: %d changes, warnings %q; want none and a warning", len(p.Changes), w)
	}

	setManager("spatel", "")
	m := ldap.NewModifyRequest("uid=spatel,"+people, nil)
	m.Delete("title", nil)
	if err := c.Modify(m); err != nil {
		t.Fatal(err)
	}
	e.mustIdsync(exitOK, "apply")
	if got := e.users()["spatel"].Attrs.Get("title"); got != "" {
		t.Errorf("after the removal spatel's title = %q, want none", got)
	}
	if got := managerOf("spatel"); got != "" {
		t.Fatalf("after the removal spatel's manager = %q, want none", got)
	}
	converged()
}
