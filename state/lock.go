package state

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// InUseError is returned by Open when another writer holds the database.
// It matches ErrInUse with errors.Is.
type InUseError struct {
	// Path is the database's real path (symbolic links resolved).
	Path string
	// PID is the process holding the lock, or 0 when it could not be read.
	PID int
	// Since is when the holder took the lock; zero when unknown.
	Since time.Time
}

// Error says who holds the database, for example "state:
// /var/lib/idsync/state.db is in use by another idsync (pid 1234) since
// 2026-12-07 03:14:00 UTC".
func (e *InUseError) Error() string {
	var msg string
	switch {
	case e.PID <= 0:
		msg = fmt.Sprintf("state: %s is in use by another idsync (pid unknown)", e.Path)
	case e.PID == os.Getpid():
		msg = fmt.Sprintf("state: %s is already open for writing in this idsync process (pid %d)", e.Path, e.PID)
	default:
		msg = fmt.Sprintf("state: %s is in use by another idsync (pid %d)", e.Path, e.PID)
	}
	if !e.Since.IsZero() {
		msg += " since " + e.Since.UTC().Format("2006-01-02 15:04:05 MST")
	}
	return msg
}

// Is reports whether target is ErrInUse.
func (e *InUseError) Is(target error) bool { return target == ErrInUse }

// realPath returns the absolute path of the database file with every
// symbolic link resolved, so that two names of one file (a symlink, a
// relative path) take the same lock. A file that does not exist yet is
// resolved through its directory; a dangling link through its target.
func realPath(path string) (string, error) {
	p, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	for hops := 0; ; hops++ {
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			dir, derr := filepath.EvalSymlinks(filepath.Dir(p))
			if derr != nil {
				return "", derr
			}
			return filepath.Join(dir, filepath.Base(p)), nil
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return filepath.EvalSymlinks(p)
		}
		if hops == 40 {
			return "", fmt.Errorf("%s: too many levels of symbolic links", path)
		}
		to, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(to) {
			to = filepath.Join(filepath.Dir(p), to)
		}
		p = to
	}
}

// fileLock is an OS lock on a file beside the database. The OS releases it
// when the process dies. The file is never removed (removing it would let
// two processes lock two different files of the same name).
//
// A database has two: db+".lock", held exclusively by the one writer for as
// long as it is open, and holding its pid and start time; and db+".users",
// held shared by every open Store, and exclusively only for a moment by a
// Store that finds itself alone (see joinUsers).
type fileLock struct {
	f *os.File
}

// acquireLock takes the writer lock, db+".lock", without waiting. It
// returns an *InUseError when another open file description (this or
// another process) holds it.
func acquireLock(db string) (*fileLock, error) {
	lp := db + ".lock"
	f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state: lock %s: %w", lp, err)
	}
	ok, err := tryLock(f, true)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("state: lock %s: %w", lp, err)
	}
	if !ok {
		pid, since := readHolder(f)
		f.Close()
		return nil, &InUseError{Path: db, PID: pid, Since: since}
	}
	if err := writeHolder(f); err != nil {
		unlock(f)
		f.Close()
		return nil, fmt.Errorf("state: lock %s: write pid: %w", lp, err)
	}
	return &fileLock{f: f}, nil
}

// joinUsers takes db+".users". alone reports that no other Store had the
// database open: the lock is then held exclusively, and the caller calls
// shareUsers once it has marked the runs it found running as interrupted.
// Otherwise the lock is held shared (waiting, briefly, for a Store that is
// alone to finish that).
func joinUsers(db string) (l *fileLock, alone bool, err error) {
	lp := db + ".users"
	f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("state: lock %s: %w", lp, err)
	}
	alone, err = tryLock(f, true)
	if err == nil && !alone {
		err = waitShared(f)
	}
	if err != nil {
		f.Close()
		return nil, false, fmt.Errorf("state: lock %s: %w", lp, err)
	}
	return &fileLock{f: f}, alone, nil
}

// share turns the exclusive lock joinUsers took into a shared one, so that
// other Stores can open the database.
func (l *fileLock) share() error {
	if err := unlock(l.f); err != nil {
		return fmt.Errorf("state: lock %s: %w", l.f.Name(), err)
	}
	if err := waitShared(l.f); err != nil {
		return fmt.Errorf("state: lock %s: %w", l.f.Name(), err)
	}
	return nil
}

// release unlocks and closes the file. A writer's lock file is emptied
// first (best effort), so a stale pid is never shown.
func (l *fileLock) release(writer bool) error {
	if l == nil {
		return nil
	}
	if writer {
		l.f.Truncate(0)
	}
	uerr := unlock(l.f)
	cerr := l.f.Close()
	if uerr != nil {
		return fmt.Errorf("state: unlock %s: %w", l.f.Name(), uerr)
	}
	if cerr != nil {
		return fmt.Errorf("state: unlock %s: %w", l.f.Name(), cerr)
	}
	return nil
}

// writeHolder writes "pid start-time" into the writer's lock file.
func writeHolder(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	line := strconv.Itoa(os.Getpid()) + " " + time.Now().UTC().Format(time.RFC3339) + "\n"
	_, err := f.WriteAt([]byte(line), 0)
	return err
}

// readHolder reads the holder's pid and start time. The holder writes them
// just after taking the lock, so an empty file is retried briefly; a pid of
// 0 means unknown.
func readHolder(f *os.File) (pid int, since time.Time) {
	buf := make([]byte, 64)
	for try := 0; try < 5; try++ {
		n, _ := f.ReadAt(buf, 0)
		fields := strings.Fields(string(bytes.TrimSpace(buf[:n])))
		if len(fields) > 0 {
			if p, err := strconv.Atoi(fields[0]); err == nil && p > 0 {
				if len(fields) > 1 {
					since, _ = time.Parse(time.RFC3339, fields[1])
				}
				return p, since
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return 0, time.Time{}
}
