package admin

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idsync/idsync/internal/secret"
)

func TestDefaultListenIsLoopback(t *testing.T) {
	// The default address with port 0, so that the test never collides
	// with a daemon on 9464.
	old := defaultPort
	defaultPort = "0"
	t.Cleanup(func() { defaultPort = old })

	r := start(t, Config{}, fixedOptions(true, ""))
	addr, ok := r.srv.Addr().(*net.TCPAddr)
	if !ok || !addr.IP.Equal(net.IPv4(127, 0, 0, 1)) || addr.Port == 0 {
		t.Fatalf("bound to %v, want 127.0.0.1 and a port", r.srv.Addr())
	}
	if code, _ := get(t, r.base, "/healthz", ""); code != http.StatusOK {
		t.Errorf("/healthz on loopback without a token: %d, want 200", code)
	}
}

func TestNewRefusesRemoteWithoutToken(t *testing.T) {
	for _, listen := range []string{":0", "0.0.0.0:0", "[::]:0", "192.0.2.1:0"} {
		_, err := New(Config{Listen: listen}, fixedOptions(true, ""))
		if err == nil || !strings.Contains(err.Error(), "set token") {
			t.Errorf("New(listen %q) = %v, want an error asking for a token", listen, err)
		}
	}
}

func TestEndpoints(t *testing.T) {
	r := start(t, Config{Listen: "127.0.0.1:0"}, fixedOptions(true, ""))
	tests := []struct {
		path     string
		code     int
		contains string
	}{
		{"/healthz", 200, "ok"},
		{"/readyz", 200, `"ready": true`},
		{"/status", 200, `"version": 1`},
		{"/metrics", 200, "# TYPE process_resident_memory_bytes gauge"},
		{"/nothing", 404, ""},
	}
	for _, tt := range tests {
		code, body := get(t, r.base, tt.path, "")
		if code != tt.code || !strings.Contains(body, tt.contains) {
			t.Errorf("GET %s = %d %q, want %d containing %q", tt.path, code, body, tt.code, tt.contains)
		}
	}
}

func TestReadyzNotReady(t *testing.T) {
	for _, tt := range []struct{ reason, want string }{
		{"the first run has not finished", "the first run has not finished"},
		{"", "not ready"},
	} {
		r := start(t, Config{Listen: "127.0.0.1:0"}, fixedOptions(false, tt.reason))
		code, body := get(t, r.base, "/readyz", "")
		want := "{\n  \"ready\": false,\n  \"reason\": \"" + tt.want + "\"\n}\n"
		if code != http.StatusServiceUnavailable || body != want {
			t.Errorf("/readyz = %d %q, want 503 %q", code, body, want)
		}
	}
}

func TestStatusError(t *testing.T) {
	opts := fixedOptions(true, "")
	opts.Status = StatusFunc(func(context.Context) (Status, error) { return Status{}, errors.New("state: database is locked") })
	r := start(t, Config{Listen: "127.0.0.1:0"}, opts)
	code, body := get(t, r.base, "/status", "")
	if code != http.StatusInternalServerError || !strings.Contains(body, `"error": "state: database is locked"`) {
		t.Errorf("/status = %d %q, want 500 with the error", code, body)
	}
}

