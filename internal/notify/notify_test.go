package notify

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/internal/duration"
	"github.com/idsync/idsync/internal/secret"
	"github.com/idsync/idsync/targets/retry"
)

// fakeClock never sleeps; it records the waits.
type fakeClock struct{ waits []time.Duration }

func (c *fakeClock) Now() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if d > 0 { // the rate limiter's pacing sleeps 0
		c.waits = append(c.waits, d)
	}
	return ctx.Err()
}

// urlFile writes u to a file and returns the Config reading it.
func urlFile(t *testing.T, u string, insecure bool) Config {
	t.Helper()
	p := filepath.Join(t.TempDir(), "webhook")
	if err := os.WriteFile(p, []byte(u+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return Config{Webhook: secret.Ref{File: p}, AllowInsecureHTTP: insecure}
}

var testEvent = Event{Event: GuardTripped, Target: "scim", ConsecutiveFailures: 2,
	Error: "guard tripped: 30 accounts would be disabled or deleted, more than guards.max_deletes = 10",
	Hint:  "Review.", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}

const goldenBody = `{"text":"idsync: a guard refused the plan; nothing was applied (targets: scim). ` +
	`Error: guard tripped: 30 accounts would be disabled or deleted, more than guards.max_deletes = 10. Review.",` +
	`"idsync":{"event":"guard_tripped","target":"scim","consecutive_failures":2,` +
	`"error":"guard tripped: 30 accounts would be disabled or deleted, more than guards.max_deletes = 10",` +
	`"hint":"Review.","time":"2026-01-02T03:04:05Z"}}`

func TestSendBodyOverTLS(t *testing.T) {
	var got []byte
	var ctype string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		ctype = r.Header.Get("Content-Type")
	}))
	defer srv.Close()
	w, err := NewWebhook(urlFile(t, srv.URL+"/hooks/T0KEN", false), srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Send(context.Background(), testEvent); err != nil {
		t.Fatal(err)
	}
	if string(got) != goldenBody {
		t.Errorf("body\n got %s\nwant %s", got, goldenBody)
	}
	if ctype != "application/json" {
		t.Errorf("Content-Type %q", ctype)
	}
}

func TestSendRetriesThen500Succeeds(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	clk := &fakeClock{}
	w, err := NewWebhook(urlFile(t, srv.URL+"/T0KEN", false), srv.Client(), retry.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Send(context.Background(), testEvent); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 || len(clk.waits) != 1 {
		t.Errorf("calls %d, waits %v; want 2 calls, 1 wait", calls.Load(), clk.waits)
	}
}

func TestSendErrorsNeverShowTheURL(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	token := "T0KEN-s3cret"
	closed := httptest.NewTLSServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	for name, u := range map[string]string{"5xx": srv.URL + "/" + token, "refused": closedURL + "/" + token,
		"400": srv.URL + "/" + token} {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			log := logrus.New()
			log.SetOutput(&logs)
			w, err := NewWebhook(urlFile(t, u, false), srv.Client(), retry.WithClock(&fakeClock{}))
			if err != nil {
				t.Fatal(err)
			}
			n := New(Config{}, w, "scim", log)
			n.send(context.Background(), testEvent)
			err = w.Send(context.Background(), testEvent)
			if err == nil {
				t.Fatal("Send succeeded")
			}
			for _, s := range []string{err.Error(), logs.String()} {
				if strings.Contains(s, token) || !strings.Contains(logs.String(), "not sent") {
					t.Errorf("leaks the URL or not logged: %q", s)
				}
			}
		})
	}
}

func TestNewWebhookChecksURL(t *testing.T) {
	for _, tc := range []struct {
		url      string
		insecure bool
		wantErr  string
	}{
		{"https://hooks.example.com/T0KEN", false, ""},
		{"http://hooks.example.com/T0KEN", false, "must use https"},
		{"http://hooks.example.com/T0KEN", true, ""},
		{"ftp://hooks.example.com/T0KEN", false, "not an absolute"},
		{"hooks.example.com/T0KEN", false, "not an absolute"},
	} {
		_, err := NewWebhook(urlFile(t, tc.url, tc.insecure), nil)
		if (err == nil) != (tc.wantErr == "") || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: err %v, want %q", tc.url, err, tc.wantErr)
		}
		if err != nil && strings.Contains(err.Error(), "T0KEN") {
			t.Errorf("%s: error shows the URL: %v", tc.url, err)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	ref := secret.Ref{Env: "IDSYNC_WEBHOOK"}
	for _, tc := range []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"off", Config{}, ""},
		{"env", Config{Webhook: ref}, ""},
		{"full", Config{Webhook: ref, MinFailures: 3, Timeout: duration.Of(time.Second), AllowInsecureHTTP: true}, ""},
		{"both sources", Config{Webhook: secret.Ref{Env: "A", File: "b"}}, "webhook: set either"},
		{"keys without webhook", Config{MinFailures: 2}, "webhook: set file or env"},
		{"negative min", Config{Webhook: ref, MinFailures: -1}, "min_failures: must not be negative"},
		{"negative timeout", Config{Webhook: ref, Timeout: duration.Of(-time.Second)}, "timeout: must not be negative"},
	} {
		err := tc.cfg.Validate()
		if (err == nil) != (tc.wantErr == "") || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.wantErr)
		}
	}
}
