package main

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// loggedHead finds the audit chain head an apply logged.
var loggedHead = regexp.MustCompile(`msg="audit chain head".*head="?(\d+:[0-9a-f]{64})`)

// TestAccessReportEndToEnd applies the sample organisation twice against a
// real slapd and SCIMMY (day 1, then the day-2 changes), then rebuilds the
// access at a moment between the two applies and after the second, checks
// the audit against the head logged after day 1, and reports the leavers.
func TestAccessReportEndToEnd(t *testing.T) {
	slapd := slapdtest.Start(t, slapdtest.WithLDIFFile("../../testdata/sample/day1.ldif"))
	url, token := scimtest.StartSCIMMY(t)
	e := newEnv(t, slapd, url, token, "")
	start := time.Now().UTC()

	code, _, errs := e.idsync("apply")
	if code != exitOK {
		t.Fatalf("day 1 apply: exit %d\n%s", code, tail(errs))
	}
	m := loggedHead.FindStringSubmatch(errs)
	if m == nil {
		t.Fatalf("day 1 apply logged no audit chain head:\n%s", tail(errs))
	}
	day1Head := m[1]
	between := time.Now().UTC()
	day2(t, slapd)
	e.mustIdsync(exitOK, "apply")

	at := between.Format(time.RFC3339Nano)
	roles := func(at, person string) (active bool, rs []string) {
		t.Helper()
		out := e.mustIdsync(exitOK, "report", "access", "--at", at, "--person", person, "--format", "json")
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var r accessJSON
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("report access %s %s: %v\n%s", at, person, err, out)
			}
			active = r.Active
			if r.Role != "" {
				rs = append(rs, r.Role)
				if r.RoleReason == "" || r.RoleRecord == 0 {
					t.Errorf("%s's role %s has no reason or record: %+v", person, r.Role, r)
				}
			}
		}
		sort.Strings(rs)
		return active, rs
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	for _, c := range []struct {
		at, person string
		active     bool
		roles      string
	}{
		{at, "dokafor", true, "dept-sales,team-emea,vpn"},
		{now, "dokafor", true, "dept-marketing,team-growth,vpn"},
		{at, "bcarter", true, "dept-finance"},
		{now, "bcarter", false, ""},
	} {
		active, rs := roles(c.at, c.person)
		if active != c.active || strings.Join(rs, ",") != c.roles {
			t.Errorf("access of %s at %s: active %v, roles %v; want %v, %s", c.person, c.at, active, rs, c.active, c.roles)
		}
	}
	// The access rebuilt for now is what SCIMMY holds.
	held := map[string]map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(e.mustIdsync(exitOK, "report", "access", "--at", now, "--format", "json")), "\n") {
		var r accessJSON
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		if r.Role != "" {
			if held[r.Role] == nil {
				held[r.Role] = map[string]bool{}
			}
			held[r.Role][strings.ToLower(r.UserName)] = true
		}
	}
	for group, members := range e.members() {
		for user := range members {
			if !held[group][user] {
				t.Errorf("SCIMMY has %s in %s; the rebuilt access does not", user, group)
			}
		}
		for user := range held[group] {
			if !members[user] {
				t.Errorf("the rebuilt access has %s in %s; SCIMMY does not", user, group)
			}
		}
	}
	if out := e.mustIdsync(exitOK, "report", "access", "--at", at, "--person", "pnatarajan"); strings.Contains(out, "pnatarajan") {
		t.Errorf("the day-2 joiner had access on day 1:\n%s", out)
	}

	out := e.mustIdsync(exitOK, "audit", "verify", "--head", day1Head)
	if !strings.Contains(out, "verified") {
		t.Errorf("audit verify --head %s:\n%s", day1Head, out)
	}
	out = e.mustIdsync(exitOK, "report", "leavers", "--since", start.Format(time.RFC3339), "--format", "csv")
	for _, name := range []string{"bcarter", "ogrant"} {
		if !strings.Contains(out, "scim,"+name+",") {
			t.Errorf("report leavers lacks %s:\n%s", name, out)
		}
	}
}
