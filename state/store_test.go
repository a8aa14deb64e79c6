package state

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestOpenCreatesSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s := openAt(t, path)
	ctx := context.Background()

	v, err := userVersion(ctx, s.db)
	if err != nil || v != SchemaVersion() || v < 1 {
		t.Fatalf("user_version = %d, %v; want %d", v, err, SchemaVersion())
	}
	for pragma, want := range map[string]string{
		"journal_mode": "wal", "foreign_keys": "1", "synchronous": "2", "busy_timeout": "10000",
		"cache_size": "-2048", "cache_spill": "8192", "journal_size_limit": "67108864",
	} {
		var got string
		if err := s.db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil || got != want {
			t.Errorf("PRAGMA %s = %q, %v; want %q", pragma, got, err, want)
		}
	}
	for _, table := range []string{"runs", "links", "groups", "snapshot", "snapshot_info", "audit"} {
		var strict int
		err := s.db.QueryRowContext(ctx, `SELECT strict FROM pragma_table_list WHERE name = ?`, table).Scan(&strict)
		if err != nil || strict != 1 {
			t.Errorf("table %s: strict = %d, %v", table, strict, err)
		}
	}
	if runtime.GOOS != "windows" {
		for _, p := range []string{path, path + "-wal", path + ".lock"} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %v, want 0600", p, fi.Mode().Perm())
			}
		}
	}
}

func TestReopenIsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		if _, err := s.StartRun(ctx, "t", ModePlan); err != nil {
			t.Fatal(err)
		}
		v, _ := userVersion(ctx, s.db)
		if v != SchemaVersion() {
			t.Errorf("open %d: user_version %d", i, v)
		}
		runs, err := s.Runs(ctx, "t", 0)
		if err != nil || len(runs) != i+1 {
			t.Errorf("open %d: %d runs, %v", i, len(runs), err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "idsync.toml")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("[source]\nurl = 'ldap://x'\n", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"empty", "", "state: open: empty path"},
		{"missing dir", filepath.Join(dir, "nope", "state.db"), "directory " + filepath.Join(dir, "nope") + " does not exist"},
		{"parent is a file", filepath.Join(file, "state.db"), "is not a directory"},
		{"not a database", garbage, "state: open " + garbage + ": file is not a database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(context.Background(), tt.path)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion()+1)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for i := 0; i < 2; i++ { // twice: a refused Open must release the lock
		s, err := Open(context.Background(), path)
		if err == nil {
			s.Close()
			t.Fatal("Open succeeded")
		}
		if !errors.Is(err, ErrSchemaTooNew) || !strings.Contains(err.Error(), fmt.Sprintf("schema version %d", SchemaVersion()+1)) {
			t.Fatalf("error %v, want ErrSchemaTooNew naming the version", err)
		}
	}
}

func TestFailedMigrationRollsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s := openAt(t, path)
	s.Close()

	saved := migrations
	t.Cleanup(func() { migrations = saved })
	migrations = append(migrations[:len(migrations):len(migrations)],
		migration{name: "broken", sql: `CREATE TABLE half_done (x INTEGER) STRICT; CREATE TABLE oops (`})
	if s, err := Open(context.Background(), path); err == nil {
		s.Close()
		t.Fatal("Open with a broken migration succeeded")
	} else if !strings.Contains(err.Error(), fmt.Sprintf("migrate to version %d (broken)", len(saved)+1)) {
		t.Errorf("error %q does not name the migration", err)
	}
	migrations = saved

	s = openAt(t, path)
	ctx := context.Background()
	if v, _ := userVersion(ctx, s.db); v != len(saved) {
		t.Errorf("user_version %d, want %d", v, len(saved))
	}
	var n int
	s.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE name = 'half_done'`).Scan(&n)
	if n != 0 {
		t.Error("table of the failed migration exists")
	}
}

func TestOpenInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s := openAt(t, path)
	_, err := Open(context.Background(), path)
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("second Open: %v, want ErrInUse", err)
	}
	var iu *InUseError
	if !errors.As(err, &iu) || iu.PID != os.Getpid() || iu.Path != s.Path() {
		t.Fatalf("error %#v, want InUseError with pid %d", err, os.Getpid())
	}
	if want := fmt.Sprintf("(pid %d)", os.Getpid()); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
		t.Errorf("message %q lacks path or %s", err, want)
	}
	if msg := (&InUseError{Path: "/var/lib/idsync/state.db", PID: 1234}).Error(); msg != "state: /var/lib/idsync/state.db is in use by another idsync (pid 1234)" {
		t.Errorf("message %q", msg)
	}
}

func TestLockReleasedOnClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	openAt(t, path) // Close released the lock: the file opens again
}

const helperEnv = "IDSYNC_STATE_TEST_HOLD"

// TestMain runs the package's tests, or, with $helperEnv set, acts as the
// child process of TestLockReleasedWhenHolderKilled: it opens the store
// named there, says "ready", and waits to be killed.
func TestMain(m *testing.M) {
	path := os.Getenv(helperEnv)
	if path == "" {
		os.Exit(m.Run())
	}
	s, err := Open(context.Background(), path)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	time.Sleep(time.Minute) // killed long before; bounded in case the parent died
	s.Close()
	os.Exit(0)
}

func TestLockReleasedWhenHolderKilled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("child said %q, %v", line, err)
	}

	_, err = Open(context.Background(), path)
	var iu *InUseError
	if !errors.As(err, &iu) || iu.PID != cmd.Process.Pid {
		t.Fatalf("Open while child holds the lock: %v, want InUseError with pid %d", err, cmd.Process.Pid)
	}
	if !strings.Contains(err.Error(), "in use by another idsync (pid "+strconv.Itoa(cmd.Process.Pid)+")") {
		t.Errorf("message %q", err)
	}

	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no chance to clean up
		t.Fatal(err)
	}
	cmd.Wait()
	s := openAt(t, path)
	if _, err := s.StartRun(context.Background(), "t", ModeApply); err != nil {
		t.Fatalf("store unusable after the holder was killed: %v", err)
	}
}

func TestInterruptedRunsFailAtOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.StartRun(ctx, "t", ModeApply)
	if err != nil {
		t.Fatal(err)
	}
	s.Close() // as if the process died mid-run

	s = openAt(t, path)
	runs, err := s.Runs(ctx, "t", 1)
	if err != nil || len(runs) != 1 {
		t.Fatalf("Runs: %v, %v", runs, err)
	}
	got := runs[0]
	if got.ID != r.ID || got.Status != StatusFailed || got.Error != interruptedError || got.Finished.IsZero() {
		t.Errorf("run after reopen = %+v, want failed/interrupted", got)
	}
}

// TestSecondConnectionSeesCommits reads through an independent connection
// (as the sqlite3 shell or a monitoring script would) while the store is open.
func TestSecondConnectionSeesCommits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s := openAt(t, path)
	ctx := context.Background()
	err := s.Commit(ctx, Op{
		Audit: Audit{Target: "t", Kind: "joiner", Action: "create", SourceID: "s1", TargetID: "u1"},
		Link:  &Link{SourceID: "s1", TargetID: "u1", Active: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Errorf("no WAL file: %v", err)
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tid string
	var audits int
	if err := db.QueryRow(`SELECT target_id FROM links WHERE target = 't' AND source_id = 's1'`).Scan(&tid); err != nil || tid != "u1" {
		t.Errorf("link via second connection: %q, %v", tid, err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM audit`).Scan(&audits); err != nil || audits != 1 {
		t.Errorf("audit rows via second connection: %d, %v", audits, err)
	}
}

func TestPathNeedingEscapes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a b?c#d%20")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "state.db")
	s := openAt(t, path)
	if _, err := s.StartRun(context.Background(), "t", ModePlan); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at %s: %v", path, err)
	}
}
