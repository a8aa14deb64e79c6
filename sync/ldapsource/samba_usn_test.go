package ldapsource

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/sync/ldapsource/sambatest"
)

// TestADPollByUSN: polls on Active Directory go by uSNChanged after the
// domain controller's highestCommittedUSN: a modified person and a changed
// group are listed, a deleted person too (the account can read CN=Deleted
// Objects), nothing else; a watermark of another DC (a failover) or one
// ahead of the DC (restored from a backup) asks for a full reconciliation.
func TestADPollByUSN(t *testing.T) {
	s := sambatest.Start(t)
	if err := s.GrantDirSync(sambatest.ServiceDNValue, true); err != nil {
		t.Fatal(err)
	}
	src, err := New(adConfig(t, s), quietLog())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	mark, err := src.Watermark(ctx)
	if err != nil || mark == nil {
		t.Fatalf("Watermark = %s, %v", mark, err)
	}
	c := s.Conn(t)
	mod := ldap.NewModifyRequest(staffDN(40), nil)
	mod.Replace("title", []string{"Director"})
	if err := c.Modify(mod); err != nil {
		t.Fatal(err)
	}
	gmod := ldap.NewModifyRequest(sambatest.GroupDN("Newsletter"), nil)
	gmod.Add("member", []string{staffDN(41)})
	if err := c.Modify(gmod); err != nil {
		t.Fatal(err)
	}
	changed, gone := guidOf(t, c, staffDN(40)), guidOf(t, c, staffDN(42))
	if err := c.Del(ldap.NewDelRequest(staffDN(42), nil)); err != nil {
		t.Fatal(err)
	}
	ids, groups, deleted, full, err := src.ChangedAfter(ctx, mark)
	if err != nil || full {
		t.Fatalf("ChangedAfter: full %v, %v", full, err)
	}
	slices.Sort(ids)
	want := []string{changed, gone}
	slices.Sort(want)
	if !slices.Equal(ids, want) || !slices.Equal(groups, []string{sambatest.GroupDN("Newsletter")}) {
		t.Errorf("ChangedAfter = %v, %v; want %v, [Newsletter]", ids, groups, want)
	}
	if !slices.Equal(deleted, []string{gone}) {
		t.Errorf("ChangedAfter: deleted %v, want [%s] (the tombstone)", deleted, gone)
	}

	var m usnMark
	if err := json.Unmarshal(mark, &m); err != nil {
		t.Fatal(err)
	}
	other, _ := json.Marshal(usnMark{DC: "CN=NTDS Settings,CN=DC2,CN=Servers," + m.DC, USN: m.USN})
	ahead, _ := json.Marshal(usnMark{DC: m.DC, USN: m.USN + 1_000_000})
	for name, mk := range map[string][]byte{"another DC's": other, "ahead of the DC": ahead, "malformed": []byte("{")} {
		if ids, groups, _, full, err := src.ChangedAfter(ctx, mk); err != nil || !full || ids != nil || groups != nil {
			t.Errorf("%s watermark: %v %v full %v, %v; want full", name, ids, groups, full, err)
		}
	}
}
