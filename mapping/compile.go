package mapping

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"

	"github.com/idsync/idsync/targets"
)

// Budgets that keep one rule from costing more than a rule should.
const (
	// maxNodes bounds the size of one expression (expr's default is 10000).
	maxNodes = 1000
	// memoryBudget bounds what one evaluation may allocate in expr's
	// accounting units (roughly one per element of a range, map or filter;
	// expr's default is 1e6).
	memoryBudget = 100_000
)

// Mapper evaluates compiled mapping rules. It is safe for concurrent use:
// every Map call takes its own evaluation state from a pool, and the cache of
// group_roles results is guarded by a lock.
type Mapper struct {
	scope, disabled *rule
	start, end      *rule // start_date and end_date (dates.go)
	disabledReason  *rule
	attrs           []*rule // sorted by key
	static          []staticRole
	groupRoles      []groupRule

	sources   map[string]string // key -> rule text, for Rule
	paths     []string
	roleNames []string

	needGroups, needGroupDNs bool

	// Per-target rules (CompileTarget): the target's own scope, the role
	// names that apply (nil: all) and the full configuration key of every
	// rule the target set.
	targetScope *rule
	roleFilter  []string
	keys        map[string]string

	pool   sync.Pool
	gmu    sync.RWMutex
	gcache map[groupVars][]groupResult

	// reasons interns role reasons: every member of a group shares one
	// string instead of 100,000 copies of the same text.
	rmu     sync.Mutex
	reasons map[reasonKey]string
}

// rule is one compiled expression.
type rule struct {
	key  string // "scope", "attributes.title", "roles[0].when"
	path string // for attribute rules, the attribute path
	src  string
	prog *vm.Program
	// str and bool evaluate common rule shapes without the VM (fast.go);
	// nil when the rule needs the VM.
	str     stringFn
	boolean boolFn
}

type staticRole struct {
	name   string
	when   *rule
	reason string // "mapping.roles[0] when: <when>"
}

type groupRule struct {
	reason      string // "mapping.group_roles[0]: "
	match, name *rule
}

type resultKind int

const (
	wantBool resultKind = iota
	wantString
)

// compiler collects the problems of one Compile call.
type compiler struct {
	errs       []error
	personOpts []expr.Option
	groupOpts  []expr.Option
	visitor    ruleVisitor
}

// Compile checks and compiles every rule of cfg. It reports every problem at
// once, joined with errors.Join; each is a *RuleError whose message starts
// with the rule's key path relative to [mapping], for example
// "attributes.department: compile: unknown name attrr (1:1)".
func Compile(cfg Config) (*Mapper, error) {
	c := newCompiler()
	m := &Mapper{sources: map[string]string{}, gcache: map[groupVars][]groupResult{}, reasons: map[reasonKey]string{}}
	if strings.TrimSpace(cfg.Scope) != "" {
		m.scope = c.compile(m, "scope", cfg.Scope, c.personOpts, wantBool)
	}
	if strings.TrimSpace(cfg.Disabled) != "" {
		m.disabled = c.compile(m, "disabled", cfg.Disabled, c.personOpts, wantBool)
	}
	c.dates(m, cfg)
	if strings.TrimSpace(cfg.DisabledReason) != "" {
		if m.disabled == nil && strings.TrimSpace(cfg.Disabled) == "" {
			c.fail("disabled_reason", "set but disabled is empty")
		} else {
			m.disabledReason = c.compile(m, "disabled_reason", cfg.DisabledReason, c.personOpts, wantString)
		}
	}
	c.attributes(m, cfg.Attributes)
	c.staticRoles(m, cfg.Roles)
	c.groupRoles(m, cfg.GroupRoles)
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	m.needGroups, m.needGroupDNs = c.visitor.groups, c.visitor.groupDNs
	m.pool.New = func() any { return newState() }
	return m, nil
}

// newCompiler returns a compiler with the options of person and group
// rules.
func newCompiler() *compiler {
	c := &compiler{}
	base := []expr.Option{
		expr.MaxNodes(maxNodes),
		expr.DisableBuiltin("now"), // the run's time is the variable now
		expr.Timezone("UTC"),
	}
	base = append(base, helperOptions()...)
	c.personOpts = append([]expr.Option{expr.Env(personEnv{})}, base...)
	c.groupOpts = append([]expr.Option{expr.Env(groupEnv{})}, base...)
	return c
}

func (c *compiler) fail(key, format string, args ...any) {
	c.errs = append(c.errs, ruleErr(key, format, args...))
}

