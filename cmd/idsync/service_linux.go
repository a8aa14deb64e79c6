package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/kardianos/service"
)

// packagedUnit is where the .deb and .rpm put idsync's unit.
const packagedUnit = "/usr/lib/systemd/system/idsync.service"

// servicePreflight checks that `idsync service action` can work here:
// systemd is the init system, and root asks for anything but the status.
func servicePreflight(action string) error {
	name := "none"
	if s := service.ChosenSystem(); s != nil {
		name = s.String()
	}
	return checkLinuxService(action, name, os.Geteuid())
}

// checkLinuxService is servicePreflight for the service system named
// system and the effective user id euid.
func checkLinuxService(action, system string, euid int) error {
	if system != "linux-systemd" {
		return fmt.Errorf("service %s: systemd not found (the service system here is %s): "+
			"`idsync service` manages a systemd unit; run `idsync run` under this system's init instead", action, system)
	}
	if action != "status" && euid != 0 {
		return fmt.Errorf("service %s: must be root (sudo idsync service %s)", action, action)
	}
	return nil
}

// installConfig fills c with the systemd unit that runs `idsync run
// --config path` as the idsync user, after checking the configuration.
func installConfig(c *service.Config, path string) error {
	if _, err := os.Stat(packagedUnit); err == nil {
		return fmt.Errorf("the idsync package installed %s already: use `systemctl enable --now idsync` instead", packagedUnit)
	}
	if _, err := user.Lookup("idsync"); err != nil {
		return fmt.Errorf("the unit runs as the user idsync, which does not exist here: create it (useradd --system "+
			"--home-dir /var/lib/idsync --shell /usr/sbin/nologin idsync) or install the .deb or .rpm: %w", err)
	}
	p, err := unitParamsFor(path)
	if err != nil {
		return err
	}
	unit, err := renderUnit(p)
	if err != nil {
		return err
	}
	c.Executable, c.Arguments, c.UserName = p.Exe, []string{"run", "--config", p.Config}, "idsync"
	c.Option = service.KeyValue{"SystemdScript": unit}
	return nil
}

// unitParamsFor reads the configuration at path and returns the unit's
// parameters for this binary.
func unitParamsFor(path string) (unitParams, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return unitParams{}, fmt.Errorf("config: %w", err)
	}
	cfg, err := loadConfig(abs)
	if err != nil {
		return unitParams{}, err
	}
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		return unitParams{}, fmt.Errorf("this program's path: %w", err)
	}
	p := unitParams{Exe: exe, Config: abs, Grace: stopGrace(cfg)}
	for _, f := range []string{exe, abs} {
		if underHome(f) {
			return unitParams{}, fmt.Errorf("%s is under a home directory, which the unit hides (ProtectHome=yes): "+
				"put the binary in /usr/local/bin and the configuration in /etc/idsync", f)
		}
	}
	if dir := filepath.Dir(cfg.State.Path); dir != "/var/lib/idsync" && !strings.HasPrefix(dir, "/var/lib/idsync/") {
		if underHome(dir) {
			return unitParams{}, fmt.Errorf("state.path %s is under a home directory, which the unit hides (ProtectHome=yes)", cfg.State.Path)
		}
		if _, err := os.Stat(dir); err != nil {
			return unitParams{}, fmt.Errorf("state.path: the directory must exist before the unit starts: %w", err)
		}
		p.ReadWrite = dir
	}
	return p, nil
}

// underHome reports whether path is in a directory ProtectHome=yes hides.
func underHome(path string) bool {
	for _, d := range []string{"/home", "/root", "/run/user"} {
		if path == d || strings.HasPrefix(path, d+"/") {
			return true
		}
	}
	return false
}

// serviceError explains an error of the service manager.
func serviceError(err error) error {
	if errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("must be root: %w", err)
	}
	return err
}

// runService refuses `idsync run --service` off Windows.
func runService(context.Context, string) error {
	return errors.New("run: --service is for the Windows service only; systemd runs `idsync run` in the foreground")
}

// platformService is s: kardianos does all there is to do here.
func platformService(s service.Service, _ io.Writer) serviceControl { return s }
