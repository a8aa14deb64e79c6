package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"
	"strings"
	gosync "sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/internal/admin"
	"github.com/idsync/idsync/internal/notify"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/sync"
)

// The reasons the daemon gives its own runs (schedules use their names).
const (
	reasonStartup = "startup"
	reasonWatch   = "change notification"
)

// daemon is `idsync run`: the engine, its runner over the state store held
// as the writer, the admin listener's status and the watcher's state.
type daemon struct {
	path    string // the configuration file, read again on reload
	log     *logrus.Logger
	store   *state.Store
	metrics *admin.Metrics
	engine  *sync.Engine
	started time.Time
	now     func() time.Time // the clock of watch events (a fake in tests)
	watch   *watchState      // nil without a watcher
	retry   *watchRetry      // after a failed run for a watch event
	due     *dueTimer        // the next dated event's run
	notify  *notify.Notifier // nil without daemon.notify

	mu      gosync.Mutex
	cfg     *Config
	runner  *sync.Runner
	history runHistory
	ready   bool
	why     string // why not ready
	lastErr *admin.ErrorInfo
	// pollSince is when the last full run or poll that succeeded
	// started: an incremental poll reads what changed since.
	pollSince time.Time
	// pollMark is the source's watermark (sync.WatermarkLister) taken
	// before the last full run or poll that succeeded; polls list the
	// changes after it when set (Active Directory: by uSNChanged).
	pollMark []byte
}

// pollOverlap is how far before the last successful run's start a poll
// looks for changes: a margin for the clocks of idsync's host and the
// directory server, whose modification stamps the poll compares. Entries
// changed in the overlap are read twice, which changes nothing.
const pollOverlap = 5 * time.Minute

// newDaemon builds the runner and the engine of cfg over store. The engine
// is not started.
func newDaemon(cfg *Config, store *state.Store, log *logrus.Logger) (*daemon, error) {
	d := &daemon{path: cfg.path, log: log, store: store, metrics: admin.NewMetrics(), started: time.Now(), now: time.Now,
		cfg: cfg, why: "no run has finished yet", retry: newWatchRetry()}
	d.due = newDueTimer(func() {
		if err := d.engine.Trigger(dueRequest()); err != nil {
			d.log.WithError(err).Warn("daemon: the run for a dated event was not queued")
		}
	})
	r, err := newDaemonRunner(cfg, store, log)
	if err != nil {
		return nil, err
	}
	instrumentTargets(r.Targets, d.metrics)
	d.runner = r
	d.engine, err = sync.NewEngine(cfg.Daemon.EngineConfig, d.runOnce, log)
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	if d.notify, err = newNotifier(cfg.Daemon.Notify, r, log); err != nil {
		return nil, fmt.Errorf("daemon.notify: %w", err)
	}
	d.engine.OnFailure = func(err error, consecutive int) {
		d.notify.Failed(err, consecutive, errors.Is(err, sync.ErrGuard))
	}
	return d, nil
}

// newNotifier returns the notifier of cfg for the targets of r, nil when
// no webhook is configured.
func newNotifier(cfg notify.Config, r *sync.Runner, log *logrus.Logger) (*notify.Notifier, error) {
	if !cfg.Enabled() {
		return nil, nil
	}
	w, err := notify.NewWebhook(cfg, nil)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(r.Targets))
	for i, t := range r.Targets {
		names[i] = t.Name
	}
	return notify.New(cfg, w, strings.Join(names, ", "), log), nil
}

