// Package state is idsync's memory between runs: a SQLite database that
// keeps, per target name, the runs, the last source snapshot, the links
// between source people and target accounts, the role -> group IDs, and an
// audit row for every change applied.
//
// One database can serve several targets; every row carries its target name.
// One writer at a time: Open takes an OS lock on the real file's ".lock"
// (symbolic links resolved) and a second Open fails with an error wrapping
// ErrInUse. OpenShared opens the database beside a writer, for the reports
// and dry runs that must work while a run applies.
//
// Crash safety rests on three rules. Every target write is recorded before
// it is sent: Begin inserts its audit row with status pending, in its own
// transaction. Its outcome is recorded after with Commit, which completes
// that row (applied, refused or failed) and writes the link change in one
// transaction, so a crash never leaves a link without its audit row, and a
// crash (or a failed commit) between the write and its record leaves a
// pending row that the next run reports. Commit may record the next write's
// intent in the same transaction (Op.Next): one sync to disk per write. SaveSnapshot replaces a target's
// snapshot in one transaction, so a crash or a read error leaves the
// previous snapshot intact.
//
// Times are stored as INTEGER milliseconds since the Unix epoch (UTC); in the
// sqlite3 shell, datetime(started/1000, 'unixepoch') shows them.
//
// All methods are safe for concurrent use. Writes are serialised inside the
// process; reads run in parallel with them (WAL mode). Callbacks (Links,
// Snapshot, Audit, the next func of SaveSnapshot) may read from the Store, but
// the next func of SaveSnapshot must not write to it (the write would wait for
// SaveSnapshot, which waits for next).
package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Errors callers act on. Match them with errors.Is.
var (
	// ErrInUse: another Store (in this or another process) holds the
	// database. The error is an *InUseError naming the holder's pid.
	ErrInUse = errors.New("state store in use")
	// ErrSchemaTooNew: the database was written by a newer idsync.
	ErrSchemaTooNew = errors.New("database schema is newer than this idsync")
	// ErrNotFound: the run (or other row) named does not exist.
	ErrNotFound = errors.New("not found")
	// ErrLinkConflict: a link would give one target account two source IDs.
	ErrLinkConflict = errors.New("link conflict")
)

// Store is an open state database. Create it with Open or OpenShared,
// release it with Close.
type Store struct {
	path  string
	db    *sql.DB
	lock  *fileLock     // the writer lock; nil for a shared Store
	users *fileLock     // held shared by every open Store
	wsem  chan struct{} // one writer at a time, acquired with ctx
	stmts statements
	// queue holds the writes waiting for the next transaction (see
	// write.go): writes made at once share one commit.
	qmu   sync.Mutex
	queue []*writeReq

	closeOnce sync.Once
	closeErr  error
	// bg is the background work (checkpoints) that Close stops and waits
	// for.
	bg bgWork

	// beforeCommit, when set (tests only), runs inside every write
	// transaction just before COMMIT; an error rolls the transaction back.
	beforeCommit func(ctx context.Context) error
	// queued, when set (tests only), is called once a write has joined
	// the queue.
	queued func()
	// afterSpan, when set (tests only), runs in AccessAt between choosing
	// the checkpoint and reading it.
	afterSpan func()
}

// Open opens (creating it if needed) the state database at path for the
// one writer (an apply) and keeps it until Close.
//
// The parent directory must exist; Open does not create it. A new database
// file is created with mode 0600 (SQLite gives the -wal and -shm files the
// same mode); an existing file's mode is left alone. The database runs in WAL
// mode with synchronous=FULL, foreign keys on and a busy timeout. Schema
// migrations missing from the file are applied, each in its own transaction;
// a database written by a newer idsync is refused with ErrSchemaTooNew.
//
// If another writer holds the file (another idsync process, or this one),
// Open fails with an *InUseError wrapping ErrInUse that names its pid and
// since when it holds it. The lock is on the real file (symbolic links and
// relative paths resolved) plus ".lock", and the OS drops it when the holder
// dies, so a crash never leaves a stale lock. Because writers exclude each
// other, apply runs still marked "running" at Open were interrupted; Open
// marks them "failed" (and every running run when no other Store has the
// database open).
func Open(ctx context.Context, path string) (*Store, error) {
	return openStore(ctx, path, true)
}

