package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// TestDaemonIncremental follows directory changes made with the LDAP
// protocol through `idsync run` (slapd with syncprov, SCIMMY): a changed
// attribute, a move between groups, a disable, a delete and a new person
// each reach the SCIM server through an incremental run over the people
// they touch, and a full plan afterwards finds nothing left to do.
func TestDaemonIncremental(t *testing.T) {
	slapd := slapdtest.Start(t, slapdtest.WithLDIFFile("../../testdata/sample/day1.ldif"))
	url, token := scimtest.StartSCIMMY(t)
	e := newEnv(t, slapd, url, token, "")
	addr := freeAddr(t)
	e.appendConfig("\n[daemon]\nwatch = true\n\n[admin]\nlisten = \"" + addr + "\"\n")
	d := startDaemon(t, e, addr)
	c := slapd.Conn(t)
	person := func(uid string) string { return "uid=" + uid + "," + people }
	team := func(name string) string { return "cn=" + name + ",ou=teams,ou=groups,dc=example,dc=org" }
	modify := func(dn string, change func(*ldap.ModifyRequest)) {
		t.Helper()
		req := ldap.NewModifyRequest(dn, nil)
		change(req)
		if err := c.Modify(req); err != nil {
			t.Fatalf("modify %s: %v", dn, err)
		}
	}

	modify(person("spatel"), func(m *ldap.ModifyRequest) { m.Replace("title", []string{"Principal Engineer"}) })
	eventually(t, "the new title", d.done, func() bool { return e.users()["spatel"].Attrs.Get("title") == "Principal Engineer" })

	modify(team("Backend"), func(m *ldap.ModifyRequest) { m.Delete("member", []string{person("oandersen")}) })
	modify(team("Frontend"), func(m *ldap.ModifyRequest) { m.Add("member", []string{person("oandersen")}) })
	eventually(t, "the move from Backend to Frontend", d.done, func() bool {
		m := e.members()
		return !m["team-backend"]["oandersen"] && m["team-frontend"]["oandersen"]
	})

	modify(person("lhaddad"), func(m *ldap.ModifyRequest) { m.Replace("employeeType", []string{"disabled"}) })
	eventually(t, "the disabled person's account", d.done, func() bool {
		u, ok := e.users()["lhaddad"]
		return ok && !u.Active && !e.members()["team-backend"]["lhaddad"]
	})

	if err := c.Del(ldap.NewDelRequest(person("eobrien"), nil)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the deleted person's account", d.done, func() bool {
		u, ok := e.users()["eobrien"]
		return ok && !u.Active && !e.members()["team-backend"]["eobrien"]
	})

	add := ldap.NewAddRequest(person("tnew"), nil)
	for _, a := range [][2]string{{"objectClass", "inetOrgPerson"}, {"uid", "tnew"}, {"cn", "T New"}, {"sn", "New"},
		{"mail", "tnew@example.org"}, {"departmentNumber", "Engineering"}} {
		add.Attribute(a[0], []string{a[1]})
	}
	if err := c.Add(add); err != nil {
		t.Fatal(err)
	}
	modify(team("Backend"), func(m *ldap.ModifyRequest) { m.Add("member", []string{person("tnew")}) })
	eventually(t, "the new person in Backend", d.done, func() bool {
		return e.users()["tnew"].Active && e.members()["team-backend"]["tnew"]
	})

	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `mode="incremental",status="applied"`) {
		t.Errorf("/metrics counts no applied incremental run:\n%s", body)
	}
	d.stop(t)
	runs := e.mustIdsync(exitOK, "runs", "--format", "csv")
	if n := strings.Count(runs, "Incremental, "); n < 5 {
		t.Errorf("%d incremental runs, want at least 5:\n%s", n, runs)
	}
	if out := e.mustIdsync(exitOK, "plan"); !strings.Contains(out, "No changes") {
		t.Errorf("a full plan after the incremental runs:\n%s", out)
	}
}
