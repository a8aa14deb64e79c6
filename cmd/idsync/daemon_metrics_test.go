package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape returns the metric families the daemon's /metrics at addr serves,
// parsed as Prometheus text.
func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d, %v", resp.StatusCode, err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("/metrics is not Prometheus text: %v", err)
	}
	return fams
}

// series sums the value of f's series (a counter's value, a histogram's
// sample count) by the values of the labels named, joined with ",".
func series(f *dto.MetricFamily, labels ...string) map[string]float64 {
	out := map[string]float64{}
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		key := make([]string, len(labels))
		for i, l := range labels {
			key[i] = have[l]
		}
		v := m.GetCounter().GetValue() + float64(m.GetHistogram().GetSampleCount())
		out[strings.Join(key, ",")] += v
	}
	return out
}

// TestDaemonTargetRequestMetrics: after the daemon's first run against the
// Go SCIM server, /metrics counts and times every request the SCIM target
// sent, by target, method and status code, matching what the server saw.
func TestDaemonTargetRequestMetrics(t *testing.T) {
	e, srv := generated(t, 30)
	addr := freeAddr(t)
	e.appendConfig(fmt.Sprintf("\n[admin]\nlisten = %q\n", addr))
	srv.FailNext(1, http.StatusServiceUnavailable) // one retried request
	d := startDaemon(t, e, addr)
	defer d.stop(t)

	st := srv.Stats()
	fams := scrape(t, addr)
	reqs := fams["idsync_target_requests_total"]
	hist := fams["idsync_target_request_duration_seconds"]
	if reqs == nil || hist == nil {
		t.Fatalf("/metrics lacks the target request metrics: %v, %v", reqs, hist)
	}
	if hist.GetType() != dto.MetricType_HISTOGRAM {
		t.Errorf("request duration is a %s, want a histogram", hist.GetType())
	}
	counted, timed := series(reqs, "target", "method", "code"), series(hist, "target", "method", "code")
	if counted["scim,POST,201"] == 0 || counted["scim,GET,200"] == 0 || counted["scim,GET,503"]+counted["scim,POST,503"] != 1 {
		t.Errorf("requests by target, method and code = %v, want creates, reads and the one 503", counted)
	}
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch} {
		var n float64
		for k, v := range counted {
			if strings.HasPrefix(k, "scim,"+m+",") {
				n += v
				if timed[k] != v {
					t.Errorf("%s: %g requests counted, %g timed", k, v, timed[k])
				}
			}
		}
		if n != float64(st.Requests[m]) {
			t.Errorf("%s: %g requests in the metrics, the server saw %d", m, n, st.Requests[m])
		}
	}
}