// runOnce is the engine's RunFunc. A full request runs a full pass; an
// incremental request naming people or groups (a change notification)
// runs an incremental pass over them; one that names nothing (a schedule
// with mode = "incremental") polls: an incremental pass over what changed
// since the last full run or poll that succeeded (see sync.Runner.RunSince;
// a poll started before a margin, pollOverlap, for clock differences).
// Incremental passes fall back to a full pass when they cannot be sure of
// their plan (see sync.Runner.RunChanges).
func (d *daemon) runOnce(ctx context.Context, req sync.Request) (err error) {
	d.mu.Lock()
	r, source := d.runner, d.cfg.Source.Kind
	start := time.Now()
	d.history.begin(req.Reason, start)
	d.mu.Unlock()
	var counts map[string]admin.RunCounts
	returned := false
	defer func() { // also after a panic, which the engine recovers and reports
		if !returned {
			err = errors.New("the run panicked")
		}
		d.finished(counts, err)
	}()
	opts := sync.Options{DryRun: req.DryRun}
	var out *sync.Outcome
	covers := true // the run covers every change made before it started
	changes := req.Kind == sync.RunIncremental && (len(req.SourceIDs) > 0 || len(req.Groups) > 0)
	d.mu.Lock()
	last := d.pollMark
	d.mu.Unlock()
	var mark []byte // the source's watermark before a run that covers everything
	if !changes {
		mark = d.watermark(ctx, r.Source, last)
	}
	switch {
	case changes:
		out, err = r.RunChanges(ctx, opts, sync.Changes{IDs: req.SourceIDs, Groups: req.Groups, Deleted: req.Deleted, GoneAt: req.GoneAt})
		covers = false
	case req.Kind == sync.RunIncremental && mark != nil:
		// With no mark to list after, RunAfter runs a full pass: by
		// modification time, the people deleted would not be seen.
		out, err = r.RunAfter(ctx, opts, last)
	case req.Kind == sync.RunIncremental:
		d.mu.Lock()
		since := d.pollSince
		d.mu.Unlock()
		if !since.IsZero() {
			since = since.Add(-pollOverlap)
		}
		out, err = r.RunSince(ctx, opts, since)
	default:
		out, err = r.Run(ctx, opts)
	}
	returned = true
	if ranFull(req, out) {
		d.returnMemory()
	}
	if err == nil && covers && !req.DryRun {
		d.mu.Lock()
		d.pollSince, d.pollMark = start, mark
		d.mu.Unlock()
	}
	switch {
	case out == nil || req.DryRun || len(out.Plans) == 0:
	case covers && out.Plans[0].Incremental == nil:
		d.due.set(out.NextDue) // a full run knows every dated event
	default:
		d.due.earlier(out.NextDue) // the dates of the people it touched
	}
	if strings.Contains(req.Reason, reasonDue) && !req.DryRun {
		if err != nil && !errors.Is(err, sync.ErrPartial) {
			wait := d.due.failed()
			d.log.WithError(err).WithField("retry_in", wait.String()).Error("daemon: the run for a dated event failed; it is retried")
		} else {
			d.due.succeeded()
		}
	}
	if err == nil && out != nil && len(out.Plans) == 0 {
		return nil // a poll that found nothing changed: nothing ran
	}
	names := make([]string, len(r.Targets))
	for i, t := range r.Targets {
		names[i] = t.Name
	}
	end := time.Now()
	counts = recordMetrics(d.metrics, source, names, out, err, end.Sub(start), end)
	return err
}

// finished records the end of a run in the history and the readiness.
func (d *daemon) finished(counts map[string]admin.RunCounts, err error) {
	end := time.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.history.end(end, counts)
	if err == nil {
		d.notify.Succeeded()
		d.ready, d.why = true, ""
		return
	}
	d.lastErr = &admin.ErrorInfo{Time: end, Message: err.Error()}
	if !d.ready {
		d.why = "the last run failed: " + err.Error()
	}
}

// readiness is /readyz: ready once a run finished without an error.
func (d *daemon) readiness() (bool, string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ready, d.why
}

// serve runs the engine, the admin listener and the watcher (w, when not
// nil) until ctx is done or one of them fails, asks for a first full run,
// and reloads the configuration on each value of reload. It returns the
// first failure, after every part has stopped.
func (d *daemon) serve(ctx context.Context, srv *admin.Server, w sync.Watcher, reload <-chan struct{}) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg gosync.WaitGroup
	errs := make(chan error, 4)
	start := func(f func(context.Context) error) {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- f(ctx) }()
	}
	defer d.due.close()
	start(d.engine.Run)
	start(srv.Run)
	start(d.notify.Run) // returns only when ctx is done
	if w != nil {
		start(func(ctx context.Context) error { return d.watchLoop(ctx, w) })
	}
	if err := d.engine.Trigger(sync.Request{Kind: sync.RunFull, Reason: reasonStartup}); err != nil {
		cancel()
	}
	var first error
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-reload:
			_ = d.reload() // logged
		case err := <-errs:
			if err != nil && first == nil {
				first = err
				d.log.WithError(err).Error("daemon: stopping")
			}
			cancel()
		}
	}
	wg.Wait()
	return first
}

// reload reads the configuration file again. A file that fails to load or
// validate is refused (logged at error level) and the running configuration
// stays. A valid one replaces the schedules, time zone and stop grace, and
// the source, mapping, guards and targets of the runs to come (the run in
// flight finishes with the old ones) and the log level. [state], [admin],
// the log format, daemon.watch, [daemon.notify] and, while a watcher
// follows it, [source] keep their old values until a restart; a warning
// names those that changed.
func (d *daemon) reload() error {
	cfg, err := loadConfig(d.path)
	if err == nil {
		err = d.swap(cfg)
	}
	if err != nil {
		d.log.WithError(err).Error("reload: configuration refused, the running one stays")
		return err
	}
	d.log.Info("reload: configuration reloaded")
	return nil
}

