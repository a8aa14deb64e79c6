package sync

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

// groupsOf returns the display names of the groups account id is in.
func (f *fakeTarget) groupsOf(id string) []string {
	var out []string
	for _, g := range f.groups {
		if slices.Contains(g.Members, id) {
			out = append(out, g.DisplayName)
		}
	}
	slices.Sort(out)
	return out
}

func (f *fakeTarget) byName(name string) (id string, n int) {
	for aid, a := range f.accounts {
		if a.UserName == name {
			id, n = aid, n+1
		}
	}
	return id, n
}

func linksOf(t *testing.T, s *state.Store) map[string]string {
	t.Helper()
	m := map[string]string{}
	if err := s.Links(context.Background(), "t", func(l state.Link) error {
		m[l.SourceID] = l.TargetID
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return m
}

func auditOf(t *testing.T, s *state.Store, f state.AuditFilter) []state.Audit {
	t.Helper()
	var out []state.Audit
	if err := s.Audit(context.Background(), f, func(a state.Audit) error {
		out = append(out, a)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRehireWithReusedUserName: ann leaves (her account is disabled and
// keeps its userName), then comes back as a new entry with the same uid.
// The plan shows a rehire of her old account, the apply re-links it to the
// new identity, gives it the new person's roles only and re-activates it,
// audited, and the next plan has nothing to do.
func TestRehireWithReusedUserName(t *testing.T) {
	tgt := newFakeTarget()
	src := &sliceSource{entries: []mapping.Entry{entry("old-ann", "ann", "Eng", "eng"), entry("bob", "bob", "Eng", "eng")}}
	r, store := newTestRunner(t, src, tgt)
	ctx := context.Background()
	if _, err := r.Run(ctx, Options{}); err != nil {
		t.Fatal(err)
	}
	annID, _ := tgt.byName("ann")
	src.entries = src.entries[1:] // ann is deleted from the directory
	if _, err := r.Run(ctx, Options{Overrides: Overrides{AllowShrink: true}}); err != nil {
		t.Fatal(err)
	}
	if tgt.accounts[annID].Active {
		t.Fatal("the leaver's account is still active")
	}
	// Someone put the disabled account back into eng by hand.
	for _, g := range tgt.groups {
		if g.DisplayName == "eng" {
			g.Members = append(g.Members, annID)
		}
	}
	// Rehired: a new entry, same uid, another department.
	src.entries = append(src.entries, entry("new-ann", "ann", "Sales", "sales"))
	p, err := r.planOnly(t)
	if err != nil {
		t.Fatal(err)
	}
	var rehires []Change
	for _, c := range p.Changes {
		if c.Kind == Rehire {
			rehires = append(rehires, c)
		}
		if c.Kind == Joiner || c.Kind == Leaver {
			t.Errorf("plan has a %s %s of %q; want only the rehire", c.Kind, c.Action, c.UserName)
		}
	}
	if len(rehires) != 1 || rehires[0].Action != Relink || rehires[0].TargetID != annID || rehires[0].PreviousSourceID != "old-ann" {
		t.Fatalf("rehires = %+v, want one relink of %s from old-ann", rehires, annID)
	}
	if p.Summary.Rehires != 1 {
		t.Errorf("summary rehires = %d", p.Summary.Rehires)
	}
	if _, err := r.Run(ctx, Options{}); err != nil {
		t.Fatal(err)
	}
	if id, n := tgt.byName("ann"); n != 1 || id != annID || !tgt.accounts[annID].Active || tgt.accounts[annID].ExternalID != "new-ann" {
		t.Errorf("ann's accounts: %d, %+v; want the old one, active, with the new externalId", n, tgt.accounts[annID])
	}
	if got := tgt.groupsOf(annID); !slices.Equal(got, []string{"sales"}) {
		t.Errorf("ann's groups = %v, want [sales] (the old person's eng removed)", got)
	}
	links := linksOf(t, store)
	if links["new-ann"] != annID || links["old-ann"] != "" {
		t.Errorf("links = %v, want new-ann -> %s and no old-ann", links, annID)
	}
	rows := auditOf(t, store, state.AuditFilter{Target: "t", SourceID: "new-ann"})
	if len(rows) != 1 || rows[0].Kind != "rehire" || rows[0].Action != "relink" || rows[0].Status != state.AuditApplied {
		t.Errorf("audit of the rehire = %+v", rows)
	}
	assertConverged(t, r)
}

// TestRehireSameRunActiveAccount: ann is replaced by a new entry between
// two runs, so her old account is still active when the plan is made: the
// leaver is disabled first, the create is refused (userName exists), and
// the account is rehired on the spot, with a correct link and audit rows
// instead of a link conflict.
func TestRehireSameRunActiveAccount(t *testing.T) {
	for _, policy := range []string{"disable", "delete"} {
		t.Run(policy, func(t *testing.T) {
			tgt := newFakeTarget()
			src := &sliceSource{entries: []mapping.Entry{entry("old-ann", "ann", "Eng", "eng"), entry("bob", "bob", "Eng", "eng")}}
			r, store := newTestRunner(t, src, tgt)
			r.Targets[0].Policy.Leavers = policy
			ctx := context.Background()
			if _, err := r.Run(ctx, Options{}); err != nil {
				t.Fatal(err)
			}
			src.entries = []mapping.Entry{entry("bob", "bob", "Eng", "eng"), entry("new-ann", "ann", "Sales", "sales")}
			out, err := r.Run(ctx, Options{})
			if err != nil {
				t.Fatalf("apply: %v (result %+v)", err, out.Results)
			}
			id, n := tgt.byName("ann")
			if n != 1 || !tgt.accounts[id].Active {
				t.Fatalf("%d accounts named ann (%+v), want one, active", n, tgt.accounts[id])
			}
			if got := tgt.groupsOf(id); !slices.Equal(got, []string{"sales"}) {
				t.Errorf("ann's groups = %v, want [sales]", got)
			}
			if links := linksOf(t, store); links["new-ann"] != id || links["old-ann"] != "" {
				t.Errorf("links = %v, want new-ann -> %s only", links, id)
			}
			for _, a := range auditOf(t, store, state.AuditFilter{Target: "t"}) {
				if a.Status == state.AuditPending {
					t.Errorf("pending audit row left: %+v", a)
				}
			}
			assertConverged(t, r)
		})
	}
}

// TestNoRehireOfActiveAccount: ann is replaced by a new entry with her
// uid, but the target refuses to disable (or delete) her old account. The
// new person's create is refused (userName exists) and must not take the
// old account over while it is still active: it keeps its owner, its link
// and its data, and the run reports both refusals.
func TestNoRehireOfActiveAccount(t *testing.T) {
	for _, policy := range []string{"disable", "delete"} {
		t.Run(policy, func(t *testing.T) {
			tgt := newFakeTarget()
			src := &sliceSource{entries: []mapping.Entry{entry("old-ann", "ann", "Eng", "eng"), entry("bob", "bob", "Eng", "eng")}}
			r, store := newTestRunner(t, src, tgt)
			r.Targets[0].Policy.Leavers = policy
			ctx := context.Background()
			if _, err := r.Run(ctx, Options{}); err != nil {
				t.Fatal(err)
			}
			annID, _ := tgt.byName("ann")
			tgt.rejectRemovals = true
			src.entries = []mapping.Entry{entry("bob", "bob", "Eng", "eng"), entry("new-ann", "ann", "Sales", "sales")}
			out, err := r.Run(ctx, Options{})
			if !errors.Is(err, ErrPartial) {
				t.Fatalf("apply: %v, want ErrPartial", err)
			}
			if res := out.Results[0]; res.Refused < 2 {
				t.Errorf("result %+v, want the removal and the create refused", res)
			}
			a := tgt.accounts[annID]
			// The leaver has left eng (revocations go first), and must
			// not be given the new person's sales.
			if a.ExternalID != "old-ann" || len(tgt.groupsOf(annID)) != 0 {
				t.Errorf("the old account was taken over: %+v in %v", a, tgt.groupsOf(annID))
			}
			if links := linksOf(t, store); links["old-ann"] != annID || links["new-ann"] != "" {
				t.Errorf("links = %v, want old-ann -> %s only", links, annID)
			}
		})
	}
}

// TestRehireMatching: which joiner, if any, takes over the disabled
// account of a person gone from the source. userName is the stronger
// match: an e-mail match never takes an account another joiner matches by
// userName, and an account two joiners match equally is taken by neither.
func TestRehireMatching(t *testing.T) {
	gone := []state.PlanLink{link("old", "a1", "ann")}
	disabled := []targets.Account{withExt(account("a1", "ann", "Eng", false), "old")}
	active := []targets.Account{withExt(account("a1", "ann", "Eng", true), "old")}
	tests := []struct {
		name     string
		people   []mapping.Person
		accounts []targets.Account
		rehired  string // the source ID that takes a1 over; "" nobody
		unmapped []Unmapped
		policy   string // Policy.Rehire; "" the default (userName only)
	}{
		{"same userName", []mapping.Person{mkPerson("new", "ann", "Eng")}, disabled, "new", nil, ""},
		{"same e-mail, by default: nobody", []mapping.Person{withMailP(mkPerson("new", "ann.b", "Eng"), "ann@example.org")}, disabled, "", nil, ""},
		{"same e-mail", []mapping.Person{withMailP(mkPerson("new", "ann.b", "Eng"), "ann@example.org")}, disabled, "new", nil, RehireUserNameOrEmail},
		{"same userName, rehire off", []mapping.Person{mkPerson("new", "ann", "Eng")}, disabled, "", nil, RehireOff},
		{"an active account is never matched", []mapping.Person{mkPerson("new", "ann", "Eng")}, active, "", nil, RehireUserNameOrEmail},
		{"userName beats an e-mail match listed first", []mapping.Person{
			withMailP(mkPerson("by-mail", "ann.b", "Eng"), "ann@example.org"), withMailP(mkPerson("by-name", "ann", "Eng"), "x@example.org"),
		}, disabled, "by-name", nil, RehireUserNameOrEmail},
		{"two e-mail matches: nobody", []mapping.Person{
			withMailP(mkPerson("j1", "ann.b", "Eng"), "ann@example.org"), withMailP(mkPerson("j2", "ann.c", "Eng"), "ANN@example.org"),
		}, disabled, "", nil, RehireUserNameOrEmail},
		{"the old person is still in the source, unmapped", []mapping.Person{mkPerson("new", "ann", "Eng")}, disabled, "",
			[]Unmapped{{SourceID: "old", DN: "uid=ann", Err: "boom"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := BuildPlan(Input{Target: "t", Managed: managed, People: tt.people, Links: gone, Accounts: tt.accounts, Unmapped: tt.unmapped,
				Policy: Policy{Rehire: tt.policy}})
			got := ""
			for _, c := range p.Changes {
				if c.Kind == Rehire {
					if got != "" || c.TargetID != "a1" {
						t.Fatalf("second rehire or wrong account: %+v", c)
					}
					got = c.SourceID
				}
			}
			if got != tt.rehired {
				t.Errorf("rehired by %q, want %q; changes %+v", got, tt.rehired, p.Changes)
			}
		})
	}
}

func withMailP(p mapping.Person, mail string) mapping.Person {
	p.Account.Attrs = p.Account.Attrs.Clone()
	p.Account.Attrs.Set("emails.work", mail)
	return p
}

// TestRehireOff: with rehire = "off", a new entry with a leaver's uid
// never takes over the leaver's account, neither at plan time nor when its
// create is refused for the userName: the create stays refused and the
// old account keeps its owner.
func TestRehireOff(t *testing.T) {
	tgt := newFakeTarget()
	src := &sliceSource{entries: []mapping.Entry{entry("old-ann", "ann", "Eng", "eng"), entry("bob", "bob", "Eng", "eng")}}
	r, store := newTestRunner(t, src, tgt)
	r.Targets[0].Policy.Rehire = RehireOff
	ctx := context.Background()
	if _, err := r.Run(ctx, Options{}); err != nil {
		t.Fatal(err)
	}
	annID, _ := tgt.byName("ann")
	src.entries = []mapping.Entry{entry("bob", "bob", "Eng", "eng"), entry("new-ann", "ann", "Sales", "sales")}
	out, err := r.Run(ctx, Options{}) // ann's leaver disabled, the new create refused
	if !errors.Is(err, ErrPartial) {
		t.Fatalf("apply: %v, want ErrPartial", err)
	}
	for _, c := range out.Plans[0].Changes {
		if c.Kind == Rehire {
			t.Errorf("planned a rehire with rehire off: %+v", c)
		}
	}
	if _, err := r.Run(ctx, Options{}); !errors.Is(err, ErrPartial) { // the account is disabled now
		t.Fatalf("second apply: %v, want ErrPartial", err)
	}
	if a := tgt.accounts[annID]; a.ExternalID != "old-ann" || a.Active {
		t.Errorf("the old account was taken over or re-activated: %+v", a)
	}
	if links := linksOf(t, store); links["old-ann"] != annID || links["new-ann"] != "" {
		t.Errorf("links = %v, want old-ann -> %s only", links, annID)
	}
}
