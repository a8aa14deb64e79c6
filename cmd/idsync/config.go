package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/idsync/idsync/internal/admin"
	"github.com/idsync/idsync/internal/duration"
	"github.com/idsync/idsync/internal/secret"
	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/targets"
)

// Config is idsync's configuration file; config.example.toml documents
// every key. The [source.KIND] and [target.KIND] sections belong to their
// kinds (kinds.go), which decode, validate and build them.
type Config struct {
	Log     LogConfig      `toml:"log"`
	State   StateConfig    `toml:"state"`
	Source  SourceConfig   `toml:"-"`
	Mapping mapping.Config `toml:"mapping"`
	Guards  sync.Guards    `toml:"guards"`
	Plans   PlansConfig    `toml:"plans"`
	Targets []TargetConfig `toml:"-"`
	Daemon  DaemonConfig   `toml:"-"`
	Admin   admin.Config   `toml:"admin"`
	Audit   AuditConfig    `toml:"audit"`
	SoD     []SoDConfig    `toml:"sod"`

	// path is the file the configuration was read from; name its base
	// name and lines the line of each key, for messages.
	path, name string
	lines      map[string]int
	mapper     *mapping.Mapper
}

// LogConfig is the [log] section.
type LogConfig struct {
	Level  string `toml:"level"`  // debug, info, warn, error
	Format string `toml:"format"` // text or json
}

// StateConfig is the [state] section.
type StateConfig struct {
	Path string `toml:"path"`
}

// SourceConfig is the [source] section: one kind and its settings, the
// section [source.KIND].
type SourceConfig struct {
	Kind    string `toml:"kind"`
	section section[sync.Source]
}

// TargetConfig is one [[target]]: its name, policies, kind and the kind's
// section [target.KIND].
type TargetConfig struct {
	Name    string `toml:"name"`
	Kind    string `toml:"kind"`
	Leavers string `toml:"leavers"` // disable or delete
	Orphans string `toml:"orphans"` // report, disable or delete
	Rehire  string `toml:"rehire"`  // username, username-or-email or off
	// Lifecycle policy of this target (config_policy.go).
	Scope       string          `toml:"scope"`
	ScopeGroups []string        `toml:"scope_groups"`
	Roles       []string        `toml:"roles"` // nil: every role
	Mapping     TargetMapping   `toml:"mapping"`
	Guards      *GuardOverrides `toml:"guards"`
	DeleteAfter retention       `toml:"delete_after"`
	// ProvisionBefore creates a dated joiner's account this long before
	// their start date (mapping start_date), inactive.
	ProvisionBefore retention    `toml:"provision_before"`
	Protect         sync.Protect `toml:"protect"`
	DisabledPeople  string       `toml:"disabled_people"` // skip or create-inactive
	section         section[targets.Target]
	mapper          *mapping.Mapper // the target's own rules; nil: the global ones
}

// loadConfig reads, strictly decodes and validates the file at path. Every
// problem found is reported at once, each as "file:line: key: what".
func loadConfig(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return parseConfig(path, src)
}

