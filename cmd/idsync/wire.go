package main

import (
	"fmt"
	"io"

	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/sync/ldapsource"
	"github.com/idsync/idsync/sync/ldif"
	"github.com/idsync/idsync/targets/scim"
)

// newLogger builds the logger the configuration asks for, writing to w.
func newLogger(cfg LogConfig, w io.Writer) *logrus.Logger {
	log := logrus.New()
	log.SetOutput(w)
	if lvl, err := logrus.ParseLevel(cfg.Level); err == nil {
		log.SetLevel(lvl)
	}
	if cfg.Format == "json" {
		log.SetFormatter(&logrus.JSONFormatter{})
	} else {
		log.SetFormatter(&logrus.TextFormatter{DisableColors: true, FullTimestamp: true})
	}
	return log
}

// newSource builds the configured source. This is the one place that knows
// every source kind.
func newSource(cfg *Config, log logrus.FieldLogger) (sync.Source, error) {
	switch cfg.Source.Kind {
	case "ldap":
		return ldapsource.New(*cfg.Source.LDAP, log.WithField("source", "ldap"))
	case "ldif":
		return ldif.New(*cfg.Source.LDIF)
	}
	return nil, fmt.Errorf("unknown source kind %q", cfg.Source.Kind)
}

// newTargets builds the configured targets, all or only the one named.
func newTargets(cfg *Config, only string, log logrus.FieldLogger) ([]sync.TargetSpec, error) {
	var out []sync.TargetSpec
	for _, t := range cfg.Targets {
		if only != "" && t.Name != only {
			continue
		}
		spec := sync.TargetSpec{Name: t.Name, Policy: sync.Policy{Leavers: t.Leavers, Orphans: t.Orphans}, Guards: cfg.Guards}
		switch t.Kind {
		case "scim":
			c, err := scim.New(*t.SCIM, log.WithField("target", t.Name))
			if err != nil {
				return nil, fmt.Errorf("target %s: %w", t.Name, err)
			}
			spec.Target = c
		default:
			return nil, fmt.Errorf("target %s: unknown kind %q", t.Name, t.Kind)
		}
		out = append(out, spec)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no target named %q in the configuration", only)
	}
	return out, nil
}

// newRunner wires the configuration into a runner over an open store.
func newRunner(cfg *Config, store *state.Store, only string, log logrus.FieldLogger) (*sync.Runner, error) {
	src, err := newSource(cfg, log)
	if err != nil {
		return nil, err
	}
	ts, err := newTargets(cfg, only, log)
	if err != nil {
		return nil, err
	}
	return &sync.Runner{Source: src, Mapper: cfg.mapper, Store: store, Targets: ts, Log: log}, nil
}
