package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	tokenFile, addrFile, seedFile := filepath.Join(dir, "token"), filepath.Join(dir, "addr"), filepath.Join(dir, "seed.json")
	if err := os.WriteFile(tokenFile, []byte("tok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(seedFile, []byte(`[{"userName":"orphan","displayName":"Hand Made"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-token-file", tokenFile, "-addr-file", addrFile, "-seed", seedFile}, io.Discard)
	}()

	var base string
	for range 500 {
		if b, err := os.ReadFile(addrFile); err == nil && len(b) > 0 {
			base = strings.TrimSpace(string(b))
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") || !strings.HasSuffix(base, "/scim/v2") {
		t.Fatalf("addr file holds %q", base)
	}
	for token, want := range map[string]int{"tok": 200, "other": 401} {
		req, _ := http.NewRequest(http.MethodGet, base+"/Users", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("token %s: %d, want %d", token, resp.StatusCode, want)
		}
		if want == 200 && !strings.Contains(string(body), `"userName":"orphan"`) {
			t.Errorf("seeded user not listed: %s", body)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel: %v", err)
	}
}

func TestRunNeedsToken(t *testing.T) {
	if err := run(t.Context(), nil, io.Discard); err == nil || !strings.Contains(err.Error(), "-token-file is required") {
		t.Errorf("run without -token-file = %v", err)
	}
}
