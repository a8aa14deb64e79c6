package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

const sodWithin = `
[[sod]]
name = "vpn-managers"
roles = ["scim:vpn", "scim:managers"]
action = "block"
`

const sodAcross = `
[[sod]]
name = "vpn-frontend"
roles = ["scim:vpn", "eng:team-frontend"]
action = "block"

[[sod]]
name = "vpn-engineering"
roles = ["scim:vpn", "dept-engineering"]
`

// TestSoDEndToEnd runs segregation-of-duties rules against slapd and two
// SCIMMY servers. Day 1, one target: the managers (all of them in
// vpn-users) get their accounts, their other roles and vpn, the rule's
// first role, but not managers, the grant that completes the set (a
// blocking rule within the target). Day 2, a second target: the Frontend
// people who hold vpn in the first get their eng account without
// team-frontend (a blocking rule across targets), everyone else their eng
// roles; a report-only rule lists the people who hold its set now, in the
// plan and in "idsync review".
func TestSoDEndToEnd(t *testing.T) {
	slapd := slapdtest.Start(t, slapdtest.WithLDIFFile("../../testdata/sample/day1.ldif"))
	allURL, allToken := scimtest.StartSCIMMY(t)
	engURL, engToken := scimtest.StartSCIMMY(t)
	e := newEnv(t, slapd, allURL, allToken, sodWithin)
	all := e.client()

	// Day 1: the blocked grants are flagged in the plan, with the rule.
	plans := e.plans()
	if !hasReason(plans[0], "olindqvist", `segregation of duties, rule "vpn-managers": granting scim:managers conflicts with scim:vpn; blocked, not applied`) {
		t.Errorf("the plan does not flag olindqvist's grant with the rule: %v", changeOf(plans[0], "olindqvist"))
	}
	if c := changeOf(plans[0], "olindqvist"); c == nil || c.Action != sync.Create || len(c.RolesAdded) == 0 {
		t.Errorf("olindqvist's account and other roles are not planned: %+v", c)
	}
	if !slices.ContainsFunc(plans[0].Warnings, func(w string) bool { return strings.Contains(w, `olindqvist would hold scim:managers with scim:vpn`) }) {
		t.Errorf("no warning for olindqvist's blocked grant: %q", plans[0].Warnings)
	}
	e.mustIdsync(exitOK, "apply")
	users, groups := accounts(t, all), memberNames(t, all)
	for _, m := range []string{"olindqvist", "oandersen", "eunderwood"} { // managers, all in vpn-users
		if u, ok := users[m]; !ok || !u.Active {
			t.Errorf("manager %s has no active account: the blocked grant stopped the rest", m)
		}
		if !groups["vpn"][m] || groups["managers"][m] {
			t.Errorf("%s: vpn %v, managers %v; want vpn (the rule's first role) granted and managers blocked", m, groups["vpn"][m], groups["managers"][m])
		}
	}
	if !groups["team-frontend"]["olindqvist"] || !groups["dept-engineering"]["olindqvist"] {
		t.Error("olindqvist lacks a role no rule blocks")
	}
	if !groups["vpn"]["fschneider"] {
		t.Error("fschneider (vpn, not a manager) lacks vpn")
	}

	// Day 2: a second target, and rules across the targets.
	if err := os.WriteFile(filepath.Join(e.dir, "eng.token"), []byte(engToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg = append(cfg, strings.Replace(engTarget, "%q", `"`+engURL+`"`, 1)+sodAcross...)
	if err := os.WriteFile(e.cfg, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	plans = e.plans()
	if len(plans) != 2 || !hasReason(plans[1], "fschneider", `rule "vpn-frontend": granting eng:team-frontend conflicts with scim:vpn; blocked, not applied`) {
		t.Fatalf("the eng plan does not flag fschneider's grant with the rule across targets: %+v", changeOf(plans[len(plans)-1], "fschneider"))
	}
	if !slices.ContainsFunc(plans[0].Warnings, func(w string) bool {
		return strings.Contains(w, `rule "vpn-engineering": fschneider holds scim:dept-engineering and scim:vpn now`)
	}) {
		t.Errorf("no warning of fschneider's current violation: %q", plans[0].Warnings)
	}
	e.mustIdsync(exitOK, "apply")
	eng := scimClient(t, engURL, filepath.Join(e.dir, "eng.token"))
	engUsers, engGroups := accounts(t, eng), memberNames(t, eng)
	if _, ok := engUsers["fschneider"]; !ok {
		t.Error("fschneider has no eng account: the blocked grant stopped the rest")
	}
	if engGroups["team-frontend"]["fschneider"] || engGroups["team-frontend"]["mlopez"] {
		t.Error("a Frontend person who holds vpn in the first target was granted team-frontend in eng")
	}
	if engGroups["team-frontend"]["olindqvist"] {
		t.Error("olindqvist (who holds vpn in the first target) was granted team-frontend in eng")
	}
	if !engGroups["team-backend"]["spatel"] {
		t.Error("spatel lacks team-backend in eng: a rule stopped an unrelated grant")
	}

	// The access review lists the current violations.
	out := e.mustIdsync(exitOK, "review")
	if !strings.Contains(out, "Segregation of duties: ") || !strings.Contains(out, `fschneider  rule "vpn-engineering": holds scim:dept-engineering and scim:vpn`) {
		t.Errorf("review does not list fschneider's violation:\n%s", tail(out))
	}
	if strings.Contains(out, `olindqvist  rule "vpn-managers"`) {
		t.Error("review lists a violation the block prevented")
	}
}

func changeOf(p *sync.Plan, user string) *sync.Change {
	for i := range p.Changes {
		if p.Changes[i].UserName == user {
			return &p.Changes[i]
		}
	}
	return nil
}

// memberNames returns the userNames in each group of c, by display name.
func memberNames(t *testing.T, c *scim.Client) map[string]map[string]bool {
	t.Helper()
	names := map[string]string{}
	for n, a := range accounts(t, c) {
		names[a.ID] = n
	}
	out := map[string]map[string]bool{}
	if err := c.ListGroups(context.Background(), func(g targets.Group) error {
		out[g.DisplayName] = map[string]bool{}
		for _, id := range g.Members {
			out[g.DisplayName][names[id]] = true
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}
