package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/sync"
)

// reloadEnv writes a configuration with the schedules in daemon and builds
// a daemon on it (its engine not started).
func reloadEnv(t *testing.T, daemon string) (*daemon, string, *test.Hook) {
	t.Helper()
	pw := filepath.Join(t.TempDir(), "ldap.pw")
	if err := os.WriteFile(pw, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("IDSYNC_TEST_RELOAD_TOKEN", "token")
	path := checkConfig(t, pw, "IDSYNC_TEST_RELOAD_TOKEN")
	base, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	write := func(daemon string) {
		if err := os.WriteFile(path, append(append([]byte{}, base...), daemon...), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(daemon)
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	store, err := state.Open(context.Background(), cfg.State.Path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	log := logrus.New()
	log.SetOutput(io.Discard)
	hook := test.NewLocal(log)
	d, err := newDaemon(cfg, store, log)
	if err != nil {
		t.Fatal(err)
	}
	return d, path, hook
}

func scheduleNames(runs []sync.NextRun) string {
	var out []string
	for _, r := range runs {
		out = append(out, r.Name)
	}
	return strings.Join(out, ",")
}

// TestReload: a file that fails validation is refused with an error log
// line and the schedules in place stay; a valid one replaces the schedules
// and the runner's targets, and a change that needs a restart is named.
func TestReload(t *testing.T) {
	d, path, hook := reloadEnv(t, "\n[daemon]\n[[daemon.schedule]]\nname = \"nightly\"\ncron = \"0 2 * * *\"\nmode = \"full\"\n")
	base, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	base = base[:strings.Index(string(base), "\n[daemon]")]
	oldRunner := d.runner

	bad := string(base) + "\n[daemon]\n[[daemon.schedule]]\nname = \"poll\"\ncron = \"every minute\"\nmode = \"full\"\n"
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.reload(); err == nil || !strings.Contains(err.Error(), "daemon.schedule[0].cron") {
		t.Errorf("reload of an invalid file: %v", err)
	}
	if got := scheduleNames(d.engine.NextRuns()); got != "nightly" {
		t.Errorf("schedules after a refused reload: %s, want nightly", got)
	}
	if e := hook.LastEntry(); e == nil || e.Level != logrus.ErrorLevel || !strings.Contains(e.Message, "the running one stays") {
		t.Errorf("refused reload logged %+v", e)
	}
	if d.runner != oldRunner {
		t.Error("a refused reload replaced the runner")
	}

	good := string(base) + "\n[daemon]\n[[daemon.schedule]]\nname = \"poll\"\ncron = \"@every 5m\"\nmode = \"incremental\"\n" +
		"[[daemon.schedule]]\nname = \"weekly\"\ncron = \"0 3 * * 0\"\nmode = \"full\"\n[admin]\nlisten = \"127.0.0.1:9999\"\n"
	if err := os.WriteFile(path, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	hook.Reset()
	if err := d.reload(); err != nil {
		t.Fatalf("reload of a valid file: %v", err)
	}
	if got := scheduleNames(d.engine.NextRuns()); got != "poll,weekly" {
		t.Errorf("schedules after reload: %s, want poll,weekly", got)
	}
	if d.runner == oldRunner || d.cfg.Admin.Listen != "127.0.0.1:9999" {
		t.Error("the reload kept the old runner or configuration")
	}
	var restart bool
	for _, e := range hook.AllEntries() {
		if e.Level == logrus.WarnLevel && strings.Contains(e.Message, "next restart") && strings.Contains(fmt.Sprint(e.Data["keys"]), "admin") {
			restart = true
		}
	}
	if !restart {
		t.Errorf("no warning that [admin] needs a restart: %v", hook.AllEntries())
	}
}

// TestReloadKeepsWatchedSource: while a watcher follows the source, a
// reload that changes [source] (here its server) keeps the source the
// watcher reads for the runs too, with a warning that it waits for a
// restart: the runs must read a watch event's changes where the event came
// from. The rest of the file is taken.
func TestReloadKeepsWatchedSource(t *testing.T) {
	d, path, hook := reloadEnv(t, "")
	d.watch = newWatchState("syncrepl", d.metrics, "ldap")
	oldSource := d.cfg.Source
	base, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(base), `url = "ldaps://ldap.example.com"`, `url = "ldaps://ldap2.example.com"`, 1)
	changed += "\n[admin]\nlisten = \"127.0.0.1:9998\"\n"
	if changed == string(base) {
		t.Fatal("the test configuration has no source url to change")
	}
	if err := os.WriteFile(path, []byte(changed), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.reload(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d.cfg.Source, oldSource) || d.cfg.Admin.Listen != "127.0.0.1:9998" {
		t.Errorf("after the reload: source changed %v, admin %q; want the source kept and the rest taken",
			!reflect.DeepEqual(d.cfg.Source, oldSource), d.cfg.Admin.Listen)
	}
	var warned bool
	for _, e := range hook.AllEntries() {
		if e.Level == logrus.WarnLevel && strings.Contains(fmt.Sprint(e.Data["keys"]), "source") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning that [source] waits for a restart: %v", hook.AllEntries())
	}
}

// TestReloadSameWatchedSource: a reload of a file whose [source] did not
// change warns of nothing about it while a watcher follows the source.
func TestReloadSameWatchedSource(t *testing.T) {
	d, _, hook := reloadEnv(t, "")
	d.watch = newWatchState("syncrepl", d.metrics, "ldap")
	if err := d.reload(); err != nil {
		t.Fatal(err)
	}
	for _, e := range hook.AllEntries() {
		if e.Level == logrus.WarnLevel && strings.Contains(fmt.Sprint(e.Data["keys"]), "source") {
			t.Errorf("the same [source] reloaded: warned %q %v", e.Message, e.Data)
		}
	}
}
