package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/sync/ldapsource"
	"github.com/idsync/idsync/sync/ldif"
	"github.com/idsync/idsync/targets/scim"
)

// Config is idsync's configuration file; config.example.toml documents
// every key.
type Config struct {
	Log     LogConfig      `toml:"log"`
	State   StateConfig    `toml:"state"`
	Source  SourceConfig   `toml:"source"`
	Mapping mapping.Config `toml:"mapping"`
	Guards  sync.Guards    `toml:"guards"`
	Targets []TargetConfig `toml:"target"`

	// path is the file the configuration was read from.
	path   string
	mapper *mapping.Mapper
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

// SourceConfig is the [source] section: one kind and its settings.
type SourceConfig struct {
	Kind string             `toml:"kind"` // ldap or ldif
	LDAP *ldapsource.Config `toml:"ldap"`
	LDIF *ldif.Config       `toml:"ldif"`
}

// TargetConfig is one [[target]].
type TargetConfig struct {
	Name    string       `toml:"name"`
	Kind    string       `toml:"kind"`    // scim
	Leavers string       `toml:"leavers"` // disable or delete
	Orphans string       `toml:"orphans"` // report, disable or delete
	SCIM    *scim.Config `toml:"scim"`
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
		path:   path,
	}
	name := filepath.Base(path)
	md, err := toml.NewDecoder(bytes.NewReader(src)).Decode(cfg)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			msg := strings.TrimPrefix(perr.Message, "toml: ")
			if perr.LastKey != "" && !strings.Contains(msg, perr.LastKey) {
				msg = perr.LastKey + ": " + msg
			}
			return nil, fmt.Errorf("%s:%d: %s", name, perr.Position.Line, msg)
		}
		if m := tomlErr.FindStringSubmatch(err.Error()); m != nil {
			return nil, fmt.Errorf("%s:%s: %s: %s", name, m[1], m[2], m[3])
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	lines := keyLines(src)
	var problems []keyErr
	for _, k := range md.Undecoded() {
		key := k.String()
		problems = append(problems, keyErr{key, errors.New("unknown key")})
	}
	problems = append(problems, cfg.validate()...)
	if len(problems) == 0 {
		cfg.resolvePaths()
		return cfg, nil
	}
	var errs []error
	for _, p := range problems {
		line := lineOf(lines, p.key)
		if line == 0 {
			line = lineOf(lines, stripIndex(p.key))
		}
		loc := name
		if line > 0 {
			loc = fmt.Sprintf("%s:%d", name, line)
		}
		errs = append(errs, fmt.Errorf("%s: %s: %w", loc, p.key, p.err))
	}
	sort.SliceStable(errs, func(i, j int) bool { return lineNum(errs[i]) < lineNum(errs[j]) })
	return nil, errors.Join(errs...)
}

// tomlErr matches the decoder's type errors: `toml: line 5 (last key
// "guards.max_deletes"): incompatible types: ...`.
var tomlErr = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]+)"\): (.*)$`)

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
	out = append(out, c.Source.validate()...)
	m, err := mapping.Compile(c.Mapping)
	out = append(out, prefixed("mapping.", err)...)
	c.mapper = m
	out = append(out, prefixed("guards.", c.Guards.Validate())...)
	if len(c.Targets) == 0 {
		bad("target", "at least one [[target]] is required")
	}
	names := map[string]bool{}
	for i := range c.Targets {
		t := &c.Targets[i]
		key := fmt.Sprintf("target[%d]", i)
		out = append(out, t.validate(key)...)
		if names[t.Name] && t.Name != "" {
			bad(key+".name", "duplicate target name %q", t.Name)
		}
		names[t.Name] = true
	}
	return out
}

func (s *SourceConfig) validate() []keyErr {
	var out []keyErr
	switch s.Kind {
	case "ldap":
		if s.LDAP == nil {
			return []keyErr{{"source.ldap", errors.New("required when source.kind = \"ldap\"")}}
		}
		out = append(out, prefixed("source.ldap.", s.LDAP.Validate())...)
	case "ldif":
		if s.LDIF == nil {
			return []keyErr{{"source.ldif", errors.New("required when source.kind = \"ldif\"")}}
		}
		out = append(out, prefixed("source.ldif.", s.LDIF.Validate())...)
	default:
		return []keyErr{{"source.kind", fmt.Errorf("must be ldap or ldif, got %q", s.Kind)}}
	}
	if s.Kind != "ldap" && s.LDAP != nil {
		out = append(out, keyErr{"source.ldap", fmt.Errorf("set, but source.kind is %q", s.Kind)})
	}
	if s.Kind != "ldif" && s.LDIF != nil {
		out = append(out, keyErr{"source.ldif", fmt.Errorf("set, but source.kind is %q", s.Kind)})
	}
	return out
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
	if t.Orphans == "" {
		t.Orphans = "report"
	}
	if t.Orphans != "report" && t.Orphans != "disable" && t.Orphans != "delete" {
		bad("orphans", "must be report, disable or delete, got %q", t.Orphans)
	}
	switch t.Kind {
	case "scim":
		if t.SCIM == nil {
			bad("scim", "required when kind = \"scim\"")
		} else {
			out = append(out, prefixed(key+".scim.", t.SCIM.Validate())...)
		}
	default:
		bad("kind", "must be scim, got %q", t.Kind)
	}
	return out
}

// resolvePaths makes relative file paths relative to the configuration
// file's directory, so a service finds them whatever its working directory.
func (c *Config) resolvePaths() {
	dir, err := filepath.Abs(filepath.Dir(c.path))
	if err != nil {
		dir = filepath.Dir(c.path)
	}
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	abs(&c.State.Path)
	if c.Source.LDIF != nil {
		abs(&c.Source.LDIF.Path)
	}
	if l := c.Source.LDAP; l != nil {
		abs(&l.CAFile)
		abs(&l.BindPassword.File)
	}
	for _, t := range c.Targets {
		if t.SCIM != nil {
			abs(&t.SCIM.CAFile)
			abs(&t.SCIM.Token.File)
		}
	}
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
