package main

import (
	"fmt"

	"github.com/BurntSushi/toml"
	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/internal/secret"
	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/targets/scim"
)

// kind is one kind of source or target (T is what it builds: a sync.Source
// or a targets.Target). kinds.go lists them all.
type kind[T any] interface {
	// kindName is the value of the "kind" key that selects it, which is also
	// the name of its section ([source.ldap], [target.scim]).
	kindName() string
	// decode strictly decodes the kind's section, prim, found under key
	// ("source.ldap", "target[0].scim"). Problems come back as keyErrs with
	// full keys; the section is usable for the keys that decoded.
	decode(d *decoder, prim toml.Primitive, key string) section[T]
	// canWatch reports whether the kind can watch for changes (a source
	// with a sync.Watcher).
	canWatch() bool
}

// section is one decoded configuration section of a kind.
type section[T any] interface {
	// validate is the component's own Config.Validate: messages start with
	// the key under the section ("url: required").
	validate() error
	// resolvePaths makes the section's relative file paths relative to dir,
	// the configuration file's directory.
	resolvePaths(dir string)
	// secrets lists the section's secret references by key under the
	// section; unset references are left out.
	secrets() map[string]secret.Ref
	// build constructs the component; sh is what it shares with the
	// other components built from the same configuration (nil: nothing).
	build(log logrus.FieldLogger, sh *shared) (T, error)
	// watcher constructs the kind's change watcher; an error when the
	// kind has none. state, when not nil, is told when the watcher
	// connects and when it lost its connection and reconnects.
	watcher(log logrus.FieldLogger, state func(connected bool, err error)) (sync.Watcher, error)
	// settings returns the decoded section's values (a C), to compare two
	// loads of it: the section itself holds its kind's functions, which
	// are never deeply equal.
	settings() any
}

// spec describes a kind whose section is a C. Its functions are the
// component package's own where it has them.
type spec[C any, T any] struct {
	name string
	// validate is the component's Config.Validate.
	validate func(*C) error
	// paths returns pointers to the section's file paths.
	paths func(*C) []*string
	// secrets returns the section's secret references by key.
	secrets func(*C) map[string]secret.Ref
	// build constructs the component from its configuration.
	build func(C, logrus.FieldLogger, *shared) (T, error)
	// watch constructs the change watcher of a source kind that has one;
	// nil for the others.
	watch func(c C, log logrus.FieldLogger, state func(connected bool, err error)) (sync.Watcher, error)
}

var _ kind[any] = spec[struct{}, any]{}

func (s spec[C, T]) kindName() string { return s.name }

func (s spec[C, T]) canWatch() bool { return s.watch != nil }

func (s spec[C, T]) decode(d *decoder, prim toml.Primitive, key string) section[T] {
	c := new(C)
	d.decodeStruct(prim, key, c)
	return &configured[C, T]{spec: s, cfg: c}
}

// configured is a decoded section of a spec's kind.
type configured[C any, T any] struct {
	spec spec[C, T]
	cfg  *C
}

var _ section[any] = (*configured[struct{}, any])(nil)

func (c *configured[C, T]) validate() error { return c.spec.validate(c.cfg) }

func (c *configured[C, T]) resolvePaths(dir string) {
	if c.spec.paths == nil {
		return
	}
	for _, p := range c.spec.paths(c.cfg) {
		*p = resolve(dir, *p)
	}
}

func (c *configured[C, T]) secrets() map[string]secret.Ref {
	if c.spec.secrets == nil {
		return nil
	}
	out := map[string]secret.Ref{}
	for k, r := range c.spec.secrets(c.cfg) {
		if !r.IsZero() {
			out[k] = r
		}
	}
	return out
}

func (c *configured[C, T]) settings() any { return *c.cfg }

func (c *configured[C, T]) build(log logrus.FieldLogger, sh *shared) (T, error) {
	return c.spec.build(*c.cfg, log, sh)
}

// shared is what the components built from one configuration share: the
// pacing of the SCIM targets that point at one vendor tenant.
type shared struct {
	tenants *scim.Tenants
}

func newShared() *shared { return &shared{tenants: scim.NewTenants()} }

func (c *configured[C, T]) watcher(log logrus.FieldLogger, state func(bool, error)) (sync.Watcher, error) {
	if c.spec.watch == nil {
		return nil, fmt.Errorf("the %s source cannot watch for changes", c.spec.name)
	}
	return c.spec.watch(*c.cfg, log, state)
}

// find returns the kind named name, or nil.
func find[T any](kinds []kind[T], name string) kind[T] {
	for _, k := range kinds {
		if k.kindName() == name {
			return k
		}
	}
	return nil
}

// names lists the kinds' names for messages: "ldap or ldif".
func names[T any](kinds []kind[T]) string {
	out := ""
	for i, k := range kinds {
		switch {
		case i == 0:
		case i == len(kinds)-1:
			out += " or "
		default:
			out += ", "
		}
		out += k.kindName()
	}
	return out
}

// policyChecker is a section that checks a target's leaver and orphan
// policies against its own settings.
type policyChecker interface {
	// checkPolicy returns the problems, each message starting with the
	// key under the target ("leavers: ...").
	checkPolicy(leavers, orphans string) error
}

// componentPolicy is a component Config with a CheckPolicy (the SCIM
// target refuses an irreversible delete that is not acknowledged).
type componentPolicy interface {
	CheckPolicy(leavers, orphans string) error
}

var _ policyChecker = (*configured[struct{}, any])(nil)

// checkPolicy calls the component's CheckPolicy when it has one.
func (c *configured[C, T]) checkPolicy(leavers, orphans string) error {
	if p, ok := any(c.cfg).(componentPolicy); ok {
		return p.CheckPolicy(leavers, orphans)
	}
	return nil
}
