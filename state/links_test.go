package state

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func audit(kind, action, sourceID, targetID string) Audit {
	return Audit{Target: "t", Kind: kind, Action: action, SourceID: sourceID, TargetID: targetID}
}

func TestCommitLinks(t *testing.T) {
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	t1 := t0.Add(time.Hour)
	t2 := t1.Add(24 * time.Hour)
	at := func(a Audit, tm time.Time) Audit { a.Time = tm; return a }
	tests := []struct {
		name string
		ops  []Op
		want map[string]Link // by source ID, Target "t"
	}{
		{"create", []Op{
			{Audit: at(audit("joiner", "create", "s1", "u1"), t0), Link: &Link{SourceID: "s1", TargetID: "u1", UserName: "ann", DN: "cn=ann", Active: true}},
		}, map[string]Link{"s1": {Target: "t", SourceID: "s1", TargetID: "u1", UserName: "ann", DN: "cn=ann", Active: true, Created: t0, Updated: t0}}},
		{"multi-byte text", []Op{
			{Audit: at(audit("joiner", "create", "sé1", "ü1"), t0), Link: &Link{SourceID: "sé1", TargetID: "ü1", UserName: "zoë", DN: "cn=Zoë Ł,dc=x", Active: true}},
		}, map[string]Link{"sé1": {Target: "t", SourceID: "sé1", TargetID: "ü1", UserName: "zoë", DN: "cn=Zoë Ł,dc=x", Active: true, Created: t0, Updated: t0}}},
		{"update keeps created", []Op{
			{Audit: at(audit("joiner", "create", "s1", "u1"), t0), Link: &Link{SourceID: "s1", TargetID: "u1", UserName: "ann", Active: true}},
			{Audit: at(audit("mover", "update", "s1", "u1"), t1), Link: &Link{Target: "t", SourceID: "s1", TargetID: "u1", UserName: "anna", DN: "cn=anna", Active: false}},
		}, map[string]Link{"s1": {Target: "t", SourceID: "s1", TargetID: "u1", UserName: "anna", DN: "cn=anna", Created: t0, Updated: t1}}},
		{"a later write to an inactive link keeps when it turned inactive (the retention clock)", []Op{
			{Audit: at(audit("joiner", "create", "s1", "u1"), t0), Link: &Link{SourceID: "s1", TargetID: "u1", UserName: "ann", Active: true}},
			{Audit: at(audit("leaver", "disable", "s1", "u1"), t1), Link: &Link{SourceID: "s1", TargetID: "u1", UserName: "ann"}},
			{Audit: at(audit("mover", "update", "s1", "u1"), t2), Link: &Link{SourceID: "s1", TargetID: "u1", UserName: "ann", DN: "cn=ann,ou=gone"}},
		}, map[string]Link{"s1": {Target: "t", SourceID: "s1", TargetID: "u1", UserName: "ann", DN: "cn=ann,ou=gone", Created: t0, Updated: t1}}},
		{"an inactive link to another account starts the clock again", []Op{
			{Audit: at(audit("leaver", "disable", "s1", "u1"), t0), Link: &Link{SourceID: "s1", TargetID: "u1"}},
			{Audit: at(audit("joiner", "create", "s1", "u2"), t2), Link: &Link{SourceID: "s1", TargetID: "u2"}},
		}, map[string]Link{"s1": {Target: "t", SourceID: "s1", TargetID: "u2", Created: t0, Updated: t2}}},
		{"re-enabled and disabled again starts the clock again", []Op{
			{Audit: at(audit("leaver", "disable", "s1", "u1"), t0), Link: &Link{SourceID: "s1", TargetID: "u1"}},
			{Audit: at(audit("mover", "enable", "s1", "u1"), t1), Link: &Link{SourceID: "s1", TargetID: "u1", Active: true}},
			{Audit: at(audit("leaver", "disable", "s1", "u1"), t2), Link: &Link{SourceID: "s1", TargetID: "u1"}},
		}, map[string]Link{"s1": {Target: "t", SourceID: "s1", TargetID: "u1", Created: t0, Updated: t2}}},
		{"relink to a new account", []Op{
			{Audit: at(audit("joiner", "create", "s1", "u1"), t0), Link: &Link{SourceID: "s1", TargetID: "u1"}},
			{Audit: at(audit("joiner", "create", "s1", "u2"), t1), Link: &Link{SourceID: "s1", TargetID: "u2"}},
		}, map[string]Link{"s1": {Target: "t", SourceID: "s1", TargetID: "u2", Created: t0, Updated: t1}}},
		{"unlink by source", []Op{
			{Audit: at(audit("joiner", "create", "s1", "u1"), t0), Link: &Link{SourceID: "s1", TargetID: "u1"}},
			{Audit: at(audit("joiner", "create", "s2", "u2"), t0), Link: &Link{SourceID: "s2", TargetID: "u2"}},
			{Audit: audit("leaver", "delete", "s1", ""), Unlink: true},
		}, map[string]Link{"s2": {Target: "t", SourceID: "s2", TargetID: "u2", Created: t0, Updated: t0}}},
		{"unlink by source and target", []Op{
			{Audit: at(audit("joiner", "create", "s1", "u1"), t0), Link: &Link{SourceID: "s1", TargetID: "u1"}},
			{Audit: audit("leaver", "delete", "s1", "u1"), Unlink: true},
		}, map[string]Link{}},
		{"unlink with a stale target id keeps the link", []Op{
			{Audit: at(audit("joiner", "create", "s1", "u1"), t0), Link: &Link{SourceID: "s1", TargetID: "u1"}},
			{Audit: audit("leaver", "delete", "s1", "u-old"), Unlink: true},
		}, map[string]Link{"s1": {Target: "t", SourceID: "s1", TargetID: "u1", Created: t0, Updated: t0}}},
		{"unlink by target id", []Op{
			{Audit: at(audit("joiner", "create", "s1", "u1"), t0), Link: &Link{SourceID: "s1", TargetID: "u1"}},
			{Audit: audit("orphan", "delete", "", "u1"), Unlink: true},
		}, map[string]Link{}},
		{"unlink of nothing is not an error", []Op{
			{Audit: audit("leaver", "delete", "s9", ""), Unlink: true},
		}, map[string]Link{}},
		{"audit only", []Op{
			{Audit: Audit{Target: "t", Kind: "joiner", Action: "create", SourceID: "s1", Error: "rejected"}},
		}, map[string]Link{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			ctx := context.Background()
			for i, op := range tt.ops {
				if err := s.Commit(ctx, op); err != nil {
					t.Fatalf("op %d: %v", i, err)
				}
			}
			got := allLinks(t, s, "t")
			if len(got) != len(tt.want) {
				t.Fatalf("links = %+v, want %+v", got, tt.want)
			}
			for id, w := range tt.want {
				g := got[id]
				if g.Target != w.Target || g.TargetID != w.TargetID || g.UserName != w.UserName || g.DN != w.DN ||
					g.Active != w.Active || !g.Created.Equal(w.Created) || !g.Updated.Equal(w.Updated) {
					t.Errorf("link %s = %+v, want %+v", id, g, w)
				}
			}
			if n, err := s.LinkCount(ctx, "t"); err != nil || n != len(tt.want) {
				t.Errorf("LinkCount = %d, %v", n, err)
			}
			if n := len(allAudit(t, s, AuditFilter{Target: "t"})); n != len(tt.ops) {
				t.Errorf("%d audit rows, want one per op (%d)", n, len(tt.ops))
			}
		})
	}
}

