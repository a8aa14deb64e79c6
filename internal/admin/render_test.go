package admin

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Paris wherever the test runs
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (rerun with -update to accept):\n--- got\n%s--- want\n%s", path, got, want)
	}
}

func TestRender(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	empty := Status{Generated: at("2026-12-07T01:00:05Z"), Started: at("2026-12-07T01:00:00Z")}
	fresh := Status{Generated: at("2026-12-07T01:00:05Z"), Started: at("2026-12-07T01:00:00Z"),
		Targets: []TargetStatus{{Name: "okta", NextRuns: []NextRun{{Schedule: "nightly", Mode: "full", Spec: "0 2 * * *", At: at("2026-12-08T02:00:00Z")}},
			PendingDeletions: &PendingDeletions{DeleteAfter: "30d", Count: 12, Due: 1, Next: []PendingDeletion{
				{UserName: "ann", SourceID: "s1", AccountID: "a1", Disabled: at("2026-11-07T00:00:00Z"), DeleteOn: at("2026-12-07T00:00:00Z")},
				{UserName: "bob", SourceID: "s2", AccountID: "a2", Disabled: at("2026-11-07T03:00:00Z"), DeleteOn: at("2026-12-07T03:00:00Z")}}}},
			{Name: "slack", PendingDeletions: &PendingDeletions{DeleteAfter: "90d", Next: []PendingDeletion{}}}},
		Watcher: &WatcherStatus{Kind: "syncrepl", State: "disconnected", Since: at("2026-12-07T01:00:01Z"), Error: "ldap: dial tcp 127.0.0.1:389: connection refused"}}
	tests := []struct {
		name string
		s    Status
		loc  *time.Location
	}{
		{"status-example.golden", exampleStatus(), time.UTC},
		{"status-example-paris.golden", exampleStatus(), paris},
		{"status-fresh.golden", fresh, time.UTC},
		{"status-empty.golden", empty, time.UTC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Render(&b, tt.s, tt.loc); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, b.Bytes())
		})
	}
}

// TestClientStatus fetches /status through the Client, with the token,
// and renders what it got as `idsync status` does.
func TestClientStatus(t *testing.T) {
	ref := tokenFile(t, "client-token")
	r := start(t, Config{Listen: "127.0.0.1:0", Token: ref}, fixedOptions(true, ""))
	c, err := NewClient(Config{Listen: r.srv.Addr().String(), Token: ref})
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Render(&b, st, time.UTC); err != nil {
		t.Fatal(err)
	}
	golden(t, "status-example.golden", b.Bytes())
}