// tokenFile writes a token file and returns its reference.
func tokenFile(t *testing.T, token string) secret.Ref {
	t.Helper()
	p := filepath.Join(t.TempDir(), "admin.token")
	if err := os.WriteFile(p, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return secret.Ref{File: p}
}

func TestToken(t *testing.T) {
	const token = "s3cr3t-admin-token-7f2a"
	// 127.0.0.1 stands for a remote address here: a token, once set, is
	// required whatever the address.
	r := start(t, Config{Listen: "127.0.0.1:0", Token: tokenFile(t, token)}, fixedOptions(true, ""))
	for _, path := range []string{"/healthz", "/readyz", "/status", "/metrics"} {
		for _, auth := range []string{"", "Bearer wrong", "Bearer " + token + "x", "Bearer " + token[:len(token)-1],
			"Basic " + token, token, "Bearer"} {
			if code, body := get(t, r.base, path, auth); code != http.StatusUnauthorized || strings.Contains(body, token) {
				t.Errorf("GET %s with %q: %d %q, want 401", path, auth, code, body)
			}
		}
		for _, auth := range []string{"Bearer " + token, "bearer " + token} {
			if code, _ := get(t, r.base, path, auth); code != http.StatusOK {
				t.Errorf("GET %s with the token (%q scheme): %d, want 200", path, auth[:6], code)
			}
		}
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	logs := r.logs.String()
	if !strings.Contains(logs, "refused a request without the right token") {
		t.Errorf("refusals were not logged:\n%s", logs)
	}
	if strings.Contains(logs, token) {
		t.Errorf("the token appears in the logs:\n%s", logs)
	}
}

func TestTokenNeverInErrors(t *testing.T) {
	const token = "s3cr3t-admin-token-7f2a"
	ref := tokenFile(t, token)
	r := start(t, Config{Listen: "127.0.0.1:0", Token: ref}, fixedOptions(true, ""))
	host, port, _ := net.SplitHostPort(r.srv.Addr().String())

	var errs []error
	// A client with another token: the 401 error.
	other := tokenFile(t, "other-token")
	c, err := NewClient(Config{Listen: net.JoinHostPort(host, port), Token: other})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Status(context.Background())
	errs = append(errs, err)
	// A client with the token, to a listener that is gone.
	c, err = NewClient(Config{Listen: net.JoinHostPort(host, port), Token: ref})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	_, err = c.Status(context.Background())
	errs = append(errs, err)
	// A server whose TLS files are missing, and one on a port in use.
	_, err = New(Config{Listen: "127.0.0.1:0", Token: ref, TLSCertFile: "/nonexistent/c", TLSKeyFile: "/nonexistent/k"}, fixedOptions(true, ""))
	errs = append(errs, err)
	busy := start(t, Config{Listen: "127.0.0.1:0", Token: ref}, fixedOptions(true, ""))
	_, err = New(Config{Listen: busy.srv.Addr().String(), Token: ref}, fixedOptions(true, ""))
	errs = append(errs, err)
	for i, err := range errs {
		if err == nil {
			t.Errorf("case %d: no error", i)
			continue
		}
		if strings.Contains(err.Error(), token) {
			t.Errorf("case %d: the token is in the error: %v", i, err)
		}
	}
	if !strings.Contains(errs[0].Error(), "401 Unauthorized") {
		t.Errorf("wrong token: %v, want a 401 error", errs[0])
	}
}

func TestGracefulShutdown(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	opts := fixedOptions(true, "")
	opts.Status = StatusFunc(func(context.Context) (Status, error) {
		close(entered)
		<-release
		return exampleStatus(), nil
	})
	r := start(t, Config{Listen: "127.0.0.1:0"}, opts)
	type answer struct {
		code int
		body string
	}
	answered := make(chan answer, 1)
	go func() {
		code, body := get(t, r.base, "/status", "")
		answered <- answer{code, body}
	}()
	<-entered
	r.cancel() // stop while the request is in flight
	close(release)
	if a := <-answered; a.code != http.StatusOK || !strings.Contains(a.body, `"okta"`) {
		t.Errorf("the request in flight got %d %q, want its answer", a.code, a.body)
	}
	if err := r.stop(t); err != nil {
		t.Errorf("Run = %v, want nil after a clean shutdown", err)
	}
	if _, err := net.Dial("tcp", r.srv.Addr().String()); err == nil {
		t.Error("the listener still accepts connections after Run returned")
	}
}

func TestShutdownIsBounded(t *testing.T) {
	entered := make(chan struct{})
	opts := fixedOptions(true, "")
	opts.ShutdownTimeout = 50 * time.Millisecond
	opts.Status = StatusFunc(func(ctx context.Context) (Status, error) {
		close(entered)
		<-ctx.Done() // only when the server closes the connection
		return Status{}, ctx.Err()
	})
	r := start(t, Config{Listen: "127.0.0.1:0"}, opts)
	go func() {
		resp, err := http.Get(r.base + "/status")
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	err := r.stop(t)
	if err == nil || !strings.Contains(err.Error(), "admin: shutdown after 50ms") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run = %v, want the shutdown deadline exceeded", err)
	}
}

func TestCloseReleasesTheListener(t *testing.T) {
	srv, err := New(Config{Listen: "127.0.0.1:0"}, fixedOptions(true, ""))
	if err != nil {
		t.Fatal(err)
	}
	addr := srv.Addr().String()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := New(Config{Listen: addr}, fixedOptions(true, ""))
	if err != nil {
		t.Fatalf("the address is still taken after Close: %v", err)
	}
	if err := again.Close(); err != nil {
		t.Fatal(err)
	}
}
