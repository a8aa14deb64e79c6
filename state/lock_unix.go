//go:build unix && !aix

package state

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// tryLock takes an flock on f without waiting, exclusive or shared. flock
// locks belong to the open file description, so a second open of the same
// file in the same process conflicts too (fcntl locks would not). It
// reports false when the file is locked elsewhere.
func tryLock(f *os.File, exclusive bool) (bool, error) {
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	err := flock(f, how|unix.LOCK_NB)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, unix.EWOULDBLOCK):
		return false, nil
	}
	return false, err
}

// waitShared takes a shared flock on f, waiting while another holds it
// exclusively.
func waitShared(f *os.File) error { return flock(f, unix.LOCK_SH) }

// unlock drops the flock taken by tryLock or waitShared.
func unlock(f *os.File) error { return flock(f, unix.LOCK_UN) }

// flock calls flock(2), again when a signal interrupted it.
func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}
