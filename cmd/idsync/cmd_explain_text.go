package main

import (
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/targets"
)

// timeNow is the clock explain maps with; tests set it.
var timeNow = time.Now

// writeExplanation writes ex for a human: the person in the source, each
// rule with the source values it read, and per target the account, its
// groups and what would change. Every value from outside is escaped.
func writeExplanation(w io.Writer, ex *explanation, m sync.Mapper) error {
	b := &strings.Builder{}
	line := func(indent int, parts ...string) {
		b.WriteString(strings.Repeat("  ", indent))
		for _, p := range parts {
			b.WriteString(text(p))
		}
		b.WriteByte('\n')
	}
	if ex.Entry == nil {
		line(0, "Person ", ex.Query, ": not in the source")
	} else {
		explainSource(line, ex, m)
	}
	for _, t := range ex.Targets {
		b.WriteByte('\n')
		explainTargetText(line, &t)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

type lineFunc func(indent int, parts ...string)

// explainSource writes the entry and what each rule made of it.
func explainSource(line lineFunc, ex *explanation, m sync.Mapper) {
	e := ex.Entry
	line(0, "Person ", ex.Query, " in the source")
	line(1, "dn: ", e.DN)
	line(1, "id: ", e.ID)
	if ex.MapError != "" {
		line(1, "the rules could not map this person, so idsync leaves their accounts alone: ", ex.MapError)
		return
	}
	p := ex.Person
	line(1, "in scope: ", yesNo(p.InScope), ruleNote(m, "scope", "no scope rule: everyone read is in scope"))
	sourceValues(line, e, m.Rule("scope"))
	line(1, "disabled: ", yesNo(p.Disabled), ruleNote(m, "disabled", "no disabled rule"))
	sourceValues(line, e, m.Rule("disabled"))
	if len(e.Groups) > 0 {
		line(1, "groups (direct and nested):")
		for _, g := range e.Groups {
			line(2, groupPath(e.DN, g))
		}
	}
	if !p.InScope {
		return
	}
	line(1, "attributes:")
	for _, path := range m.AttributePaths() {
		line(2, path, " = ", strconv.Quote(p.Account.Attr(path)), ruleNote(m, "attributes."+path, ""))
		sourceValues(line, e, m.Rule("attributes."+path))
	}
	if len(p.Roles) == 0 {
		line(1, "roles: none")
	} else {
		line(1, "roles:")
	}
	for _, r := range p.Roles {
		line(2, r.Name, ": ", r.Reason)
	}
}

// groupPath shows how the entry is in group g: the entry, each group the
// membership goes through, the group.
func groupPath(dn string, g mapping.Membership) string {
	if len(g.Via) == 0 {
		return g.DN + " (direct)"
	}
	return g.DN + " (nested: " + strings.Join(append(append([]string{dn}, g.Via...), g.DN), " → ") + ")"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// ruleNote is "  (mapping.KEY = RULE)", or none in parentheses when the
// rule is not set ("" for none: nothing).
func ruleNote(m sync.Mapper, key, none string) string {
	if r := m.Rule(key); r != "" {
		return "  (mapping." + key + " = " + r + ")"
	}
	if none == "" {
		return ""
	}
	return "  (" + none + ")"
}

// sourceValues writes the source attributes and groups the rule reads,
// with the entry's values.
func sourceValues(line lineFunc, e *mapping.Entry, rule string) {
	attrs, groups := ruleInputs(rule)
	for _, a := range attrs {
		vals := e.Values(a)
		quoted := make([]string, len(vals))
		for i, v := range vals {
			quoted[i] = strconv.Quote(v)
		}
		if len(vals) == 0 {
			quoted = []string{"(no value)"}
		}
		line(3, "source ", a, ": ", strings.Join(quoted, ", "))
	}
	for _, g := range groups {
		line(3, "member of ", g, ": ", yesNo(memberOf(e, g)))
	}
}

// memberOf reports whether the entry is in a group of that name or DN,
// directly or nested.
func memberOf(e *mapping.Entry, g string) bool {
	return slices.ContainsFunc(e.Groups, func(m mapping.Membership) bool {
		return strings.EqualFold(m.Name, g) || mapping.NormalizeDN(m.DN) == mapping.NormalizeDN(g)
	})
}

// ruleInputs returns the source attributes (attr, attrs, has, adExpired)
// and groups (memberOf, directMemberOf) a rule names with constant
// arguments, each once, in the order they appear.
func ruleInputs(rule string) (attrs, groups []string) {
	tree, err := parser.Parse(rule)
	if err != nil {
		return nil, nil
	}
	v := &inputVisitor{}
	ast.Walk(&tree.Node, v)
	return v.attrs, v.groups
}

type inputVisitor struct{ attrs, groups []string }

func (v *inputVisitor) Visit(n *ast.Node) {
	call, ok := (*n).(*ast.CallNode)
	if !ok || len(call.Arguments) == 0 {
		return
	}
	id, ok := call.Callee.(*ast.IdentifierNode)
	if !ok {
		return
	}
	arg, ok := call.Arguments[0].(*ast.StringNode)
	if !ok {
		return
	}
	switch id.Value {
	case "attr", "attrs", "has", "adExpired":
		if !slices.Contains(v.attrs, arg.Value) {
			v.attrs = append(v.attrs, arg.Value)
		}
	case "memberOf", "directMemberOf":
		if !slices.Contains(v.groups, arg.Value) {
			v.groups = append(v.groups, arg.Value)
		}
	}
}

// explainTargetText writes what a target holds of the person and what
// would change.
func explainTargetText(line lineFunc, t *targetExplanation) {
	line(0, "Target ", t.Target)
	if l := t.Link; l != nil {
		state := "active"
		if !l.Active {
			state = "disabled by idsync"
		}
		line(1, "linked to account ", l.TargetID, " (userName ", l.UserName, ", ", state, ", last written as ", l.DN, ")")
	} else {
		line(1, "not linked to an account")
	}
	if a := t.Account; a != nil {
		line(1, "the target holds account ", a.ID, ": userName ", a.UserName, ", ", activeWord(a), ", externalId ", strconv.Quote(a.ExternalID))
		for _, at := range a.Attrs.InOrder() {
			line(2, at.Path, " = ", strconv.Quote(at.Value))
		}
		if len(t.Groups) > 0 {
			line(2, "groups: ", strings.Join(t.Groups, ", "))
		}
	} else if t.Link != nil {
		line(1, "the target no longer has the linked account")
	}
	c := t.Change
	if c == nil {
		line(1, "nothing would change")
		return
	}
	line(1, "would change: ", string(c.Kind), " [", string(c.Action), "]")
	if c.PreviousDN != "" {
		line(2, "dn: ", c.PreviousDN, " -> ", c.DN)
	}
	for _, d := range c.Attrs {
		note := ""
		if d.Rule != "" {
			note = "  (" + d.Rule + ")"
		}
		line(2, d.Path, ": ", strconv.Quote(d.Before), " -> ", strconv.Quote(d.After), note)
	}
	for _, r := range c.RolesAdded {
		line(2, "role +", r.Role, " (", r.Reason, ")")
	}
	for _, r := range c.RolesRemoved {
		line(2, "role -", r.Role, " (", r.Reason, ")")
	}
	for _, r := range c.Reasons {
		line(2, "because: ", r)
	}
}

func activeWord(a *targets.Account) string {
	if a.Active {
		return "active"
	}
	return "disabled"
}
