package mapping

import (
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
)

// personEnv is the environment of the scope, disabled, attribute and role
// rules. The function fields are bound once to the state that owns the env
// (see newState); Map only swaps the entry underneath them. The package
// documentation lists these names for users; keep the two in step.
type personEnv struct {
	ID       string    `expr:"id"`
	DN       string    `expr:"dn"`
	Groups   []string  `expr:"groups"`
	GroupDNs []string  `expr:"groupDNs"`
	Now      time.Time `expr:"now"`

	Attr           func(string) string   `expr:"attr"`
	Attrs          func(string) []string `expr:"attrs"`
	Has            func(string) bool     `expr:"has"`
	MemberOf       func(string) bool     `expr:"memberOf"`
	DirectMemberOf func(string) bool     `expr:"directMemberOf"`
	ADExpired      func(string) bool     `expr:"adExpired"`
}

// groupEnv is the environment of the group_roles rules: the group only, so
// results can be cached per group.
type groupEnv struct {
	Group groupVars `expr:"group"`
}

type groupVars struct {
	DN   string `expr:"dn"`
	Name string `expr:"name"`
	// Scope and Kind are an AD group's scope ("global", "domain-local",
	// "universal") and kind ("security", "distribution") from its
	// groupType; "" for a group without one. BuiltIn marks the groups
	// the system creates.
	Scope   string `expr:"scope"`
	Kind    string `expr:"kind"`
	BuiltIn bool   `expr:"builtIn"`
}

// state is what one evaluation of Map needs for itself: the environments,
// a reusable VM, and per-entry caches. States are pooled; a state is used
// by one goroutine at a time.
type state struct {
	env  personEnv
	genv groupEnv
	vm   vm.VM
	// entry is a copy of the entry being mapped (so Map's argument does
	// not escape); e points to it while a Map runs.
	entry Entry
	e     *Entry

	// groupKeys holds the normalised DNs of e.Groups, filled on the first
	// memberOf call for the entry (groupKeysOK).
	groupKeys   []string
	groupKeysOK bool
	// norm caches NormalizeDN for group DNs and memberOf arguments, which
	// repeat across entries.
	norm map[string]string
	// record, when set, collects the memberships memberOf matched while a
	// role rule runs, for the role's reason.
	record  bool
	matched []Membership
	// fnErr is the first error of an environment function during the
	// current evaluation; such functions have a typed signature without an
	// error result, which expr calls without reflection.
	fnErr error
}

// maxNormCache bounds state.norm; past it the cache starts afresh.
const maxNormCache = 1 << 16

func newState() *state {
	st := &state{norm: map[string]string{}}
	st.env.Attr = st.attr
	st.env.Attrs = st.attrs
	st.env.Has = func(name string) bool { return len(st.attrs(name)) > 0 }
	st.env.MemberOf = func(x string) bool { return st.memberOf(x, false) }
	st.env.DirectMemberOf = func(x string) bool { return st.memberOf(x, true) }
	st.env.ADExpired = func(s string) bool {
		expired, err := adExpired(s, st.env.Now)
		if err != nil && st.fnErr == nil {
			st.fnErr = err
		}
		return expired
	}
	st.vm.MemoryBudget = memoryBudget
	return st
}

// reset points the state at e and now.
func (st *state) reset(e Entry, now time.Time, needGroups, needGroupDNs bool) {
	st.entry = e
	st.e = &st.entry
	st.env.ID, st.env.DN, st.env.Now = e.ID, e.DN, now
	st.groupKeys, st.groupKeysOK = st.groupKeys[:0], false
	st.record, st.matched = false, st.matched[:0]
	st.fnErr = nil
	st.env.Groups, st.env.GroupDNs = st.env.Groups[:0], st.env.GroupDNs[:0]
	for _, m := range e.Groups {
		if needGroups {
			st.env.Groups = append(st.env.Groups, m.Name)
		}
		if needGroupDNs {
			st.env.GroupDNs = append(st.env.GroupDNs, m.DN)
		}
	}
}

// release drops the references to the entry so a pooled state does not
// keep it alive.
func (st *state) release() {
	st.e, st.entry = nil, Entry{}
	clear(st.env.Groups)
	clear(st.env.GroupDNs)
	clear(st.matched)
}

func (st *state) attrs(name string) []string {
	// Rule constants are lower-cased at compile time (lowerAttrNames), so
	// the direct lookup almost always hits.
	if v, ok := st.e.Attrs.Lookup(name); ok {
		return v
	}
	return st.e.Attrs.Get(strings.ToLower(name))
}

func (st *state) attr(name string) string {
	if v := st.attrs(name); len(v) > 0 {
		return v[0]
	}
	return ""
}

func (st *state) normalize(dn string) string {
	if n, ok := st.norm[dn]; ok {
		return n
	}
	// The cache outlives the entry: keep copies, not strings that may
	// point into the source's read buffers.
	dn = strings.Clone(dn)
	n := NormalizeDN(dn)
	putBounded(&st.norm, maxNormCache, dn, n)
	return n
}

// memberOf reports whether the entry is in the group x, given as a DN or a
// name, both compared case-insensitively; direct limits it to groups the
// entry is listed in itself.
func (st *state) memberOf(x string, direct bool) bool {
	isDN := strings.IndexByte(x, '=') >= 0
	var key string
	if isDN {
		key = st.normalize(x)
		if !st.groupKeysOK {
			for _, m := range st.e.Groups {
				st.groupKeys = append(st.groupKeys, st.normalize(m.DN))
			}
			st.groupKeysOK = true
		}
	}
	found := false
	for i, m := range st.e.Groups {
		if direct && len(m.Via) > 0 {
			continue
		}
		if strings.EqualFold(m.Name, x) || isDN && st.groupKeys[i] == key {
			found = true
			if !st.record {
				break
			}
			st.matched = append(st.matched, m)
		}
	}
	return found
}

// ruleVisitor patches a rule before it is compiled: it lower-cases constant
// attribute names in attr, attrs and has calls, and notes whether the rule
// reads groups or groupDNs so Map builds those lists only when needed.
type ruleVisitor struct {
	groups, groupDNs bool
}

// Visit implements ast.Visitor.
func (v *ruleVisitor) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		switch n.Value {
		case "groups":
			v.groups = true
		case "groupDNs":
			v.groupDNs = true
		case "$env":
			v.groups, v.groupDNs = true, true
		}
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok || len(n.Arguments) == 0 {
			return
		}
		switch id.Value {
		case "attr", "attrs", "has":
			if s, ok := n.Arguments[0].(*ast.StringNode); ok {
				s.Value = strings.ToLower(s.Value)
			}
		}
	}
}
