package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"
	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
	"github.com/idsync/idsync/targets/scim"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// generated starts slapd with n generated people in 10 groups and the Go
// SCIM server, which can inject faults.
func generated(t *testing.T, n int) (*env, *scimtest.Server) {
	t.Helper()
	var buf bytes.Buffer
	if err := slapdtest.GenerateLDIF(&buf, n, 10); err != nil {
		t.Fatal(err)
	}
	slapd := slapdtest.Start(t, slapdtest.WithLDIF(buf.Bytes()))
	url, token, srv := scimtest.Start(t, scimtest.Options{})
	// Generated people are in groups group0000..group0009: one role each.
	e := newEnv(t, slapd, url, token, "")
	return e, srv
}

func assertConverged(t *testing.T, e *env, wantUsers int) {
	t.Helper()
	users := e.users() // fails on duplicate userNames
	if len(users) != wantUsers {
		t.Errorf("target has %d users, want %d", len(users), wantUsers)
	}
	if out := e.mustIdsync(exitOK, "plan", "--exit-code"); !strings.Contains(out, "No changes") {
		t.Errorf("not converged:\n%s", tail(out))
	}
}

func TestApplyFinishesAfterTargetFailure(t *testing.T) {
	e, srv := generated(t, 150)
	srv.FailAfterWrites(60, 503)
	_, _, errs := e.idsync("apply")
	if !strings.Contains(errs, "503") {
		t.Fatalf("the failing apply did not report the 503:\n%s", tail(errs))
	}
	// The server checks its write count as a request comes in: the
	// creates in flight beside the 60th (concurrency 4) may still land.
	if n := len(e.users()); n < 60 || n >= 60+scim.DefaultConcurrency {
		t.Fatalf("after the failure the target has %d users, want 60 to %d", n, 60+scim.DefaultConcurrency-1)
	}
	srv.ResetFaults()
	e.mustIdsync(exitOK, "apply")
	assertConverged(t, e, 150)
	// No change lost: every account has exactly one successful create row.
	rows := e.audit(0)
	ok := 0
	for _, r := range rows {
		if strings.HasPrefix(r, "joiner/create ") && !strings.HasSuffix(r, " ERROR") {
			ok++
		}
	}
	if got := ok; got != 150 {
		t.Errorf("%d successful create audit rows, want 150", got)
	}
}

func TestApply429StormConverges(t *testing.T) {
	e, srv := generated(t, 40)
	srv.Storm429(4, 1)     // a burst at the start, with Retry-After: 1
	srv.RateLimit429(5, 0) // then every fifth request
	e.mustIdsync(exitOK, "apply")
	if st := srv.Stats(); st.Throttled < 12 {
		t.Errorf("the server throttled %d requests, want at least 12", st.Throttled)
	}
	srv.ResetFaults()
	assertConverged(t, e, 40)
}

func TestGuardRefusesShrunkDirectory(t *testing.T) {
	e, srv := generated(t, 100)
	e.mustIdsync(exitOK, "apply")
	// 60% of the people vanish (a broken replica, a wrong base DN...).
	c := e.slapd.Conn(t)
	for i := 0; i < 60; i++ {
		if err := c.Del(ldap.NewDelRequest(slapdtest.UserDN(i), nil)); err != nil {
			t.Fatal(err)
		}
	}
	srv.ResetStats()
	code, out, errs := e.idsync("apply")
	if code != exitError {
		t.Fatalf("apply exit %d, want %d\n%s", code, exitError, tail(out))
	}
	for _, want := range []string{"refusing to apply, nothing was changed", "40 people in scope, 60.0% fewer than the 100",
		"guards.max_source_shrink_percent = 20", "--allow-shrink"} {
		if !strings.Contains(errs, want) {
			t.Errorf("the refusal does not say %q:\n%s", want, tail(errs))
		}
	}
	if w := srv.Stats().Writes; w != 0 {
		t.Errorf("a refused run wrote %d times", w)
	}
	// Reviewed and real: the operator lets it through.
	e.mustIdsync(exitOK, "apply", "--allow-shrink", "--allow-deletes", "60")
	active := 0
	for _, u := range e.users() {
		if u.Active {
			active++
		}
	}
	if active != 40 {
		t.Errorf("%d active users, want 40", active)
	}
}

// stopAfter reads from the real LDAP source and kills slapd after n people,
// in the middle of the read.
type stopAfter struct {
	src   sync.Source
	slapd *slapdtest.Server
	n     int
}

