package mapping

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/idsync/idsync/targets"
)

// Map applies the rules to e as of the run time now and returns the person
// idsync wants. It is pure: the same entry, rules and now give the same
// person. An out-of-scope person is returned with InScope false and nothing
// else mapped, so the plan can see they left scope. Errors name the entry's
// DN and wrap a *RuleError naming the rule. Map is safe for concurrent use.
func (m *Mapper) Map(e Entry, now time.Time) (Person, error) {
	st := m.pool.Get().(*state)
	defer func() {
		st.release()
		m.pool.Put(st)
	}()
	st.reset(e, now, m.needGroups, m.needGroupDNs)
	p, err := m.mapEntry(st, &st.entry)
	if err != nil {
		return Person{}, fmt.Errorf("mapping: %s: %w", e.DN, err)
	}
	return p, nil
}

// mapEntry maps one entry. The Person it returns shares no memory with the
// entry: a source may hand out strings that point into a large read buffer
// (sync/ldapsource does), and a Person lives for the whole run, so the
// strings it takes from the entry are copied.
func (m *Mapper) mapEntry(st *state, e *Entry) (Person, error) {
	p := Person{SourceID: strings.Clone(e.ID), DN: strings.Clone(e.DN), InScope: true, Changed: ChangeTime(e)}
	var err error
	if m.scope != nil {
		if p.InScope, err = m.evalBool(st, m.scope); err != nil || !p.InScope {
			return p, err
		}
	}
	if m.targetScope != nil {
		if p.InScope, err = m.evalBool(st, m.targetScope); err != nil || !p.InScope {
			p.ScopeRule = m.targetScope.key
			return p, err
		}
	}
	if m.disabled != nil {
		if p.Disabled, err = m.evalBool(st, m.disabled); err != nil {
			return p, err
		}
	}
	if err = m.evalDates(st, &p); err != nil {
		return p, err
	}
	if p.Disabled && m.disabledReason != nil {
		if p.DisabledReason, err = m.evalString(st, m.disabledReason); err != nil {
			return p, err
		}
		p.DisabledReason = strings.Clone(p.DisabledReason)
	}
	p.Account.Active = !p.Disabled
	// m.attrs is sorted by key, "attributes." + path: appending keeps
	// Attrs sorted by path.
	// Room for exactly the attributes: a person lives for the whole run.
	n := len(m.attrs)
	for _, r := range m.attrs {
		if r.path == "userName" || r.path == "externalId" {
			n--
		}
	}
	p.Account.Attrs = make(targets.Attrs, 0, n)
	for _, r := range m.attrs {
		v, err := m.evalString(st, r)
		if err != nil {
			return p, err
		}
		switch v = strings.Clone(v); r.path {
		case "userName":
			p.Account.UserName = v
		case "externalId":
			p.Account.ExternalID = v
		default:
			p.Account.Attrs = append(p.Account.Attrs, targets.Attr{Path: r.path, Value: v})
		}
	}
	if p.Account.UserName == "" {
		return p, ruleErr("attributes.userName", "empty for a person in scope")
	}
	if p.Roles, err = m.evalRoles(st, e); err != nil {
		return p, err
	}
	return p, nil
}

