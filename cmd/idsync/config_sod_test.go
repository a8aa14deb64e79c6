package main

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/idsync/idsync/sync"
)

func TestValidateSoD(t *testing.T) {
	targets := []TargetConfig{{Name: "github"}, {Name: "erp"}}
	for _, c := range []struct {
		name string
		sod  SoDConfig
		want string // "" valid
	}{
		{"across targets", SoDConfig{Name: "r", Roles: []string{"github:admins", "erp:approvers"}, Action: "block"}, ""},
		{"bare role, default action", SoDConfig{Name: "r", Roles: []string{"github:admins", "approvers"}}, ""},
		{"unknown target", SoDConfig{Name: "r", Roles: []string{"gitlab:admins", "approvers"}}, `sod[0].roles[0]: no [[target]] is named "gitlab"`},
		{"one role", SoDConfig{Name: "r", Roles: []string{"approvers"}}, "sod[0].roles: name at least two roles"},
		{"empty role", SoDConfig{Name: "r", Roles: []string{"erp:", "approvers"}}, "sod[0].roles[0]: empty role"},
		{"twice", SoDConfig{Name: "r", Roles: []string{"approvers", "approvers"}}, `sod[0].roles[1]: "approvers" is listed twice`},
		{"no name", SoDConfig{Roles: []string{"a", "b"}}, "sod[0].name: required"},
		{"bad action", SoDConfig{Name: "r", Roles: []string{"a", "b"}, Action: "deny"}, `sod[0].action: must be report or block, got "deny"`},
	} {
		cfg := &Config{Targets: targets, SoD: []SoDConfig{c.sod}}
		errs := cfg.validateSoD()
		var got []string
		for _, e := range errs {
			got = append(got, e.key+": "+e.err.Error())
		}
		switch {
		case c.want == "" && len(errs) > 0:
			t.Errorf("%s: %v", c.name, got)
		case c.want != "" && (len(errs) != 1 || !strings.HasPrefix(got[0], c.want)):
			t.Errorf("%s: %v, want %q", c.name, got, c.want)
		}
	}
}

func TestSoDRules(t *testing.T) {
	cfg := &Config{Targets: []TargetConfig{{Name: "github"}}, SoD: []SoDConfig{
		{Name: "a", Roles: []string{"github:admins", "approvers"}, Action: "block"},
		{Name: "b", Roles: []string{"x", "y"}},
	}}
	if errs := cfg.validateSoD(); len(errs) > 0 {
		t.Fatal(errs)
	}
	want := []sync.SoDRule{
		{Name: "a", Block: true, Roles: []sync.SoDRole{{Target: "github", Role: "admins"}, {Role: "approvers"}}},
		{Name: "b", Roles: []sync.SoDRole{{Role: "x"}, {Role: "y"}}},
	}
	if got := sodRules(cfg.SoD); !reflect.DeepEqual(got, want) {
		t.Errorf("rules = %+v, want %+v", got, want)
	}
}

// TestSoDKeysDocumented: config.example.toml shows every key of [[sod]].
func TestSoDKeysDocumented(t *testing.T) {
	b, err := os.ReadFile("../../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(b), "# [[sod]]\n")
	if !ok {
		t.Fatal("config.example.toml has no [[sod]] example")
	}
	block, _, _ = strings.Cut(block, "\n\n")
	for name := range fieldsByName(reflect.TypeFor[SoDConfig]()) {
		if !strings.Contains(block, "# "+name+" =") {
			t.Errorf("the [[sod]] example does not show %s", name)
		}
	}
}
