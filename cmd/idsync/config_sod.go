package main

import (
	"fmt"
	"strings"

	"github.com/idsync/idsync/sync"
)

// SoDConfig is one [[sod]] table: a segregation-of-duties rule.
type SoDConfig struct {
	Name string `toml:"name"`
	// Roles one person must not hold together: "target:role" for a
	// role in one target, or a bare role for that role in any target.
	Roles []string `toml:"roles"`
	// Action is report (the default: the plan flags the grant) or block
	// (the grant is dropped; the rest of the run proceeds).
	Action string `toml:"action"`
}

// validateSoD checks the [[sod]] rules against the targets' names.
func (c *Config) validateSoD() []keyErr {
	var out []keyErr
	bad := func(key, format string, args ...any) {
		out = append(out, keyErr{key, fmt.Errorf(format, args...)})
	}
	targets := map[string]bool{}
	for _, t := range c.Targets {
		targets[t.Name] = true
	}
	names := map[string]bool{}
	for i := range c.SoD {
		s := &c.SoD[i]
		key := fmt.Sprintf("sod[%d]", i)
		switch {
		case s.Name == "":
			bad(key+".name", "required")
		case names[s.Name]:
			bad(key+".name", "duplicate rule name %q", s.Name)
		}
		names[s.Name] = true
		if s.Action == "" {
			s.Action = "report"
		}
		if s.Action != "report" && s.Action != "block" {
			bad(key+".action", "must be report or block, got %q", s.Action)
		}
		if len(s.Roles) < 2 {
			bad(key+".roles", "name at least two roles that one person must not hold together")
		}
		seen := map[string]bool{}
		for j, r := range s.Roles {
			rkey := fmt.Sprintf("%s.roles[%d]", key, j)
			role := parseSoDRole(r)
			switch {
			case role.Role == "":
				bad(rkey, "empty role (write \"target:role\", or a bare role for that role in any target)")
			case role.Target != "" && !targets[role.Target]:
				bad(rkey, "no [[target]] is named %q (write a bare role for that role in any target)", role.Target)
			case seen[r]:
				bad(rkey, "%q is listed twice", r)
			}
			seen[r] = true
		}
	}
	return out
}

// parseSoDRole splits "target:role"; a value without a colon is a role of
// any target.
func parseSoDRole(s string) sync.SoDRole {
	if t, r, ok := strings.Cut(s, ":"); ok {
		return sync.SoDRole{Target: t, Role: r}
	}
	return sync.SoDRole{Role: s}
}

// sodRules turns the validated [[sod]] tables into the runner's rules.
func sodRules(cfg []SoDConfig) []sync.SoDRule {
	var out []sync.SoDRule
	for _, s := range cfg {
		rule := sync.SoDRule{Name: s.Name, Block: s.Action == "block"}
		for _, r := range s.Roles {
			rule.Roles = append(rule.Roles, parseSoDRole(r))
		}
		out = append(out, rule)
	}
	return out
}
