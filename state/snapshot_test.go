package state

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestSaveSnapshotReplaces(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	run, _ := s.StartRun(ctx, "t", ModeApply)
	first := []SnapshotEntry{
		{SourceID: "a", DN: "cn=a", UserName: "a", InScope: true, Hash: "h1"},
		{SourceID: "b", DN: "cn=b", UserName: "b", InScope: true, Disabled: true, Hash: "h2"},
		{SourceID: "c", DN: "cn=c", UserName: "c", Hash: "h3"},
	}
	second := []SnapshotEntry{
		{SourceID: "b", DN: "cn=b,ou=new", UserName: "b", InScope: true, Hash: "h4"},
		{SourceID: "d", DN: "cn=d", UserName: "d", InScope: true, Hash: "h5"},
	}
	other := []SnapshotEntry{{SourceID: "z", DN: "cn=z", Hash: "hz"}}
	if err := s.SaveSnapshot(ctx, "other", 0, entries(other...)); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSnapshot(ctx, "t", run.ID, entries(first...)); err != nil {
		t.Fatal(err)
	}
	if got := allSnapshot(t, s, "t"); !reflect.DeepEqual(got, first) {
		t.Fatalf("snapshot = %+v, want %+v", got, first)
	}
	var kept []SnapshotEntry
	if err := s.DisabledInScope(ctx, "t", func(e SnapshotEntry) error { kept = append(kept, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if want := first[1:2]; !reflect.DeepEqual(kept, want) {
		t.Errorf("DisabledInScope = %+v, want %+v", kept, want)
	}
	if err := s.SaveSnapshot(ctx, "t", run.ID, entries(second...)); err != nil {
		t.Fatal(err)
	}
	if got := allSnapshot(t, s, "t"); !reflect.DeepEqual(got, second) {
		t.Errorf("snapshot = %+v, want %+v", got, second)
	}
	if n, err := s.SnapshotCount(ctx, "t"); n != 2 || err != nil {
		t.Errorf("SnapshotCount = %d, %v", n, err)
	}
	if got := allSnapshot(t, s, "other"); !reflect.DeepEqual(got, other) {
		t.Errorf("other target's snapshot = %+v", got)
	}
	if err := s.SaveSnapshot(ctx, "t", 0, entries()); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.SnapshotCount(ctx, "t"); n != 0 {
		t.Errorf("empty save left %d entries", n)
	}
}

// TestSaveSnapshotRollsBack fails a save part way and checks the previous
// snapshot is untouched.
func TestSaveSnapshotRollsBack(t *testing.T) {
	old := []SnapshotEntry{{SourceID: "a", Hash: "1"}, {SourceID: "b", Hash: "2"}}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		n       int
		special map[int]step // 1-based entry number -> what next returns
		want    string
		wantIs  error
	}{
		{"next fails", context.Background(), 5000, map[int]step{4000: {err: errInjected}}, "entry 4000: injected", errInjected},
		{"repeated source id", context.Background(), 10, map[int]step{7: {e: SnapshotEntry{SourceID: "new000003"}}}, `entry 7 (source id "new000003")`, nil},
		{"empty source id", context.Background(), 10, map[int]step{2: {e: SnapshotEntry{DN: "cn=x"}}}, `entry 2 ("cn=x"): empty source id`, nil},
		{"ctx cancelled", cancelled, 10, nil, "context canceled", context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			if err := s.SaveSnapshot(context.Background(), "t", 0, entries(old...)); err != nil {
				t.Fatal(err)
			}
			err := s.SaveSnapshot(tt.ctx, "t", 0, stream(tt.n, tt.special))
			if err == nil || !strings.Contains(err.Error(), tt.want) || tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Fatalf("SaveSnapshot error %v, want %q", err, tt.want)
			}
			if got := allSnapshot(t, s, "t"); !reflect.DeepEqual(got, old) {
				t.Errorf("snapshot after failed save = %+v, want the old one", got)
			}
		})
	}
}

type step struct {
	e   SnapshotEntry
	err error
}

// stream is a SaveSnapshot next func yielding n generated entries, except
// that entry i (1-based) is special[i] when present.
func stream(n int, special map[int]step) func() (SnapshotEntry, bool, error) {
	i := 0
	return func() (SnapshotEntry, bool, error) {
		if i == n {
			return SnapshotEntry{}, false, nil
		}
		i++
		if st, ok := special[i]; ok {
			return st.e, st.err == nil, st.err
		}
		return SnapshotEntry{SourceID: fmt.Sprintf("new%06d", i), DN: "cn=x", Hash: "h"}, true, nil
	}
}

// TestSaveSnapshotIsolated checks that, while a save streams, other readers
// (the plan of the same process, the sqlite3 shell) still see the old
// snapshot: the replacement is one transaction.
func TestSaveSnapshotIsolated(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if err := s.SaveSnapshot(ctx, "t", 0, entries(SnapshotEntry{SourceID: "old"})); err != nil {
		t.Fatal(err)
	}
	const n = 20000
	i, seenMidway := 0, -1
	next := func() (SnapshotEntry, bool, error) {
		if i == n/2 {
			c, err := s.SnapshotCount(ctx, "t")
			if err != nil {
				return SnapshotEntry{}, false, err
			}
			seenMidway = c
		}
		if i == n {
			return SnapshotEntry{}, false, nil
		}
		i++
		return SnapshotEntry{SourceID: fmt.Sprint(i)}, true, nil
	}
	if err := s.SaveSnapshot(ctx, "t", 0, next); err != nil {
		t.Fatal(err)
	}
	if seenMidway != 1 {
		t.Errorf("reader during the save saw %d entries, want the old 1", seenMidway)
	}
	if c, _ := s.SnapshotCount(ctx, "t"); c != n {
		t.Errorf("after the save: %d entries, want %d", c, n)
	}
}
