package admin

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

// running is a Server started by start.
type running struct {
	srv    *Server
	base   string // http://host:port
	cancel context.CancelFunc
	done   chan error // Run's result
	logs   *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fixedOptions serves exampleStatus and the given readiness.
func fixedOptions(ready bool, reason string) Options {
	return Options{
		Status:    StatusFunc(func(context.Context) (Status, error) { return exampleStatus(), nil }),
		Readiness: ReadinessFunc(func() (bool, string) { return ready, reason }),
		Metrics:   NewMetrics(),
	}
}

// start builds a Server from cfg and opts (its log at debug level into
// running.logs), runs it, and stops it at the end of the test.
func start(t *testing.T, cfg Config, opts Options) *running {
	t.Helper()
	logs := &syncBuffer{}
	l := logrus.New()
	l.SetOutput(logs)
	l.SetLevel(logrus.DebugLevel)
	opts.Log = l
	srv, err := New(cfg, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{srv: srv, base: "http://" + srv.Addr().String(), cancel: cancel, done: make(chan error, 1), logs: logs}
	go func() { r.done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-r.done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return r
}

// stop cancels Run and returns its result, failing after a minute.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- nil // for the cleanup
		return err
	case <-time.After(time.Minute):
		t.Fatal("Run did not return after its context was cancelled")
		return nil
	}
}

// get sends GET path with the Authorization header auth (none when empty)
// and returns the status code and body.
func get(t *testing.T, base, path, auth string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// at parses an RFC 3339 time.
func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr[T any](v T) *T { return &v }

// exampleStatus is the document of docs/status-json.md.
func exampleStatus() Status {
	return Status{
		Generated: at("2026-12-07T04:30:00Z"),
		Started:   at("2026-12-07T01:00:00Z"),
		Targets: []TargetStatus{
			{
				Name:        "okta",
				LastSuccess: ptr(at("2026-12-07T04:29:59Z")),
				NextRuns: []NextRun{
					{Schedule: "poll", Mode: "incremental", Spec: "@every 15m", At: at("2026-12-07T04:44:58Z")},
					{Schedule: "nightly", Mode: "full", Spec: "CRON_TZ=Europe/Paris 0 2 * * *", At: at("2026-12-08T01:00:00Z")},
				},
				LastRuns: []RunInfo{
					{ID: 42, Mode: "incremental", Trigger: "watch", Started: at("2026-12-07T04:29:58Z"),
						Finished: ptr(at("2026-12-07T04:29:59Z")), Status: "applied",
						Counts: RunCounts{Read: 2, Changes: 2, Applied: 2}},
					{ID: 41, Mode: "full", Trigger: "startup", Started: at("2026-12-07T01:00:01Z"),
						Finished: ptr(at("2026-12-07T01:01:31Z")), Status: "applied",
						Counts: RunCounts{Read: 12408, Changes: 3, Applied: 3}},
				},
				PendingDeletions: &PendingDeletions{DeleteAfter: "90d", Count: 2, Due: 0, Next: []PendingDeletion{
					{UserName: "eve", SourceID: "uid=eve", AccountID: "7f3c", Disabled: at("2026-09-20T02:01:13Z"), DeleteOn: at("2026-12-19T02:01:13Z")},
					{UserName: "zoe", SourceID: "uid=zoe", AccountID: "91ab", Disabled: at("2026-12-01T02:00:40Z"), DeleteOn: at("2027-03-01T02:00:40Z")},
				}},
			},
			{
				Name:                "slack",
				Running:             true,
				ConsecutiveFailures: 1,
				LastSuccess:         ptr(at("2026-12-07T01:02:10Z")),
				LastRuns: []RunInfo{
					{ID: 44, Mode: "incremental", Trigger: "manual", Started: at("2026-12-07T04:29:59.5Z"), Status: "running"},
					{ID: 43, Mode: "incremental", Trigger: "watch", Started: at("2026-12-07T04:29:58Z"),
						Finished: ptr(at("2026-12-07T04:29:59.250Z")), Status: "refused",
						Counts: RunCounts{Read: 2, Changes: 60},
						Error:  "guard tripped: 60 accounts would be disabled or deleted, more than guards.max_deletes = 50"},
				},
				LastError: &ErrorInfo{Time: at("2026-12-07T04:29:59Z"), Target: "slack",
					Message: "guard tripped: 60 accounts would be disabled or deleted, more than guards.max_deletes = 50"},
			},
		},
		Watcher: &WatcherStatus{Kind: "syncrepl", State: "watching", Since: at("2026-12-07T01:00:02Z"),
			LastEvent: ptr(at("2026-12-07T04:29:58Z")), Pending: 1, LagSeconds: 1.5},
		LastError: &ErrorInfo{Time: at("2026-12-07T04:29:59Z"), Target: "slack",
			Message: "guard tripped: 60 accounts would be disabled or deleted, more than guards.max_deletes = 50"},
	}
}
