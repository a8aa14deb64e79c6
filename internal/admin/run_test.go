package admin

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// fakeRunner records the requests it gets and answers with res and err.
type fakeRunner struct {
	mu   sync.Mutex
	reqs []RunRequest
	res  RunResult
	err  error
}

func (f *fakeRunner) Run(_ context.Context, req RunRequest) (RunResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, req)
	return f.res, f.err
}

func (f *fakeRunner) requests() []RunRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]RunRequest(nil), f.reqs...)
}

// post sends POST /run with body and auth (none when empty) and returns the
// status code and body.
func post(t *testing.T, base, body, auth string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/run", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /run: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// startRunner starts a server on a free loopback port with runner, and a
// client for it.
func startRunner(t *testing.T, cfg Config, runner Runner) (*running, *Client) {
	t.Helper()
	opts := fixedOptions(true, "")
	opts.Runner = runner
	r := start(t, cfg, opts)
	cfg.Listen = r.srv.Addr().String()
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r, c
}

func TestRunNotServedWithoutRunner(t *testing.T) {
	r := start(t, Config{Listen: "127.0.0.1:0"}, fixedOptions(true, ""))
	if code, _ := post(t, r.base, "", ""); code != http.StatusNotFound {
		t.Errorf("POST /run without a Runner: %d, want 404", code)
	}
}

func TestRunRefusesGet(t *testing.T) {
	f := &fakeRunner{res: RunResult{Status: RunSucceeded}}
	r, _ := startRunner(t, Config{Listen: "127.0.0.1:0"}, f)
	if code, _ := get(t, r.base, "/run", ""); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /run: %d, want 405", code)
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("GET /run reached the runner %d times", n)
	}
}

func TestRunNeedsToken(t *testing.T) {
	const token = "run-token-51c0"
	f := &fakeRunner{res: RunResult{Status: RunSucceeded, Summary: "done"}}
	r, c := startRunner(t, Config{Listen: "127.0.0.1:0", Token: tokenFile(t, token)}, f)
	for _, auth := range []string{"", "Bearer wrong", token} {
		if code, _ := post(t, r.base, "", auth); code != http.StatusUnauthorized {
			t.Errorf("POST /run with %q: %d, want 401", auth, code)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Fatalf("refused requests reached the runner %d times", n)
	}
	res, err := c.Run(context.Background(), RunRequest{Mode: ModeFull, Wait: true})
	if err != nil || res != f.res {
		t.Errorf("Run with the token: %+v, %v", res, err)
	}
}

// TestRunRequests: the body's fields and their defaults reach the runner;
// a wait answers 200 with the result, no wait 202; a bad body is 400.
func TestRunRequests(t *testing.T) {
	f := &fakeRunner{res: RunResult{Status: RunSucceeded, Summary: "full run succeeded"}}
	r, _ := startRunner(t, Config{Listen: "127.0.0.1:0"}, f)
	tests := []struct {
		body string
		code int
		want RunRequest // when code is not 400
	}{
		{"", http.StatusOK, RunRequest{Mode: ModeFull, Wait: true}},
		{"{}", http.StatusOK, RunRequest{Mode: ModeFull, Wait: true}},
		{`{"mode":"full","dry_run":true,"wait":true}`, http.StatusOK, RunRequest{Mode: ModeFull, DryRun: true, Wait: true}},
		{`{"mode":"incremental"}`, http.StatusOK, RunRequest{Mode: ModeIncremental, Wait: true}},
		{`{"wait":false}`, http.StatusAccepted, RunRequest{Mode: ModeFull}},
		{`{"mode":"delta"}`, http.StatusBadRequest, RunRequest{}},
		{`{"mode":""}`, http.StatusBadRequest, RunRequest{}},
		{`{"force":true}`, http.StatusBadRequest, RunRequest{}},
		{`{"wait":"yes"}`, http.StatusBadRequest, RunRequest{}},
		{`{} {}`, http.StatusBadRequest, RunRequest{}},
		{`[`, http.StatusBadRequest, RunRequest{}},
		{`{"mode":"` + strings.Repeat("a", maxRunBody) + `"}`, http.StatusBadRequest, RunRequest{}},
	}
	for _, tt := range tests {
		before := len(f.requests())
		code, body := post(t, r.base, tt.body, "")
		if code != tt.code {
			t.Errorf("POST /run %.40q: %d %s, want %d", tt.body, code, body, tt.code)
			continue
		}
		reqs := f.requests()
		if tt.code == http.StatusBadRequest {
			if len(reqs) != before || !strings.Contains(body, `"error"`) {
				t.Errorf("POST /run %.40q: refused with %q, runner called %d times", tt.body, body, len(reqs)-before)
			}
			continue
		}
		if len(reqs) != before+1 || reqs[before] != tt.want {
			t.Errorf("POST /run %.40q: runner got %+v, want %+v", tt.body, reqs[before:], tt.want)
		}
		if !strings.Contains(body, `"summary": "full run succeeded"`) {
			t.Errorf("POST /run %.40q: body %s", tt.body, body)
		}
	}
}

// TestRunOutcomes: a failed run is a 200 with status "failed"; a runner
// error (the request was not served) is a 500 that the client returns as
// an error.
func TestRunOutcomes(t *testing.T) {
	f := &fakeRunner{res: RunResult{Status: RunFailed, Summary: "full run failed", Error: "scim: 503"}}
	_, c := startRunner(t, Config{Listen: "127.0.0.1:0"}, f)
	res, err := c.Run(context.Background(), RunRequest{Mode: ModeFull, Wait: true})
	if err != nil || res != f.res {
		t.Errorf("failed run: %+v, %v; want %+v", res, err, f.res)
	}
	f.mu.Lock()
	f.res, f.err = RunResult{}, errors.New("engine: stopped")
	f.mu.Unlock()
	_, err = c.Run(context.Background(), RunRequest{Mode: ModeFull})
	if err == nil || !strings.Contains(err.Error(), "500") || !strings.Contains(err.Error(), "engine: stopped") {
		t.Errorf("runner error: %v, want a 500 naming it", err)
	}
}

// TestRunWaitEndsWithTheRequest: a waiting request's context ends when the
// client gives up, and the runner sees it.
func TestRunWaitEndsWithTheRequest(t *testing.T) {
	entered, left := make(chan struct{}), make(chan error, 1)
	runner := RunnerFunc(func(ctx context.Context, _ RunRequest) (RunResult, error) {
		close(entered)
		<-ctx.Done()
		left <- ctx.Err()
		return RunResult{}, ctx.Err()
	})
	_, c := startRunner(t, Config{Listen: "127.0.0.1:0"}, runner)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-entered; cancel() }()
	if _, err := c.Run(ctx, RunRequest{Mode: ModeFull, Wait: true}); !errors.Is(err, context.Canceled) {
		t.Errorf("Run after the client gave up: %v, want context.Canceled", err)
	}
	if err := <-left; !errors.Is(err, context.Canceled) {
		t.Errorf("the runner's context ended with %v", err)
	}
}
