//go:build !windows

package main

import (
	"syscall"
	"testing"
	"time"
)

// TestHangupsDeliversSIGHUP: a SIGHUP to the process reaches the channel
// (and does not end the process).
func TestHangupsDeliversSIGHUP(t *testing.T) {
	reload, stop := hangups()
	defer stop()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reload:
	case <-time.After(waitFor):
		t.Fatal("no reload after SIGHUP")
	}
}