// evalRoles evaluates the static roles, then the group roles, and returns them
// sorted by name; of two roles with the same name the first found is kept.
func (m *Mapper) evalRoles(st *state, e *Entry) ([]Role, error) {
	if len(m.static)+len(m.groupRoles) == 0 {
		return nil, nil
	}
	out := make([]Role, 0, len(m.static)+len(m.groupRoles)*len(e.Groups))
	for _, r := range m.static {
		if !m.roleApplies(r.name) {
			continue // not one of the target's roles: not evaluated
		}
		st.record, st.matched = true, st.matched[:0]
		ok, err := m.evalBool(st, r.when)
		st.record = false
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, Role{Name: r.name, Reason: m.staticReason(r.reason, st.matched)})
		}
	}
	if len(m.groupRoles) > 0 {
		for _, g := range e.Groups {
			res, err := m.groupResults(st, g)
			if err != nil {
				return nil, err
			}
			for i, gr := range res {
				if gr.match && m.roleApplies(gr.name) {
					out = append(out, Role{Name: gr.name, Reason: m.intern(m.groupRoles[i].reason, g, groupReason)})
				}
			}
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	slices.SortStableFunc(out, func(a, b Role) int { return strings.Compare(a.Name, b.Name) })
	return slices.CompactFunc(out, func(a, b Role) bool { return a.Name == b.Name }), nil
}

// reasonKey identifies a reason text: the rule's prefix and one membership.
type reasonKey struct {
	prefix, dn, via string
}

// intern returns build(prefix, g), built once per rule and membership for
// the Mapper's lifetime: every member of a group shares one reason string
// rather than a copy each.
func (m *Mapper) intern(prefix string, g Membership, build func(string, Membership) string) string {
	k := reasonKey{prefix: prefix, dn: g.DN, via: strings.Join(g.Via, "\x00")}
	m.rmu.Lock()
	defer m.rmu.Unlock()
	v, ok := m.reasons[k]
	if !ok {
		v = build(prefix, g)
		k.dn, k.via = strings.Clone(k.dn), strings.Clone(k.via) // the entry's strings may be reused
		m.reasons[k] = v
	}
	return v
}

// staticReason interns the reason of a static role when one membership
// explains it (the common case); see buildStaticReason.
func (m *Mapper) staticReason(prefix string, matched []Membership) string {
	switch len(matched) {
	case 0:
		return prefix
	case 1:
		return m.intern(prefix, matched[0], func(p string, g Membership) string {
			return buildStaticReason(p, []Membership{g})
		})
	}
	return buildStaticReason(prefix, matched)
}

// buildStaticReason is the reason for a static role: the rule's prefix
// ("mapping.roles[0] when: memberOf(...)"), then the memberships memberOf
// matched while the rule ran, each once.
func buildStaticReason(prefix string, matched []Membership) string {
	if len(matched) == 0 {
		return prefix
	}
	n := len(prefix)
	for i, g := range matched {
		if !seenBefore(matched, i) {
			n += 2 + membershipLen(g)
		}
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(prefix)
	for i, g := range matched {
		if !seenBefore(matched, i) {
			b.WriteString("; ")
			writeMembership(&b, g)
		}
	}
	return b.String()
}

// seenBefore reports whether matched[i].DN occurs earlier in matched.
func seenBefore(matched []Membership, i int) bool {
	for _, g := range matched[:i] {
		if g.DN == matched[i].DN {
			return true
		}
	}
	return false
}

// groupReason is the reason for a role from a group_roles rule:
// "mapping.group_roles[0]: member of cn=Backend,... (via cn=Platform,...)".
func groupReason(prefix string, g Membership) string {
	var b strings.Builder
	b.Grow(len(prefix) + membershipLen(g))
	b.WriteString(prefix)
	writeMembership(&b, g)
	return b.String()
}

// writeMembership describes a membership: "member of cn=Backend,... (via
// cn=Platform,...)"; membershipLen is the length of that text.
func writeMembership(b *strings.Builder, g Membership) {
	b.WriteString("member of ")
	b.WriteString(g.DN)
	for i, v := range g.Via {
		if i == 0 {
			b.WriteString(" (via ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(v)
	}
	if len(g.Via) > 0 {
		b.WriteByte(')')
	}
}

func membershipLen(g Membership) int {
	n := len("member of ") + len(g.DN)
	for _, v := range g.Via {
		n += len(v) + 2
	}
	if len(g.Via) > 0 {
		n += len(" (via )") - 2
	}
	return n
}

// run evaluates r for the state's entry.
func (st *state) run(r *rule) (any, error) {
	out, err := st.vm.Run(r.prog, &st.env)
	if err == nil && st.fnErr != nil {
		err, st.fnErr = st.fnErr, nil
	}
	if err != nil {
		return nil, &RuleError{Key: r.key, Err: exprError{err}}
	}
	return out, nil
}

func (m *Mapper) evalBool(st *state, r *rule) (bool, error) {
	if r.boolean != nil && !st.record {
		return r.boolean(st), nil
	}
	out, err := st.run(r)
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, ruleErr(r.key, "expression returned %s, not a bool", typeName(out))
	}
	return b, nil
}

func (m *Mapper) evalString(st *state, r *rule) (string, error) {
	if r.str != nil {
		return r.str(st), nil
	}
	out, err := st.run(r)
	if err != nil {
		return "", err
	}
	s, err := toString(out)
	if err != nil {
		return "", &RuleError{Key: r.key, Err: err}
	}
	return s, nil
}

func typeName(v any) string {
	if v == nil {
		return "nil"
	}
	return fmt.Sprintf("%T", v)
}

// errList is returned when a string rule yields a list.
var errList = errors.New("expression returned a list, not a string (use join or first)")

// toString converts the result of a string rule: nil is "", bools are
// "true"/"false", numbers are formatted in decimal, times in RFC 3339 UTC.
func toString(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case int:
		return strconv.Itoa(v), nil
	case int8, int16, int32, int64:
		return fmt.Sprint(v), nil
	case uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(v), nil
	case float32:
		return strconv.FormatFloat(float64(v), 'f', -1, 32), nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case time.Time:
		if v.IsZero() {
			return "", nil
		}
		return v.UTC().Format(time.RFC3339), nil
	case []any, []string:
		return "", errList
	}
	return "", fmt.Errorf("expression returned %s, not a string", typeName(v))
}

// groupResult is the outcome of one group_roles rule for one group.
type groupResult struct {
	match bool
	name  string
}

// maxGroupCache bounds the group_roles cache; past it the cache starts afresh.
const maxGroupCache = 1 << 17

// groupResults evaluates every group_roles rule for the group g, once per
// group DN and name for the Mapper's lifetime (the rules see only the group).
func (m *Mapper) groupResults(st *state, g Membership) ([]groupResult, error) {
	key := groupVars{DN: g.DN, Name: g.Name, Scope: g.Type.Scope, Kind: g.Type.Kind, BuiltIn: g.Type.BuiltIn}
	m.gmu.RLock()
	res, ok := m.gcache[key]
	m.gmu.RUnlock()
	if ok {
		return res, nil
	}
	st.genv.Group = key
	res = make([]groupResult, len(m.groupRoles))
	for i, r := range m.groupRoles {
		out, err := st.vm.Run(r.match.prog, &st.genv)
		if err != nil {
			return nil, groupErr(r.match.key, g, exprError{err})
		}
		match, ok := out.(bool)
		if !ok {
			return nil, groupErr(r.match.key, g, fmt.Errorf("expression returned %s, not a bool", typeName(out)))
		}
		if !match {
			continue
		}
		out, err = st.vm.Run(r.name.prog, &st.genv)
		if err != nil {
			return nil, groupErr(r.name.key, g, exprError{err})
		}
		name, err := toString(out)
		if err == nil && strings.TrimSpace(name) == "" {
			err = errors.New("empty role name")
		}
		if err != nil {
			return nil, groupErr(r.name.key, g, err)
		}
		res[i] = groupResult{match: true, name: name}
	}
	m.gmu.Lock()
	putBounded(&m.gcache, maxGroupCache, key, res)
	m.gmu.Unlock()
	return res, nil
}

func groupErr(key string, g Membership, err error) error {
	return &RuleError{Key: key, Err: fmt.Errorf("group %s: %w", g.DN, err)}
}
