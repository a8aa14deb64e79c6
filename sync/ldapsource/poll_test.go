package ldapsource

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
)

// TestChangedSince lists, from a real slapd, the people and groups
// modified at or after a time, by modifyTimestamp. The seeded entries carry
// a modifyTimestamp of 2020 (slapadd keeps it), so the test needs no clock
// of its own.
func TestChangedSince(t *testing.T) {
	t.Parallel()
	old := "modifyTimestamp: 20200101000000Z\ncreateTimestamp: 20200101000000Z\n"
	ldif := string(slapdtest.BaseLDIF())
	for _, uid := range []string{"a", "b", "c"} {
		ldif += "dn: uid=" + uid + "," + slapdtest.PeopleDN + "\nobjectClass: inetOrgPerson\nuid: " + uid +
			"\ncn: " + uid + "\nsn: " + uid + "\n" + old + "\n"
	}
	for _, g := range []string{"g1", "g2"} {
		ldif += "dn: cn=" + g + "," + slapdtest.GroupsDN + "\nobjectClass: groupOfNames\ncn: " + g +
			"\nmember: uid=a," + slapdtest.PeopleDN + "\n" + old + "\n"
	}
	srv := slapdtest.Start(t, slapdtest.WithLDIF([]byte(ldif)))
	s := newTestSource(t, testConfig(t, srv))
	ctx := context.Background()
	since := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	ids, groups, err := s.ChangedSince(ctx, since)
	if err != nil || len(ids) != 0 || len(groups) != 0 {
		t.Fatalf("nothing changed since 2021: %v, %v, %v", ids, groups, err)
	}
	admin := srv.Conn(t)
	modify(t, admin, "uid=b,"+slapdtest.PeopleDN, func(m *ldap.ModifyRequest) { m.Replace("title", []string{"New"}) })
	modify(t, admin, "cn=g2,"+slapdtest.GroupsDN, func(m *ldap.ModifyRequest) { m.Add("member", []string{"uid=c," + slapdtest.PeopleDN}) })
	srv.Add(t, "dn: uid=d,"+slapdtest.PeopleDN+"\nobjectClass: inetOrgPerson\nuid: d\ncn: d\nsn: d\n")
	ids, groups, err = s.ChangedSince(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{uuidOf(t, admin, "uid=b,"+slapdtest.PeopleDN), uuidOf(t, admin, "uid=d,"+slapdtest.PeopleDN)}
	slices.Sort(ids)
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("changed people = %v, want %v (b and d)", ids, want)
	}
	if len(groups) != 1 || !strings.EqualFold(groups[0], "cn=g2,"+slapdtest.GroupsDN) {
		t.Errorf("changed groups = %v, want g2", groups)
	}
	if ids, groups, _ := s.ChangedSince(ctx, time.Now().Add(time.Hour)); len(ids)+len(groups) != 0 {
		t.Errorf("changes in the future: %v, %v", ids, groups)
	}
}
