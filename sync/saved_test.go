package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idsync/idsync/mapping"
)

// savePlan builds the plan of in with fingerprints and writes it as a
// saved plan document.
func savePlan(t *testing.T, in Input) []byte {
	t.Helper()
	p := BuildPlan(in)
	NewPlanInputs(in).Fingerprint(p)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, []*Plan{p}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readSaved(t *testing.T, doc []byte) *SavedPlan {
	t.Helper()
	sp, err := ReadSavedPlan(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// saveRun plans a dry run of r with fingerprints and returns it as a saved
// plan, as idsync plan --out writes and apply --plan reads it.
func saveRun(t *testing.T, r *Runner) *SavedPlan {
	t.Helper()
	out, err := r.Run(context.Background(), Options{DryRun: true, Inspect: func(p *Plan, in *PlanInputs) error {
		in.Fingerprint(p)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	var doc bytes.Buffer
	if err := WriteJSON(&doc, out.Plans); err != nil {
		t.Fatal(err)
	}
	return readSaved(t, doc.Bytes())
}

func userNames(cs []Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.UserName)
	}
	return out
}

// TestSavedPlanFilter applies the golden plan, saved, to a fresh plan of
// a world that moved in one way: only the changes whose inputs are the
// same are kept, each other saved change is refused and named.
func TestSavedPlanFilter(t *testing.T) {
	all := []string{"dan", "eve", "bob", "fay", "ann", "handmade"}
	for _, tc := range []struct {
		name    string
		move    func(in *Input)
		kept    []string
		refused string // the refused change and why, "" for none
		skipped int
	}{
		{name: "nothing moved", move: func(*Input) {}, kept: all},
		{name: "source person changed", move: func(in *Input) { in.People[0].Account.Attrs.Set("department", "Ops") },
			kept: []string{"dan", "eve", "bob", "fay", "handmade"}, refused: "+ ann [create] (source ID s1): the source entry changed"},
		{name: "source person renamed", move: func(in *Input) { in.People[1].DN = "uid=bob,ou=ops,dc=example,dc=org" },
			kept: []string{"dan", "eve", "fay", "ann", "handmade"}, refused: "~ bob [update] (source ID s2): the source entry changed"},
		{name: "target account changed", move: func(in *Input) { in.Accounts[0].Attrs.Set("title", "Boss") },
			kept: []string{"dan", "eve", "fay", "ann", "handmade"}, refused: "~ bob [update] (source ID s2): the target account changed"},
		{name: "account left a group", move: func(in *Input) { in.Groups[0].Members = []string{"a2", "a3", "a5"} },
			kept: []string{"eve", "bob", "fay", "ann", "handmade"}, refused: "- dan [disable] (source ID s4): the target account changed"},
		{name: "link changed", move: func(in *Input) { in.Links[3].DN = "uid=eve,ou=gone,dc=example,dc=org" },
			kept: []string{"dan", "bob", "fay", "ann", "handmade"}, refused: "- eve [disable] (source ID s5): idsync's link changed"},
		{name: "orphan changed", move: func(in *Input) { in.Accounts[5].Active = false },
			kept: []string{"dan", "eve", "bob", "fay", "ann"}, refused: "? handmade [report] (target ID a8): the target account changed"},
		{name: "change no longer planned", move: func(in *Input) { in.Accounts = in.Accounts[:5] },
			kept: []string{"dan", "eve", "bob", "fay", "ann"}, refused: "? handmade [report] (target ID a8): no longer planned"},
		{name: "a new change is not applied", move: func(in *Input) { in.People = append(in.People, mkPerson("s7", "gus", "Eng")) },
			kept: all, skipped: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp := readSaved(t, savePlan(t, goldenInput()))
			in := goldenInput()
			tc.move(&in)
			p := BuildPlan(in)
			if err := sp.Filter(p, NewPlanInputs(in)); err != nil {
				t.Fatal(err)
			}
			if got := userNames(p.Changes); !slices.Equal(got, tc.kept) {
				t.Errorf("kept %v, want %v", got, tc.kept)
			}
			o := sp.Outcomes[0]
			if o.Skipped != tc.skipped || o.Kept != len(tc.kept) || o.Approved != len(all) {
				t.Errorf("outcome %+v", o)
			}
			switch {
			case tc.refused == "" && len(o.Refused) > 0:
				t.Errorf("refused %v", o.Refused)
			case tc.refused != "" && (len(o.Refused) != 1 || !strings.HasPrefix(o.Refused[0].Change+": "+o.Refused[0].Why, tc.refused)):
				t.Errorf("refused %v, want %q", o.Refused, tc.refused)
			}
			if tc.refused != "" && !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, tc.refused) }) {
				t.Errorf("warnings %q do not name the refused change", p.Warnings)
			}
		})
	}
}

// TestSavedPlanFilterGroups keeps the memberships of kept changes only,
// and counts the filtered plan again.
func TestSavedPlanFilterGroups(t *testing.T) {
	sp := readSaved(t, savePlan(t, goldenInput()))
	in := goldenInput()
	in.People[1].Account.Attrs.Set("department", "Ops") // bob moves again: refused
	p := BuildPlan(in)
	if err := sp.Filter(p, NewPlanInputs(in)); err != nil {
		t.Fatal(err)
	}
	for _, g := range p.Groups {
		for _, m := range append(g.Add, g.Remove...) {
			if m.UserName == "bob" {
				t.Errorf("group %s still changes bob's membership", g.Role)
			}
		}
		if g.Role == "sales" {
			t.Errorf("sales is created only for bob: %+v", g)
		}
	}
	s := p.Summary
	if s.Movers != 0 || s.Joiners != 1 || s.Leavers != 2 || s.Updates != 1 || s.MembersAdded != 2 || s.MembersRemoved != 2 || s.GroupsCreated != 0 {
		t.Errorf("summary not recounted: %+v", s)
	}
}

