//go:build windows

package state

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lockRegion is the byte range locked: one byte far past the pid text.
// Windows byte-range locks are mandatory, so locking the pid itself would
// stop other processes from reading who holds the lock.
func lockRegion() *windows.Overlapped {
	return &windows.Overlapped{OffsetHigh: 0x7fffffff}
}

// tryLock takes an exclusive LockFileEx lock on f without waiting. Locks
// belong to the handle, so a second open in the same process conflicts too,
// and Windows releases them when the process dies. It reports false when the
// file is locked elsewhere.
func tryLock(f *os.File) (bool, error) {
	err := windows.LockFileEx(windows.Handle(f.Fd()),
		windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, lockRegion())
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, windows.ERROR_LOCK_VIOLATION), errors.Is(err, windows.ERROR_IO_PENDING):
		return false, nil
	}
	return false, err
}

// unlock drops the lock taken by tryLock.
func unlock(f *os.File) error {
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, lockRegion())
}
