package state

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// PlanLinks gives what Links gives of every link, but the target name,
// the active flag and the times, in source ID order: with multi-byte and
// empty fields, whose lengths slice the one string the query returns.
func TestPlanLinksMatchesLinks(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	links := []Link{
		{SourceID: "s2", TargetID: "a2", UserName: "zoë", DN: "cn=Zoë Ünal,ou=people,dc=example,dc=org", Active: true},
		{SourceID: "s1", TargetID: "a1", UserName: "ann", DN: "uid=ann,ou=people,dc=example,dc=org"},
		{SourceID: "s3-ü", TargetID: "a3-日本", UserName: "", DN: ""},
	}
	for i := range links {
		l := links[i]
		if err := s.Commit(ctx, Op{Audit: audit("joiner", "create", l.SourceID, l.TargetID), Link: &l}); err != nil {
			t.Fatal(err)
		}
	}
	// Another target's link is not listed.
	other := Link{Target: "u", SourceID: "s9", TargetID: "a9"}
	a := audit("joiner", "create", "s9", "a9")
	a.Target = "u"
	if err := s.Commit(ctx, Op{Audit: a, Link: &other}); err != nil {
		t.Fatal(err)
	}
	var got []PlanLink
	if err := s.PlanLinks(ctx, "t", func(l PlanLink) error {
		got = append(got, l)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []PlanLink{
		{SourceID: "s1", TargetID: "a1", UserName: "ann", DN: "uid=ann,ou=people,dc=example,dc=org"},
		{SourceID: "s2", TargetID: "a2", UserName: "zoë", DN: "cn=Zoë Ünal,ou=people,dc=example,dc=org", Active: true},
		{SourceID: "s3-ü", TargetID: "a3-日本"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d links %+v, want %+v", len(got), got, want)
	}
	for i := range want {
		if got[i].Updated.IsZero() {
			t.Errorf("link %d: no Updated time", i)
		}
		got[i].Updated = time.Time{}
		if got[i] != want[i] {
			t.Errorf("link %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestPlanLinksStopsAtError(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	for _, id := range []string{"s1", "s2"} {
		if err := s.Commit(ctx, Op{Audit: audit("joiner", "create", id, "a"+id), Link: &Link{SourceID: id, TargetID: "a" + id}}); err != nil {
			t.Fatal(err)
		}
	}
	stop := errors.New("stop")
	calls := 0
	err := s.PlanLinks(ctx, "t", func(PlanLink) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Errorf("got %v after %d calls, want the callback's error after 1", err, calls)
	}
	if err := s.PlanLinks(ctx, "", func(PlanLink) error { return nil }); err == nil {
		t.Error("PlanLinks of no target succeeded")
	}
}

func TestInactiveLinks(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	for _, l := range []Link{
		{SourceID: "a", TargetID: "ua", UserName: "a", Active: true},
		{SourceID: "b", TargetID: "ub", UserName: "b"},
		{SourceID: "c", TargetID: "uc", UserName: "c", Active: true},
		{SourceID: "d", TargetID: "ud", UserName: "d"},
	} {
		if err := s.Commit(ctx, Op{Audit: audit("joiner", "create", l.SourceID, l.TargetID), Link: &l}); err != nil {
			t.Fatal(err)
		}
	}
	other := audit("joiner", "create", "x", "ux")
	other.Target = "other"
	if err := s.Commit(ctx, Op{Audit: other, Link: &Link{SourceID: "x", TargetID: "ux"}}); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := s.InactiveLinks(ctx, "t", func(l PlanLink) error {
		if l.Active {
			t.Errorf("active link %+v", l)
		}
		got = append(got, l.SourceID+"="+l.TargetID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"b=ub", "d=ud"}; !slices.Equal(got, want) {
		t.Errorf("InactiveLinks = %v, want %v", got, want)
	}
}
