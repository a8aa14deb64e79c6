package state

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// InUseError is returned by Open when another Store holds the database. It
// matches ErrInUse with errors.Is.
type InUseError struct {
	// Path is the database path.
	Path string
	// PID is the process holding the lock, or 0 when it could not be read.
	PID int
}

// Error says who holds the database, for example
// "state: /var/lib/idsync/state.db is in use by another idsync (pid 1234)".
func (e *InUseError) Error() string {
	switch {
	case e.PID <= 0:
		return fmt.Sprintf("state: %s is in use by another idsync (pid unknown)", e.Path)
	case e.PID == os.Getpid():
		return fmt.Sprintf("state: %s is already open in this idsync process (pid %d)", e.Path, e.PID)
	}
	return fmt.Sprintf("state: %s is in use by another idsync (pid %d)", e.Path, e.PID)
}

// Is reports whether target is ErrInUse.
func (e *InUseError) Is(target error) bool { return target == ErrInUse }

// fileLock is an exclusive OS lock on a database's ".lock" file. The OS
// releases it when the process dies. The file holds the holder's pid; it is
// never removed (removing it would let two processes lock two different
// files of the same name).
type fileLock struct {
	f *os.File
}

// acquireLock locks db+".lock" without waiting. It returns an *InUseError
// when another open file description (this or another process) holds it.
func acquireLock(db string) (*fileLock, error) {
	lp := db + ".lock"
	f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state: lock %s: %w", lp, err)
	}
	ok, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("state: lock %s: %w", lp, err)
	}
	if !ok {
		pid := readPID(f)
		f.Close()
		return nil, &InUseError{Path: db, PID: pid}
	}
	if err := writePID(f); err != nil {
		unlock(f)
		f.Close()
		return nil, fmt.Errorf("state: lock %s: write pid: %w", lp, err)
	}
	return &fileLock{f: f}, nil
}

// release empties the pid (best effort), unlocks and closes the file.
func (l *fileLock) release() error {
	l.f.Truncate(0)
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

func writePID(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return err
}

// readPID reads the holder's pid. The holder writes it just after taking
// the lock, so an empty file is retried briefly; 0 means unknown.
func readPID(f *os.File) int {
	buf := make([]byte, 32)
	for try := 0; try < 5; try++ {
		n, _ := f.ReadAt(buf, 0)
		if pid, err := strconv.Atoi(string(bytes.TrimSpace(buf[:n]))); err == nil && pid > 0 {
			return pid
		}
		time.Sleep(10 * time.Millisecond)
	}
	return 0
}
