package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// TestRehireSCIMMY: a person deleted from slapd (their SCIMMY account
// disabled, keeping its userName) comes back as a new entry with the same
// uid and mail in other groups. The plan shows a rehire, the apply
// re-links and re-activates the old account with the new person's groups
// only, audited, and converges. Then the same person is replaced between
// two runs (the account still active): the leaver is disabled, the create
// gets SCIMMY's 409, and the account is rehired on the spot.
func TestRehireSCIMMY(t *testing.T) {
	slapd := slapdtest.Start(t, slapdtest.WithLDIFFile("../../testdata/sample/day1.ldif"))
	url, token := scimtest.StartSCIMMY(t)
	e := newEnv(t, slapd, url, token, "")
	e.mustIdsync(exitOK, "apply")
	before := e.users()["dokafor"]

	c := slapd.Conn(t)
	dn := "uid=dokafor," + people
	res, err := c.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"*"}, nil))
	if err != nil || len(res.Entries) != 1 {
		t.Fatalf("read %s: %v", dn, err)
	}
	entry := res.Entries[0]
	rehire := func() {
		t.Helper()
		add := ldap.NewAddRequest(dn, nil)
		for _, a := range entry.Attributes {
			add.Attribute(a.Name, a.Values)
		}
		if err := c.Add(add); err != nil {
			t.Fatal(err)
		}
		m := ldap.NewModifyRequest("cn=Growth,"+teams, nil)
		m.Add("member", []string{dn})
		if err := c.Modify(m); err != nil {
			t.Fatal(err)
		}
	}

	if err := c.Del(ldap.NewDelRequest(dn, nil)); err != nil { // refint drops the memberships
		t.Fatal(err)
	}
	e.mustIdsync(exitOK, "apply")
	if u := e.users()["dokafor"]; u.Active || u.ID != before.ID {
		t.Fatalf("after the delete: %+v, want the same account, disabled", u)
	}
	rehire()
	p := e.plan()
	if got := byKind(p, sync.Rehire); len(got) != 1 || got[0] != "relink dokafor" || len(p.Changes) != 1 {
		t.Fatalf("rehire plan: %v in %d changes, want only [relink dokafor]", got, len(p.Changes))
	}
	if why := strings.Join(p.Changes[0].Reasons, " "); !strings.Contains(why, before.ID) || !strings.Contains(why, before.ExternalID) {
		t.Errorf("rehire reasons %q do not name the old account and identity", why)
	}
	e.mustIdsync(exitOK, "apply")
	checkRehired(t, e, before.ID)
	if out := e.mustIdsync(exitOK, "plan", "--exit-code"); !strings.Contains(out, "No changes") {
		t.Fatalf("not converged after the rehire:\n%s", tail(out))
	}

	// Deleted and rehired between two runs: the account is still active.
	if err := c.Del(ldap.NewDelRequest(dn, nil)); err != nil {
		t.Fatal(err)
	}
	rehire()
	e.mustIdsync(exitOK, "apply")
	checkRehired(t, e, before.ID)
	if out := e.mustIdsync(exitOK, "plan", "--exit-code"); !strings.Contains(out, "No changes") {
		t.Fatalf("not converged after the 409 rehire:\n%s", tail(out))
	}
	for _, row := range e.audit(0) {
		if strings.HasPrefix(row, "rehire/") && strings.HasSuffix(row, " ERROR") {
			t.Errorf("rehire audit row with an error: %s", row)
		}
	}
	if n := count(e.audit(0), "rehire/relink dokafor"); n != 2 {
		t.Errorf("%d rehire audit rows, want 2", n)
	}
}

func checkRehired(t *testing.T, e *env, id string) {
	t.Helper()
	u := e.users()["dokafor"]
	if u.ID != id || !u.Active {
		t.Errorf("rehired account = %+v, want %s, active", u, id)
	}
	// The new person is in Growth (a team of Marketing); the old one's
	// dept-sales and team-emea are gone.
	for g, in := range e.members() {
		if want := g == "team-growth" || g == "dept-marketing"; in["dokafor"] != want {
			t.Errorf("dokafor in %s = %v, want %v", g, in["dokafor"], want)
		}
	}
}

// TestRefusedGroupCreates: a SCIM server that refuses every group create
// with 400. The accounts are created, the run is partial (not applied), the
// exit code is an error, the output lists the refusals, and no role grant
// is audited as applied.
func TestRefusedGroupCreates(t *testing.T) {
	slapd := slapdtest.Start(t, slapdtest.WithLDIFFile("../../testdata/sample/day1.ldif"))
	token := scimtest.RandomToken()
	srv := scimtest.NewServer(scimtest.Options{Token: token})
	inner := scimtest.Mount(scimtest.BasePath, srv)
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/Groups") {
			w.Header().Set("Content-Type", "application/scim+json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","detail":"groups are managed elsewhere"}`))
			return
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(refuse.Close)
	e := newEnv(t, slapd, refuse.URL+scimtest.BasePath, token, "")

	code, out, errs := e.idsync("apply")
	if code != exitError {
		t.Fatalf("apply exit %d, want %d\n%s\n%s", code, exitError, tail(out), tail(errs))
	}
	if !strings.Contains(out+errs, "groups are managed elsewhere") {
		t.Errorf("the output does not give the target's answer:\n%s\n%s", tail(out), tail(errs))
	}
	if n := len(e.users()); n != 124 {
		t.Errorf("%d users, want the 124 accounts created", n)
	}
	if strings.Contains(out, "Applied") && !strings.Contains(out, "refused") {
		t.Errorf("the summary does not count the refusals:\n%s", tail(out))
	}
	st, err := state.Open(context.Background(), e.dir+"/state.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, _ := st.Runs(context.Background(), "scim", 1)
	if len(runs) != 1 || runs[0].Status != state.StatusPartial {
		t.Errorf("run = %+v, want partial", runs)
	}
	err = st.Audit(context.Background(), state.AuditFilter{Target: "scim"}, func(a state.Audit) error {
		if a.Kind == "group" && a.Status != state.AuditRefused {
			t.Errorf("group audit row %s %s: status %s, want refused", a.Action, a.UserName, a.Status)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