// sameSource reports whether a and b are the same [source] settings.
func sameSource(a, b SourceConfig) bool {
	if a.Kind != b.Kind || (a.section == nil) != (b.section == nil) {
		return false
	}
	return a.section == nil || reflect.DeepEqual(a.section.settings(), b.section.settings())
}

// swap builds cfg's runner and schedules and puts them in place. While a
// watcher follows the source, the runs keep the source it follows (a
// watch event must be read where it came from: the same servers, the same
// domain controller after a failover), so a changed [source] waits for a
// restart, with a warning.
func (d *daemon) swap(cfg *Config) error {
	d.mu.Lock()
	old := d.cfg
	d.mu.Unlock()
	keptSource := d.watch != nil && !sameSource(cfg.Source, old.Source)
	if keptSource {
		cfg.Source = old.Source
	}
	r, err := newDaemonRunner(cfg, d.store, d.log)
	if err != nil {
		return err
	}
	instrumentTargets(r.Targets, d.metrics)
	if err := d.engine.Reload(cfg.Daemon.EngineConfig); err != nil {
		return err
	}
	d.mu.Lock()
	d.cfg, d.runner = cfg, r
	d.mu.Unlock()
	if lvl, err := logrus.ParseLevel(cfg.Log.Level); err == nil {
		d.log.SetLevel(lvl)
	}
	var stale []string
	if keptSource {
		stale = append(stale, "source")
	}
	if cfg.State.Path != old.State.Path {
		stale = append(stale, "state.path")
	}
	if cfg.Admin != old.Admin {
		stale = append(stale, "admin")
	}
	if cfg.Log.Format != old.Log.Format {
		stale = append(stale, "log.format")
	}
	if cfg.Daemon.Watch != old.Daemon.Watch {
		stale = append(stale, "daemon.watch")
	}
	if cfg.Daemon.Notify != old.Daemon.Notify {
		stale = append(stale, "daemon.notify")
	}
	if len(stale) > 0 {
		d.log.WithField("keys", stale).Warn("reload: these settings take effect at the next restart")
	}
	return nil
}

func cmdRun(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := newFlagSet("run", stderr)
	path := configFlag(fs)
	asService := fs.Bool("service", false, "run as the Windows service that \"idsync service install\" registered (Windows only)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *asService {
		return runService(ctx, *path)
	}
	return runDaemon(ctx, *path, stderr, nil)
}

// runDaemon is `idsync run` with the configuration at path until ctx is
// done: logs go to logOut, and setup (when not nil) adds to the logger
// (the Windows service's Event Log hook).
func runDaemon(ctx context.Context, path string, logOut io.Writer, setup func(*logrus.Logger)) error {
	cfg, err := loadConfig(path)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, logOut)
	if setup != nil {
		setup(log)
	}
	store, err := state.Open(ctx, cfg.State.Path)
	if err != nil {
		return err
	}
	defer store.Close()
	d, err := newDaemon(cfg, store, log)
	if err != nil {
		return err
	}
	var w sync.Watcher
	if cfg.Daemon.Watch {
		d.watch = newWatchState("syncrepl", d.metrics, cfg.Source.Kind)
		if w, err = cfg.Source.section.watcher(log, d.watch.connection); err != nil {
			return fmt.Errorf("daemon.watch: %w", err)
		}
	}
	srv, err := admin.New(cfg.Admin, admin.Options{Status: admin.StatusFunc(d.status),
		Readiness: admin.ReadinessFunc(d.readiness), Metrics: d.metrics, Runner: admin.RunnerFunc(d.runNow), Log: log})
	if err != nil {
		return err
	}
	reload, stop := hangups()
	defer stop()
	log.WithFields(logrus.Fields{"config": path, "admin": srv.Addr().String(), "watch": cfg.Daemon.Watch}).Info("daemon: started")
	err = d.serve(ctx, srv, w, reload)
	log.Info("daemon: stopped")
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// configFlag registers -c and --config on fs.
func configFlag(fs *flag.FlagSet) *string {
	p := new(string)
	fs.StringVar(p, "c", defaultConfigPath(), "configuration `file`")
	fs.StringVar(p, "config", defaultConfigPath(), "configuration `file`")
	return p
}

// watermark returns the source's watermark before a run (see
// sync.WatermarkLister), nil when it has none. When it cannot give it now
// it returns last, the mark of the last run that covered everything: a
// run that succeeds covers the changes after it too, and the polls go on
// listing from there (by modification time they would not see the people
// deleted).
func (d *daemon) watermark(ctx context.Context, src sync.Source, last []byte) []byte {
	wl, ok := src.(sync.WatermarkLister)
	if !ok {
		return nil
	}
	mark, err := wl.Watermark(ctx)
	if err != nil {
		d.log.WithError(err).Warn("poll: the source's watermark could not be read: the next poll lists the changes after the last one read")
		return last
	}
	return mark
}
