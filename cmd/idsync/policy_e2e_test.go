package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/internal/secret"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// policyTargets are the lifecycle keys of the first target ("scim",
// everyone) and a second target ("eng", Engineering alone) with its own
// rules, roles, guards and leaver policy.
const policyTargets = `leavers = "disable"
delete_after = "30d"
orphans = "delete"
protect = { user_names = ["breakglass-*"] }
`

const engTarget = `
[[target]]
name = "eng"
kind = "scim"
scope_groups = ["Engineering"]
roles = ["team-*"]
leavers = "delete"
[target.mapping.attributes]
title = 'upper(attr("title"))'
[target.guards]
max_deletes = 5
[target.scim]
url = %q
token = { file = "eng.token" }
rate_limit = 0
`

// TestPolicyEndToEnd runs two targets with different scopes and leaver
// policies against one slapd and two SCIMMY servers: one read of the
// directory, each target its audience and rules; a leaver disabled in one
// and deleted in the other, then deleted in the first once delete_after
// has passed (a fixed clock); a protected account that survives an orphan
// delete policy.
func TestPolicyEndToEnd(t *testing.T) {
	slapd := slapdtest.Start(t, slapdtest.WithLDIFFile("../../testdata/sample/day1.ldif"))
	allURL, allToken := scimtest.StartSCIMMY(t)
	engURL, engToken := scimtest.StartSCIMMY(t)
	e := newEnv(t, slapd, allURL, allToken, strings.Replace(engTarget, "%q", `"`+engURL+`"`, 1))
	if err := os.WriteFile(filepath.Join(e.dir, "eng.token"), []byte(engToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg = []byte(strings.Replace(string(cfg), "name = \"scim\"\nkind = \"scim\"\n", "name = \"scim\"\nkind = \"scim\"\n"+policyTargets, 1))
	if err := os.WriteFile(e.cfg, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	all, eng := e.client(), scimClient(t, engURL, filepath.Join(e.dir, "eng.token"))
	for _, name := range []string{"breakglass-admin", "stray.orphan"} {
		if _, err := all.Create(context.Background(), targets.Account{UserName: name, Active: true}); err != nil {
			t.Fatal(err)
		}
	}

	// Day 1.
	plans := e.plans()
	if len(plans) != 2 || !hasReason(plans[0], "breakglass-admin", `protected (protect.user_names "breakglass-*")`) {
		t.Fatalf("day 1 plans: %d; the protected orphan is not shown as protected", len(plans))
	}
	e.mustIdsync(exitOK, "apply")
	allUsers, engUsers := accounts(t, all), accounts(t, eng)
	if len(allUsers) != 125 { // 124 people and the protected account
		t.Errorf("the first target has %d accounts, want 125", len(allUsers))
	}
	if _, ok := allUsers["stray.orphan"]; ok {
		t.Error("the unprotected orphan was not deleted")
	}
	if u, ok := allUsers["breakglass-admin"]; !ok || !u.Active {
		t.Errorf("the protected account was touched: %+v (exists %v)", u, ok)
	}
	if len(engUsers) == 0 || len(engUsers) >= 124 {
		t.Fatalf("eng has %d accounts, want Engineering alone", len(engUsers))
	}
	if _, ok := engUsers["dokafor"]; ok {
		t.Error("a salesperson has an eng account")
	}
	if got := engUsers["spatel"].Attrs.Get("title"); got != strings.ToUpper(allUsers["spatel"].Attrs.Get("title")) || got == "" {
		t.Errorf("eng title of spatel %q, want the target's rule (upper case)", got)
	}
	for g := range groupNames(t, eng) {
		if !strings.HasPrefix(g, "team-") {
			t.Errorf("eng has the group %s, but only team-* roles apply there", g)
		}
	}

	// Day 2: spatel leaves Engineering, oandersen is disabled.
	c := slapd.Conn(t)
	mod := func(dn string, f func(r *ldap.ModifyRequest)) {
		r := ldap.NewModifyRequest(dn, nil)
		f(r)
		if err := c.Modify(r); err != nil {
			t.Fatal(err)
		}
	}
	mod("cn=Backend,"+teams, func(r *ldap.ModifyRequest) { r.Delete("member", []string{"uid=spatel," + people}) })
	mod("uid=oandersen,"+people, func(r *ldap.ModifyRequest) { r.Replace("employeeType", []string{"disabled"}) })
	plans = e.plans()
	if !hasReason(plans[0], "oandersen", "will be deleted on ") || !hasReason(plans[1], "spatel", "out of this target's scope (target.eng.scope_groups = [\"Engineering\"])") {
		t.Errorf("day 2 plans lack the deletion date or the target's rule:\n%+v\n%+v", plans[0].Changes, plans[1].Changes)
	}
	e.mustIdsync(exitOK, "apply")
	allUsers, engUsers = accounts(t, all), accounts(t, eng)
	if u := allUsers["oandersen"]; u.ID == "" || u.Active {
		t.Errorf("oandersen in the first target: %+v, want disabled", u)
	}
	if !allUsers["spatel"].Active {
		t.Error("spatel lost the first target's account")
	}
	for _, name := range []string{"spatel", "oandersen"} {
		if _, ok := engUsers[name]; ok {
			t.Errorf("%s still has an eng account (leavers = delete)", name)
		}
	}
	if !auditSays(t, e, "eng", "spatel", "target.eng.scope_groups") {
		t.Error("the eng audit does not name the target's rule")
	}

	// 31 days later (a fixed clock): oandersen's disabled account is
	// deleted; the protected account is still there.
	later := time.Now().Add(31 * 24 * time.Hour)
	runAt(t, e, later)
	allUsers = accounts(t, all)
	if _, ok := allUsers["oandersen"]; ok {
		t.Error("oandersen was not deleted after delete_after")
	}
	if u, ok := allUsers["breakglass-admin"]; !ok || !u.Active {
		t.Error("the protected account did not survive")
	}
}

// plans returns the JSON plans of every target.
func (e *env) plans() []*sync.Plan {
	e.t.Helper()
	out := e.mustIdsync(exitOK, "plan", "--format", "json")
	var doc planJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		e.t.Fatalf("plan JSON: %v\n%s", err, tail(out))
	}
	return doc.Plans
}

func hasReason(p *sync.Plan, user, part string) bool {
	for _, c := range p.Changes {
		if c.UserName == user && strings.Contains(strings.Join(c.Explain(), "\n"), part) {
			return true
		}
	}
	return false
}

func scimClient(t *testing.T, url, tokenFile string) *scim.Client {
	zero := 0.0
	c, err := scim.New(scim.Config{URL: url, Token: secret.Ref{File: tokenFile}, RateLimit: &zero}, logrus.New())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func accounts(t *testing.T, c *scim.Client) map[string]targets.Account {
	t.Helper()
	out := map[string]targets.Account{}
	if err := c.List(context.Background(), func(a targets.Account) error {
		out[strings.ToLower(a.UserName)] = a
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func groupNames(t *testing.T, c *scim.Client) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	if err := c.ListGroups(context.Background(), func(g targets.Group) error {
		out[g.DisplayName] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// auditSays reports whether an audit row of target for user has a reason
// containing part.
func auditSays(t *testing.T, e *env, target, user, part string) bool {
	t.Helper()
	st, err := state.Open(context.Background(), filepath.Join(e.dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	found := false
	err = st.Audit(context.Background(), state.AuditFilter{Target: target}, func(a state.Audit) error {
		found = found || a.UserName == user && strings.Contains(strings.Join(a.Reasons, "\n"), part)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// runAt applies the configuration in process with the clock at now.
func runAt(t *testing.T, e *env, now time.Time) {
	t.Helper()
	cfg, err := loadConfig(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	st, err := state.Open(context.Background(), cfg.State.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	log := logrus.New()
	log.SetOutput(io.Discard)
	r, err := newRunner(cfg, st, "", log)
	if err != nil {
		t.Fatal(err)
	}
	r.Now = func() time.Time { return now }
	if _, err := r.Run(context.Background(), sync.Options{}); err != nil {
		t.Fatal(err)
	}
}
