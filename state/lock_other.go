//go:build (!unix && !windows) || aix

package state

import (
	"fmt"
	"os"
	"runtime"
)

// tryLock fails: this system has no lock the store can rely on.
func tryLock(f *os.File, exclusive bool) (bool, error) {
	return false, fmt.Errorf("file locking is not supported on %s", runtime.GOOS)
}

// waitShared fails like tryLock.
func waitShared(f *os.File) error {
	return fmt.Errorf("file locking is not supported on %s", runtime.GOOS)
}

func unlock(f *os.File) error { return nil }
