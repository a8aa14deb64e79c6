//go:build linux

// Command idsync-bench measures idsync against a throwaway directory of a
// given size, each step as a separate process with its wall time, CPU time
// (user + system) and peak RSS:
//
//	go run ./cmd/idsync-bench -size 100000          # make bench
//	go run ./cmd/idsync-bench -size 1000000 -source ldif -repeat 1
//	go run ./cmd/idsync-bench -watch -size 100000 -changes 200
//
// With -source ldap (the default) it generates the directory into slapd
// (slapadd) and starts idsync's in-memory SCIM server (scimd, as its own
// process), then measures: ldapsearch -E pr=1000/noprompt reading every
// user; idsync plan with an empty state and target; the JSON and text
// reports of that plan (plan --format json|text|csv|html --out FILE) and
// headless Chromium opening the HTML one; idsync apply
// of the creates; idsync plan against the fully linked state. Each plan
// run follows an ldapsearch run, alternating, and the medians are
// compared. With -source ldif it reads the generated LDIF file instead of
// slapd and measures only the plan and its reports against an empty
// target: the way to see the reports at a million people without loading
// slapd and the SCIM server with them.
//
// With -watch it measures the daemon instead: `idsync run` watching slapd
// (syncrepl) with scimd as its target; after the first full
// reconciliation and an idle period (-idle), -changes changes made one
// after another with ldapmodify (a title change, a group move, a disable,
// a delete, in turn, each on a person of its own), each timed from
// ldapmodify returning to its last write at scimd (scimd -write-log
// records when each write finished); p50/p95/p99 by kind, and the
// daemon's CPU time and RSS (from /proc) after the first reconciliation,
// after the idle period and after the changes.
//
// It is a benchmark, not a test: CI does not run it. The work directory
// (bench-out) holds the generated directory, the reports and each
// command's log; it is emptied first and is never committed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "idsync-bench:", err)
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	size, groups, repeat int
	dir, bin, scimd, log string
	source               string
	hold                 bool
	noBrowser            bool
	watch                bool
	changes              int
	idle                 time.Duration
	goldapRead           string
}

func parseFlags() options {
	var o options
	flag.IntVar(&o.size, "size", 100000, "people in the directory")
	flag.IntVar(&o.size, "users", 100000, "the same as -size")
	flag.IntVar(&o.groups, "groups", 1000, "groups in the directory")
	flag.StringVar(&o.source, "source", "ldap", "where idsync reads the people: ldap (slapd) or ldif (the generated file)")
	flag.StringVar(&o.dir, "dir", "bench-out", "work `directory` (emptied first)")
	flag.StringVar(&o.bin, "idsync", "bin/idsync", "the idsync binary to measure")
	flag.StringVar(&o.scimd, "scimd", "bin/scimd", "the SCIM test server binary")
	flag.IntVar(&o.repeat, "repeat", 5, "runs of each plan, alternating with ldapsearch; medians are compared")
	flag.StringVar(&o.log, "log", "warn", "idsync's log level; its logs go to DIR/*.log")
	flag.BoolVar(&o.hold, "hold", false, "keep slapd and the SCIM server running after the measurements, until interrupted (for profiling)")
	flag.BoolVar(&o.noBrowser, "no-browser", false, "do not open the HTML report in Chromium (at 100,000 changes that takes minutes)")
	flag.BoolVar(&o.watch, "watch", false, "measure the daemon (idsync run, watching slapd) instead: change latency, idle CPU, RSS")
	flag.IntVar(&o.changes, "changes", 200, "with -watch: changes made one after another (title, group move, disable, delete in turn)")
	flag.DurationVar(&o.idle, "idle", 30*time.Second, "with -watch: how long the daemon idles after the first full reconciliation")
	flag.StringVar(&o.goldapRead, "goldap-read", "", "read every person from the slapd at `URL` with go-ldap alone, as the baseline's ldapsearch does, and exit (the bench runs itself so)")
	flag.Parse()
	return o
}

func run() error {
	o := parseFlags()
	if o.goldapRead != "" {
		return goLDAPRead(o.goldapRead)
	}
	if o.source != "ldap" && o.source != "ldif" {
		return fmt.Errorf("-source must be ldap or ldif, got %q", o.source)
	}
	if o.watch && (o.source != "ldap" || o.hold) {
		return errors.New("-watch reads slapd: it goes with neither -source ldif nor -hold")
	}
	if _, err := os.Stat(o.bin); err != nil {
		return fmt.Errorf("%w (run make build first)", err)
	}
	abs, err := filepath.Abs(o.dir)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(abs); err != nil {
		return err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return err
	}
	logDir = abs
	fmt.Printf("idsync-bench: %d people in %d groups, source %s, work directory %s\n", o.size, o.groups, o.source, abs)
	start := time.Now()
	ldifPath := filepath.Join(abs, "people.ldif")
	if err := writeLDIF(ldifPath, o.size, o.groups); err != nil {
		return err
	}
	fmt.Printf("  generated LDIF in %.1f s\n", time.Since(start).Seconds())
	var scimdArgs []string
	if o.watch {
		scimdArgs = append(scimdArgs, "-write-log")
	}
	url, stop, err := startSCIM(abs, o.scimd, scimdArgs...)
	if err != nil {
		return err
	}
	defer stop()
	if o.watch {
		return benchWatch(o, abs, ldifPath, url)
	}

	t := table{noBrowser: o.noBrowser}
	if o.source == "ldif" {
		err = benchLDIF(&t, o, abs, ldifPath, url)
	} else {
		var stopSlapd func()
		stopSlapd, err = benchLDAP(&t, o, abs, ldifPath, url)
		defer stopSlapd() // after -hold: the held config reads slapd
	}
	if err != nil {
		return err
	}
	t.print(o.size)
	if o.hold {
		fmt.Printf("holding: idsync plan -c %s (interrupt to stop)\n", filepath.Join(abs, "config.toml"))
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		<-ctx.Done()
	}
	return nil
}

