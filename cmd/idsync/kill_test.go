package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary act as the idsync command, so a test can
// run idsync as a real process and kill it.
func TestMain(m *testing.M) {
	if os.Getenv("IDSYNC_TEST_AS_MAIN") == "1" {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestKilledMidApplyResumes kills an idsync process (SIGKILL, no cleanup)
// in the middle of an apply, then runs it again: every person ends up with
// exactly one account, and every account has its audit row.
func TestKilledMidApplyResumes(t *testing.T) {
	e, srv := generated(t, 200)
	srv.Latency(5 * time.Millisecond) // slow enough to be killed mid-way
	cmd := exec.Command(os.Args[0], "apply", "-c", e.cfg)
	cmd.Env = append(os.Environ(), "IDSYNC_TEST_AS_MAIN=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for srv.Stats().Writes < 50 {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatal("the apply never got going")
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	written := srv.Stats().Writes
	if written >= 200 {
		t.Fatalf("the apply finished (%d writes) before it was killed", written)
	}
	srv.Latency(0)

	// The next run finds the interrupted run, adopts any account created
	// but not yet recorded, and finishes the job.
	e.mustIdsync(exitOK, "apply")
	assertConverged(t, e, 200)
	out := e.mustIdsync(exitOK, "runs")
	if !strings.Contains(out, "interrupted") {
		t.Errorf("the killed run is not recorded as interrupted:\n%s", out)
	}
	// One applied create or adoption per account. The write in flight when
	// the process died, and the one before it (whose outcome is committed
	// with the next write's intent), left their intent, which the next run
	// reported and settled (their rows have an error saying so).
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
	if applied != 200 || unsettled > 2 {
		t.Errorf("%d applied create and adopt audit rows and %d unconfirmed, want 200 (one per account) and at most 2", applied, unsettled)
	}
}
