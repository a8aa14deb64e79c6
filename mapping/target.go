package mapping

import (
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
)

// TargetRules are one target's own rules on top of the [mapping] ones: a
// narrower scope, attribute rules that override or add to the global ones,
// and the roles that apply. The zero TargetRules inherits everything.
type TargetRules struct {
	// Name is the target's name; rule keys say "target.NAME.".
	Name string
	// Scope is a bool expression: people the global scope takes in and
	// this rule leaves out are out of scope for this target alone.
	Scope string
	// ScopeGroups, instead of Scope: members (nested included) of any of
	// these groups, by name or DN.
	ScopeGroups []string
	// Attributes override or add to the [mapping.attributes] rules.
	Attributes map[string]string
	// Roles are the role names (or globs, "team-*") that apply to the
	// target, among the static roles and the names group_roles give; nil
	// means all.
	Roles []string
	// StartDate and EndDate, when set, replace the [mapping] start_date
	// and end_date rules for this target ("" inherits them).
	StartDate, EndDate string
}

// IsZero reports whether r inherits every global rule.
func (r TargetRules) IsZero() bool {
	return r.Scope == "" && len(r.ScopeGroups) == 0 && len(r.Attributes) == 0 && r.Roles == nil && len(r.dates()) == 0
}

// dates returns the date rules t sets, by key (start_date, end_date).
func (r TargetRules) dates() map[string]string {
	out := map[string]string{}
	if strings.TrimSpace(r.StartDate) != "" {
		out["start_date"] = r.StartDate
	}
	if strings.TrimSpace(r.EndDate) != "" {
		out["end_date"] = r.EndDate
	}
	return out
}

// targetScopeKey is the internal key of a target's scope rule.
const targetScopeKey = "target.scope"

// CompileTarget compiles global with t on top, for one target. global
// must compile (Compile reports its own problems). Problems of t are
// joined *RuleErrors whose keys are relative to the [[target]] table:
// "scope", "scope_groups", "mapping.attributes.title", "roles[1]".
func CompileTarget(global Config, t TargetRules) (*Mapper, error) {
	cfg := global
	cfg.Attributes = maps.Clone(global.Attributes)
	if cfg.Attributes == nil {
		cfg.Attributes = map[string]string{}
	}
	maps.Copy(cfg.Attributes, t.Attributes)
	dates := t.dates()
	if src, ok := dates["start_date"]; ok {
		cfg.StartDate = src
	}
	if src, ok := dates["end_date"]; ok {
		cfg.EndDate = src
	}
	var errs []error
	m, err := Compile(cfg)
	if err != nil {
		// Check the target's other rules against the global ones, so that
		// every problem is reported at once.
		errs = append(errs, targetErrs(err))
		if m, err = Compile(global); err != nil {
			return nil, errors.Join(errs...)
		}
	}
	prefix := "target." + t.Name + "."
	m.keys = map[string]string{}
	for p := range t.Attributes {
		m.keys["attributes."+p] = prefix + "mapping.attributes." + p
	}
	for key := range dates {
		m.keys[key] = prefix + "mapping." + key
	}
	if src, key, ok := scopeRule(t); ok {
		c := newCompiler()
		m.targetScope = c.compile(m, targetScopeKey, src, c.personOpts, wantBool)
		errs = append(errs, renameErrs(c.errs, key)...)
		m.needGroups = m.needGroups || c.visitor.groups
		m.needGroupDNs = m.needGroupDNs || c.visitor.groupDNs
		m.keys[targetScopeKey] = prefix + key
		if key == "scope_groups" {
			m.sources[targetScopeKey] = quoteList(t.ScopeGroups)
		}
	}
	errs = append(errs, m.filterRoles(t.Roles, len(global.GroupRoles) > 0)...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return m, nil
}

// scopeRule returns the expression of t's scope and its key, ok false
// when t has none.
func scopeRule(t TargetRules) (src, key string, ok bool) {
	switch {
	case strings.TrimSpace(t.Scope) != "":
		return t.Scope, "scope", true
	case len(t.ScopeGroups) > 0:
		terms := make([]string, len(t.ScopeGroups))
		for i, g := range t.ScopeGroups {
			terms[i] = "memberOf(" + strconv.Quote(g) + ")"
		}
		return strings.Join(terms, " || "), "scope_groups", true
	}
	return "", "", false
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// targetErrs turns the problems of the merged rules (only the target's
// attribute rules can have any: the global ones compiled) into keys
// relative to the target.
func targetErrs(err error) error {
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	out := make([]error, len(list))
	for i, e := range list {
		var re *RuleError
		if errors.As(e, &re) {
			e = &RuleError{Key: "mapping." + re.Key, Err: re.Err}
		}
		out[i] = e
	}
	return errors.Join(out...)
}

// renameErrs gives the RuleErrors of errs the key key.
func renameErrs(errs []error, key string) []error {
	out := make([]error, len(errs))
	for i, e := range errs {
		var re *RuleError
		if errors.As(e, &re) {
			e = &RuleError{Key: key, Err: re.Err}
		}
		out[i] = e
	}
	return out
}

// filterRoles keeps the roles that match one of patterns (nil: all). A
// pattern that is not a valid glob, or a plain name no static role has
// while no group_roles rule could give it, is a problem.
func (m *Mapper) filterRoles(patterns []string, groupRoles bool) []error {
	if patterns == nil {
		return nil
	}
	var errs []error
	for i, p := range patterns {
		key := fmt.Sprintf("roles[%d]", i)
		if _, err := path.Match(p, ""); err != nil || strings.TrimSpace(p) == "" {
			errs = append(errs, ruleErr(key, "%q is not a role name or glob", p))
			continue
		}
		if !strings.ContainsAny(p, "*?[") && !groupRoles && !slices.Contains(m.roleNames, p) {
			errs = append(errs, ruleErr(key, "no [[mapping.roles]] rule is named %q (roles: %s)", p, strings.Join(m.roleNames, ", ")))
		}
	}
	m.roleFilter = append([]string{}, patterns...)
	names := m.roleNames[:0:0]
	for _, n := range m.roleNames {
		if m.roleApplies(n) {
			names = append(names, n)
		}
	}
	m.roleNames = names
	return errs
}

// roleApplies reports whether the role name applies to the mapper's
// target: always without a filter.
func (m *Mapper) roleApplies(name string) bool {
	if m.roleFilter == nil {
		return true
	}
	for _, p := range m.roleFilter {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// RuleKey returns the full configuration key of the rule with key path
// key (relative to [mapping], as for Rule): "mapping.attributes.title",
// or, for a rule a target set itself, "target.NAME.mapping.attributes.title"
// and "target.NAME.scope" (or "target.NAME.scope_groups") for the key
// "target.scope".
func (m *Mapper) RuleKey(key string) string {
	key = strings.TrimPrefix(key, "mapping.")
	if k, ok := m.keys[key]; ok {
		return k
	}
	return "mapping." + key
}
