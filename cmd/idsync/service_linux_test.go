package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idsync/idsync/internal/testenv"
)

// TestRenderUnit: the unit of "idsync service install", checked against
// golden files (go test -update rewrites them), and by systemd-analyze
// verify where it is installed.
func TestRenderUnit(t *testing.T) {
	cases := []struct {
		golden string
		p      unitParams
	}{
		{"idsync.service", unitParams{Exe: "/usr/local/bin/idsync", Config: "/etc/idsync/config.toml", Grace: 30 * time.Second}},
		{"idsync-elsewhere.service", unitParams{Exe: "/opt/id sync/idsync", Config: "/srv/idsync/100%.toml",
			ReadWrite: "/srv/idsync/state", Grace: 2 * time.Minute}},
	}
	for _, c := range cases {
		got, err := renderUnit(c.p)
		if err != nil {
			t.Fatalf("%s: %v", c.golden, err)
		}
		path := filepath.Join("testdata", "service", c.golden)
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("%s: the unit differs from the golden file (go test -update rewrites it):\n%s", c.golden, got)
		}
	}
	if strings.Contains(mustRender(t, cases[1].p), "{{") {
		t.Error("the unit holds {{, which kardianos/service would take for a template action")
	}
}

func mustRender(t *testing.T, p unitParams) string {
	t.Helper()
	s, err := renderUnit(p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRenderUnitVerifies: systemd-analyze verify accepts the unit, with
// this test binary as the program.
func TestRenderUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		testenv.Missing(t, "systemd-analyze is not installed (apt-get install systemd)")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	unit := filepath.Join(dir, "idsync.service")
	text := mustRender(t, unitParams{Exe: exe, Config: filepath.Join(dir, "config.toml"), ReadWrite: dir, Grace: time.Minute})
	if err := os.WriteFile(unit, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(context.Background(), analyze, "verify", unit).CombinedOutput()
	if err != nil || strings.Contains(string(out), "idsync.service") {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

func TestRenderUnitRefusesPaths(t *testing.T) {
	for _, p := range []unitParams{
		{Exe: "/usr/bin/idsync", Config: "/etc/idsync/a\nExecStartPre=/bin/sh"},
		{Exe: "/opt/{{Path}}/idsync", Config: "/etc/idsync/config.toml"},
	} {
		if _, err := renderUnit(p); err == nil || !strings.Contains(err.Error(), "cannot be written in a systemd unit") {
			t.Errorf("%q: %v, want the path refused", p, err)
		}
	}
}

func TestCheckLinuxService(t *testing.T) {
	cases := []struct {
		action, system string
		euid           int
		err            string
	}{
		{"install", "linux-systemd", 0, ""},
		{"status", "linux-systemd", 1000, ""},
		{"start", "linux-systemd", 1000, "service start: must be root (sudo idsync service start)"},
		{"install", "linux-sysv", 0, "service install: systemd not found (the service system here is linux-sysv)"},
		{"status", "none", 1000, "systemd not found"},
	}
	for _, c := range cases {
		err := checkLinuxService(c.action, c.system, c.euid)
		if (err == nil) != (c.err == "") || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s on %s as %d: %v, want %q", c.action, c.system, c.euid, err, c.err)
		}
	}
}

func TestUnderHome(t *testing.T) {
	for path, want := range map[string]bool{"/home/ann/idsync": true, "/root/config.toml": true, "/run/user/1000/x": true,
		"/home": true, "/homes/x": false, "/etc/idsync/config.toml": false, "/usr/local/bin/idsync": false} {
		if underHome(path) != want {
			t.Errorf("underHome(%s) = %v, want %v", path, !want, want)
		}
	}
}

// TestRunServiceRefusedOnLinux: "idsync run --service" is for Windows.
func TestRunServiceRefusedOnLinux(t *testing.T) {
	e := &env{t: t}
	code, _, errs := e.run("run", "--service", "-c", "/nonexistent.toml")
	if code != exitError || !strings.Contains(errs, "--service is for the Windows service only") {
		t.Fatalf("run --service: exit %d, %q", code, errs)
	}
}
