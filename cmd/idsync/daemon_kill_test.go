package main

import (
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/idsync/idsync/targets/scim"
)

// buildIdsync builds the idsync binary into a directory of t's and returns
// its path.
func buildIdsync(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "idsync")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// daemonProcess is `idsync run` as a process of its own.
type daemonProcess struct {
	cmd  *exec.Cmd
	done chan int // its exit code (-1 when killed by a signal)
	log  *lockedBuffer
}

// startProcess starts `idsync run` (the binary bin) with e's configuration and
// returns once its admin listener at addr says it is ready, or, with
// ready false, at once. Its log is shown when the test fails; it is killed
// when the test ends.
func startProcess(t *testing.T, bin string, e *env, addr string, ready bool) *daemonProcess {
	t.Helper()
	p := &daemonProcess{cmd: exec.Command(bin, "run", "-c", e.cfg), done: make(chan int, 1), log: &lockedBuffer{}}
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := p.cmd.Wait()
		var ee *exec.ExitError
		switch {
		case err == nil:
			p.done <- 0
		case errors.As(err, &ee):
			p.done <- ee.ExitCode()
		default:
			p.done <- -1
		}
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		if t.Failed() {
			t.Logf("daemon process log:\n%s", tail(p.log.String()))
		}
	})
	if ready {
		eventually(t, "ready", p.done, func() bool {
			resp, err := http.Get("http://" + addr + "/readyz")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		})
	}
	return p
}

// TestDaemonKilledMidApplyConverges: the daemon process (the idsync binary,
// built by the test) is killed (SIGKILL,
// no cleanup) in the middle of its first apply against a slow SCIM server;
// started again, it converges: every person has exactly one account (no
// duplicate userName), every account its applied audit row, the killed
// run is recorded as interrupted, and SIGTERM stops it with exit 0.
func TestDaemonKilledMidApplyConverges(t *testing.T) {
	const people = 200
	e, srv := generated(t, people)
	addr := freeAddr(t)
	e.appendConfig(fmt.Sprintf("\n[daemon]\nwatch = true\nstop_grace = \"20s\"\n\n[admin]\nlisten = %q\n", addr))
	srv.Latency(5 * time.Millisecond) // slow enough to be killed mid-way

	bin := buildIdsync(t)
	first := startProcess(t, bin, e, addr, false)
	eventually(t, "50 writes", first.done, func() bool { return srv.Stats().Writes >= 50 })
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code := <-first.done; code != -1 {
		t.Fatalf("the killed daemon exited with %d", code)
	}
	if n := len(srv.Users()); n >= people {
		t.Fatalf("the first apply finished (%d users) before it was killed", n)
	}
	srv.Latency(0)

	second := startProcess(t, bin, e, addr, true)
	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-second.done:
		if code != exitOK {
			t.Fatalf("the daemon exited %d after SIGTERM, want %d", code, exitOK)
		}
	case <-time.After(waitFor):
		t.Fatal("the daemon did not stop after SIGTERM")
	}

	assertConverged(t, e, people) // also fails on a duplicate userName
	if out := e.mustIdsync(exitOK, "runs"); !strings.Contains(out, "interrupted") {
		t.Errorf("the killed run is not recorded as interrupted:\n%s", out)
	}
	// One applied create or adoption per account; the writes in flight
	// or waiting to be sent when the process died, and the outcomes not
	// yet committed (one per worker: each is committed with the worker's
	// next intent; two workers per write in flight), left their intent,
	// settled by the next run with an error saying so.
	maxUnsettled := 2 * 2 * scim.DefaultConcurrency
	var applied, unsettled int
	for _, r := range e.audit(0) {
		if strings.HasPrefix(r, "joiner/create ") || strings.HasPrefix(r, "adopt/link ") {
			if strings.HasSuffix(r, " ERROR") {
				unsettled++
			} else {
				applied++
			}
		}
	}
	if applied != people || unsettled > maxUnsettled {
		t.Errorf("%d applied create and adopt audit rows and %d unconfirmed, want %d (one per account) and at most %d",
			applied, unsettled, people, maxUnsettled)
	}
}
