//go:build !linux && !windows

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"

	"github.com/kardianos/service"
)

// servicePreflight refuses: `idsync service` knows systemd and Windows.
func servicePreflight(action string) error {
	return fmt.Errorf("service %s: not supported on %s: run `idsync run` under this system's init", action, runtime.GOOS)
}

// installConfig is never reached: servicePreflight refuses first.
func installConfig(*service.Config, string) error {
	return errors.New("not supported on " + runtime.GOOS)
}

// serviceError returns err as it is.
func serviceError(err error) error { return err }

// runService refuses `idsync run --service` off Windows.
func runService(context.Context, string) error {
	return errors.New("run: --service is for the Windows service only")
}

// platformService is s: kardianos does all there is to do here.
func platformService(s service.Service, _ io.Writer) serviceControl { return s }
