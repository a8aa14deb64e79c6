package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// storedRuns returns the runs in e's state database, newest first.
func (e *env) storedRuns() []state.Run {
	e.t.Helper()
	st, err := state.OpenShared(context.Background(), filepath.Join(e.dir, "state.db"))
	if err != nil {
		e.t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.Runs(context.Background(), "", 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return runs
}

// TestTrigger runs `idsync run` in process against slapd and SCIMMY and
// asks it for runs with `idsync trigger`: a waited run, a dry run and a
// queued one each add a run to the store, and /status names them manual.
// Without a daemon, trigger exits 1 naming the problem.
func TestTrigger(t *testing.T) {
	slapd := slapdtest.Start(t, slapdtest.WithLDIFFile("../../testdata/sample/day1.ldif"))
	url, token := scimtest.StartSCIMMY(t)
	e := newEnv(t, slapd, url, token, "")
	addr := freeAddr(t)
	e.appendConfig(fmt.Sprintf("\n[admin]\nlisten = %q\n", addr))

	d := startDaemon(t, e, addr)
	before := len(e.storedRuns())

	out := e.mustIdsync(exitOK, "trigger")
	if !strings.HasPrefix(out, "full run succeeded in ") {
		t.Errorf("trigger printed %q", out)
	}
	runs := e.storedRuns()
	if len(runs) != before+1 || runs[0].Status != state.StatusApplied {
		t.Fatalf("after trigger: %d runs (was %d), newest %+v", len(runs), before, runs[0])
	}

	out = e.mustIdsync(exitOK, "trigger", "--dry-run")
	if !strings.HasPrefix(out, "full dry run succeeded in ") {
		t.Errorf("trigger --dry-run printed %q", out)
	}
	runs = e.storedRuns()
	if len(runs) != before+2 || runs[0].Mode != state.ModePlan || runs[0].Status != state.StatusPlanned {
		t.Fatalf("after trigger --dry-run: %d runs (was %d), newest %+v", len(runs), before, runs[0])
	}

	if out := e.mustIdsync(exitOK, "trigger", "--no-wait"); out != "full run queued\n" {
		t.Errorf("trigger --no-wait printed %q", out)
	}
	eventually(t, "the queued run", d.done, func() bool {
		runs := e.storedRuns()
		return len(runs) == before+3 && runs[0].Status == state.StatusApplied
	})

	if out := e.mustIdsync(exitOK, "status"); !strings.Contains(out, "manual") {
		t.Errorf("status does not name the manual runs:\n%s", out)
	}

	d.stop(t)
	code, _, errs := e.idsync("trigger")
	if code != exitError || !strings.Contains(errs, "is `idsync run` running with this configuration?") {
		t.Errorf("trigger without a daemon: exit %d:\n%s", code, errs)
	}
}
