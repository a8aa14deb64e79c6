package main

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/kardianos/service"
)

func TestParseServiceArgs(t *testing.T) {
	cases := []struct {
		args         []string
		action, path string
		err          string
	}{
		{[]string{"install", "-c", "/etc/x.toml"}, "install", "/etc/x.toml", ""},
		{[]string{"--config", "/etc/x.toml", "status"}, "status", "/etc/x.toml", ""},
		{[]string{"restart"}, "restart", defaultConfigPath(), ""},
		{nil, "", "", `name an action: install, uninstall, start, stop, restart, status`},
		{[]string{"reload"}, "", "", `got "reload"`},
		{[]string{"start", "stop"}, "", "", "usage"},
		{[]string{"start", "--frob"}, "", "", "usage"},
		{[]string{"--help"}, "", "", "help requested"},
	}
	for _, c := range cases {
		fs := newFlagSet("service", io.Discard)
		path := configFlag(fs)
		action, err := parseServiceArgs(fs, c.args)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.args, err, c.err)
			}
			continue
		}
		if err != nil || action != c.action || *path != c.path {
			t.Errorf("%q: %q, %q, %v; want %q, %q", c.args, action, *path, err, c.action, c.path)
		}
	}
}

// fakeService is a service manager that records the calls.
type fakeService struct {
	status service.Status
	err    error // of Status
	failOn string
	calls  []string
}

var _ serviceControl = (*fakeService)(nil)

func (f *fakeService) do(name string) error {
	f.calls = append(f.calls, name)
	if name == f.failOn {
		return errors.New(name + " refused")
	}
	return nil
}
func (f *fakeService) Install() error   { return f.do("install") }
func (f *fakeService) Uninstall() error { return f.do("uninstall") }
func (f *fakeService) Start() error     { return f.do("start") }
func (f *fakeService) Stop() error      { return f.do("stop") }
func (f *fakeService) Restart() error   { return f.do("restart") }
func (f *fakeService) Status() (service.Status, error) {
	f.calls = append(f.calls, "status")
	return f.status, f.err
}

func TestServiceDo(t *testing.T) {
	cases := []struct {
		name   string
		svc    fakeService
		action string
		code   int
		out    string
		calls  string
		err    string
	}{
		{"status running", fakeService{status: service.StatusRunning}, "status", exitOK, "idsync service: running\n", "status", ""},
		{"status stopped", fakeService{status: service.StatusStopped}, "status", exitError, "idsync service: stopped\n", "status", ""},
		{"status not installed", fakeService{err: service.ErrNotInstalled}, "status", exitError, "idsync service: not installed\n", "status", ""},
		{"status failed", fakeService{err: errors.New("service in failed state")}, "status", exitError, "", "status", "failed state"},
		{"install", fakeService{}, "install", exitOK, "idsync service installed", "install", ""},
		{"install refused", fakeService{failOn: "install"}, "install", exitError, "", "install", "install refused"},
		{"uninstall stops a running service first", fakeService{status: service.StatusRunning}, "uninstall", exitOK,
			"idsync service uninstalled", "status stop uninstall", ""},
		{"uninstall of a stopped service", fakeService{status: service.StatusStopped}, "uninstall", exitOK,
			"idsync service uninstalled", "status uninstall", ""},
		{"uninstall when the stop fails", fakeService{status: service.StatusRunning, failOn: "stop"}, "uninstall", exitError,
			"", "status stop", "stopping it first: stop refused"},
		{"start", fakeService{}, "start", exitOK, "idsync service started\n", "start", ""},
		{"stop", fakeService{}, "stop", exitOK, "idsync service stopped\n", "stop", ""},
		{"restart", fakeService{}, "restart", exitOK, "idsync service restarted\n", "restart", ""},
		{"start refused", fakeService{failOn: "start"}, "start", exitError, "", "start", "start refused"},
	}
	for _, c := range cases {
		var out bytes.Buffer
		code, err := serviceDo(&c.svc, c.action, &out)
		if code != c.code || !strings.HasPrefix(out.String(), c.out) || strings.Join(c.svc.calls, " ") != c.calls {
			t.Errorf("%s: exit %d, output %q, calls %q; want %d, %q, %q", c.name, code, out.String(), c.svc.calls, c.code, c.out, c.calls)
		}
		if (err == nil) != (c.err == "") || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.err)
		}
	}
}
