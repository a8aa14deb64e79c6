package sync

import (
	"strings"
	"testing"
	"unsafe"

	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

// TestIDTableShares checks that group members and link IDs equal to a
// listed account's ID end up as the listing's string, not a copy, and that
// other IDs are kept as they are.
func TestIDTableShares(t *testing.T) {
	accounts := []targets.Account{{ID: strings.Clone("a1")}, {ID: strings.Clone("a2")}}
	groups := []targets.Group{{ID: "g", Members: []string{strings.Clone("a2"), "gone", strings.Clone("a1")}}}
	ids := newIDTable(ListingOf(nil, accounts))
	ids.shareMembers(groups)
	same := func(a, b string) bool { return a == b && unsafe.StringData(a) == unsafe.StringData(b) }
	for i, want := range []string{accounts[1].ID, "gone", accounts[0].ID} {
		if got := groups[0].Members[i]; got != want {
			t.Fatalf("member %d = %q, want %q", i, got, want)
		}
	}
	if !same(groups[0].Members[0], accounts[1].ID) || !same(groups[0].Members[2], accounts[0].ID) {
		t.Error("members equal to listed IDs are copies, not the listing's strings")
	}
	if got := ids.share(strings.Clone("a1")); !same(got, accounts[0].ID) {
		t.Error("share returned a copy of a listed ID")
	}
	if got := ids.share("other"); got != "other" {
		t.Errorf("share(other) = %q", got)
	}
}

// TestIDTableSharesLinks checks that a link holds the listing's strings for
// its account ID, and for its userName and source ID when the account has
// them equal, and its own strings otherwise.
func TestIDTableSharesLinks(t *testing.T) {
	accounts := []targets.Account{{ID: strings.Clone("a1"), UserName: strings.Clone("ann"), ExternalID: strings.Clone("s1")}}
	ids := newIDTable(ListingOf(nil, accounts))
	same := func(a, b string) bool { return a == b && unsafe.StringData(a) == unsafe.StringData(b) }
	tests := []struct {
		name                            string
		link                            state.PlanLink
		shareID, shareUser, shareSource bool
	}{
		{"all equal", state.PlanLink{SourceID: strings.Clone("s1"), TargetID: strings.Clone("a1"), UserName: strings.Clone("ann"), DN: "uid=ann"},
			true, true, true},
		{"renamed", state.PlanLink{SourceID: strings.Clone("s1"), TargetID: strings.Clone("a1"), UserName: "Ann", DN: "uid=ann"},
			true, false, true},
		{"other source", state.PlanLink{SourceID: "s2", TargetID: strings.Clone("a1"), UserName: strings.Clone("ann")},
			true, true, false},
		{"account gone", state.PlanLink{SourceID: strings.Clone("s1"), TargetID: "a9", UserName: strings.Clone("ann")},
			false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := tt.link
			ids.shareLink(&l)
			if l != tt.link {
				t.Fatalf("shareLink changed the link's values: %+v, want %+v", l, tt.link)
			}
			a := &accounts[0]
			if same(l.TargetID, a.ID) != tt.shareID || same(l.UserName, a.UserName) != tt.shareUser ||
				same(l.SourceID, a.ExternalID) != tt.shareSource {
				t.Errorf("shared ID %v, userName %v, source ID %v; want %v, %v, %v", same(l.TargetID, a.ID),
					same(l.UserName, a.UserName), same(l.SourceID, a.ExternalID), tt.shareID, tt.shareUser, tt.shareSource)
			}
		})
	}
}
