package admin

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/idsync/idsync/state"
)

// record makes the calls the engine makes over a few runs.
func record(m *Metrics) {
	fin := time.Unix(1796617799, 500_000_000)
	m.RunFinished(RunRecord{Target: "okta", Mode: "full", Status: "applied", Duration: 90 * time.Second, Finished: fin.Add(-time.Hour)})
	m.RunFinished(RunRecord{Target: "okta", Mode: "incremental", Status: "applied", Duration: 300 * time.Millisecond, Finished: fin})
	m.RunFinished(RunRecord{Target: "slack", Mode: "full", Status: "applied", Duration: 2 * time.Minute, Finished: fin.Add(-time.Hour)})
	m.RunFinished(RunRecord{Target: "slack", Mode: "incremental", Status: "refused", Duration: time.Second, Finished: fin})
	m.RunFinished(RunRecord{Target: "slack", Mode: "incremental", Status: "failed", Stage: "target", Duration: time.Second, Finished: fin})
	m.RunFinished(RunRecord{Target: "slack", Mode: "incremental", Status: "failed", Duration: time.Second, Finished: fin})
	m.ChangeApplied("okta", "joiner", "create", "applied")
	m.ChangeApplied("okta", "joiner", "create", "applied")
	m.ChangeApplied("okta", "leaver", "disable", "refused")
	m.GuardTripped("slack", "max_deletes")
	m.EntriesRead("ldap", 12408)
	m.EntriesRead("ldap", 2)
	m.EntriesRead("ldap", 0)
	m.ChangeLatency("okta", 400*time.Millisecond)
	m.ChangeLatency("okta", 2*time.Second)
	m.WatcherConnected("ldap", true)
	m.WatcherLag("ldap", 1500*time.Millisecond)
}

const wantSeries = `
# HELP idsync_changes_total Account changes sent to a target, by target, kind (joiner, mover, leaver, ...), action (create, update, disable, ...) and outcome (applied, refused, failed).
# TYPE idsync_changes_total counter
idsync_changes_total{action="create",kind="joiner",outcome="applied",target="okta"} 2
idsync_changes_total{action="disable",kind="leaver",outcome="refused",target="okta"} 1
# HELP idsync_consecutive_failed_runs Runs since the last successful one that did not succeed (failed, refused or partial).
# TYPE idsync_consecutive_failed_runs gauge
idsync_consecutive_failed_runs{target="okta"} 0
idsync_consecutive_failed_runs{target="slack"} 3
# HELP idsync_guard_trips_total Plans refused by a guard, by target and guard.
# TYPE idsync_guard_trips_total counter
idsync_guard_trips_total{guard="max_deletes",target="slack"} 1
# HELP idsync_last_success_timestamp_seconds Unix time at which the last successful run (applied or planned) finished.
# TYPE idsync_last_success_timestamp_seconds gauge
idsync_last_success_timestamp_seconds{target="okta"} 1.7966177995e+09
idsync_last_success_timestamp_seconds{target="slack"} 1.7966141995e+09
# HELP idsync_run_failures_total Runs that stopped on an error, by target and the stage that failed (source, target, state, other).
# TYPE idsync_run_failures_total counter
idsync_run_failures_total{stage="other",target="slack"} 1
idsync_run_failures_total{stage="target",target="slack"} 1
# HELP idsync_runs_total Runs finished, by target, mode (full, incremental) and status (planned, applied, partial, failed, refused).
# TYPE idsync_runs_total counter
idsync_runs_total{mode="full",status="applied",target="okta"} 1
idsync_runs_total{mode="full",status="applied",target="slack"} 1
idsync_runs_total{mode="incremental",status="applied",target="okta"} 1
idsync_runs_total{mode="incremental",status="failed",target="slack"} 2
idsync_runs_total{mode="incremental",status="refused",target="slack"} 1
# HELP idsync_source_entries_read_total Entries read from the source, by source.
# TYPE idsync_source_entries_read_total counter
idsync_source_entries_read_total{source="ldap"} 12410
# HELP idsync_watcher_connected 1 while the change watcher is connected to the source, else 0.
# TYPE idsync_watcher_connected gauge
idsync_watcher_connected{source="ldap"} 1
# HELP idsync_watcher_lag_seconds How long the oldest change received from the watcher and not yet applied has waited (0 when none).
# TYPE idsync_watcher_lag_seconds gauge
idsync_watcher_lag_seconds{source="ldap"} 1.5
`