func (s *stopAfter) Read(ctx context.Context, fn func(mapping.Entry) error) error {
	seen := 0
	return s.src.Read(ctx, func(e mapping.Entry) error {
		if seen++; seen == s.n {
			s.slapd.Stop()
		}
		return fn(e)
	})
}

func TestLDAPServerStopsMidRead(t *testing.T) {
	e, srv := generated(t, 400)
	e.mustIdsync(exitOK, "apply")
	srv.ResetStats()
	cfg, err := loadConfig(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	st, err := state.Open(context.Background(), cfg.State.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, err := newRunner(cfg, st, "", log)
	if err != nil {
		t.Fatal(err)
	}
	r.Source = &stopAfter{src: r.Source, slapd: e.slapd, n: 100}
	out, err := r.Run(context.Background(), sync.Options{})
	if err == nil || !strings.Contains(err.Error(), "read source") {
		t.Fatalf("run err = %v, want a source read error", err)
	}
	if out != nil {
		t.Errorf("a failed read produced plans: %+v", out.Plans)
	}
	if w := srv.Stats().Writes; w != 0 {
		t.Errorf("a failed read wrote %d times to the target", w)
	}
	if n := len(e.users()); n != 400 {
		t.Errorf("target has %d users after the failed read, want 400", n)
	}
}

// TestSecretsNeverShow runs plan and apply at debug level and looks for the
// bind password and the bearer token everywhere idsync writes.
func TestSecretsNeverShow(t *testing.T) {
	e, _ := generated(t, 20)
	report := filepath.Join(e.dir, "report.json")
	var seen strings.Builder
	for _, args := range [][]string{{"config", "check"}, {"plan"}, {"plan", "--format", "json"}, {"apply", "--report", report},
		{"audit"}, {"runs"}} {
		_, out, errs := e.idsync(args...)
		seen.WriteString(out + errs)
	}
	// A wrong token and a wrong password make idsync print errors too.
	if err := os.WriteFile(filepath.Join(e.dir, "ldap.pw"), []byte("wrong-"+slapdtest.ReaderPassword), 0o600); err != nil {
		t.Fatal(err)
	}
	_, out, errs := e.idsync("plan")
	seen.WriteString(out + errs)
	for _, f := range []string{report, filepath.Join(e.dir, "state.db")} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		seen.Write(b)
	}
	if !strings.Contains(seen.String(), "level=debug") {
		t.Fatal("no debug logging was captured; the test would prove nothing")
	}
	for name, s := range map[string]string{"SCIM token": e.token, "bind password": slapdtest.ReaderPassword} {
		if strings.Contains(seen.String(), s) {
			t.Errorf("the %s appears in idsync's output, report or state", name)
		}
	}
	if !strings.Contains(errs, "Invalid credentials") && !strings.Contains(errs, "49") {
		t.Errorf("a wrong password did not give a bind error:\n%s", tail(errs))
	}
	_ = errors.New
}

// TestSlack429StormAtConcurrency: the sample organisation joins a server
// imitating Slack (per-object write locks answered 429) at concurrency 8,
// through every fourth request throttled and, after 30 writes, a storm
// of 40 429s with Retry-After (which holds every worker back): the apply ends, with one
// account per person and an empty plan after.
func TestSlack429StormAtConcurrency(t *testing.T) {
	slapd := slapdtest.Start(t, slapdtest.WithLDIFFile("../../testdata/sample/day1.ldif"))
	url, token, srv := scimtest.Start(t, scimtest.Options{Profile: scim.ProfileSlack})
	e := newEnv(t, slapd, url, token, "profile = \"slack\"\nwrite_rate_limit = 0\nconcurrency = 8\nmax_retries = 12\n")
	e.editConfig(func(s string) string {
		return strings.Replace(s, `userName = 'lower(attr("uid"))'`, `userName = 'attr("mail")'`, 1)
	})
	srv.Storm429AfterWrites(30, 40, 1)
	srv.RateLimit429(4, 0)
	e.mustIdsync(exitOK, "apply")
	if st := srv.Stats(); st.Throttled < 60 {
		t.Errorf("the server throttled %d requests, want at least 60", st.Throttled)
	}
	srv.ResetFaults()
	if n := len(srv.Users()); n != 124 {
		t.Errorf("%d users, want 124", n)
	}
	e.converged("after the storm")
}
