package sync

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/state"
)

// TestLeaverDetectedByDirectory: a leaver's detection time is the
// directory's word when it gives one (the entry's modifyTimestamp), kept
// in the audit and read back by the leavers report; a person gone from
// the directory, or whose change time is after the run (a skewed clock),
// is detected at the start of the run.
func TestLeaverDetectedByDirectory(t *testing.T) {
	ctx := context.Background()
	tgt := newFakeTarget()
	stay := []mapping.Entry{entry("4", "dan", "Eng"), entry("5", "eve", "Eng"), entry("6", "fay", "Eng")}
	src := &sliceSource{entries: append([]mapping.Entry{entry("1", "ann", "Eng"), entry("2", "bob", "Eng"), entry("3", "cid", "Eng")}, stay...)}
	r, store := newTestRunner(t, src, tgt)
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	r.Now = func() time.Time { return now }
	if _, err := r.Run(ctx, Options{}); err != nil {
		t.Fatal(err)
	}
	disable := func(e mapping.Entry, stamp string) mapping.Entry {
		e.Attrs.Set("disabled", []string{"yes"})
		e.Attrs.Set("modifytimestamp", []string{stamp})
		return e
	}
	src.entries = append([]mapping.Entry{disable(entry("1", "ann", "Eng"), "20261206083000Z"), disable(entry("3", "cid", "Eng"), "20261208000000Z")}, stay...)
	now = now.Add(time.Hour)
	if _, err := r.Run(ctx, Options{}); err != nil {
		t.Fatal(err)
	}
	ls, err := store.Leavers(ctx, time.Time{}, "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, l := range ls {
		got[l.UserName] = l.Detected.UTC().Format(time.RFC3339) + " " + l.DetectedBy
	}
	want := map[string]string{
		"ann": "2026-12-06T08:30:00Z " + ChangedByEntry,
		"bob": "", // the run's start, from the store's clock
		"cid": "",
	}
	for user, w := range want {
		g, ok := got[user]
		switch {
		case !ok:
			t.Errorf("%s is not a leaver: %v", user, got)
		case w != "" && g != w:
			t.Errorf("%s detected %q, want %q", user, g, w)
		case w == "" && !strings.HasSuffix(g, " "+state.DetectedByRun):
			t.Errorf("%s detected %q, want the run's start", user, g)
		}
	}
}

func TestLeftAt(t *testing.T) {
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	end := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	changed := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		p    mapping.Person
		want string
	}{
		{"disabled by the end date", mapping.Person{Disabled: true, EndDate: end, Changed: changed}, "2026-11-30T00:00:00Z " + ChangedByEndDate},
		{"an end date to come: the change time", mapping.Person{Disabled: true, EndDate: now.Add(24 * time.Hour), Changed: changed}, "2026-12-01T09:00:00Z " + ChangedByEntry},
		{"the change time", mapping.Person{Disabled: true, Changed: changed}, "2026-12-01T09:00:00Z " + ChangedByEntry},
		{"nothing known", mapping.Person{}, "0001-01-01T00:00:00Z "},
	}
	for _, tt := range tests {
		at, by := leftAt(&tt.p, now)
		if got := at.Format(time.RFC3339) + " " + by; got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
