package admin

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are idsync's Prometheus metrics, on a registry of their own (with
// the Go runtime's and the process's collectors). Its methods are safe for
// concurrent use, and do nothing on a nil *Metrics, so the engine can run
// without an admin listener.
type Metrics struct {
	reg              *prometheus.Registry
	runs             *prometheus.CounterVec
	runDuration      *prometheus.HistogramVec
	runFailures      *prometheus.CounterVec
	consecutive      *prometheus.GaugeVec
	lastSuccess      *prometheus.GaugeVec
	changes          *prometheus.CounterVec
	guardTrips       *prometheus.CounterVec
	entriesRead      *prometheus.CounterVec
	changeLatency    *prometheus.HistogramVec
	requests         *prometheus.CounterVec
	requestDuration  *prometheus.HistogramVec
	watcherConnected *prometheus.GaugeVec
	watcherLag       *prometheus.GaugeVec
}

// Bucket upper bounds, in seconds.
var (
	runBuckets     = []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200}
	latencyBuckets = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300}
	requestBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}
)

// NewMetrics creates the metrics and registers them on a new registry.
func NewMetrics() *Metrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	}
	histogram := func(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	}
	m := &Metrics{
		reg:         prometheus.NewRegistry(),
		runs:        counter("idsync_runs_total", "Runs finished, by target, mode (full, incremental) and status (planned, applied, partial, failed, refused).", "target", "mode", "status"),
		runDuration: histogram("idsync_run_duration_seconds", "Duration of finished runs.", runBuckets, "target", "mode"),
		runFailures: counter("idsync_run_failures_total", "Runs that stopped on an error, by target and the stage that failed (source, target, state, other).", "target", "stage"),
		consecutive: gauge("idsync_consecutive_failed_runs", "Runs since the last successful one that did not succeed (failed, refused or partial).", "target"),
		lastSuccess: gauge("idsync_last_success_timestamp_seconds", "Unix time at which the last successful run (applied or planned) finished.", "target"),
		changes:     counter("idsync_changes_total", "Account changes sent to a target, by target, kind (joiner, mover, leaver, ...), action (create, update, disable, ...) and outcome (applied, refused, failed).", "target", "kind", "action", "outcome"),
		guardTrips:  counter("idsync_guard_trips_total", "Plans refused by a guard, by target and guard.", "target", "guard"),
		entriesRead: counter("idsync_source_entries_read_total", "Entries read from the source, by source.", "source"),
		changeLatency: histogram("idsync_change_latency_seconds",
			"Time from a change notification from the directory to the change applied at the target.", latencyBuckets, "target"),
		requests:         counter("idsync_target_requests_total", "HTTP requests sent to a target, by target, method and status code (\"error\" when no response came).", "target", "method", "code"),
		requestDuration:  histogram("idsync_target_request_duration_seconds", "Latency of HTTP requests sent to a target, until the response headers, by target, method and status code.", requestBuckets, "target", "method", "code"),
		watcherConnected: gauge("idsync_watcher_connected", "1 while the change watcher is connected to the source, else 0.", "source"),
		watcherLag:       gauge("idsync_watcher_lag_seconds", "How long the oldest change received from the watcher and not yet applied has waited (0 when none).", "source"),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.runs, m.runDuration, m.runFailures, m.consecutive, m.lastSuccess, m.changes, m.guardTrips,
		m.entriesRead, m.changeLatency, m.requests, m.requestDuration, m.watcherConnected, m.watcherLag,
	)
	return m
}

// Registry returns the registry the metrics are on, to gather them or to
// register more collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// RunRecord is a finished run of one target, as the metrics see it.
type RunRecord struct {
	Target string
	Mode   string // "full" or "incremental"
	// Status is the run's final status: "planned", "applied", "partial",
	// "failed" or "refused" (state.Status*). Applied and planned are
	// successes; the others count as failed runs.
	Status string
	// Stage says where a failed run stopped: "source", "target" or
	// "state" ("other" when empty). Ignored unless Status is "failed".
	Stage    string
	Duration time.Duration
	Finished time.Time // when it ended; now when zero
}

// Statuses RunFinished treats as success; they match state.StatusApplied
// and state.StatusPlanned (a test checks).
const (
	statusApplied = "applied"
	statusPlanned = "planned"
	statusFailed  = "failed"
)

// RunFinished records a finished run: its count and duration, and either
// the time of the last success (and no consecutive failures) or one more
// consecutive failure.
func (m *Metrics) RunFinished(r RunRecord) {
	if m == nil {
		return
	}
	m.runs.WithLabelValues(r.Target, r.Mode, r.Status).Inc()
	m.runDuration.WithLabelValues(r.Target, r.Mode).Observe(r.Duration.Seconds())
	switch r.Status {
	case statusApplied, statusPlanned:
		m.consecutive.WithLabelValues(r.Target).Set(0)
		fin := r.Finished
		if fin.IsZero() {
			fin = time.Now()
		}
		m.lastSuccess.WithLabelValues(r.Target).Set(float64(fin.UnixNano()) / 1e9)
		return
	case statusFailed:
		stage := r.Stage
		if stage == "" {
			stage = "other"
		}
		m.runFailures.WithLabelValues(r.Target, stage).Inc()
	}
	m.consecutive.WithLabelValues(r.Target).Inc()
}

// ChangeApplied counts one account change sent to target: kind is the plan
// kind (joiner, mover, leaver, rehire, adopt, orphan), action what was done
// (create, update, link, relink, disable, delete, ...), outcome "applied",
// "refused" (the target said no) or "failed".
func (m *Metrics) ChangeApplied(target, kind, action, outcome string) {
	if m == nil {
		return
	}
	m.changes.WithLabelValues(target, kind, action, outcome).Inc()
}

// GuardTripped counts a plan of target refused by guard (its key in the
// configuration, e.g. "max_deletes").
func (m *Metrics) GuardTripped(target, guard string) {
	if m == nil {
		return
	}
	m.guardTrips.WithLabelValues(target, guard).Inc()
}

// EntriesRead adds n to the entries read from source.
func (m *Metrics) EntriesRead(source string, n int) {
	if m == nil || n <= 0 {
		return
	}
	m.entriesRead.WithLabelValues(source).Add(float64(n))
}

// ChangeLatency records the time from a change notification to the change
// applied at target.
func (m *Metrics) ChangeLatency(target string, d time.Duration) {
	if m == nil {
		return
	}
	m.changeLatency.WithLabelValues(target).Observe(d.Seconds())
}

// WatcherConnected sets whether the watcher of source is connected.
func (m *Metrics) WatcherConnected(source string, connected bool) {
	if m == nil {
		return
	}
	v := 0.0
	if connected {
		v = 1
	}
	m.watcherConnected.WithLabelValues(source).Set(v)
}

// WatcherLag sets how long the oldest pending change of source has waited.
func (m *Metrics) WatcherLag(source string, lag time.Duration) {
	if m == nil {
		return
	}
	m.watcherLag.WithLabelValues(source).Set(lag.Seconds())
}