func parseConfig(path string, src []byte) (*Config, error) {
	cfg := &Config{
		Log:    LogConfig{Level: "info", Format: "text"},
		Guards: sync.DefaultGuards,
		Plans:  PlansConfig{MaxAge: duration.Of(defaultPlanMaxAge)},
		path:   path,
		name:   filepath.Base(path),
	}
	var top map[string]toml.Primitive
	md, err := toml.NewDecoder(bytes.NewReader(src)).Decode(&top)
	if err != nil {
		return nil, cfg.syntaxErr(err)
	}
	cfg.lines = keyLines(src)
	d := &decoder{md: md}
	cfg.decode(d, top)
	d.undecoded()
	problems := d.problems
	for _, p := range cfg.validate() {
		if !d.failed(p.key) { // a value that did not decode is not also "required"
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		return nil, cfg.report(problems)
	}
	cfg.resolvePaths()
	return cfg, nil
}

// syntaxErr reports a document the toml parser refused.
func (c *Config) syntaxErr(err error) error {
	var perr toml.ParseError
	if errors.As(err, &perr) {
		msg := strings.TrimPrefix(perr.Message, "toml: ")
		if perr.LastKey != "" && !strings.Contains(msg, perr.LastKey) {
			msg = perr.LastKey + ": " + msg
		}
		return fmt.Errorf("%s:%d: %s", c.name, perr.Position.Line, msg)
	}
	return fmt.Errorf("%s: %w", c.name, err)
}

// decode fills c from the document's top-level tables, each key on its own.
func (c *Config) decode(d *decoder, top map[string]toml.Primitive) {
	extra := d.decodeFields(top, "", c)
	for _, k := range sortedKeys(extra) {
		switch k {
		case "source":
			c.decodeSource(d, extra[k])
		case "target":
			c.decodeTargets(d, extra[k])
		case "daemon":
			c.decodeDaemon(d, extra[k])
		default:
			d.unknown(k)
		}
	}
}

func (c *Config) decodeSource(d *decoder, prim toml.Primitive) {
	tbl, ok := d.table(prim, "source")
	if !ok {
		return
	}
	extra := d.decodeFields(tbl, "source", &c.Source)
	c.Source.section = decodeKind(d, sourceKinds, "source", "source.kind", c.Source.Kind, extra)
}

func (c *Config) decodeTargets(d *decoder, prim toml.Primitive) {
	var elems []toml.Primitive
	if !d.decode(prim, "target", &elems) {
		return
	}
	c.Targets = make([]TargetConfig, len(elems))
	for i, e := range elems {
		key := fmt.Sprintf("target[%d]", i)
		t := &c.Targets[i]
		tbl, ok := d.table(e, key)
		if !ok {
			continue
		}
		extra := d.decodeFields(tbl, key, t)
		t.section = decodeKind(d, targetKinds, key, "kind", t.Kind, extra)
	}
}

// decodeKind decodes the section of the chosen kind (chosen, the value of
// kindKey) among the keys of a [source] or [[target]] table that are not
// its own fields. Another kind's section is reported as set in vain; any
// other key as unknown.
func decodeKind[T any](d *decoder, kinds []kind[T], key, kindKey, chosen string, extra map[string]toml.Primitive) section[T] {
	var sec section[T]
	for _, name := range sortedKeys(extra) {
		k := find(kinds, name)
		switch {
		case k == nil:
			d.unknown(join(key, name))
		case name != chosen:
			d.problem(join(key, name), fmt.Errorf("set, but %s is %q", kindKey, chosen))
		default:
			sec = k.decode(d, extra[name], join(key, name))
		}
	}
	return sec
}

// report formats problems as "file:line: key: what", in line order, joined.
func (c *Config) report(problems []keyErr) error {
	errs := make([]error, 0, len(problems))
	for _, p := range problems {
		line := lineOf(c.lines, p.key)
		if line == 0 {
			line = lineOf(c.lines, stripIndex(p.key))
		}
		loc := c.name
		if line > 0 {
			loc = fmt.Sprintf("%s:%d", c.name, line)
		}
		errs = append(errs, fmt.Errorf("%s: %s: %w", loc, p.key, p.err))
	}
	sort.SliceStable(errs, func(i, j int) bool { return lineNum(errs[i]) < lineNum(errs[j]) })
	return errors.Join(errs...)
}

// namedRef is a secret reference and the key it is set under.
type namedRef struct {
	key string
	ref secret.Ref
}

// secretRefs lists every secret reference the configuration holds.
func (c *Config) secretRefs() []namedRef {
	var out []namedRef
	add := func(prefix string, m map[string]secret.Ref) {
		for _, k := range sortedKeys(m) {
			out = append(out, namedRef{prefix + "." + k, m[k]})
		}
	}
	if c.Source.section != nil {
		add("source."+c.Source.Kind, c.Source.section.secrets())
	}
	if !c.Admin.Token.IsZero() {
		out = append(out, namedRef{"admin.token", c.Admin.Token})
	}
	if !c.Daemon.Notify.Webhook.IsZero() {
		out = append(out, namedRef{"daemon.notify.webhook", c.Daemon.Notify.Webhook})
	}
	for i, t := range c.Targets {
		if t.section != nil {
			add(fmt.Sprintf("target[%d].%s", i, t.Kind), t.section.secrets())
		}
	}
	return out
}

// checkSecrets loads every secret reference (the file exists, is readable
// and not empty; the variable is set and not empty) and reports those that
// fail in the configuration's "file:line: key: what" form. The values are
// dropped at once and never shown.
func (c *Config) checkSecrets() error {
	var problems []keyErr
	for _, r := range c.secretRefs() {
		if _, err := r.ref.Load(); err != nil {
			problems = append(problems, keyErr{r.key, err})
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return c.report(problems)
}

// resolvePaths makes relative file paths relative to the configuration
// file's directory, so a service finds them whatever its working directory.
func (c *Config) resolvePaths() {
	dir, err := filepath.Abs(filepath.Dir(c.path))
	if err != nil {
		dir = filepath.Dir(c.path)
	}
	c.State.Path = resolve(dir, c.State.Path)
	c.adminPaths(dir)
	if c.Source.section != nil {
		c.Source.section.resolvePaths(dir)
	}
	for _, t := range c.Targets {
		if t.section != nil {
			t.section.resolvePaths(dir)
		}
	}
}

// resolve returns p relative to dir, or p when it is empty or absolute.
func resolve(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}
