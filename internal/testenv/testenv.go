// Package testenv decides what a test does when a server or tool it needs
// is not on the machine: CI must have every one, so there it fails; on a
// developer's machine it skips, saying what to install.
package testenv

import (
	"os"
	"testing"
)

// Missing fails t when $CI is set and skips it otherwise. msg says what is
// missing and how to install it.
func Missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("CI needs it: %s", msg)
	}
	t.Skip(msg)
}
