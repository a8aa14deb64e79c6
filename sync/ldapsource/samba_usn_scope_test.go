package ldapsource

import (
	"context"
	"slices"
	"testing"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/sync/ldapsource/sambatest"
)

// TestADPollByUSNSeesMovesOut: a person moved out of users.base_dn (to an
// OU idsync does not read) is a leaver. A poll by uSNChanged must list
// them, so that reading them again finds them out of scope; searching
// users.base_dn alone, it never saw them, and they kept their access until
// the next full reconciliation.
func TestADPollByUSNSeesMovesOut(t *testing.T) {
	s := sambatest.Start(t)
	if err := s.GrantDirSync(sambatest.ServiceDNValue, true); err != nil {
		t.Fatal(err)
	}
	cfg := adConfig(t, s)
	cfg.Users.BaseDN = sambatest.PeopleDN
	src, err := New(cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	mark, err := src.Watermark(ctx)
	if err != nil || mark == nil {
		t.Fatalf("Watermark = %s, %v", mark, err)
	}
	c := s.Conn(t)
	moved := guidOf(t, c, staffDN(45))
	if err := c.ModifyDN(ldap.NewModifyDNRequest(staffDN(45), "CN="+sambatest.EscapeRDN(sambatest.StaffCN(45)), true, sambatest.ServiceDN)); err != nil {
		t.Fatal(err)
	}
	ids, _, _, full, err := src.ChangedAfter(ctx, mark)
	if err != nil || full {
		t.Fatalf("ChangedAfter: full %v, %v", full, err)
	}
	if !slices.Contains(ids, moved) {
		t.Errorf("ChangedAfter = %v; want the person moved out of users.base_dn (%s)", ids, moved)
	}
}