func (c *compiler) attributes(m *Mapper, attrs map[string]string) {
	known := knownPaths()
	if strings.TrimSpace(attrs["userName"]) == "" {
		c.fail("attributes.userName", "required")
	}
	paths := make([]string, 0, len(attrs))
	for p := range attrs {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		key := "attributes." + p
		switch _, ok := targets.Attributes[p]; {
		case p == "active":
			c.fail(key, "set by the disabled rule, do not map it")
			continue
		case !ok:
			c.fail(key, "unknown attribute path (known: %s)", strings.Join(known, ", "))
			continue
		case strings.TrimSpace(attrs[p]) == "":
			if p != "userName" { // already reported as required
				c.fail(key, "empty expression")
			}
			continue
		}
		if r := c.compile(m, key, attrs[p], c.personOpts, wantString); r != nil {
			r.path = p
			m.attrs = append(m.attrs, r)
			m.paths = append(m.paths, p)
		}
	}
}

// knownPaths returns the attribute paths a rule may set: every known path
// except active.
func knownPaths() []string {
	var out []string
	for _, p := range targets.AttributeNames() {
		if p != "active" {
			out = append(out, p)
		}
	}
	return out
}

func (c *compiler) staticRoles(m *Mapper, roles []RoleRule) {
	seen := map[string]bool{}
	for i, r := range roles {
		key := fmt.Sprintf("roles[%d]", i)
		name := r.Name
		switch {
		case strings.TrimSpace(name) == "":
			c.fail(key+".name", "required")
		case strings.TrimSpace(name) != name:
			c.fail(key+".name", "%q has leading or trailing space", name)
		case seen[name]:
			c.fail(key+".name", "duplicate role %q", name)
		}
		seen[name] = true
		if strings.TrimSpace(r.When) == "" {
			c.fail(key+".when", `required (use "true" for everyone in scope)`)
			continue
		}
		when := c.compile(m, key+".when", r.When, c.personOpts, wantBool)
		m.sources[key] = r.When
		if when != nil && name != "" {
			m.static = append(m.static, staticRole{name: name, when: when, reason: "mapping." + key + " when: " + r.When})
		}
	}
	for n := range seen {
		if n != "" {
			m.roleNames = append(m.roleNames, n)
		}
	}
	sort.Strings(m.roleNames)
}

func (c *compiler) groupRoles(m *Mapper, rules []GroupRoleRule) {
	for i, r := range rules {
		key := fmt.Sprintf("group_roles[%d]", i)
		var match, name *rule
		if strings.TrimSpace(r.Match) == "" {
			c.fail(key+".match", `required (use "true" for every group)`)
		} else {
			match = c.compile(m, key+".match", r.Match, c.groupOpts, wantBool)
			m.sources[key] = r.Match
		}
		if strings.TrimSpace(r.Name) == "" {
			c.fail(key+".name", "required")
		} else {
			name = c.compile(m, key+".name", r.Name, c.groupOpts, wantString)
		}
		if match != nil && name != nil {
			m.groupRoles = append(m.groupRoles, groupRule{reason: "mapping." + key + ": ", match: match, name: name})
		}
	}
}

// compile compiles one expression, records its source under key and checks
// the type of its result where the checker knows it. It returns nil after
// recording a problem.
func (c *compiler) compile(m *Mapper, key, src string, opts []expr.Option, want resultKind) (r *rule) {
	m.sources[key] = src
	defer func() {
		// expr reports problems as errors; this is a last line of defence
		// so a bad rule can never crash the daemon at load time.
		if p := recover(); p != nil {
			c.fail(key, "compile: internal error: %v", p)
			r = nil
		}
	}()
	v := &ruleVisitor{}
	prog, err := expr.Compile(src, append(opts[:len(opts):len(opts)], expr.Patch(v))...)
	if err != nil {
		c.errs = append(c.errs, &RuleError{Key: key, Err: fmt.Errorf("compile: %w", exprError{err})})
		return nil
	}
	if err := checkType(prog.Node(), want); err != nil {
		c.errs = append(c.errs, &RuleError{Key: key, Err: err})
		return nil
	}
	c.visitor.groups = c.visitor.groups || v.groups
	c.visitor.groupDNs = c.visitor.groupDNs || v.groupDNs
	r = &rule{key: key, src: src, prog: prog}
	if !disableFastPaths {
		r.str, r.boolean = fastString(prog.Node()), fastBool(prog.Node())
	}
	return r
}

// disableFastPaths makes every rule run on the VM; tests compare the two.
var disableFastPaths = false

var timeType = reflect.TypeOf(time.Time{})

// checkType rejects results the checker already knows are of the wrong
// type; an unknown type (interface) is checked when the rule runs.
func checkType(node ast.Node, want resultKind) error {
	if node.Nature().Nil {
		if want == wantBool {
			return errors.New("expression must return a bool (got nil)")
		}
		return nil
	}
	t := node.Type()
	if t.Kind() == reflect.Interface {
		return nil
	}
	switch want {
	case wantBool:
		if t.Kind() != reflect.Bool {
			return fmt.Errorf("expression must return a bool (got %s)", t)
		}
	case wantString:
		switch t.Kind() {
		case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16,
			reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16,
			reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		default:
			if t != timeType {
				return fmt.Errorf("expression must return a string (got %s)", t)
			}
		}
	}
	return nil
}
