package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/sync/ldapsource"
)

// keyErr is a problem with one key.
type keyErr struct {
	key string
	err error
}

// prefixed splits err (joined errors whose messages start with "key: ")
// into keyErrs under prefix.
func prefixed(prefix string, err error) []keyErr {
	if err == nil {
		return nil
	}
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	var out []keyErr
	for _, e := range list {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			out = append(out, prefixed(prefix, errors.Join(j.Unwrap()...))...)
			continue
		}
		msg := e.Error()
		key, rest, ok := strings.Cut(msg, ": ")
		if !ok || strings.ContainsAny(key, " \"") {
			out = append(out, keyErr{strings.TrimSuffix(prefix, "."), e})
			continue
		}
		out = append(out, keyErr{prefix + key, errors.New(rest)})
	}
	return out
}

// validate checks the decoded configuration: idsync's own sections here,
// each kind's section with its component's Config.Validate.
func (c *Config) validate() []keyErr {
	var out []keyErr
	bad := func(key, format string, args ...any) {
		out = append(out, keyErr{key, fmt.Errorf(format, args...)})
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		bad("log.format", "must be text or json, got %q", c.Log.Format)
	}
	if c.State.Path == "" {
		bad("state.path", "required")
	}
	out = append(out, validateKind(sourceKinds, c.Source.section, "source", "source.kind", "source.kind", c.Source.Kind)...)
	c.sourceMappingDefaults()
	m, err := mapping.Compile(c.Mapping)
	out = append(out, prefixed("mapping.", err)...)
	c.mapper = m
	out = append(out, prefixed("guards.", c.Guards.Validate())...)
	out = append(out, prefixed("plans.", c.Plans.Validate())...)
	out = append(out, c.validateDaemon()...)
	out = append(out, c.validateAudit()...)
	if len(c.Targets) == 0 {
		bad("target", "at least one [[target]] is required")
	}
	names := map[string]bool{}
	for i := range c.Targets {
		t := &c.Targets[i]
		key := fmt.Sprintf("target[%d]", i)
		out = append(out, t.validate(key)...)
		var global *mapping.Config
		if c.mapper != nil {
			global = &c.Mapping
		}
		out = append(out, t.validatePolicy(key, global)...)
		if names[t.Name] && t.Name != "" {
			bad(key+".name", "duplicate target name %q", t.Name)
		}
		names[t.Name] = true
	}
	return append(out, c.validateSoD()...)
}

// sourceMappingDefaults fills the mapping rules the file leaves unset with
// the source's defaults (the ldap source's flavour = "ad").
func (c *Config) sourceMappingDefaults() {
	if s, ok := c.Source.section.(*configured[ldapsource.Config, sync.Source]); ok {
		s.cfg.MappingDefaults(&c.Mapping)
	}
}

// validateKind checks the kind chosen under kindKey (called label in
// messages) and, when it is known and its section set, the section itself.
func validateKind[T any](kinds []kind[T], sec section[T], key, kindKey, label, chosen string) []keyErr {
	if find(kinds, chosen) == nil {
		return []keyErr{{kindKey, fmt.Errorf("must be %s, got %q", names(kinds), chosen)}}
	}
	if sec == nil {
		return []keyErr{{join(key, chosen), fmt.Errorf("required when %s = %q", label, chosen)}}
	}
	return prefixed(join(key, chosen)+".", sec.validate())
}

func (t *TargetConfig) validate(key string) []keyErr {
	var out []keyErr
	bad := func(k, format string, args ...any) {
		out = append(out, keyErr{key + "." + k, fmt.Errorf(format, args...)})
	}
	if t.Name == "" {
		bad("name", "required")
	} else if strings.ContainsAny(t.Name, " /\\\t") {
		bad("name", "must not contain spaces or slashes, got %q", t.Name)
	}
	if t.Leavers == "" {
		t.Leavers = "disable"
	}
	if t.Leavers != "disable" && t.Leavers != "delete" {
		bad("leavers", "must be disable or delete, got %q", t.Leavers)
	}
	switch t.Rehire {
	case "":
		t.Rehire = sync.RehireUserName
	case sync.RehireUserName, sync.RehireUserNameOrEmail, sync.RehireOff:
	default:
		bad("rehire", "must be %s, %s or %s, got %q", sync.RehireUserName, sync.RehireUserNameOrEmail, sync.RehireOff, t.Rehire)
	}
	if t.Orphans == "" {
		t.Orphans = "report"
	}
	if t.Orphans != "report" && t.Orphans != "disable" && t.Orphans != "delete" {
		bad("orphans", "must be report, disable or delete, got %q", t.Orphans)
	}
	if pc, ok := t.section.(policyChecker); ok {
		out = append(out, prefixed(key+".", pc.checkPolicy(t.Leavers, t.Orphans))...)
	}
	return append(out, validateKind(targetKinds, t.section, key, key+".kind", "kind", t.Kind)...)
}

// stripIndex turns "target[0].scim.url" into "target.scim.url".
func stripIndex(key string) string {
	var b strings.Builder
	skip := false
	for _, r := range key {
		switch {
		case r == '[':
			skip = true
		case r == ']':
			skip = false
		case !skip:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// lineNum extracts the line number from "file:line: ..." for sorting.
func lineNum(err error) int {
	_, rest, _ := strings.Cut(err.Error(), ":")
	n := 0
	for _, r := range rest {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + int(r-'0')
	}
	return n
}
