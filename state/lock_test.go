package state

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestOneLockPerRealFile opens one database under other names (a symbolic
// link to the file, a link to its directory, a relative path) while a writer
// holds it: every second writer is refused.
func TestOneLockPerRealFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "data", "state.db")
	mustSymlink(t, path, filepath.Join(dir, "link.db"))
	mustSymlink(t, filepath.Join(dir, "data"), filepath.Join(dir, "linkdir"))
	mustSymlink(t, "data/nested.db", filepath.Join(dir, "dangling.db"))
	t.Chdir(filepath.Join(dir, "data"))

	// The first writer comes in through the link, before the file exists.
	s := openAt(t, filepath.Join(dir, "link.db"))
	if s.Path() != path {
		t.Errorf("Path() = %s, want the real file %s", s.Path(), path)
	}
	for _, other := range []string{path, filepath.Join(dir, "linkdir", "state.db"), "state.db", "../data/./state.db"} {
		_, err := Open(context.Background(), other)
		var iu *InUseError
		if !errors.As(err, &iu) || iu.Path != path {
			t.Errorf("Open(%s) while the link's writer holds it: %v, want InUseError on %s", other, err, path)
		}
	}
	// A dangling link locks the file it will create.
	d := openAt(t, filepath.Join(dir, "dangling.db"))
	if want := filepath.Join(dir, "data", "nested.db"); d.Path() != want {
		t.Errorf("dangling link: Path() = %s, want %s", d.Path(), want)
	}
	if _, err := Open(context.Background(), "nested.db"); !errors.Is(err, ErrInUse) {
		t.Errorf("Open of a dangling link's target: %v, want ErrInUse", err)
	}
}

func mustSymlink(t *testing.T, oldname, newname string) {
	t.Helper()
	if err := os.Symlink(oldname, newname); err != nil {
		if runtime.GOOS == "windows" { // needs a privilege or developer mode there
			t.Skipf("symbolic links: %v", err)
		}
		t.Fatal(err)
	}
}

// TestSharedBesideWriter: while a writer holds the database, shared Stores
// open it, record a dry run and read runs and the audit; a second writer is
// refused with the holder's pid and start time.
func TestSharedBesideWriter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	w := openAt(t, path)
	applyRun, err := w.StartRun(ctx, "t", ModeApply)
	if err != nil {
		t.Fatal(err)
	}

	r, err := OpenShared(ctx, path)
	if err != nil {
		t.Fatalf("OpenShared beside a writer: %v", err)
	}
	plan, err := r.StartRun(ctx, "t", ModePlan)
	if err != nil {
		t.Fatalf("StartRun of a shared Store: %v", err)
	}
	plan.Status = StatusPlanned
	if err := r.FinishRun(ctx, plan); err != nil {
		t.Fatalf("FinishRun of a shared Store: %v", err)
	}
	runs, err := r.Runs(ctx, "t", 0)
	if err != nil || len(runs) != 2 || runs[1].ID != applyRun.ID || runs[1].Status != StatusRunning {
		t.Errorf("Runs beside a writer: %+v, %v (the writer's run must still be running)", runs, err)
	}
	if err := r.Audit(ctx, AuditFilter{Target: "t"}, func(Audit) error { return nil }); err != nil {
		t.Errorf("Audit beside a writer: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}

	_, err = Open(ctx, path)
	var iu *InUseError
	if !errors.As(err, &iu) || iu.PID != os.Getpid() || iu.Since.IsZero() || time.Since(iu.Since) > time.Hour {
		t.Fatalf("second writer: %v, want InUseError with this pid and a start time", err)
	}
	if !strings.Contains(err.Error(), " since ") {
		t.Errorf("message %q does not say since when", err)
	}
}

// TestInterruptedRunsWithSharedStores: a run left running is marked failed
// only when no live Store can own it: a writer marks interrupted apply runs
// at once, and plan runs once it opens the database alone.
func TestInterruptedRunsWithSharedStores(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	crashed := func(mode string) int64 {
		s, err := OpenShared(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		r, err := s.StartRun(ctx, "t", mode)
		if err != nil {
			t.Fatal(err)
		}
		s.Close() // as if the process died mid-run
		return r.ID
	}
	// live stays open, so the crashed runs are not found alone.
	live, err := OpenShared(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	deadApply, deadPlan := crashed(ModeApply), crashed(ModePlan)
	livePlan, err := live.StartRun(ctx, "t", ModePlan)
	if err != nil {
		t.Fatal(err)
	}
	w, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	status := func(s *Store) map[int64]string {
		runs, err := s.Runs(ctx, "t", 0)
		if err != nil {
			t.Fatal(err)
		}
		m := map[int64]string{}
		for _, r := range runs {
			m[r.ID] = r.Status
		}
		return m
	}
	got := status(w)
	if got[deadApply] != StatusFailed || got[deadPlan] != StatusRunning || got[livePlan.ID] != StatusRunning {
		t.Errorf("writer beside a shared Store: %v, want the apply run failed and both plan runs running", got)
	}
	livePlan.Status = StatusPlanned
	if err := live.FinishRun(ctx, livePlan); err != nil {
		t.Errorf("the live plan's run was taken from it: %v", err)
	}
	live.Close()
	w.Close()

	alone := openAt(t, path)
	if got := status(alone); got[deadPlan] != StatusFailed || got[livePlan.ID] != StatusPlanned {
		t.Errorf("opened alone: %v, want the dead plan run failed", got)
	}
}

func TestInUseMessage(t *testing.T) {
	since := time.Date(2026, 12, 7, 3, 14, 0, 0, time.UTC)
	for _, tt := range []struct {
		e    InUseError
		want string
	}{
		{InUseError{Path: "/s.db", PID: 1234}, "state: /s.db is in use by another idsync (pid 1234)"},
		{InUseError{Path: "/s.db", PID: 1234, Since: since}, "state: /s.db is in use by another idsync (pid 1234) since 2026-12-07 03:14:00 UTC"},
		{InUseError{Path: "/s.db"}, "state: /s.db is in use by another idsync (pid unknown)"},
	} {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

// TestSharedDoesNotMigrateUnderOthers: a shared Store (a plan, a report)
// of a newer idsync must not change the schema under another idsync that
// has the database open (an older apply still running): it refuses and
// leaves the file as it is. Alone, it migrates.
func TestSharedDoesNotMigrateUnderOthers(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	db := openDB(path)
	if err := migrateOne(ctx, db, 0); err != nil { // a database of the first schema
		t.Fatal(err)
	}
	other, _, err := joinUsers(path) // another idsync has it open
	if err != nil {
		t.Fatal(err)
	}
	if err := other.share(); err != nil {
		t.Fatal(err)
	}
	if s, err := OpenShared(ctx, path); err == nil || !strings.Contains(err.Error(), "another idsync has it open") {
		if s != nil {
			s.Close()
		}
		t.Errorf("OpenShared beside another user of an old schema: %v, want a refusal", err)
	}
	if v, err := userVersion(ctx, db); err != nil || v != 1 {
		t.Errorf("schema version %d, %v; want 1, untouched", v, err)
	}
	if err := other.release(false); err != nil {
		t.Fatal(err)
	}
	s, err := OpenShared(ctx, path)
	if err != nil {
		t.Fatalf("OpenShared alone: %v", err)
	}
	s.Close()
	if v, err := userVersion(ctx, db); err != nil || v != SchemaVersion() {
		t.Errorf("schema version %d, %v; want %d once alone", v, err, SchemaVersion())
	}
	db.Close()
}
