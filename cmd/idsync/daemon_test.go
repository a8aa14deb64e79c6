package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// waitFor bounds every wait for the daemon: generous, since a test only
// waits that long when it is about to fail.
const waitFor = 60 * time.Second

// lockedBuffer is a bytes.Buffer safe for the daemon's log and the test.
type lockedBuffer struct {
	mu gosync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// freeAddr returns a loopback address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// appendConfig adds text to e's configuration file.
func (e *env) appendConfig(text string) {
	e.t.Helper()
	f, err := os.OpenFile(e.cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString(text)
		err = errorsJoin(err, f.Close())
	}
	if err != nil {
		e.t.Fatal(err)
	}
}

// insertConfig inserts text after the first line of the configuration
// that is after (a section header such as "[mapping]"); the test fails
// when there is none.
func (e *env) insertConfig(after, text string) {
	e.t.Helper()
	cfg, err := os.ReadFile(e.cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	old := after + "\n"
	if !strings.Contains(string(cfg), old) {
		e.t.Fatalf("the test configuration has no line %q", after)
	}
	edited := strings.Replace(string(cfg), old, old+text, 1)
	if err := os.WriteFile(e.cfg, []byte(edited), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

func errorsJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// eventually polls cond on a ticker until it holds, failing after waitFor.
func eventually(t *testing.T, what string, done <-chan int, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	limit := time.After(waitFor)
	for !cond() {
		select {
		case <-tick.C:
		case code := <-done:
			t.Fatalf("%s: the daemon exited with %d", what, code)
		case <-limit:
			t.Fatalf("%s: not within %s", what, waitFor)
		}
	}
}

// TestDaemonWatchesAndApplies runs `idsync run` in process against slapd
// (syncprov) and SCIMMY: it becomes ready after its first run, refuses a
// manual apply while it holds the state, answers `idsync status`, creates
// the account of a person added in LDAP and disables it when the person is
// deleted, saves the watch cookie, and exits 0 when its context ends.
func TestDaemonWatchesAndApplies(t *testing.T) {
	slapd := slapdtest.Start(t, slapdtest.WithLDIFFile("../../testdata/sample/day1.ldif"))
	url, token := scimtest.StartSCIMMY(t)
	e := newEnv(t, slapd, url, token, "")
	addr := freeAddr(t)
	e.appendConfig(fmt.Sprintf(`
[daemon]
watch = true
stop_grace = "20s"
[[daemon.schedule]]
name = "nightly"
cron = "0 2 * * *"
mode = "full"

[admin]
listen = %q
`, addr))

	d := startDaemon(t, e, addr)
	if n := len(e.users()); n != 124 {
		t.Fatalf("after the first run SCIMMY has %d users, want 124", n)
	}

	code, _, errs := e.idsync("apply")
	if code != exitError || !strings.Contains(errs, "already open for writing in this idsync process") {
		t.Errorf("manual apply beside the daemon: exit %d, want %d and the state in use:\n%s", code, exitError, errs)
	}
	if out := e.mustIdsync(exitOK, "runs"); !strings.Contains(out, "applied") {
		t.Errorf("runs beside the daemon:\n%s", out)
	}

	out := e.mustIdsync(exitOK, "status")
	for _, want := range []string{"idsync: started ", "Watcher (syncrepl): watching since ", "Target scim: ",
		"Next runs:", "nightly", "full", "0 2 * * *", "Last runs:", "STARTED", "TRIGGER", "startup", "applied"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}

	c := slapd.Conn(t)
	add := ldap.NewAddRequest("uid=pnatarajan,"+people, nil)
	for _, a := range [][2]string{{"objectClass", "inetOrgPerson"}, {"uid", "pnatarajan"}, {"cn", "Priya Natarajan"},
		{"sn", "Natarajan"}, {"givenName", "Priya"}, {"displayName", "Priya Natarajan"},
		{"mail", "priya.natarajan@example.org"}, {"departmentNumber", "Engineering"}, {"employeeType", "staff"}} {
		add.Attribute(a[0], []string{a[1]})
	}
	if err := c.Add(add); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new person's account", d.done, func() bool { return e.users()["pnatarajan"].Active })
	if err := c.Del(ldap.NewDelRequest(add.DN, nil)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the deleted person's account disabled", d.done, func() bool {
		u, ok := e.users()["pnatarajan"]
		return ok && !u.Active
	})
	// syncrepl gives no time for a delete: the leaver is detected when it
	// arrived, as the directory's word.
	since := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	if out := e.mustIdsync(exitOK, "report", "leavers", "--since", since, "--format", "csv"); !strings.Contains(out, "pnatarajan") ||
		!strings.Contains(out, ","+sync.ChangedByNotice) {
		t.Errorf("report leavers does not give the delete's arrival for pnatarajan:\n%s", out)
	}
	if out := e.mustIdsync(exitOK, "status"); !strings.Contains(out, "watch") {
		t.Errorf("status shows no run triggered by the watcher:\n%s", out)
	}

	d.stop(t)
	st, err := state.OpenShared(context.Background(), filepath.Join(e.dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if ck, err := st.LoadWatchCookie(context.Background(), "ldap"); err != nil || len(ck.Cookie) == 0 {
		t.Errorf("watch cookie after the run: %v, %v", ck, err)
	}
	if code, _, errs := e.idsync("status"); code != exitError || !strings.Contains(errs, "is `idsync run` running") {
		t.Errorf("status without a daemon: exit %d:\n%s", code, errs)
	}
}

// inProcessDaemon is an `idsync run` started in process by startDaemon.
type inProcessDaemon struct {
	done   chan int // its exit code
	cancel context.CancelFunc
	log    *lockedBuffer // its stderr
}

// startDaemon runs `idsync run` with e's configuration in process and
// returns once its admin listener at addr says it is ready. Its log is
// shown when the test fails.
func startDaemon(t *testing.T, e *env, addr string) *inProcessDaemon {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stderr := &lockedBuffer{}
	d := &inProcessDaemon{done: make(chan int, 1), cancel: cancel, log: stderr}
	go func() { d.done <- run(ctx, []string{"run", "-c", e.cfg}, &bytes.Buffer{}, stderr) }()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("daemon log:\n%s", tail(stderr.String()))
		}
	})
	eventually(t, "ready", d.done, func() bool {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return d
}

// stop cancels the daemon's context and checks that it exits 0.
func (d *inProcessDaemon) stop(t *testing.T) {
	t.Helper()
	d.cancel()
	select {
	case code := <-d.done:
		if code != exitOK {
			t.Errorf("run exited %d, want %d", code, exitOK)
		}
	case <-time.After(waitFor):
		t.Fatal("run did not return after its context ended")
	}
}
