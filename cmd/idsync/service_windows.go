package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kardianos/service"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"
)

// servicePreflight has nothing to check on Windows: the service manager
// refuses what an account may not do, and serviceError explains it.
func servicePreflight(string) error { return nil }

// installConfig fills c with the Windows service that runs `idsync.exe
// run --service --config path`, started at boot and restarted after a
// failure, after checking the configuration. The --service argument is
// what makes idsync enter the service loop: svc.IsWindowsService cannot
// tell everywhere (not under Wine, for one).
func installConfig(c *service.Config, path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if _, err := loadConfig(abs); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("this program's path: %w", err)
	}
	c.Executable, c.Arguments = exe, []string{"run", "--service", "--config", abs}
	c.Option = service.KeyValue{
		service.StartType:              service.ServiceStartAutomatic,
		service.OnFailure:              service.OnFailureRestart,
		service.OnFailureDelayDuration: "10s",
		service.OnFailureResetPeriod:   86400, // a day without failure forgets the failures
	}
	return nil
}

// serviceError explains an error of the service manager.
func serviceError(err error) error {
	switch {
	case errors.Is(err, windows.ERROR_ACCESS_DENIED):
		return fmt.Errorf("must run as Administrator (an elevated prompt): %w", err)
	case errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST):
		return fmt.Errorf("the idsync service is not installed (idsync service install): %w", err)
	}
	return err
}

// runService is `idsync run --service`: the daemon as the Windows service
// the service manager started, logging to the Event Log.
func runService(ctx context.Context, path string) error {
	events, err := eventlog.Open(serviceName)
	if err != nil {
		return fmt.Errorf("run --service: the event log: %w", err)
	}
	defer events.Close()
	h := &serviceHandler{ctx: ctx, path: path, events: events}
	if err := svc.Run(serviceName, h); err != nil {
		return fmt.Errorf("run --service: %w", err)
	}
	return h.err
}

// serviceHandler is idsync's svc.Handler: it runs the daemon until the
// service manager asks it to stop.
type serviceHandler struct {
	ctx    context.Context
	path   string
	events *eventlog.Log
	err    error // the daemon's error, once Execute returned
}

var _ svc.Handler = (*serviceHandler)(nil)

// Execute runs the daemon under serviceLoop and answers the service
// manager's requests; a daemon that fails makes the service fail, which
// its recovery actions restart.
func (h *serviceHandler) Execute(_ []string, r <-chan svc.ChangeRequest, changes chan<- svc.Status) (bool, uint32) {
	changes <- svc.Status{State: svc.StartPending}
	cfg, err := loadConfig(h.path)
	if err != nil {
		return h.fail(err)
	}
	grace, hook := stopGrace(cfg), newEventLogHook(h.events, cfg.Log.Format)
	run := func(ctx context.Context) error {
		return runDaemon(ctx, h.path, io.Discard, func(l *logrus.Logger) { l.AddHook(hook) })
	}
	report := func(p servicePhase) {
		if p == phaseRunning {
			changes <- svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
			return
		}
		changes <- svc.Status{State: svc.StopPending, WaitHint: uint32((grace + serviceStopMargin).Milliseconds())}
	}
	stop, res, stopping := make(chan struct{}), make(chan error, 1), false
	go func() { res <- serviceLoop(h.ctx, run, stop, grace, time.After, report) }()
	for {
		select {
		case c := <-r:
			switch c.Cmd {
			case svc.Interrogate:
				changes <- c.CurrentStatus
			case svc.Stop, svc.Shutdown:
				if !stopping {
					_ = h.events.Info(eventInfo, "service: stop requested; the run in flight may finish for daemon.stop_grace")
					close(stop)
					stopping = true
				}
			}
		case err := <-res:
			if err != nil {
				return h.fail(err)
			}
			_ = h.events.Info(eventInfo, "service: stopped cleanly")
			return false, 0
		}
	}
}

// fail records err, writes it to the Event Log and returns Execute's
// answer for a failed service (service-specific exit code 1).
func (h *serviceHandler) fail(err error) (bool, uint32) {
	h.err = err
	_ = h.events.Error(eventError, "service: "+err.Error())
	return true, 1
}

// windowsService is the kardianos service with the recovery actions also
// applied when the service stops with an error, not only when it crashes.
type windowsService struct {
	service.Service
	warn io.Writer // where a recovery setting the manager lacks is reported
}

// Install registers the service, then asks for the recovery actions on
// every failure.
func (s windowsService) Install() error {
	if err := s.Service.Install(); err != nil {
		return err
	}
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("recovery actions: %w", err)
	}
	defer m.Disconnect()
	ws, err := m.OpenService(serviceName)
	if err != nil {
		return fmt.Errorf("recovery actions: %w", err)
	}
	defer ws.Close()
	err = ws.SetRecoveryActionsOnNonCrashFailures(true)
	if errors.Is(err, windows.ERROR_INVALID_LEVEL) { // Wine's service manager
		fmt.Fprintln(s.warn, "warning: this service manager restarts idsync only after a crash, not after it stops with an error")
		return nil
	}
	if err != nil {
		return fmt.Errorf("recovery actions: %w", err)
	}
	return nil
}

// platformService is s with the Windows recovery settings of Install.
func platformService(s service.Service, warn io.Writer) serviceControl {
	return windowsService{Service: s, warn: warn}
}
