package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/kardianos/service"

	"github.com/idsync/idsync/sync"
)

// serviceName is the name idsync has in the system's service manager: the
// systemd unit idsync.service, the Windows service idsync.
const serviceName = "idsync"

// serviceActions are the actions of `idsync service`, in the order its
// usage lists them.
var serviceActions = []string{"install", "uninstall", "start", "stop", "restart", "status"}

// serviceControl is what `idsync service` asks of the system's service
// manager (a kardianos service.Service): each call acts on the service
// named serviceName and returns once the manager has done it (Stop: once
// the service has stopped). Status returns service.ErrNotInstalled when no
// such service exists.
type serviceControl interface {
	Install() error
	Uninstall() error
	Start() error
	Stop() error
	Restart() error
	Status() (service.Status, error)
}

var _ serviceControl = service.Service(nil)

// serviceProgram is the kardianos program of `idsync service`. It is never
// run through kardianos: the installed command line is `idsync run`, which
// runs the daemon itself (and, on Windows, enters the service loop itself,
// see service_windows.go).
type serviceProgram struct{}

var _ service.Interface = serviceProgram{}

// Start refuses: idsync runs its service through `idsync run`.
func (serviceProgram) Start(service.Service) error {
	return errors.New("service: idsync runs as `idsync run`")
}

// Stop does nothing, since Start never started anything.
func (serviceProgram) Stop(service.Service) error { return nil }

// cmdService is `idsync service ACTION [-c config.toml]`.
func cmdService(_ context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("service", stderr)
	path := configFlag(fs)
	action, err := parseServiceArgs(fs, args)
	if err != nil {
		return exitError, err
	}
	if err := servicePreflight(action); err != nil {
		return exitError, err
	}
	c := &service.Config{Name: serviceName, DisplayName: "idsync",
		Description: "idsync: keep SaaS accounts in step with the directory"}
	if action == "install" {
		if err := installConfig(c, *path); err != nil {
			return exitError, fmt.Errorf("service install: %w", err)
		}
	}
	s, err := service.New(serviceProgram{}, c)
	if err != nil {
		return exitError, fmt.Errorf("service %s: %w", action, err)
	}
	code, err := serviceDo(platformService(s, stderr), action, stdout)
	if err != nil {
		return code, fmt.Errorf("service %s: %w", action, serviceError(err))
	}
	return code, nil
}

// parseServiceArgs parses `ACTION [flags]` or `[flags] ACTION` into fs and
// returns the action.
func parseServiceArgs(fs *flag.FlagSet, args []string) (string, error) {
	action := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		action, args = args[0], args[1:]
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return "", errHelp
	} else if err != nil {
		return "", errUsage
	}
	rest := fs.Args()
	if action == "" && len(rest) > 0 {
		action, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", rest[0])
		return "", errUsage
	}
	if action == "" {
		return "", fmt.Errorf("service: name an action: %s", strings.Join(serviceActions, ", "))
	}
	if !slices.Contains(serviceActions, action) {
		return "", fmt.Errorf("service: want one of %s, got %q", strings.Join(serviceActions, ", "), action)
	}
	return action, nil
}

// serviceDo performs action on s, prints what it did, and returns the exit
// code: status exits 1 when the service is not running.
func serviceDo(s serviceControl, action string, stdout io.Writer) (int, error) {
	var err error
	switch action {
	case "install":
		if err = s.Install(); err == nil {
			fmt.Fprintf(stdout, "idsync service installed (starts at boot); start it now with `idsync service start`\n")
		}
	case "uninstall":
		if st, _ := s.Status(); st == service.StatusRunning {
			if err = s.Stop(); err != nil {
				return exitError, fmt.Errorf("stopping it first: %w", err)
			}
		}
		if err = s.Uninstall(); err == nil {
			fmt.Fprintf(stdout, "idsync service uninstalled (the configuration and the state database stay)\n")
		}
	case "start", "stop", "restart":
		do := map[string]func() error{"start": s.Start, "stop": s.Stop, "restart": s.Restart}[action]
		if err = do(); err == nil {
			fmt.Fprintf(stdout, "idsync service %s\n", map[string]string{"start": "started", "stop": "stopped", "restart": "restarted"}[action])
		}
	case "status":
		return serviceStatus(s, stdout)
	}
	if err != nil {
		return exitError, err
	}
	return exitOK, nil
}

// serviceStatus prints "running", "stopped" or "not installed" and
// returns exit 0 only for running.
func serviceStatus(s serviceControl, stdout io.Writer) (int, error) {
	st, err := s.Status()
	switch {
	case errors.Is(err, service.ErrNotInstalled):
		fmt.Fprintln(stdout, "idsync service: not installed")
		return exitError, nil
	case err != nil:
		return exitError, err
	case st == service.StatusRunning:
		fmt.Fprintln(stdout, "idsync service: running")
		return exitOK, nil
	case st == service.StatusStopped:
		fmt.Fprintln(stdout, "idsync service: stopped")
		return exitError, nil
	}
	return exitError, fmt.Errorf("unknown state %d", st)
}

// stopGrace is cfg's daemon.stop_grace, or its default.
func stopGrace(cfg *Config) time.Duration {
	if g := cfg.Daemon.StopGrace.Duration; g > 0 {
		return g
	}
	return sync.DefaultStopGrace
}
