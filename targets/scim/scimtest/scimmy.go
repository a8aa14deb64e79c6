package scimtest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idsync/idsync/internal/testenv"
)

// scimmyFix is how to install SCIMMY's dependencies, from the repository root.
const scimmyFix = "npm ci --prefix targets/scim/testdata/scimmy"

// StartSCIMMY runs the SCIMMY server in targets/scim/testdata/scimmy with
// Node on 127.0.0.1 (a random port) for the duration of the test and
// returns its base URL and bearer token. Each call starts a fresh, empty
// server.
//
// Without node or node_modules the test is skipped with the command that
// fixes it, or fails when the CI environment variable is set: that is the
// only skip the SCIM tests allow.
func StartSCIMMY(t testing.TB) (url, token string) {
	t.Helper()
	dir := scimmyDir()
	node, err := exec.LookPath("node")
	if err != nil {
		testenv.Missing(t, "scimtest: node is not installed (SCIMMY needs Node 20); install it, then run "+scimmyFix)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "scimmy", "package.json")); err != nil {
		testenv.Missing(t, "scimtest: SCIMMY's node_modules are missing; run "+scimmyFix)
	}

	token = RandomToken()
	ready := make(chan string, 1)
	stderr := &lockedBuffer{}
	cmd := exec.Command(node, "server.js", "0")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SCIMMY_TOKEN="+token, "SCIMMY_EXIT_ON_STDIN_EOF=1")
	cmd.Stdout = &readyWriter{ready: ready}
	cmd.Stderr = stderr
	// Held open until cleanup: if the test binary dies, the pipe closes
	// and the server exits instead of lingering.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatalf("scimtest: start SCIMMY: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("scimtest: start SCIMMY: %v", err)
	}
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() && stderr.String() != "" {
			t.Logf("SCIMMY stderr:\n%s", stderr.String())
		}
	})
	select {
	case addr := <-ready:
		return "http://" + addr + "/scim/v2", token
	case <-time.After(30 * time.Second):
		t.Fatalf("scimtest: SCIMMY did not say it was listening within 30s; stderr:\n%s", stderr.String())
	}
	return "", ""
}

// scimmyDir is targets/scim/testdata/scimmy, found from this source file.
func scimmyDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "scimmy")
}

// readyWriter watches the server's stdout for "listening HOST:PORT".
type readyWriter struct {
	mu    sync.Mutex
	buf   []byte
	ready chan string
	done  bool
}

func (w *readyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return len(p), nil
	}
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := strings.TrimSpace(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
		if addr, ok := strings.CutPrefix(line, "listening "); ok {
			w.done = true
			w.ready <- addr
			return len(p), nil
		}
	}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
