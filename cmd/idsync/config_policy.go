package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/sync"
)

// TargetMapping is a target's [target.mapping] table: attribute rules
// that override or add to [mapping.attributes] for this target alone.
type TargetMapping struct {
	Attributes map[string]string `toml:"attributes"`
	// StartDate and EndDate replace the [mapping] start_date and end_date
	// rules for this target; empty: inherited.
	StartDate string `toml:"start_date"`
	EndDate   string `toml:"end_date"`
}

// GuardOverrides is a target's [target.guards] table: each key set
// replaces the [guards] one for this target.
type GuardOverrides struct {
	MaxDeletes              *int     `toml:"max_deletes"`
	MaxDeletesPercent       *float64 `toml:"max_deletes_percent"`
	MaxDisables             *int     `toml:"max_disables"`
	MaxDisablesPercent      *float64 `toml:"max_disables_percent"`
	MaxRoleRemovals         *int     `toml:"max_role_removals"`
	MaxRoleRemovalsPercent  *float64 `toml:"max_role_removals_percent"`
	MaxSourceShrinkPercent  *float64 `toml:"max_source_shrink_percent"`
	MaxMissingLinkedPercent *float64 `toml:"max_missing_linked_percent"`
}

// over returns g with the keys o sets replaced, its section named after
// the target.
func (o *GuardOverrides) over(g sync.Guards, target string) sync.Guards {
	if o == nil {
		return g
	}
	g.Section = "target." + target + ".guards"
	setInt := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	setFloat := func(dst *float64, v *float64) {
		if v != nil {
			*dst = *v
		}
	}
	setInt(&g.MaxDeletes, o.MaxDeletes)
	setFloat(&g.MaxDeletesPercent, o.MaxDeletesPercent)
	setInt(&g.MaxDisables, o.MaxDisables)
	setFloat(&g.MaxDisablesPercent, o.MaxDisablesPercent)
	setInt(&g.MaxRoleRemovals, o.MaxRoleRemovals)
	setFloat(&g.MaxRoleRemovalsPercent, o.MaxRoleRemovalsPercent)
	setFloat(&g.MaxSourceShrinkPercent, o.MaxSourceShrinkPercent)
	setFloat(&g.MaxMissingLinkedPercent, o.MaxMissingLinkedPercent)
	return g
}

// retention is a retention period: "90d" (days), "2w" (weeks) or a Go
// duration with a unit ("36h"). A bare number is refused.
type retention struct{ time.Duration }

// UnmarshalTOML reads a retention period from a string.
func (r *retention) UnmarshalTOML(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf(`a retention period is a string with a unit, like "90d" or "2w"; got %v`, v)
	}
	d, err := parseRetention(s)
	if err != nil {
		return err
	}
	r.Duration = d
	return nil
}

// parseRetention parses "90d", "2w" or a time.ParseDuration string.
func parseRetention(s string) (time.Duration, error) {
	bad := fmt.Errorf(`%q is not a retention period (use "90d", "2w" or "36h")`, s)
	unit := map[byte]time.Duration{'d': 24 * time.Hour, 'w': 7 * 24 * time.Hour}
	if n := len(s); n > 1 && unit[s[n-1]] != 0 {
		days, err := strconv.Atoi(s[:n-1])
		if err != nil || days < 0 || days > 100*366 {
			return 0, bad
		}
		return time.Duration(days) * unit[s[n-1]], nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, bad
	}
	return d, nil
}

// rules returns the target's own mapping rules.
func (t *TargetConfig) rules() mapping.TargetRules {
	return mapping.TargetRules{Name: t.Name, Scope: t.Scope, ScopeGroups: t.ScopeGroups,
		Attributes: t.Mapping.Attributes, Roles: t.Roles, StartDate: t.Mapping.StartDate, EndDate: t.Mapping.EndDate}
}

// validatePolicy checks the target's lifecycle keys and compiles its own
// rules over global (nil when [mapping] did not compile).
func (t *TargetConfig) validatePolicy(key string, global *mapping.Config) []keyErr {
	var out []keyErr
	bad := func(k, format string, args ...any) {
		out = append(out, keyErr{key + "." + k, fmt.Errorf(format, args...)})
	}
	if t.DeleteAfter.Duration < 0 {
		bad("delete_after", "must not be negative")
	}
	if t.ProvisionBefore.Duration < 0 {
		bad("provision_before", "must not be negative")
	}
	if t.DeleteAfter.Duration > 0 && t.Leavers == "delete" {
		bad("delete_after", `set, but leavers = "delete" deletes at once; use leavers = "disable" to delete after the retention period`)
	}
	switch t.DisabledPeople {
	case "":
		t.DisabledPeople = sync.DisabledSkip
	case sync.DisabledSkip, sync.DisabledCreateInactive:
	default:
		bad("disabled_people", "must be %s or %s, got %q", sync.DisabledSkip, sync.DisabledCreateInactive, t.DisabledPeople)
	}
	if strings.TrimSpace(t.Scope) != "" && len(t.ScopeGroups) > 0 {
		bad("scope_groups", "set scope or scope_groups, not both")
	}
	for i, g := range t.ScopeGroups {
		if strings.TrimSpace(g) == "" {
			bad(fmt.Sprintf("scope_groups[%d]", i), "empty group name")
		}
	}
	out = append(out, prefixed(key+".protect.", t.Protect.Validate())...)
	out = append(out, prefixed(key+".guards.", t.Guards.over(sync.Guards{}, t.Name).Validate())...)
	if global == nil || t.rules().IsZero() {
		return out
	}
	m, err := mapping.CompileTarget(*global, t.rules())
	out = append(out, prefixed(key+".", err)...)
	t.mapper = m
	return out
}
