package state

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestLinksOf(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	// More IDs than one IN (...) chunk, so the chunking is exercised.
	var ask []string
	for i := range 1200 {
		id := fmt.Sprintf("s%04d", i)
		if i%2 == 0 {
			op := Op{Audit: audit("joiner", "create", id, "u"+id), Link: &Link{SourceID: id, TargetID: "u" + id, UserName: "n" + id}}
			if err := s.Commit(ctx, op); err != nil {
				t.Fatal(err)
			}
		}
		ask = append(ask, id)
	}
	other := Op{Audit: audit("joiner", "create", "s0000", "x"), Link: &Link{Target: "other", SourceID: "s0000", TargetID: "x"}}
	other.Audit.Target = "other"
	if err := s.Commit(ctx, other); err != nil {
		t.Fatal(err)
	}
	got, err := s.LinksOf(ctx, "t", append(ask, "s0002", "missing"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, l := range got {
		seen[l.SourceID]++
		if l.Target != "t" || l.TargetID != "u"+l.SourceID || l.UserName != "n"+l.SourceID || l.Created.IsZero() {
			t.Fatalf("link %+v", l)
		}
	}
	if len(seen) != 600 {
		t.Errorf("got %d distinct links, want 600", len(seen))
	}
	if none, err := s.LinksOf(ctx, "t", nil); err != nil || len(none) != 0 {
		t.Errorf("LinksOf(nil) = %v, %v", none, err)
	}
}

func TestUpdateSnapshot(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if _, err := s.UpdateSnapshot(ctx, "t", 0, nil, nil); err == nil || !strings.Contains(err.Error(), "full reconciliation first") {
		t.Fatalf("update without a snapshot: %v", err)
	}
	first := []SnapshotEntry{
		{SourceID: "a", DN: "cn=a", UserName: "a", InScope: true, Hash: "h1"},
		{SourceID: "b", DN: "cn=b", UserName: "b", InScope: true, Hash: "h2"},
		{SourceID: "c", DN: "cn=c", UserName: "c", Hash: "h3"},
	}
	if err := s.SaveSnapshot(ctx, "t", 0, entries(first...)); err != nil {
		t.Fatal(err)
	}
	if n, ok, err := s.SnapshotInScope(ctx, "t"); n != 2 || !ok || err != nil {
		t.Fatalf("SnapshotInScope = %d, %v, %v", n, ok, err)
	}
	changed := []SnapshotEntry{
		{SourceID: "b", DN: "cn=b,ou=moved", UserName: "b2", InScope: true, Disabled: true, Hash: "h4"},
		{SourceID: "d", DN: "cn=d", UserName: "d", InScope: true, Hash: "h5"},
	}
	// b stays in scope, d joins, a leaves: no change in number.
	if delta, err := s.UpdateSnapshot(ctx, "t", 0, changed, []string{"a", "zz"}); err != nil || delta != 0 {
		t.Fatalf("UpdateSnapshot = %d, %v", delta, err)
	}
	want := []SnapshotEntry{changed[0], first[2], changed[1]}
	if got := allSnapshot(t, s, "t"); !reflect.DeepEqual(got, want) {
		t.Errorf("snapshot = %+v, want %+v", got, want)
	}
	if n, err := s.SnapshotCount(ctx, "t"); n != 3 || err != nil {
		t.Errorf("SnapshotCount = %d, %v", n, err)
	}
	if n, ok, err := s.SnapshotInScope(ctx, "t"); n != 2 || !ok || err != nil {
		t.Errorf("SnapshotInScope = %d, %v, %v", n, ok, err)
	}
	// c comes into scope, b leaves it, e joins out of scope, d is gone.
	more := []SnapshotEntry{{SourceID: "c", InScope: true}, {SourceID: "b"}, {SourceID: "e"}}
	if delta, err := s.UpdateSnapshot(ctx, "t", 0, more, []string{"d"}); err != nil || delta != -1 {
		t.Fatalf("UpdateSnapshot = %d, %v, want -1", delta, err)
	}
	if n, _, _ := s.SnapshotInScope(ctx, "t"); n != 1 {
		t.Errorf("SnapshotInScope = %d, want 1", n)
	}
	// The recorded number of entries follows the rows (a, d gone; e new).
	var recorded int
	if err := s.db.QueryRowContext(ctx, `SELECT entries FROM snapshot_info WHERE target = 't'`).Scan(&recorded); err != nil || recorded != 3 {
		t.Errorf("snapshot_info.entries = %d, %v, want 3", recorded, err)
	}
	want = allSnapshot(t, s, "t")
	if _, ok, _ := s.SnapshotInScope(ctx, "none"); ok {
		t.Error("SnapshotInScope of a target without a snapshot: ok")
	}
	// A bad entry changes nothing.
	if _, err := s.UpdateSnapshot(ctx, "t", 0, []SnapshotEntry{{SourceID: "e"}, {DN: "cn=x"}}, []string{"b"}); err == nil {
		t.Fatal("empty source id accepted")
	}
	if got := allSnapshot(t, s, "t"); !reflect.DeepEqual(got, want) {
		t.Errorf("after a failed update: snapshot = %+v, want %+v", got, want)
	}
}
