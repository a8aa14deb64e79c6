package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// TestApplySavedPlanSCIMMY: a plan saved on day 2 against slapd and SCIMMY,
// then one person changed in slapd and a new one added: apply --plan
// refuses that person's change by name and applies every other approved
// change, and not the new person's. An edited plan and a plan too old are
// refused whole, before anything is written.
func TestApplySavedPlanSCIMMY(t *testing.T) {
	slapd := slapdtest.Start(t, slapdtest.WithLDIFFile("../../testdata/sample/day1.ldif"))
	url, token := scimtest.StartSCIMMY(t)
	e := newEnv(t, slapd, url, token, "")
	e.mustIdsync(exitOK, "apply")
	spatelTitle := e.users()["spatel"].Attrs.Get("title")
	day2(t, slapd)
	// explain, against the real servers: the nested group path of a role.
	ex := e.mustIdsync(exitOK, "explain", "dokafor")
	for _, want := range []string{"in scope: yes", "source departmentNumber: \"Marketing\"", "(nested: uid=dokafor,ou=people,dc=example,dc=org → cn=Growth,",
		"linked to account ", "would change: mover [update]", "role +dept-marketing (mapping.group_roles[0]: member of cn=Marketing"} {
		if !strings.Contains(ex, want) {
			t.Errorf("explain dokafor lacks %q:\n%s", want, ex)
		}
	}
	// review, against the real servers: dokafor still holds dept-sales
	// until the apply, which revokes it.
	var doc []byte
	review := filepath.Join(e.dir, "review.csv")
	e.mustIdsync(exitOK, "review", "--role", "dept-sales", "--out", review)
	rv, err := os.ReadFile(review)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(rv), "target,role,group_id,user_name,") || !strings.Contains(string(rv), ",dokafor,") ||
		!strings.Contains(string(rv), "revoke,no rule gives this role any more") || strings.Contains(string(rv), "dept-marketing") {
		t.Errorf("review of dept-sales:\n%s", rv)
	}
	saved := filepath.Join(e.dir, "plan.json")
	e.mustIdsync(exitOK, "plan", "--out", saved)

	// An edited plan is refused whole.
	doc, err = os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	edited := filepath.Join(e.dir, "edited.json")
	if err := os.WriteFile(edited, []byte(strings.Replace(string(doc), `"Marketing"`, `"Admins"`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := e.idsync("apply", "--plan", edited); code != exitError || !strings.Contains(errs, "was edited after the plan was written") {
		t.Fatalf("edited plan: exit %d\n%s\n%s", code, tail(out), tail(errs))
	}
	// So is a plan older than plans.max_age.
	cfg, _ := os.ReadFile(e.cfg)
	old := filepath.Join(e.dir, "old.toml")
	if err := os.WriteFile(old, append(cfg, "\n[plans]\nmax_age = \"1ns\"\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := e.run("apply", "-c", old, "--plan", saved); code != exitError || !strings.Contains(errs, "plans older than 1ns are refused") {
		t.Fatalf("old plan: exit %d\n%s", code, tail(errs))
	}
	if got := e.users()["dokafor"].Attrs.Get("department"); got != "Sales" {
		t.Fatalf("a refused plan changed dokafor's department to %q", got)
	}

	// After the plan: spatel changes again, a new person arrives.
	c := slapd.Conn(t)
	m := ldap.NewModifyRequest("uid=spatel,"+people, nil)
	m.Replace("title", []string{"Principal Engineer"})
	if err := c.Modify(m); err != nil {
		t.Fatal(err)
	}
	add := ldap.NewAddRequest("uid=late,"+people, nil)
	add.Attribute("objectClass", []string{"inetOrgPerson"})
	add.Attribute("uid", []string{"late"})
	add.Attribute("cn", []string{"Late Comer"})
	add.Attribute("sn", []string{"Comer"})
	add.Attribute("givenName", []string{"Late"})
	add.Attribute("mail", []string{"late@example.org"})
	if err := c.Add(add); err != nil {
		t.Fatal(err)
	}

	result := filepath.Join(e.dir, "result.html")
	code, out, errs := e.idsync("apply", "--plan", saved, "--report", result)
	if code != exitError || !strings.Contains(out, "refused: ~ spatel [update]") || !strings.Contains(out, "the source entry changed since the plan was made") {
		t.Fatalf("apply --plan: exit %d, want 1 naming spatel\nstdout:\n%s\nstderr:\n%s", code, tail(out), tail(errs))
	}
	page, err := os.ReadFile(result)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<title>idsync apply</title>", `class="result" data-status="applied"`, "refused from the saved plan: ~ spatel [update]"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("apply --report result.html lacks %q", want)
		}
	}
	if code, _, errs := e.idsync("apply", "--plan", saved, "--target", "other"); code != exitError || !strings.Contains(errs, `no target named "other"`) {
		t.Errorf("apply --plan --target other: exit %d, %s", code, errs)
	}
	users := e.users()
	if got := users["spatel"].Attrs.Get("title"); got != spatelTitle {
		t.Errorf("spatel's refused change was applied: title %q, want %q", got, spatelTitle)
	}
	if _, ok := users["late"]; ok {
		t.Error("a joiner the saved plan does not have was created")
	}
	if u, ok := users["pnatarajan"]; !ok || !u.Active {
		t.Error("the approved joiner pnatarajan was not created")
	}
	if u := users["bcarter"]; u.Active {
		t.Error("the approved leaver bcarter is still active")
	}
	if got := users["dokafor"].Attrs.Get("department"); got != "Marketing" {
		t.Errorf("the approved move of dokafor: department %q", got)
	}
	if !e.members()["dept-marketing"]["dokafor"] {
		t.Error("dokafor's approved role was not granted")
	}
	// What was refused or skipped is planned again.
	p := e.plan()
	var left []string
	for _, ch := range p.Changes {
		left = append(left, string(ch.Action)+" "+ch.UserName)
	}
	if got := strings.Join(left, ","); !strings.Contains(got, "update spatel") || !strings.Contains(got, "create late") || strings.Contains(got, "pnatarajan") {
		t.Errorf("after apply --plan the plan has %s", got)
	}
}
