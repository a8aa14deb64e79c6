package sync

import (
	"errors"
	"strings"
	"testing"
)

func planWith(removals, linked, inScope int) *Plan {
	p := &Plan{Summary: Summary{Linked: linked, InScope: inScope}}
	for i := 0; i < removals; i++ {
		p.Changes = append(p.Changes, Change{Kind: Leaver, Action: Disable})
	}
	return p
}

func TestGuardsCheck(t *testing.T) {
	g := Guards{MaxDeletes: 10, MaxDeletesPercent: 10, MaxSourceShrinkPercent: 20}
	tests := []struct {
		name      string
		g         Guards
		p         *Plan
		last      int
		haveLast  bool
		o         Overrides
		wantParts []string // empty: must pass
	}{
		{name: "within limits", g: g, p: planWith(5, 100, 95), last: 100, haveLast: true},
		{name: "count exceeded", g: g, p: planWith(11, 1000, 990), last: 1000, haveLast: true,
			wantParts: []string{"11 accounts would be disabled or deleted, more than guards.max_deletes = 10", "--allow-deletes 11"}},
		{name: "percent exceeded", g: g, p: planWith(6, 50, 44), last: 50, haveLast: true,
			wantParts: []string{"6 of 50 managed accounts (12.0%)", "guards.max_deletes_percent = 10"}},
		{name: "percent ignored for tiny targets", g: g, p: planWith(3, 10, 9), last: 10, haveLast: true},
		{name: "override lets exactly that many through", g: g, p: planWith(11, 1000, 989), last: 1000, haveLast: true, o: Overrides{AllowDeletes: 11}},
		{name: "override smaller than the plan does not", g: g, p: planWith(12, 1000, 988), last: 1000, haveLast: true, o: Overrides{AllowDeletes: 11},
			wantParts: []string{"12 accounts"}},
		{name: "no limit", g: Guards{MaxDeletes: -1}, p: planWith(500, 1000, 500)},
		{name: "zero means none allowed", g: Guards{MaxDeletes: 0}, p: planWith(1, 1000, 999),
			wantParts: []string{"more than guards.max_deletes = 0"}},
		{name: "source shrank 60%", g: g, p: planWith(0, 100, 40), last: 100, haveLast: true,
			wantParts: []string{"40 people in scope, 60.0% fewer than the 100 of the last applied run", "--allow-shrink"}},
		{name: "shrink allowed", g: g, p: planWith(0, 100, 40), last: 100, haveLast: true, o: Overrides{AllowShrink: true}},
		{name: "first run has nothing to compare", g: g, p: planWith(0, 0, 40)},
		{name: "empty source with shrink limit off", g: Guards{MaxDeletes: -1}, p: planWith(0, 0, 0), last: 5, haveLast: true,
			wantParts: []string{"the source returned nobody in scope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.g.Check(tt.p, tt.last, tt.haveLast, tt.o)
			if len(tt.wantParts) == 0 {
				if err != nil {
					t.Fatalf("unexpected refusal: %v", err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrGuard) {
				t.Fatalf("err = %v, want a guard refusal", err)
			}
			for _, part := range tt.wantParts {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not say %q", err, part)
				}
			}
		})
	}
}

func TestGuardsValidate(t *testing.T) {
	err := Guards{MaxDeletesPercent: 120, MaxSourceShrinkPercent: -1}.Validate()
	want := "max_deletes_percent: must be between 0 and 100, got 120\nmax_source_shrink_percent: must be between 0 and 100, got -1"
	if err == nil || err.Error() != want {
		t.Errorf("Validate() = %v, want %q", err, want)
	}
}

func TestCheckListing(t *testing.T) {
	g := DefaultGuards // 20%
	for _, c := range []struct {
		name        string
		links, seen int
		o           Overrides
		want        string // "" when allowed
	}{
		{"all seen", 100, 100, Overrides{}, ""},
		{"a few missing", 100, 81, Overrides{}, ""},
		{"at the limit", 100, 80, Overrides{}, "listed 80 of the 100 accounts idsync has linked (20 missing, 20.0%)"},
		{"first page only", 3000, 100, Overrides{}, "listed 100 of the 3000 accounts"},
		{"overridden", 3000, 100, Overrides{AllowMissing: true}, ""},
		{"too few links to judge", 19, 0, Overrides{}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := g.CheckListing(c.links, c.seen, c.o)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case c.want != "" && (!errors.Is(err, ErrGuard) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "--allow-missing")):
				t.Errorf("err = %v, want ErrGuard with %q and the override", err, c.want)
			}
		})
	}
	if err := (Guards{MaxMissingLinkedPercent: 101}).Validate(); err == nil || !strings.HasPrefix(err.Error(), "max_missing_linked_percent:") {
		t.Errorf("Validate = %v", err)
	}
}
