package main

import (
	"fmt"
	"io"
	"net/http"

	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/internal/admin"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/sync"
)

// This file is where the configuration meets the engine: the one place that
// builds the sync package's Runner (the kinds themselves are in kinds.go).

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

// newTargets builds the configured targets, all or only the one named.
func newTargets(cfg *Config, only string, log logrus.FieldLogger) ([]sync.TargetSpec, error) {
	var out []sync.TargetSpec
	sh := newShared()
	for _, t := range cfg.Targets {
		if only != "" && t.Name != only {
			continue
		}
		tgt, err := t.section.build(log.WithField("target", t.Name), sh)
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", t.Name, err)
		}
		spec := sync.TargetSpec{
			Name:   t.Name,
			Target: tgt,
			Policy: sync.Policy{Leavers: t.Leavers, Orphans: t.Orphans, Rehire: t.Rehire,
				DeleteAfter: t.DeleteAfter.Duration, Protect: t.Protect, DisabledPeople: t.DisabledPeople,
				ProvisionBefore: t.ProvisionBefore.Duration},
			Guards: t.Guards.over(cfg.Guards, t.Name),
		}
		if t.mapper != nil { // not a nil *Mapper in the interface
			spec.Mapper = t.mapper
		}
		if c, ok := tgt.(interface{ Concurrency() int }); ok {
			spec.Concurrency = c.Concurrency()
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
	src, err := cfg.Source.section.build(log, nil)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", cfg.Source.Kind, err)
	}
	ts, err := newTargets(cfg, only, log)
	if err != nil {
		return nil, err
	}
	return &sync.Runner{Source: src, Mapper: cfg.mapper, Store: store, Targets: ts, Log: log,
		Retention: auditRetention(cfg, store, log, false), SoD: sodRules(cfg.SoD), SoDOthers: sodOthers(cfg, only)}, nil
}

// sodOthers names, for a run of one target with SoD rules, the other
// configured targets: the rules check what their people hold too.
func sodOthers(cfg *Config, only string) []string {
	if only == "" || len(cfg.SoD) == 0 {
		return nil
	}
	var out []string
	for _, t := range cfg.Targets {
		if t.Name != only {
			out = append(out, t.Name)
		}
	}
	return out
}

// newDaemonRunner is newRunner for the daemon: with a watcher or an
// incremental schedule, a source that can keep its groups between reads
// keeps them, so that an incremental run reads only the people a change
// touches.
func newDaemonRunner(cfg *Config, store *state.Store, log logrus.FieldLogger) (*sync.Runner, error) {
	r, err := newRunner(cfg, store, "", log)
	if err != nil {
		return nil, err
	}
	r.Progress = &progressView{log: log, every: logEvery}
	r.Retention = auditRetention(cfg, store, log, true)
	incremental := cfg.Daemon.Watch
	for _, s := range cfg.Daemon.Schedules {
		incremental = incremental || s.Mode == sync.RunIncremental
	}
	if k, ok := r.Source.(interface{ KeepGroups() }); ok && incremental {
		k.KeepGroups()
	}
	return r, nil
}

// instrumentTargets has m count and time the HTTP requests of each target
// that sends them (those with a WrapTransport, like scim.Client), under the
// target's name.
func instrumentTargets(ts []sync.TargetSpec, m *admin.Metrics) {
	for _, t := range ts {
		if h, ok := t.Target.(interface {
			WrapTransport(func(http.RoundTripper) http.RoundTripper)
		}); ok {
			h.WrapTransport(func(next http.RoundTripper) http.RoundTripper { return m.RoundTripper(t.Name, next) })
		}
	}
}