func TestMetricsEndpoint(t *testing.T) {
	opts := fixedOptions(true, "")
	record(opts.Metrics)
	r := start(t, Config{Listen: "127.0.0.1:0"}, opts)

	// The counters and gauges, exactly, through a scrape of /metrics.
	names := []string{"idsync_changes_total", "idsync_consecutive_failed_runs", "idsync_guard_trips_total",
		"idsync_last_success_timestamp_seconds", "idsync_run_failures_total", "idsync_runs_total",
		"idsync_source_entries_read_total", "idsync_watcher_connected", "idsync_watcher_lag_seconds"}
	if err := testutil.ScrapeAndCompare(r.base+"/metrics", strings.NewReader(wantSeries), names...); err != nil {
		t.Error(err)
	}

	// The whole body parses as Prometheus text; the histograms hold their
	// observations.
	code, body := get(t, r.base, "/metrics", "")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics is not Prometheus text: %v", err)
	}
	histograms := map[string]uint64{
		"idsync_run_duration_seconds":   6,
		"idsync_change_latency_seconds": 2,
	}
	for name, want := range histograms {
		if got := histogramCount(families[name]); got != want {
			t.Errorf("%s: %d observations, want %d", name, got, want)
		}
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if families[name] == nil {
			t.Errorf("%s missing: the Go and process collectors are not registered", name)
		}
	}
}

// histogramCount sums the sample counts of every series of a histogram.
func histogramCount(f *dto.MetricFamily) uint64 {
	var n uint64
	if f == nil || f.GetType() != dto.MetricType_HISTOGRAM {
		return 0
	}
	for _, m := range f.GetMetric() {
		n += m.GetHistogram().GetSampleCount()
	}
	return n
}

func TestRoundTripper(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusCreated)
			return
		}
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer ts.Close()
	m := NewMetrics()
	c := &http.Client{Transport: m.RoundTripper("okta", nil)}
	for _, method := range []string{http.MethodPost, http.MethodPost, http.MethodGet} {
		req, _ := http.NewRequest(method, ts.URL+"/Users", nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	failing := &http.Client{Transport: m.RoundTripper("okta", roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("connection refused")
	}))}
	if _, err := failing.Get(ts.URL + "/Users"); err == nil {
		t.Fatal("no error from the failing transport")
	}
	want := `
# HELP idsync_target_requests_total HTTP requests sent to a target, by target, method and status code ("error" when no response came).
# TYPE idsync_target_requests_total counter
idsync_target_requests_total{code="201",method="POST",target="okta"} 2
idsync_target_requests_total{code="429",method="GET",target="okta"} 1
idsync_target_requests_total{code="error",method="GET",target="okta"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "idsync_target_requests_total"); err != nil {
		t.Error(err)
	}
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "idsync_target_request_duration_seconds" {
			continue
		}
		if histogramCount(f) != 4 {
			t.Errorf("request duration: %d observations, want 4", histogramCount(f))
		}
		codes := map[string]uint64{}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "code" {
					codes[l.GetValue()] += m.GetHistogram().GetSampleCount()
				}
			}
		}
		if codes["201"] != 2 || codes["429"] != 1 || codes["error"] != 1 {
			t.Errorf("request duration by code = %v, want 201:2 429:1 error:1", codes)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestNilMetrics(t *testing.T) {
	var m *Metrics
	record(m) // no panic
	next := roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, nil })
	if rt := m.RoundTripper("okta", next); rt == nil {
		t.Error("nil Metrics: RoundTripper returned nil, want next")
	}
}

func TestStatusesMatchState(t *testing.T) {
	if statusApplied != state.StatusApplied || statusPlanned != state.StatusPlanned || statusFailed != state.StatusFailed {
		t.Error("the run statuses of the metrics differ from the state database's")
	}
}
