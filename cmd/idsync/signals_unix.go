//go:build !windows

package main

import (
	"os"
	"os/signal"
	"syscall"
)

// hangups delivers a value for each SIGHUP, the signal that asks the daemon
// to reload its configuration, until stop is called.
func hangups() (reload <-chan struct{}, stop func()) {
	sig := make(chan os.Signal, 1)
	out := make(chan struct{})
	done := make(chan struct{})
	signal.Notify(sig, syscall.SIGHUP)
	go func() {
		for {
			select {
			case <-sig:
				select {
				case out <- struct{}{}:
				case <-done:
					return
				}
			case <-done:
				return
			}
		}
	}()
	return out, func() { signal.Stop(sig); close(done) }
}
