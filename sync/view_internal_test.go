package sync

import (
	"strings"
	"testing"
	"unsafe"

	"github.com/idsync/idsync/targets"
)

// TestIDTableShares checks that group members and link IDs equal to a
// listed account's ID end up as the listing's string, not a copy, and that
// other IDs are kept as they are.
func TestIDTableShares(t *testing.T) {
	accounts := []targets.Account{{ID: strings.Clone("a1")}, {ID: strings.Clone("a2")}}
	groups := []targets.Group{{ID: "g", Members: []string{strings.Clone("a2"), "gone", strings.Clone("a1")}}}
	ids := newIDTable(accounts)
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
