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

// tryLock takes a LockFileEx lock on f without waiting, exclusive or shared.
// Locks belong to the handle, so a second open in the same process conflicts
// too, and Windows releases them when the process dies. It reports false when
// the file is locked elsewhere.
func tryLock(f *os.File, exclusive bool) (bool, error) {
	flags := uint32(windows.LOCKFILE_FAIL_IMMEDIATELY)
	if exclusive {
		flags |= windows.LOCKFILE_EXCLUSIVE_LOCK
	}
	err := windows.LockFileEx(windows.Handle(f.Fd()), flags, 0, 1, 0, lockRegion())
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, windows.ERROR_LOCK_VIOLATION), errors.Is(err, windows.ERROR_IO_PENDING):
		return false, nil
	}
	return false, err
}

// waitShared takes a shared lock on f, waiting while another holds it
// exclusively.
func waitShared(f *os.File) error {
	return windows.LockFileEx(windows.Handle(f.Fd()), 0, 0, 1, 0, lockRegion())
}

// unlock drops the lock taken by tryLock or waitShared.
func unlock(f *os.File) error {
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, lockRegion())
}
