package sourcetest

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/idsync/idsync/mapping"
)

// entriesOwned: an entry is the caller's. Each entry is copied as it
// arrives and then overwritten once fn returns: the next entries must
// arrive as in a plain read (nothing of one entry is shared with the
// next), and entries kept without change must still be intact at the end
// (nothing is reused for a later page).
func (s *suite) entriesOwned(t *testing.T) {
	src := s.newSource(t, Fixture)
	want := byID(t, readAll(t, src))
	var kept, arrived []mapping.Entry
	scribble := false
	err := src.Read(context.Background(), func(e mapping.Entry) error {
		arrived = append(arrived, e.Clone())
		if scribble {
			overwrite(&e)
		} else {
			kept = append(kept, e)
		}
		scribble = !scribble
		return nil
	})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	for i, e := range arrived {
		if w := want[e.ID]; !reflect.DeepEqual(e, w) {
			t.Errorf("entry %d arrived as\n%+v\nwant (as in an earlier read)\n%+v", i, e, w)
		}
	}
	for _, e := range kept {
		if w := want[e.ID]; !reflect.DeepEqual(e, w) {
			t.Errorf("kept entry changed after the read:\n%+v\nwant\n%+v", e, w)
		}
	}
}

// overwrite changes every string e refers to, through its slices.
func overwrite(e *mapping.Entry) {
	e.ID, e.DN = "overwritten", "cn=overwritten"
	for i := range e.Attrs {
		e.Attrs[i].Name = "overwritten"
		for k := range e.Attrs[i].Values {
			e.Attrs[i].Values[k] = "overwritten"
		}
	}
	for i := range e.Groups {
		g := &e.Groups[i]
		g.DN, g.Name = "cn=overwritten", "overwritten"
		for k := range g.Via {
			g.Via[k] = "cn=overwritten"
		}
	}
}

// fnErrorStops: an error fn returns stops the read and is returned as it
// is.
func (s *suite) fnErrorStops(t *testing.T) {
	stop := errors.New("stop here")
	calls := 0
	err := s.newSource(t, Fixture).Read(context.Background(), func(mapping.Entry) error {
		if calls++; calls == 2 {
			return stop
		}
		return nil
	})
	if err != stop || calls != 2 {
		t.Errorf("Read = %v after %d calls, want %v after 2", err, calls, stop)
	}
}

// cancelled: a context cancelled before or during the read makes Read
// return an error wrapping context.Canceled.
func (s *suite) cancelled(t *testing.T) {
	src := s.newSource(t, Fixture)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := src.Read(ctx, func(mapping.Entry) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Read with a cancelled context = %v, want context.Canceled", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	err := src.Read(ctx, func(mapping.Entry) error { calls++; cancel(); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Read cancelled from fn = %v after %d entries, want context.Canceled", err, calls)
	}
}
