//go:build windows

package main

// hangups returns a channel that never delivers: Windows has no SIGHUP, so
// the configuration is reloaded by restarting the service.
func hangups() (reload <-chan struct{}, stop func()) {
	return nil, func() {}
}
