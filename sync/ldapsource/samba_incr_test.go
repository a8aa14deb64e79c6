package ldapsource

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/internal/duration"
	"github.com/idsync/idsync/internal/secret"
	"github.com/idsync/idsync/mapping"
	idstate "github.com/idsync/idsync/state"
	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/sync/ldapsource/sambatest"
	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// adPipeline is a Samba DC followed by the AD watcher into a runner with
// a SCIM target (the Go test server), as the daemon wires them: a Full
// event is a full run, any other an incremental run (RunChanges) over what
// it names.
type adPipeline struct {
	t      testing.TB
	s      *sambatest.Server
	cfg    Config
	c      *ldap.Conn
	r      *sync.Runner
	target *scim.Client
	store  *idstate.Store
	runs   chan *sync.Outcome // one per event handled
}

func startADPipeline(t testing.TB) *adPipeline {
	t.Helper()
	s := startDirSyncDC(t)
	return newADPipeline(t, s, adConfig(t, s), mapping.Config{Scope: `has("mail")`,
		Attributes: map[string]string{"title": `attr("title")`}, Roles: []mapping.RoleRule{
			{Name: "backend", When: `memberOf("Backend")`},
			{Name: "frontend", When: `memberOf("Frontend")`},
			{Name: "primary", When: `memberOf("` + sambatest.PrimaryGroup + `")`},
		}})
}

// startDirSyncDC starts a Samba DC whose service account may use DirSync.
func startDirSyncDC(t testing.TB) *sambatest.Server {
	t.Helper()
	s := sambatest.Start(t)
	if err := s.GrantDirSync(sambatest.ServiceDNValue, true); err != nil {
		t.Fatal(err)
	}
	return s
}

