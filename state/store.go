// Package state is idsync's memory between runs: a SQLite database that
// keeps, per target name, the runs, the last source snapshot, the links
// between source people and target accounts, the role -> group IDs, and an
// audit row for every change applied.
//
// One database can serve several targets; every row carries its target name.
// A Store is used by one idsync process at a time: Open takes an OS lock on
// path+".lock" and a second Open fails with an error wrapping ErrInUse.
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

// Store is an open state database. Create it with Open, release it with Close.
type Store struct {
	path  string
	db    *sql.DB
	lock  *fileLock
	wsem  chan struct{} // one writer at a time, acquired with ctx
	stmts statements

	closeOnce sync.Once
	closeErr  error

	// beforeCommit, when set (tests only), runs inside every write
	// transaction just before COMMIT; an error rolls the transaction back.
	beforeCommit func(ctx context.Context) error
}

// Open opens (creating it if needed) the state database at path and takes
// exclusive use of it until Close.
//
// The parent directory must exist; Open does not create it. A new database
// file is created with mode 0600 (SQLite gives the -wal and -shm files the
// same mode); an existing file's mode is left alone. The database runs in WAL
// mode with synchronous=FULL, foreign keys on and a busy timeout. Schema
// migrations missing from the file are applied, each in its own transaction;
// a database written by a newer idsync is refused with ErrSchemaTooNew.
//
// If another Store holds path (another idsync process, or this one), Open
// fails with an *InUseError wrapping ErrInUse. The lock lives on
// path+".lock" and the OS drops it when the holder dies, so a crash never
// leaves a stale lock. Because the lock is exclusive, runs still marked
// "running" at Open were interrupted; Open marks them "failed".
func Open(ctx context.Context, path string) (*Store, error) {
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

	lk, err := acquireLock(abs)
	if err != nil {
		return nil, err
	}
	s, err := open(ctx, abs, lk)
	if err != nil {
		lk.release()
		return nil, err
	}
	return s, nil
}

// open does the database part of Open while the lock is held.
func open(ctx context.Context, abs string, lk *fileLock) (*Store, error) {
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state: open %s: %w", abs, err)
	}
	f.Close()

	db := openDB(abs)
	s := &Store{path: abs, db: db, lock: lk, wsem: make(chan struct{}, 1)}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) init(ctx context.Context) error {
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("state: open %s: %w", s.path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("state: open %s: journal mode is %q, want wal (is the file on a network filesystem?)", s.path, mode)
	}
	if err := migrate(ctx, s.db, s.path); err != nil {
		return err
	}
	if err := s.prepare(ctx); err != nil {
		return err
	}
	return s.failInterruptedRuns(ctx)
}

// Path returns the absolute path of the database file.
func (s *Store) Path() string { return s.path }

// Close closes the database and releases the lock. It is safe to call more
// than once; later calls return the first call's result. Callbacks must have
// returned before Close is called.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.stmts.close()
		if err := s.db.Close(); err != nil {
			s.closeErr = fmt.Errorf("state: close %s: %w", s.path, err)
		}
		if err := s.lock.release(); err != nil && s.closeErr == nil {
			s.closeErr = err
		}
	})
	return s.closeErr
}

// write runs fn in one write transaction: all of it is committed or none.
// what names the operation in errors.
func (s *Store) write(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	select {
	case s.wsem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("state: %s: %w", what, ctx.Err())
	}
	defer func() { <-s.wsem }()

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("state: %s: begin: %w", what, err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return fmt.Errorf("state: %s: %w", what, err)
	}
	if s.beforeCommit != nil {
		if err := s.beforeCommit(ctx); err != nil {
			tx.Rollback()
			return fmt.Errorf("state: %s: %w", what, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("state: %s: commit: %w", what, err)
	}
	return nil
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
