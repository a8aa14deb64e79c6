//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/idsync/idsync/internal/admin"
	"github.com/idsync/idsync/internal/secret"
	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim"
)

// daemonProc is the `idsync run` under measurement.
type daemonProc struct {
	cmd    *exec.Cmd
	status *admin.Client
	exited chan error
}

// benchWatch is -watch: slapd with the generated people, `idsync run`
// watching it with scimd (-write-log) as its target; the first full
// reconciliation, an idle period, then o.changes changes made one after
// another with ldapmodify, each timed from ldapmodify returning to its
// last write at scimd.
func benchWatch(o options, dir, ldifPath, scimURL string) error {
	start := time.Now()
	// syncrepl's first refresh reads every entry in scope: no size limit.
	slapd, err := slapdtest.StartProcess(filepath.Join(dir, "slapd"), slapdtest.WithLDIFFile(ldifPath),
		slapdtest.WithSizeLimit("unlimited"))
	if err != nil {
		return err
	}
	defer slapd.Close()
	fmt.Printf("  slapadd + slapd start in %.1f s\n", time.Since(start).Seconds())
	cfg, err := writeConfig(dir, ldapSource(slapd.URL), scimURL, o.log)
	if err != nil {
		return err
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	if err := appendFile(cfg, fmt.Sprintf("\n[daemon]\nwatch = true\n\n[admin]\nlisten = %q\n", addr)); err != nil {
		return err
	}
	d, err := startDaemon(o.bin, cfg, dir, addr)
	if err != nil {
		return err
	}
	defer d.stop()
	var r watchResult
	if err := r.measure(o, d, slapd, dir, scimURL); err != nil {
		return err
	}
	r.print(o)
	return nil
}

// watchResult is what -watch measures.
type watchResult struct {
	reconcile            time.Duration // start to the first full reconciliation done
	afterFull, afterIdle usage
	idle                 time.Duration
	latencies            map[string][]time.Duration // by change kind
	all                  []time.Duration
	changesTook          time.Duration
	afterChanges         usage
}

func (r *watchResult) measure(o options, d *daemonProc, slapd *slapdtest.Server, dir, scimURL string) error {
	ctx := context.Background()
	start := time.Now()
	if err := d.settle(ctx, time.Duration(o.size/50+300)*time.Second); err != nil {
		return fmt.Errorf("the first full reconciliation: %w", err)
	}
	r.reconcile = time.Since(start)
	var err error
	if r.afterFull, err = procUsage(d.cmd.Process.Pid); err != nil {
		return err
	}
	fmt.Printf("  first full reconciliation in %.1f s; idle for %s\n", r.reconcile.Seconds(), o.idle)
	idleStart := time.Now()
	time.Sleep(o.idle) // a benchmark, not a test: the idle period is the measurement
	r.idle = time.Since(idleStart)
	if r.afterIdle, err = procUsage(d.cmd.Process.Pid); err != nil {
		return err
	}
	id, err := scimIDs(ctx, scimURL, filepath.Join(dir, "scim.token"))
	if err != nil {
		return err
	}
	changes, err := planChanges(o.changes, o.size, o.groups, id)
	if err != nil {
		return err
	}
	token, err := os.ReadFile(filepath.Join(dir, "scim.token"))
	if err != nil {
		return err
	}
	w := &writeWatcher{url: strings.TrimSuffix(scimURL, "/scim/v2"), token: strings.TrimSpace(string(token))}
	if err := w.poll(ctx); err != nil { // skip the reconciliation's writes
		return err
	}
	w.pending = nil
	r.latencies = map[string][]time.Duration{}
	changesStart := time.Now()
	for i, c := range changes {
		lat, err := apply(ctx, w, slapd, c)
		if err != nil {
			return fmt.Errorf("change %d (%s of user%06d): %w", i+1, c.kind, c.user, err)
		}
		r.latencies[c.kind] = append(r.latencies[c.kind], lat)
		r.all = append(r.all, lat)
	}
	r.changesTook = time.Since(changesStart)
	if err := d.settle(ctx, 5*time.Minute); err != nil {
		return err
	}
	r.afterChanges, err = procUsage(d.cmd.Process.Pid)
	return err
}

// apply makes change c and returns the time from ldapmodify returning to
// the last of its writes at scimd (0 when that write came first).
func apply(ctx context.Context, w *writeWatcher, slapd *slapdtest.Server, c change) (time.Duration, error) {
	before := time.Now()
	if err := ldapmodify(slapd, c.ldif); err != nil {
		return 0, err
	}
	returned := time.Now()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	at, err := w.await(ctx, before, c.writes)
	if err != nil {
		return 0, err
	}
	return max(0, at.Sub(returned)), nil
}

// scimIDs lists the SCIM IDs of the users and groups at scimURL.
func scimIDs(ctx context.Context, scimURL, tokenFile string) (ids, error) {
	zero := 0.0
	c, err := scim.New(scim.Config{URL: scimURL, Token: secret.Ref{File: tokenFile}, RateLimit: &zero, PageSize: 1000}, nil)
	if err != nil {
		return ids{}, err
	}
	id := ids{users: map[string]string{}, groups: map[string]string{}}
	if err := c.List(ctx, func(a targets.Account) error { id.users[a.UserName] = a.ID; return nil }); err != nil {
		return ids{}, err
	}
	err = c.ListGroups(ctx, func(g targets.Group) error { id.groups[g.DisplayName] = g.ID; return nil })
	return id, err
}

// startDaemon starts `idsync run` with its log in dir/daemon.log.
func startDaemon(bin, cfg, dir, addr string) (*daemonProc, error) {
	log, err := os.Create(filepath.Join(dir, "daemon.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "run", "-c", cfg)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, err
	}
	d := &daemonProc{cmd: cmd, exited: make(chan error, 1)}
	go func() { d.exited <- cmd.Wait(); log.Close() }()
	d.status, err = admin.NewClient(admin.Config{Listen: addr})
	if err != nil {
		d.stop()
		return nil, err
	}
	return d, nil
}

// settle waits until the daemon has handled every change it received:
// the watcher watching, its first event handled and nothing pending, no
// run in flight.
func (d *daemonProc) settle(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		st, err := d.status.Status(ctx)
		if err == nil && st.Watcher != nil && st.Watcher.State == "watching" && st.Watcher.LastEvent != nil &&
			st.Watcher.Pending == 0 && !running(st) {
			return nil
		}
		select {
		case err := <-d.exited:
			return fmt.Errorf("idsync run exited: %v (see daemon.log)", err)
		case <-ctx.Done():
			return fmt.Errorf("idsync run did not settle within %s (see daemon.log)", limit)
		case <-tick.C:
		}
	}
}

func running(st admin.Status) bool {
	for _, t := range st.Targets {
		if t.Running || len(t.LastRuns) == 0 {
			return true
		}
	}
	return false
}

// stop ends the daemon with SIGTERM (SIGKILL after a minute).
func (d *daemonProc) stop() {
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(time.Minute):
		_ = d.cmd.Process.Kill()
		<-d.exited
	}
}

// freeAddr returns a loopback address with a port free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(text)
	return errors.Join(err, f.Close())
}