func TestCommitRejects(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	ok := audit("joiner", "create", "s1", "u1")
	tests := []struct {
		name string
		op   Op
		want string
	}{
		{"no target", Op{Audit: Audit{Kind: "joiner", Action: "create"}}, "audit has no target"},
		{"no kind", Op{Audit: Audit{Target: "t", Action: "create"}}, "kind and an action"},
		{"link and unlink", Op{Audit: ok, Link: &Link{SourceID: "s1", TargetID: "u1"}, Unlink: true}, "both Link and Unlink"},
		{"link other target", Op{Audit: ok, Link: &Link{Target: "x", SourceID: "s1", TargetID: "u1"}}, `link target "x" differs`},
		{"link without target id", Op{Audit: ok, Link: &Link{SourceID: "s1"}}, "needs a source ID and a target ID"},
		{"unlink without ids", Op{Audit: audit("leaver", "delete", "", ""), Unlink: true}, "unlink needs"},
		{"unknown run", Op{Audit: Audit{Target: "t", Kind: "joiner", Action: "create", RunID: 77}}, "FOREIGN KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Commit(ctx, tt.op)
			if err == nil || !strings.HasPrefix(err.Error(), "state: commit ") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	if n := len(allAudit(t, s, AuditFilter{})); n != 0 {
		t.Errorf("%d audit rows after rejected ops", n)
	}
}

// TestCommitAtomic makes each commit fail after the audit row was written
// inside the transaction, and checks that neither the audit row nor the
// link change is visible.
func TestCommitAtomic(t *testing.T) {
	tests := []struct {
		name   string
		op     Op
		hook   func(cancel context.CancelFunc) error
		wantIs error
	}{
		{"link conflict", Op{
			Audit: audit("adopt", "link", "s2", "u1"),
			Link:  &Link{SourceID: "s2", TargetID: "u1"},
		}, nil, ErrLinkConflict},
		{"ctx cancelled before commit", Op{
			Audit: audit("joiner", "create", "s2", "u2"),
			Link:  &Link{SourceID: "s2", TargetID: "u2"},
		}, func(cancel context.CancelFunc) error { cancel(); return nil }, context.Canceled},
		{"failure before commit, unlink", Op{
			Audit:  audit("leaver", "delete", "s1", ""),
			Unlink: true,
		}, func(context.CancelFunc) error { return errInjected }, errInjected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			bg := context.Background()
			if err := s.Commit(bg, Op{Audit: audit("joiner", "create", "s1", "u1"), Link: &Link{SourceID: "s1", TargetID: "u1"}}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(bg)
			defer cancel()
			if tt.hook != nil {
				s.beforeCommit = func(context.Context) error { return tt.hook(cancel) }
			}
			err := s.Commit(ctx, tt.op)
			s.beforeCommit = nil
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("Commit error %v, want %v", err, tt.wantIs)
			}
			if tt.wantIs == ErrLinkConflict && !strings.Contains(err.Error(), `the account is linked to source "s1"`) {
				t.Errorf("conflict error %q does not name the other source", err)
			}
			if n := len(allAudit(t, s, AuditFilter{})); n != 1 {
				t.Errorf("%d audit rows, want only the first", n)
			}
			links := allLinks(t, s, "t")
			if len(links) != 1 || links["s1"].TargetID != "u1" {
				t.Errorf("links = %+v, want only s1->u1", links)
			}
			// The store still works after the failed transaction.
			if err := s.Commit(bg, Op{Audit: audit("joiner", "create", "s3", "u3"), Link: &Link{SourceID: "s3", TargetID: "u3"}}); err != nil {
				t.Errorf("Commit after failure: %v", err)
			}
		})
	}
}

var errInjected = errors.New("injected failure")

func TestLinksStopsOnCallbackError(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	for _, id := range []string{"a", "b", "c"} {
		if err := s.Commit(ctx, Op{Audit: audit("joiner", "create", id, "u"+id), Link: &Link{SourceID: id, TargetID: "u" + id}}); err != nil {
			t.Fatal(err)
		}
	}
	calls := 0
	err := s.Links(ctx, "t", func(Link) error { calls++; return errInjected })
	if err != errInjected || calls != 1 {
		t.Errorf("Links = %v after %d calls, want errInjected after 1", err, calls)
	}
	if got := allLinks(t, s, "other"); len(got) != 0 {
		t.Errorf("links of another target: %v", got)
	}
}

// TestCommitConcurrent commits from several goroutines at once (the engine
// may apply changes in parallel) and from inside a Links callback.
func TestCommitConcurrent(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	const workers, each = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				id := fmt.Sprintf("s%d-%d", w, i)
				errs <- s.Commit(ctx, Op{Audit: audit("joiner", "create", id, "u"+id), Link: &Link{SourceID: id, TargetID: "u" + id}})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := s.LinkCount(ctx, "t"); n != workers*each {
		t.Fatalf("%d links, want %d", n, workers*each)
	}

	// Disable every account while iterating the links.
	err := s.Links(ctx, "t", func(l Link) error {
		l.Active = false
		return s.Commit(ctx, Op{Audit: audit("leaver", "disable", l.SourceID, l.TargetID), Link: &l})
	})
	if err != nil {
		t.Fatal(err)
	}
	for id, l := range allLinks(t, s, "t") {
		if l.Active {
			t.Fatalf("link %s still active", id)
		}
	}
}

func TestUseAfterClose(t *testing.T) {
	s := openTest(t)
	s.Close()
	ctx := context.Background()
	if err := s.Commit(ctx, Op{Audit: audit("joiner", "create", "s", "u")}); err == nil || !strings.HasPrefix(err.Error(), "state: ") {
		t.Errorf("Commit after Close: %v", err)
	}
	if err := s.Links(ctx, "t", func(Link) error { return nil }); err == nil {
		t.Error("Links after Close succeeded")
	}
}
