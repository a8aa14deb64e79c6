package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/internal/secret"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim"
)

// env is one idsync installation under test: a config file in a temp dir
// pointing at a real slapd and a SCIM server.
type env struct {
	t       *testing.T
	dir     string
	cfg     string
	slapd   *slapdtest.Server
	scimURL string
	token   string
}

// demoMapping returns the [mapping] and [guards] sections of the demo
// configuration, so the tests run the rules users see.
func demoMapping(t *testing.T) string {
	b, err := os.ReadFile("../../testdata/demo/config.toml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	return s[strings.Index(s, "[mapping]"):strings.Index(s, "[[target]]")]
}

func newEnv(t *testing.T, slapd *slapdtest.Server, scimURL, token, extraTarget string) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), slapd: slapd, scimURL: scimURL, token: token}
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(e.dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("ldap.pw", slapdtest.ReaderPassword+"\n")
	write("scim.token", token+"\n")
	cfg := fmt.Sprintf(`[log]
level = "debug"

[state]
path = "state.db"

[source]
kind = "ldap"

[source.ldap]
url = %q
bind_dn = %q
bind_password = { file = "ldap.pw" }
page_size = 40
timeout = "5s"

[source.ldap.users]
base_dn = "ou=people,dc=example,dc=org"

[source.ldap.groups]
base_dn = "ou=groups,dc=example,dc=org"

%s
[[target]]
name = "scim"
kind = "scim"

[target.scim]
url = %q
token = { file = "scim.token" }
rate_limit = 0
retry_min_wait = "20ms"
retry_max_wait = "3s"
%s
`, slapd.URL, slapdtest.ReaderDN, demoMapping(t), scimURL, extraTarget)
	write("config.toml", cfg)
	e.cfg = filepath.Join(e.dir, "config.toml")
	return e
}

// idsync runs one command in process and returns its exit code and output.
func (e *env) idsync(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), append(args, "-c", e.cfg), &out, &errb)
	return code, out.String(), errb.String()
}

// run runs idsync with exactly args (no -c) and returns its exit code and
// output.
func (e *env) run(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// mustIdsync runs a command that must exit with want.
func (e *env) mustIdsync(want int, args ...string) string {
	e.t.Helper()
	code, out, errs := e.idsync(args...)
	if code != want {
		e.t.Fatalf("idsync %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, tail(out), tail(errs))
	}
	return out
}

func tail(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > 40 {
		lines = append([]string{"..."}, lines[len(lines)-40:]...)
	}
	return strings.Join(lines, "\n")
}

// planJSON is the part of the JSON plan the tests read.
type planJSON struct {
	Version int          `json:"version"`
	Plans   []*sync.Plan `json:"plans"`
}

func (e *env) plan() *sync.Plan {
	e.t.Helper()
	out := e.mustIdsync(exitOK, "plan", "--format", "json")
	var doc planJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		e.t.Fatalf("plan JSON: %v\n%s", err, tail(out))
	}
	if doc.Version != 1 || len(doc.Plans) != 1 {
		e.t.Fatalf("plan document: version %d with %d plans", doc.Version, len(doc.Plans))
	}
	return doc.Plans[0]
}

// byKind lists "kind action userName" for every change.
func byKind(p *sync.Plan, k sync.Kind) []string {
	var out []string
	for _, c := range p.Changes {
		if c.Kind == k {
			out = append(out, string(c.Action)+" "+c.UserName)
		}
	}
	return out
}

// client is a SCIM client for looking at the target the way idsync does.
func (e *env) client() *scim.Client {
	e.t.Helper()
	zero := 0.0
	c, err := scim.New(scim.Config{URL: e.scimURL, Token: secret.Ref{File: filepath.Join(e.dir, "scim.token")}, RateLimit: &zero},
		logrus.New())
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// users returns the target's accounts by userName.
func (e *env) users() map[string]targets.Account {
	e.t.Helper()
	out := map[string]targets.Account{}
	err := e.client().List(context.Background(), func(a targets.Account) error {
		if _, dup := out[strings.ToLower(a.UserName)]; dup {
			e.t.Errorf("two accounts named %s", a.UserName)
		}
		out[strings.ToLower(a.UserName)] = a
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// members returns the userNames in each group, by display name.
func (e *env) members() map[string]map[string]bool {
	e.t.Helper()
	names := map[string]string{}
	for n, a := range e.users() {
		names[a.ID] = n
	}
	out := map[string]map[string]bool{}
	err := e.client().ListGroups(context.Background(), func(g targets.Group) error {
		out[g.DisplayName] = map[string]bool{}
		for _, id := range g.Members {
			out[g.DisplayName][names[id]] = true
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// audit returns "kind/action userName" for each audit row of a run (0: all).
func (e *env) audit(runID int64) []string {
	e.t.Helper()
	st, err := state.Open(context.Background(), filepath.Join(e.dir, "state.db"))
	if err != nil {
		e.t.Fatal(err)
	}
	defer st.Close()
	var out []string
	err = st.Audit(context.Background(), state.AuditFilter{RunID: runID}, func(a state.Audit) error {
		row := a.Kind + "/" + a.Action + " " + a.UserName
		if a.Error != "" {
			row += " ERROR"
		}
		out = append(out, row)
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func count(rows []string, prefix string) int {
	n := 0
	for _, r := range rows {
		if strings.HasPrefix(r, prefix) {
			n++
		}
	}
	return n
}

var _ = io.Discard
