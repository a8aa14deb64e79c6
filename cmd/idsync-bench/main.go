//go:build linux

// Command idsync-bench measures a full idsync plan against a throwaway slapd
// holding many people, next to the time ldapsearch takes to read them:
//
//	go run ./cmd/idsync-bench -users 100000 -groups 1000
//
// It generates the directory (slapadd), starts idsync's in-memory SCIM
// server (scimd, as its own process), and times, as separate processes
// with their peak RSS: idsync plan against an empty state and target;
// idsync apply (which links everyone); idsync plan again against the fully
// linked state. Each plan run follows a run of ldapsearch -E
// pr=1000/noprompt reading every user, and the ratio compares the medians.
// `make bench` runs it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "idsync-bench:", err)
		os.Exit(1)
	}
}

// logDir and logs name the log file of each measured command.
var (
	logDir string
	logs   int
)

type measure struct {
	wall   time.Duration
	rssMiB float64
}

func run() error {
	users := flag.Int("users", 100000, "people in the directory")
	groups := flag.Int("groups", 1000, "groups in the directory")
	dir := flag.String("dir", "bench-out", "work `directory` (emptied first)")
	bin := flag.String("idsync", "bin/idsync", "the idsync binary to measure")
	scimd := flag.String("scimd", "bin/scimd", "the SCIM test server binary")
	repeat := flag.Int("repeat", 5, "runs of each read-only measurement, alternating with ldapsearch; medians are compared")
	logLevel := flag.String("log", "warn", "idsync's log level; its logs go to DIR/*.log")
	hold := flag.Bool("hold", false, "keep slapd and the SCIM server running after the measurements, until interrupted (for profiling)")
	flag.Parse()
	if _, err := os.Stat(*bin); err != nil {
		return fmt.Errorf("%w (run make build first)", err)
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(abs); err != nil {
		return err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return err
	}
	fmt.Printf("idsync-bench: %d people in %d groups, work directory %s\n", *users, *groups, abs)

	start := time.Now()
	ldifPath := filepath.Join(abs, "people.ldif")
	f, err := os.Create(ldifPath)
	if err != nil {
		return err
	}
	if err := slapdtest.GenerateLDIF(f, *users, *groups); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Printf("  generated LDIF in %.1f s\n", time.Since(start).Seconds())
	start = time.Now()
	slapd, err := slapdtest.StartProcess(filepath.Join(abs, "slapd"), slapdtest.WithLDIFFile(ldifPath))
	if err != nil {
		return err
	}
	defer slapd.Close()
	fmt.Printf("  slapadd + slapd start in %.1f s\n", time.Since(start).Seconds())

	url, stop, err := startSCIM(abs, *scimd)
	if err != nil {
		return err
	}
	defer stop()
	logDir = abs
	cfg, err := writeConfig(abs, slapd.URL, url, *logLevel)
	if err != nil {
		return err
	}

	// Every idsync plan run follows an ldapsearch run, alternating, so
	// that both see the machine in the same state (a VM's speed drifts by
	// a third over minutes); the medians are compared.
	search := []string{"ldapsearch", "-x", "-LLL", "-H", slapd.URL, "-D", slapdtest.ReaderDN,
		"-w", slapdtest.ReaderPassword, "-b", slapdtest.PeopleDN, "-E", "pr=1000/noprompt", "(objectClass=inetOrgPerson)"}
	search1, empty, err := pair(*repeat, search, []string{*bin, "plan", "-c", cfg, "--out", filepath.Join(abs, "plan-empty.txt")})
	if err != nil {
		return err
	}
	apply, err := once(*bin, "apply", "-q", "-c", cfg)
	if err != nil {
		return err
	}
	search2, linked, err := pair(*repeat, search, []string{*bin, "plan", "-c", cfg, "--exit-code", "--out", filepath.Join(abs, "plan-linked.txt")})
	if err != nil {
		return err
	}

	ratio := func(m, base measure) string { return fmt.Sprintf("%.2fx", m.wall.Seconds()/base.wall.Seconds()) }
	fmt.Printf("\nmedians of %d alternating runs\n%-58s %9s %10s %8s\n", *repeat, "measurement", "seconds", "peak RSS", "ratio")
	row := func(name string, m measure, r string) {
		fmt.Printf("%-58s %9.2f %7.0f MB %8s\n", name, m.wall.Seconds(), m.rssMiB, r)
	}
	row("ldapsearch -E pr=1000/noprompt (all users)", search1, "1.00x")
	row("idsync plan: empty state and target", empty, ratio(empty, search1))
	row(fmt.Sprintf("idsync apply: %d creates + group memberships", *users), apply, "")
	row("ldapsearch -E pr=1000/noprompt (all users)", search2, "1.00x")
	row("idsync plan: fully linked state and target", linked, ratio(linked, search2))
	fmt.Printf("\ntarget for issue #2: plan <= 2.00x ldapsearch and peak RSS <= 400 MB at 100k people\n")
	if *hold {
		fmt.Printf("holding: idsync plan -c %s (interrupt to stop)\n", cfg)
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		<-ctx.Done()
	}
	return nil
}

// pair runs a and b alternately n times each and returns, for each, the
// median time and the largest peak RSS.
func pair(n int, a, b []string) (measure, measure, error) {
	var ma, mb []measure
	for i := 0; i < n; i++ {
		for _, c := range []struct {
			args []string
			out  *[]measure
		}{{a, &ma}, {b, &mb}} {
			m, err := once(c.args[0], c.args[1:]...)
			if err != nil {
				return measure{}, measure{}, err
			}
			fmt.Printf("  %s %s: %.2f s, %.0f MB\n", filepath.Base(c.args[0]), c.args[1], m.wall.Seconds(), m.rssMiB)
			*c.out = append(*c.out, m)
		}
	}
	return median(ma), median(mb), nil
}

// median returns the median time (the lower middle one of an even count)
// and the largest peak RSS of ms.
func median(ms []measure) measure {
	walls := make([]time.Duration, len(ms))
	var out measure
	for i, m := range ms {
		walls[i] = m.wall
		out.rssMiB = max(out.rssMiB, m.rssMiB)
	}
	slices.Sort(walls)
	out.wall = walls[(len(walls)-1)/2]
	return out
}

// once runs the command with its output discarded and measures its wall
// time and peak resident set size. A plan's exit code 2 (changes pending)
// is a success here.
func once(name string, args ...string) (measure, error) {
	cmd := exec.Command(name, args...)
	logs++
	logFile, err := os.Create(filepath.Join(logDir, fmt.Sprintf("%02d-%s.log", logs, filepath.Base(name))))
	if err != nil {
		return measure{}, err
	}
	defer logFile.Close()
	var stderr strings.Builder
	cmd.Stderr = io.MultiWriter(&stderr, logFile)
	start := time.Now()
	err = cmd.Run()
	m := measure{wall: time.Since(start)}
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 2 {
		err = nil
	}
	if err != nil {
		return m, fmt.Errorf("%s %s: %w\n%s", name, args[0], err, stderr.String())
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.rssMiB = float64(ru.Maxrss) / 1024 // Linux reports KiB
	}
	return m, nil
}

// startSCIM runs scimd as its own process. Not in this process: a child's
// ru_maxrss on Linux starts from the RSS of the process that forked it, so a
// SCIM server holding 100k users here would inflate every idsync figure.
func startSCIM(dir, scimd string) (string, func(), error) {
	token := filepath.Join(dir, "scim.token")
	if err := os.WriteFile(token, []byte(scimtest.RandomToken()), 0o600); err != nil {
		return "", nil, err
	}
	addr := filepath.Join(dir, "scim.addr")
	cmd := exec.Command(scimd, "-listen", "127.0.0.1:0", "-token-file", token, "-addr-file", addr)
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("%w (run make build first)", err)
	}
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}
	for i := 0; i < 200; i++ {
		if b, err := os.ReadFile(addr); err == nil && len(b) > 0 {
			return strings.TrimSpace(string(b)), stop, nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	stop()
	return "", nil, errors.New("scimd did not start")
}

func writeConfig(dir, ldapURL, scimURL, level string) (string, error) {
	if err := os.WriteFile(filepath.Join(dir, "ldap.pw"), []byte(slapdtest.ReaderPassword), 0o600); err != nil {
		return "", err
	}
	cfg := fmt.Sprintf(`[log]
level = %q

[state]
path = "state.db"

[source]
kind = "ldap"

[source.ldap]
url = %q
bind_dn = %q
bind_password = { file = "ldap.pw" }
page_size = 1000

[source.ldap.users]
base_dn = %q
attributes = ["uid", "cn", "sn", "givenName", "displayName", "mail", "title", "departmentNumber", "employeeNumber", "memberOf"]

[source.ldap.groups]
base_dn = %q

[mapping]
scope = 'has("mail")'

[mapping.attributes]
userName = 'attr("uid")'
displayName = 'default(attr("displayName"), attr("cn"))'
"name.givenName" = 'attr("givenName")'
"name.familyName" = 'attr("sn")'
"emails.work" = 'lower(attr("mail"))'
title = 'attr("title")'
department = 'attr("departmentNumber")'
employeeNumber = 'attr("employeeNumber")'

[[mapping.group_roles]]
match = 'true'
name = '"role-" + group.name'

[guards]
max_deletes = -1

[[target]]
name = "bench"
kind = "scim"

[target.scim]
url = %q
token = { file = "scim.token" }
rate_limit = 0
page_size = 1000
timeout = "120s"
`, level, ldapURL, slapdtest.ReaderDN, slapdtest.PeopleDN, slapdtest.GroupsDN, scimURL)
	path := filepath.Join(dir, "config.toml")
	return path, os.WriteFile(path, []byte(cfg), 0o600)
}
