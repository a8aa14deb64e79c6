package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idsync/idsync/internal/notify"
	"github.com/idsync/idsync/sync"
)

// TestDaemonNotifies: the daemon sends guard_tripped for a guard refusal
// (wrapped in a target's error), run_failed for another failure, and
// recovered at the next success, to the URL read from the webhook file.
func TestDaemonNotifies(t *testing.T) {
	got := make(chan notify.Body)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b notify.Body
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil || r.URL.Path != "/hook/T0KEN" {
			t.Errorf("webhook got path %s, decode error %v", r.URL.Path, err)
		}
		got <- b
	}))
	defer srv.Close()
	hook := filepath.Join(t.TempDir(), "webhook.url")
	if err := os.WriteFile(hook, []byte(srv.URL+"/hook/T0KEN\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d, _, _ := reloadEnv(t, fmt.Sprintf("\n[daemon.notify]\nwebhook = { file = %q }\nallow_insecure_http = true\n", hook))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.notify.Run(ctx) }()

	guard := fmt.Errorf("%w: 60 accounts would be disabled or deleted, more than guards.max_deletes = 50; rerun with --allow-deletes 60", sync.ErrGuard)
	d.engine.OnFailure(errors.Join(fmt.Errorf("target scim: %w", guard)), 1)
	if b := <-got; b.IDSync.Event != notify.GuardTripped || !strings.Contains(b.IDSync.Error, "--allow-deletes 60") ||
		!strings.Contains(b.Text, "guard") || b.IDSync.Target == "" {
		t.Errorf("guard trip sent %+v", b)
	}
	d.engine.OnFailure(errors.New("source: connection refused"), 2)
	if b := <-got; b.IDSync.Event != notify.RunFailed || b.IDSync.ConsecutiveFailures != 2 {
		t.Errorf("failure sent %+v", b)
	}
	d.finished(nil, nil)
	if b := <-got; b.IDSync.Event != notify.Recovered || b.IDSync.ConsecutiveFailures != 2 {
		t.Errorf("recovery sent %+v", b)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