// benchLDAP measures the whole cycle against slapd. It returns the func
// that stops slapd, which the caller calls after -hold.
func benchLDAP(t *table, o options, dir, ldifPath, scimURL string) (func(), error) {
	start := time.Now()
	slapd, err := slapdtest.StartProcess(filepath.Join(dir, "slapd"), slapdtest.WithLDIFFile(ldifPath))
	if err != nil {
		return func() {}, err
	}
	return slapd.Close, benchSlapd(t, o, dir, slapd, scimURL, start)
}

// benchSlapd measures the whole cycle against the running slapd.
func benchSlapd(t *table, o options, dir string, slapd *slapdtest.Server, scimURL string, start time.Time) error {
	fmt.Printf("  slapadd + slapd start in %.1f s\n", time.Since(start).Seconds())
	cfg, err := writeConfig(dir, ldapSource(slapd.URL), scimURL, o.log)
	if err != nil {
		return err
	}
	// Every idsync plan run follows an ldapsearch run, alternating, so
	// that both see the machine in the same state (a VM's speed drifts by
	// a third over minutes); the medians are compared.
	search := []string{"ldapsearch", "-x", "-LLL", "-H", slapd.URL, "-D", slapdtest.ReaderDN,
		"-w", slapdtest.ReaderPassword, "-b", slapdtest.PeopleDN, "-E", "pr=1000/noprompt", "(objectClass=inetOrgPerson)"}
	search1, empty, err := pair(o.repeat, search, planArgs(o.bin, cfg, "text", filepath.Join(dir, "plan-empty.txt")))
	if err != nil {
		return err
	}
	t.add("ldapsearch -E pr=1000/noprompt (all users)", search1, nil)
	t.add("idsync plan: empty state and target", empty, &search1)
	// The same search with go-ldap alone: what the library costs before
	// idsync does anything with the entries.
	self, err := os.Executable()
	if err != nil {
		return err
	}
	search3, lib, err := pair(o.repeat, search, []string{self, "-goldap-read", slapd.URL})
	if err != nil {
		return err
	}
	t.add("ldapsearch -E pr=1000/noprompt (all users)", search3, nil)
	t.add("go-ldap alone, the same paged search (no idsync)", lib, &search3)
	if err := t.reports(o.bin, cfg, dir); err != nil {
		return err
	}
	apply, err := once(o.bin, "apply", "-q", "-c", cfg)
	if err != nil {
		return err
	}
	t.add(fmt.Sprintf("idsync apply: %d creates + group memberships", o.size), apply, nil)
	search2, linked, err := pair(o.repeat, search, planArgs(o.bin, cfg, "text", filepath.Join(dir, "plan-linked.txt"), "--exit-code"))
	if err != nil {
		return err
	}
	t.add("ldapsearch -E pr=1000/noprompt (all users)", search2, nil)
	t.add("idsync plan: fully linked state and target", linked, &search2)
	return nil
}

// benchLDIF measures the plan of an empty state and its reports, reading
// the LDIF file.
func benchLDIF(t *table, o options, dir, ldifPath, scimURL string) error {
	cfg, err := writeConfig(dir, ldifSource(ldifPath), scimURL, o.log)
	if err != nil {
		return err
	}
	return t.reports(o.bin, cfg, dir)
}

// reports measures plan --format F --out FILE, for every format, against
// the current state: with an empty state, the largest report there is.
func (t *table) reports(bin, cfg, dir string) error {
	for _, format := range []string{"json", "text", "csv", "html"} {
		out := filepath.Join(dir, "report."+format)
		args := planArgs(bin, cfg, format, out)
		m, err := once(args[0], args[1:]...)
		if err != nil {
			return err
		}
		fi, err := os.Stat(out)
		if err != nil {
			return err
		}
		t.add(fmt.Sprintf("idsync plan --format %s --out FILE (%.0f MB)", format, float64(fi.Size())/(1<<20)), m, nil)
		t.reportRSS = append(t.reportRSS, m.rssMiB)
	}
	if t.noBrowser {
		return nil
	}
	return t.openHTML(filepath.Join(dir, "report.html"))
}

// openHTML measures Chromium opening the HTML report (headless, the DOM
// dumped once loaded and its script run), when chromium is installed.
func (t *table) openHTML(page string) error {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		fmt.Println("chromium not installed: the HTML report is not opened")
		return nil
	}
	m, err := once(bin, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir="+filepath.Join(filepath.Dir(page), "chromium"),
		"--dump-dom", "file://"+page)
	if err != nil {
		return err
	}
	t.add("chromium --headless --dump-dom report.html (main process)", m, nil)
	return nil
}

func planArgs(bin, cfg, format, out string, extra ...string) []string {
	return append([]string{bin, "plan", "-c", cfg, "--format", format, "--out", out}, extra...)
}
