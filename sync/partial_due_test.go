package sync

import (
	"context"
	"testing"
	"time"

	"github.com/idsync/idsync/mapping"
)

// TestRunChangesNextDue: an incremental run says when the next dated
// event of the people it touched falls, with a fixed clock: a contractor
// whose end date is brought forward moves it earlier; a leaver the run
// disables with delete_after sets the day of their deletion.
func TestRunChangesNextDue(t *testing.T) {
	m, err := mapping.Compile(mapping.Config{
		Attributes: map[string]string{"userName": `attr("uid")`, "department": `attr("ou")`},
		EndDate:    `attr("end")`,
	})
	if err != nil {
		t.Fatal(err)
	}
	withEnd := func(e mapping.Entry, end string) mapping.Entry {
		e.Attrs = append(e.Attrs, mapping.Attr{Name: "end", Values: []string{end}})
		return e
	}
	src := &changeSource{sliceSource: sliceSource{entries: []mapping.Entry{
		withEnd(entry("id-con", "con", "Eng"), "2026-06-30"), entry("id-ann", "ann", "Eng"), entry("id-bob", "bob", "Eng")}}}
	tgt := newFakeTarget()
	r, _ := newTestRunner(t, src, tgt)
	r.Mapper = m
	r.Targets[0].Policy = Policy{Leavers: "disable", DeleteAfter: 30 * 24 * time.Hour}
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	r.Now = func() time.Time { return now }
	out, err := r.Run(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC); !out.NextDue.Equal(want) {
		t.Fatalf("full run: next due %v, want %v", out.NextDue, want)
	}
	src.reads = 0
	src.set(withEnd(entry("id-con", "con", "Eng"), "2026-03-20"))
	out, err = r.RunChanges(context.Background(), Options{}, Changes{IDs: []string{"id-con"}})
	if err != nil {
		t.Fatal(err)
	}
	if src.reads != 0 || out.Plans[0].Incremental == nil {
		t.Fatal("not an incremental run")
	}
	if want := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC); !out.NextDue.Equal(want) {
		t.Errorf("incremental run: next due %v, want the new end date %v", out.NextDue, want)
	}
	e := entry("id-bob", "bob", "Eng")
	e.Attrs = append(e.Attrs, mapping.Attr{Name: "end", Values: []string{"2026-02-01"}}) // ended already
	src.set(e)
	out, err = r.RunChanges(context.Background(), Options{}, Changes{IDs: []string{"id-bob"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := now.Add(30 * 24 * time.Hour); !out.NextDue.Equal(want) {
		t.Errorf("incremental run disabling bob: next due %v, want his deletion day %v", out.NextDue, want)
	}
}
