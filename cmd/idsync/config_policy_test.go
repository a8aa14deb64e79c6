package main

import (
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/sync"
)

// TestTargetPolicyConfig: each [[target]]'s scope, rules, roles, leaver
// stages, protection and guards reach its TargetSpec, inheriting [guards]
// and [mapping] where the target sets nothing.
func TestTargetPolicyConfig(t *testing.T) {
	t.Setenv("SLACK_TOKEN", "x")
	t.Setenv("GITHUB_TOKEN", "x")
	t.Setenv("EXPENSES_TOKEN", "x")
	cfg, err := loadConfig("testdata/valid-policy.toml")
	if err != nil {
		t.Fatal(err)
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	specs, err := newTargets(cfg, "", log)
	if err != nil {
		t.Fatal(err)
	}
	slack, gh, exp := specs[0], specs[1], specs[2]
	if slack.Mapper != nil {
		t.Error("slack has no rules of its own, but got a mapper")
	}
	wantSlack := sync.Policy{Leavers: "disable", Orphans: "report", Rehire: "username", DeleteAfter: 90 * 24 * time.Hour,
		DisabledPeople: "create-inactive", ProvisionBefore: 7 * 24 * time.Hour, Protect: sync.Protect{UserNames: []string{"admin", "breakglass-*"}}}
	if !reflect.DeepEqual(slack.Policy, wantSlack) {
		t.Errorf("slack policy %+v\nwant %+v", slack.Policy, wantSlack)
	}
	if slack.Guards != cfg.Guards || slack.Guards.MaxRoleRemovals != 100 {
		t.Errorf("slack guards %+v, want the global %+v", slack.Guards, cfg.Guards)
	}
	wantGH := cfg.Guards
	wantGH.MaxDeletes, wantGH.MaxDisablesPercent, wantGH.Section = 5, 5, "target.github.guards"
	if gh.Guards != wantGH {
		t.Errorf("github guards %+v\nwant %+v", gh.Guards, wantGH)
	}
	if gh.Policy.Protect.Groups[0] != "Owners" || gh.Policy.Orphans != "delete" || gh.Policy.DisabledPeople != "skip" {
		t.Errorf("github policy %+v", gh.Policy)
	}
	if gh.Mapper == nil || exp.Mapper == nil {
		t.Fatal("github or expenses lacks its own mapper")
	}
	if got := gh.Mapper.Rule("attributes.title"); got != `upper(attr("title"))` {
		t.Errorf("github title rule %q", got)
	}
	if got := gh.Mapper.(interface{ RuleKey(string) string }).RuleKey("target.scope"); got != "target.github.scope_groups" {
		t.Errorf("github scope key %q", got)
	}
	if got := gh.Mapper.Rule("end_date"); got != `attr("githubAccessEnd")` {
		t.Errorf("github end_date rule %q, want its own", got)
	}
	if got := gh.Mapper.(interface{ RuleKey(string) string }).RuleKey("end_date"); got != "target.github.mapping.end_date" {
		t.Errorf("github end_date key %q", got)
	}
	if got := gh.Mapper.Rule("start_date"); got != `attr("startDate")` {
		t.Errorf("github start_date rule %q, want the inherited one", got)
	}
	if got := exp.Mapper.Roles(); len(got) != 0 {
		t.Errorf("expenses roles %v, want none", got)
	}
	if got := cfg.mapper.Roles(); !reflect.DeepEqual(got, []string{"vpn"}) {
		t.Errorf("global roles %v", got)
	}
}

func TestParseRetention(t *testing.T) {
	for in, want := range map[string]time.Duration{"90d": 90 * 24 * time.Hour, "2w": 14 * 24 * time.Hour, "36h": 36 * time.Hour, "0d": 0} {
		if got, err := parseRetention(in); err != nil || got != want {
			t.Errorf("parseRetention(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"90", "d", "-3d", "90 days", "1.5d", ""} {
		if _, err := parseRetention(in); err == nil {
			t.Errorf("parseRetention(%q) accepted", in)
		}
	}
}

// FuzzParseRetention: any string is either refused or gives a period
// that is not negative.
func FuzzParseRetention(f *testing.F) {
	for _, s := range []string{"90d", "2w", "36h", "-1d", "9999999999d", "1.5h", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := parseRetention(s); err == nil && d < 0 && s[0] != '-' {
			t.Errorf("parseRetention(%q) = %v", s, d)
		}
	})
}