// OpenShared opens the database like Open but without the writer lock, so
// it works while a writer (an apply) holds the database: for reports (runs,
// audit) and dry runs. Its writes (a dry run's run record) wait for the
// writer's transactions through SQLite's busy timeout. Callers must not
// write links, groups, snapshots or audit rows through a shared Store.
// It migrates an old schema only when no other Store has the database open;
// beside one (an older idsync's apply) it refuses instead.
func OpenShared(ctx context.Context, path string) (*Store, error) {
	return openStore(ctx, path, false)
}

// openStore resolves path, takes the locks and opens the database.
func openStore(ctx context.Context, path string, writer bool) (*Store, error) {
	if path == "" {
		return nil, errors.New("state: open: empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("state: open %s: %w", path, err)
	}
	dir := filepath.Dir(abs)
	if fi, err := os.Stat(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("state: open %s: directory %s does not exist (create it, owned by the idsync user, mode 0700): %w", abs, dir, err)
		}
		return nil, fmt.Errorf("state: open %s: %w", abs, err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("state: open %s: %s is not a directory", abs, dir)
	}
	real, err := realPath(abs)
	if err != nil {
		return nil, fmt.Errorf("state: open %s: %w", abs, err)
	}
	s := &Store{path: real, wsem: make(chan struct{}, 1)}
	if writer {
		if s.lock, err = acquireLock(real); err != nil {
			return nil, err
		}
	}
	if err := s.open(ctx); err != nil {
		s.lock.release(true)
		return nil, err
	}
	return s, nil
}

// open does the database part of Open while the writer lock (if any) is
// held: it joins the database's users, opens and migrates the file, and
// marks the runs that were interrupted.
func (s *Store) open(ctx context.Context) error {
	users, alone, err := joinUsers(s.path)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		users.release(false)
		return fmt.Errorf("state: open %s: %w", s.path, err)
	}
	f.Close()
	s.users = users
	s.db = openDB(s.path)
	err = s.init(ctx, alone)
	if err == nil && alone {
		err = users.share()
	}
	if err != nil {
		s.db.Close()
		users.release(false)
		return err
	}
	return nil
}

// init checks the journal mode, migrates the schema (a shared Store only
// when alone: it refuses an old schema that another Store has open),
// prepares the statements and marks interrupted runs: every running run when alone (no
// other Store has the database open), a writer's running apply runs
// otherwise (writers exclude each other), none for a shared Store that is
// not alone.
func (s *Store) init(ctx context.Context, alone bool) error {
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("state: open %s: %w", s.path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("state: open %s: journal mode is %q, want wal (is the file on a network filesystem?)", s.path, mode)
	}
	if !alone && s.lock == nil {
		// A reader must not change the schema under another idsync that
		// has the file open (an older apply still running).
		v, err := userVersion(ctx, s.db)
		if err != nil {
			return fmt.Errorf("state: open %s: read schema version: %w", s.path, err)
		}
		if v < SchemaVersion() {
			return fmt.Errorf("state: open %s: schema version %d, this idsync needs %d, and another idsync has it open: "+
				"run this again once that one has ended (or run apply, which migrates it)", s.path, v, SchemaVersion())
		}
	}
	if err := migrate(ctx, s.db, s.path); err != nil {
		return err
	}
	if err := s.prepare(ctx); err != nil {
		return err
	}
	switch {
	case alone:
		return s.failInterruptedRuns(ctx, "")
	case s.lock != nil:
		return s.failInterruptedRuns(ctx, ModeApply)
	}
	return nil
}

// Path returns the absolute path of the database file.
func (s *Store) Path() string { return s.path }

// Close closes the database and releases the locks. It is safe to call more
// than once; later calls return the first call's result. Callbacks must have
// returned before Close is called.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.bg.stop()
		s.stmts.close()
		if err := s.db.Close(); err != nil {
			s.closeErr = fmt.Errorf("state: close %s: %w", s.path, err)
		}
		if err := s.lock.release(true); err != nil && s.closeErr == nil {
			s.closeErr = err
		}
		if err := s.users.release(false); err != nil && s.closeErr == nil {
			s.closeErr = err
		}
	})
	return s.closeErr
}

// ms converts t to stored milliseconds; the zero time is stored as 0.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS converts stored milliseconds back; 0 is the zero time.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// now returns the current time at stored precision.
func now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// needTarget checks the target name every per-target method requires.
func needTarget(what, target string) error {
	if target == "" {
		return fmt.Errorf("state: %s: empty target name", what)
	}
	return nil
}