// newADPipeline wires a runner reading s with cfg and mapping mc into a
// new SCIM test server and state database, and makes its first full run.
func newADPipeline(t testing.TB, s *sambatest.Server, cfg Config, mc mapping.Config) *adPipeline {
	t.Helper()
	src, err := New(cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	src.KeepGroups()
	cfg.MappingDefaults(&mc)
	m, err := mapping.Compile(mc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	store, err := idstate.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	url, token, _ := scimtest.Start(t, scimtest.Options{})
	tok := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tok, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	zero := 0.0
	client, err := scim.New(scim.Config{URL: url, Token: secret.Ref{File: tok}, Timeout: duration.Of(10 * time.Second),
		RateLimit: &zero}, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	p := &adPipeline{t: t, s: s, cfg: cfg, c: s.Conn(t), target: client, store: store, runs: make(chan *sync.Outcome, 16),
		r: &sync.Runner{Source: src, Mapper: m, Store: store, Log: quietLog(),
			Targets: []sync.TargetSpec{{Name: "scim", Target: client, Policy: sync.Policy{Leavers: "disable"}, Guards: sync.Guards{MaxDeletes: 10}}}}}
	if _, err := p.r.Run(ctx, sync.Options{}); err != nil {
		t.Fatalf("first full run: %v", err)
	}
	return p
}

// follow runs the watcher from cookie until the test ends; each event's
// run outcome goes to p.runs.
func (p *adPipeline) follow(cookie []byte) {
	t := p.t
	w, err := NewWatcher(p.cfg, quietLog(), WithBackoff(func(ctx context.Context, _ int) error { return ctx.Err() }))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = w.Watch(ctx, cookie, func(e Event) error {
			var out *sync.Outcome
			var err error
			if e.Full {
				out, err = p.r.Run(ctx, sync.Options{})
			} else {
				out, err = p.r.RunChanges(ctx, sync.Options{}, sync.Changes{
					IDs: append(slices.Clone(e.Changed), e.Deleted...), Deleted: e.Deleted, Groups: e.Groups})
			}
			if err != nil {
				t.Errorf("run for %+v: %v", e, err)
			}
			p.runs <- out
			return nil
		})
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// next waits for the run of the next event.
func (p *adPipeline) next(what string) *sync.Outcome {
	p.t.Helper()
	select {
	case out := <-p.runs:
		return out
	case <-time.After(30 * time.Second):
		p.t.Fatalf("%s: no run within 30s", what)
	}
	return nil
}

// incremental waits for the next run and checks that it was incremental,
// and returns its changes.
func (p *adPipeline) incremental(what string) []sync.Change {
	p.t.Helper()
	out := p.next(what)
	if out == nil || len(out.Plans) != 1 {
		p.t.Fatalf("%s: outcome %+v", what, out)
	}
	if out.Plans[0].Incremental == nil {
		p.t.Errorf("%s: a full run, want an incremental one", what)
	}
	return out.Plans[0].Changes
}

// until waits for incremental runs (at least one: a change was just made)
// until cond holds, and returns the changes they planned. A change may
// arrive in several events (samba-tool makes several writes), so steps wait
// on their outcome, not on a count of events.
func (p *adPipeline) until(what string, cond func() bool) []sync.Change {
	p.t.Helper()
	var all []sync.Change
	for {
		all = append(all, p.incremental(what)...)
		if cond() {
			return all
		}
	}
}

func (p *adPipeline) users() map[string]targets.Account {
	p.t.Helper()
	out := map[string]targets.Account{}
	if err := p.target.List(context.Background(), func(a targets.Account) error {
		out[a.UserName] = a
		return nil
	}); err != nil {
		p.t.Fatal(err)
	}
	return out
}

// memberships returns the target groups the account userName is in.
func (p *adPipeline) memberships(userName string) map[string]bool {
	p.t.Helper()
	id := p.users()[userName].ID
	out := map[string]bool{}
	if err := p.target.ListGroups(context.Background(), func(g targets.Group) error {
		if slices.Contains(g.Members, id) {
			out[g.DisplayName] = true
		}
		return nil
	}); err != nil {
		p.t.Fatal(err)
	}
	return out
}

func (p *adPipeline) modify(dn string, f func(*ldap.ModifyRequest)) {
	p.t.Helper()
	req := ldap.NewModifyRequest(dn, nil)
	f(req)
	if err := p.c.Modify(req); err != nil {
		p.t.Fatalf("modify %s: %v", dn, err)
	}
}

func staffDN(n int) string { return sambatest.UserDN(sambatest.StaffCN(n), sambatest.StaffOU(n)) }

// TestADWatchToSCIM: changes made on a Samba DC reach a SCIM target through
// DirSync, change notifications and incremental runs (never a full run):
// a new title, a new hire (samba-tool user create), a move from Backend to Frontend, a disable, a delete (a
// leaver with reason "deleted"), a person whose primary group gives a role;
// then a full plan finds nothing left to do.
func TestADWatchToSCIM(t *testing.T) {
	p := startADPipeline(t)
	p.follow(nil)
	p.next("the first event (full)")

	backend := 30 // a person of Backend: StaffOU cycles through the OUs
	for ; !strings.Contains(sambatest.StaffOU(backend), "Backend"); backend++ {
	}
	sam := sambatest.StaffSAM

	users := func() map[string]targets.Account { return p.users() }
	p.modify(staffDN(20), func(r *ldap.ModifyRequest) { r.Replace("title", []string{"Director"}) })
	p.until("the new title", func() bool { return users()[sam(20)].Attrs.Get("title") == "Director" })

	// A new hire, made with samba-tool as an AD admin would (several
	// writes: several events).
	if _, err := p.s.Tool("user", "create", "newhire", "N3w-Hire-Passw0rd!", "--mail-address=newhire@example.org",
		"--userou=OU=People,OU=Corp"); err != nil {
		t.Fatal(err)
	}
	p.until("the new hire", func() bool { return users()["newhire"].Active })

	p.modify(sambatest.GroupDN("Backend"), func(r *ldap.ModifyRequest) { r.Delete("member", []string{staffDN(backend)}) })
	p.modify(sambatest.GroupDN("Frontend"), func(r *ldap.ModifyRequest) { r.Add("member", []string{staffDN(backend)}) })
	p.until("the move between groups", func() bool {
		in := p.memberships(sam(backend))
		return !in["backend"] && in["frontend"]
	})

	// A group edited without its members: its members keep it, whether
	// DirSync reports it with its objectClass (Samba) or with the changed
	// attributes only (it is then looked up by its objectGUID; the slapd
	// TestReadChanges covers that path). A title change made after it
	// marks when its event has been handled.
	p.modify(sambatest.GroupDN("Frontend"), func(r *ldap.ModifyRequest) { r.Replace("description", []string{"Web and apps"}) })
	p.modify(staffDN(23), func(r *ldap.ModifyRequest) { r.Replace("title", []string{"Marker"}) })
	for _, c := range p.until("a group's description, then a title", func() bool {
		return users()[sam(23)].Attrs.Get("title") == "Marker"
	}) {
		for _, r := range c.RolesRemoved {
			t.Errorf("%s loses %s when only a group's description changed", c.UserName, r.Role)
		}
	}
	if !p.memberships(sam(backend))["frontend"] {
		t.Errorf("%s left frontend when only its description changed", sam(backend))
	}

	p.modify(staffDN(1), func(r *ldap.ModifyRequest) { r.Replace("title", []string{"Primary"}) })
	for _, c := range p.until("the title of a person with a primary group", func() bool {
		return users()[sam(1)].Attrs.Get("title") == "Primary"
	}) {
		if c.UserName == sam(1) && len(c.RolesRemoved) > 0 {
			t.Errorf("%s loses %v in an incremental run: the primary group was not resolved", sam(1), c.RolesRemoved)
		}
	}

	p.modify(staffDN(21), func(r *ldap.ModifyRequest) { r.Replace("userAccountControl", []string{"514"}) })
	p.until("the disable", func() bool { return !users()[sam(21)].Active })

	if err := p.c.Del(ldap.NewDelRequest(staffDN(22), nil)); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range p.until("the delete", func() bool { return !users()[sam(22)].Active }) {
		if c.UserName == sam(22) {
			found = true
			if c.Kind != sync.Leaver || len(c.Reasons) == 0 || !strings.HasPrefix(c.Reasons[0], "deleted") {
				t.Errorf("the deleted person: %+v, want a leaver with reason deleted", c)
			}
		}
	}
	if !found {
		t.Errorf("no change planned for the deleted %s", sam(22))
	}

	out, err := p.r.Run(context.Background(), sync.Options{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range out.Plans[0].Changes {
		if c.Action != sync.Record && c.Kind != sync.Orphan {
			t.Errorf("full plan after the incremental runs: %s %s %s %v", c.Kind, c.Action, c.UserName, c.Reasons)
		}
	}
}
