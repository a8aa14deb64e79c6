package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets/scim"
	"github.com/idsync/idsync/targets/scim/scimtest"
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
	killApplyAfter(t, srv, e, 50)
	if written := srv.Stats().Writes; written >= 200 {
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
	// One applied create or adoption per account. The writes in flight
	// when the process died, and those before them whose outcome was held
	// for the worker's next commit, left their intent, which the next run
	// reported and settled (their rows have an error saying so).
	assertOneCreateEach(t, e, 200, 2*scim.DefaultConcurrency)
}

// TestKilledConcurrentApplyManyTimes: an apply at concurrency 8 is killed
// (SIGKILL) five times at different points, each time by a new process
// carrying on where the last one died; a last apply finishes. No person
// has two accounts, none is missing, every account has one applied
// create or adoption, every write the server took has an audit row, and
// no audit row is left pending.
func TestKilledConcurrentApplyManyTimes(t *testing.T) {
	const people, kills, concurrency = 300, 5, 8
	e, srv := generated(t, people)
	e.appendConfig(fmt.Sprintf("concurrency = %d\n", concurrency))
	srv.Latency(2 * time.Millisecond)
	for i := range kills {
		killApplyAfter(t, srv, e, srv.Stats().Writes+20+i*7)
	}
	if n := len(srv.Users()); n >= people {
		t.Fatalf("the applies finished (%d users) before the last kill", n)
	}
	srv.Latency(0)
	e.mustIdsync(exitOK, "apply")
	assertConverged(t, e, people) // fails on a duplicate userName
	rows := e.audit(0)
	// At most two unconfirmed writes per worker (its intent, and its last
	// outcome held for the next commit) and two workers per write in
	// flight.
	assertOneCreateEach(t, e, people, kills*2*2*concurrency)
	if w := srv.Stats().Writes; w > len(rows) {
		t.Errorf("the server took %d writes, the audit has %d rows: some writes have none", w, len(rows))
	}
	st, err := state.Open(context.Background(), filepath.Join(e.dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.Audit(context.Background(), state.AuditFilter{Status: state.AuditPending}, func(a state.Audit) error {
		t.Errorf("pending audit row left: %s/%s %s", a.Kind, a.Action, a.UserName)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// killApplyAfter starts `idsync apply` as a process of its own and kills
// it (SIGKILL) once the server has taken writes writes in all.
func killApplyAfter(t *testing.T, srv *scimtest.Server, e *env, writes int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "apply", "-c", e.cfg)
	cmd.Env = append(os.Environ(), "IDSYNC_TEST_AS_MAIN=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-srv.WritesReached(writes):
	case err := <-exited:
		t.Fatalf("the apply ended (%v) before %d writes", err, writes)
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("the apply never got going")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited
}

// assertOneCreateEach checks that the audit has one applied create or
// adoption per account and at most maxUnsettled unconfirmed ones.
func assertOneCreateEach(t *testing.T, e *env, people, maxUnsettled int) {
	t.Helper()
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
