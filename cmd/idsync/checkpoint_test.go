package main

import (
	"context"
	"database/sql"
	"io"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/idsync/idsync/state"
)

// TestAuditCheckpoints: the hook run after every apply makes the audit
// checkpoints due and logs it; idsync audit checkpoint makes them by
// hand; report access gives the same report from them at every date;
// audit verify counts them and, with --checkpoints, finds an edited one,
// which report access refuses.
func TestAuditCheckpoints(t *testing.T) {
	defer func(n int64) { state.CheckpointEvery = n }(state.CheckpointEvery)
	cfg, db := historyEnv(t)
	e := &env{t: t, cfg: cfg}
	dates := []string{"2026-03-01T09:00:00Z", "2026-03-02", "2026-03-03T12:00:00Z", "2026-03-04T09:00:30Z", "2026-03-06", "2026-03-09", "2027-01-01"}
	before := map[string]string{}
	for _, d := range dates {
		before[d] = e.mustIdsync(exitOK, "report", "access", "--at", d, "--format", "csv")
	}

	state.CheckpointEvery = 5
	ctx := context.Background()
	store, err := state.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	log, hook := test.NewNullLogger()
	c := &Config{}
	if err := auditRetention(c, store, log, false)(ctx); err != nil {
		t.Fatal(err)
	}
	store.Close()
	if got := hook.LastEntry(); got == nil || got.Message != "audit checkpoints made" || got.Data["checkpoints"] != 3 {
		t.Fatalf("after the run: %+v, want 3 checkpoints logged", got)
	}
	state.CheckpointEvery = 2
	if out := e.mustIdsync(exitOK, "audit", "checkpoint"); !strings.Contains(out, "made 0 audit checkpoints") {
		t.Errorf("audit checkpoint with none due: %s", out)
	}
	for _, d := range dates {
		if got := e.mustIdsync(exitOK, "report", "access", "--at", d, "--format", "csv"); got != before[d] {
			t.Errorf("report access --at %s from the checkpoints:\n%s\nwithout:\n%s", d, got, before[d])
		}
	}
	out := e.mustIdsync(exitOK, "audit", "verify", "--checkpoints")
	if !strings.Contains(out, "checkpoints: 3\n") || !strings.Contains(out, "verified") {
		t.Errorf("audit verify --checkpoints:\n%s", out)
	}

	sdb, err := sql.Open("sqlite3", db)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	if _, err := sdb.Exec(`UPDATE audit_checkpoint SET state = zeroblob(8) WHERE upto = 10`); err != nil {
		t.Fatal(err)
	}
	e.mustIdsync(exitOK, "audit", "verify") // the states are read with --checkpoints
	code, out, errs := e.idsync("audit", "verify", "--checkpoints")
	if code != exitError || !strings.Contains(out, "BAD chain entry") || !strings.Contains(errs, "checkpoint of the records up to 10: its state was edited") {
		t.Errorf("audit verify --checkpoints of an edited checkpoint: exit %d\n%s%s", code, out, errs)
	}
	code, _, errs = e.idsync("report", "access", "--at", "2026-03-06")
	if code != exitError || !strings.Contains(errs, "the audit chain does not verify: chain entry") {
		t.Errorf("report access from an edited checkpoint: exit %d %s", code, errs)
	}
}

// signalHook sends on c each log entry whose message is msg.
type signalHook struct {
	msg string
	c   chan *logrus.Entry
}

func (h signalHook) Levels() []logrus.Level { return logrus.AllLevels }
func (h signalHook) Fire(e *logrus.Entry) error {
	if e.Message == h.msg {
		h.c <- e
	}
	return nil
}

// TestDaemonCheckpointsInBackground: the daemon's runner makes the audit
// checkpoints without its run waiting for them, and logs them once made.
func TestDaemonCheckpointsInBackground(t *testing.T) {
	defer func(n int64) { state.CheckpointEvery = n }(state.CheckpointEvery)
	state.CheckpointEvery = 5
	cfgPath, db := historyEnv(t)
	t.Setenv("APP_SCIM_TOKEN", "test-token")
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	store, err := state.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	log := logrus.New()
	log.SetOutput(io.Discard)
	made := signalHook{"audit checkpoints made", make(chan *logrus.Entry, 1)}
	log.AddHook(made)
	r, err := newDaemonRunner(cfg, store, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Retention(ctx); err != nil {
		t.Fatal(err)
	}
	if e := <-made.c; e.Data["checkpoints"] != 3 {
		t.Errorf("logged %v, want 3 checkpoints", e.Data)
	}
}