// TestRecountIsBuildPlans: counting a plan again gives BuildPlan's counts.
func TestRecountIsBuildPlans(t *testing.T) {
	for _, in := range []Input{goldenInput(), controlInput(), mixedInput()} {
		p := BuildPlan(in)
		want := p.Summary
		recount(p)
		if p.Summary != want {
			t.Errorf("recount %+v, BuildPlan %+v", p.Summary, want)
		}
	}
}

func TestSavedPlanAllOrNothing(t *testing.T) {
	sp := readSaved(t, savePlan(t, goldenInput()))
	sp.AllOrNothing = true
	in := goldenInput()
	in.People[0].Account.Attrs.Set("department", "Ops")
	err := sp.Filter(BuildPlan(in), NewPlanInputs(in))
	if !errors.Is(err, ErrSavedPlan) || !strings.Contains(err.Error(), "+ ann [create] (source ID s1): the source entry changed") {
		t.Fatalf("got %v", err)
	}
	other := &Plan{Target: "other"}
	if err := sp.Filter(other, NewPlanInputs(Input{})); !errors.Is(err, ErrSavedPlan) {
		t.Fatalf("a target the saved plan lacks: %v", err)
	}
}

// TestReadSavedPlanRefuses refuses documents that are not saved plans or
// were edited after they were written.
func TestReadSavedPlanRefuses(t *testing.T) {
	doc := string(savePlan(t, goldenInput()))
	plain := func() string {
		var buf bytes.Buffer
		if err := WriteJSON(&buf, []*Plan{BuildPlan(goldenInput())}); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}()
	dropChange := func(s string) string { // the last change
		var d map[string]any
		if err := json.Unmarshal([]byte(s), &d); err != nil {
			t.Fatal(err)
		}
		p := d["plans"].([]any)[0].(map[string]any)
		cs := p["changes"].([]any)
		p["changes"] = cs[:len(cs)-1]
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"not json", "plan", "not a plan document"},
		{"trailing data", doc + "{}", "data after the document"},
		{"other version", strings.Replace(doc, `"version": 1`, `"version": 2`, 1), "version 2"},
		{"no plans", `{"version": 1, "plans": []}`, "has no plan"},
		{"no fingerprints", plain, "has no digest"},
		{"value edited", strings.Replace(doc, `"after": "Sales"`, `"after": "Admins"`, 1), "~ bob [update] (source ID s2) was edited after the plan was written"},
		{"after edited", strings.Replace(doc, `"department": "Sales"`, `"department": "Admins"`, 1), "was edited after the plan was written"},
		{"fingerprint edited", strings.Replace(doc, `"source": "`, `"source": "0`, 1), "its digest does not match"},
		{"change removed", dropChange(doc), "its digest does not match"},
		{"created edited", strings.Replace(doc, `"created": "2026-11-22T09:00:00Z"`, `"created": "2026-11-23T09:00:00Z"`, 1), "its digest does not match"},
		{"group edited", strings.Replace(doc, `"userName": "fay"
            }`, `"userName": "mallory"
            }`, 1), "its digest does not match"},
		{"two plans of one target", strings.Replace(doc, `"plans": [`, `"plans": [`+planOf(doc)+",", 1), "has two plans"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.doc == doc {
				t.Fatal("the edit did not apply")
			}
			_, err := ReadSavedPlan(strings.NewReader(tc.doc))
			if !errors.Is(err, ErrSavedPlan) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// planOf returns the first plan object of a document.
func planOf(doc string) string {
	i := strings.Index(doc, `"plans": [`) + len(`"plans": [`)
	j := strings.LastIndex(doc, "]")
	return doc[i:j]
}

func TestSavedPlanAge(t *testing.T) {
	sp := readSaved(t, savePlan(t, goldenInput()))
	made := goldenInput().Now
	for _, tc := range []struct {
		now    time.Time
		maxAge time.Duration
		want   string
	}{
		{made.Add(time.Hour), 24 * time.Hour, ""},
		{made.Add(25 * time.Hour), 24 * time.Hour, "made 25h0m0s ago"},
		{made.Add(25 * time.Hour), 0, ""},
		{made.Add(-time.Hour), 24 * time.Hour, "in the future"},
	} {
		err := sp.CheckAge(tc.now, tc.maxAge)
		if tc.want == "" && err != nil || tc.want != "" && (!errors.Is(err, ErrSavedPlan) || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("at %s, max %s: %v, want %q", tc.now, tc.maxAge, err, tc.want)
		}
	}
}

// FuzzReadSavedPlan reads outside input: it never panics, and what it
// accepts reads again the same way.
func FuzzReadSavedPlan(f *testing.F) {
	in := goldenInput()
	p := BuildPlan(in)
	NewPlanInputs(in).Fingerprint(p)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, []*Plan{p}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"version": 1, "plans": [{"target": "t", "created": "2026-01-01T00:00:00Z", "changes": null, "digest": "x"}]}`))
	f.Add([]byte(`{"plans": [{"changes": [{"fingerprint": {}}]}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		sp, err := ReadSavedPlan(bytes.NewReader(doc))
		if err != nil {
			return
		}
		for _, st := range sp.Targets {
			if st.Digest == "" || st.Created.IsZero() || len(st.order) != st.Changes {
				t.Fatalf("accepted an incomplete plan: %+v", st)
			}
		}
		// Filtering an empty fresh plan refuses every saved change.
		for _, st := range sp.Targets {
			fresh := &Plan{Target: st.Target}
			if err := sp.Filter(fresh, NewPlanInputs(Input{People: []mapping.Person{}})); err != nil {
				t.Fatal(err)
			}
		}
	})
}
