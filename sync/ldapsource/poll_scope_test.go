package ldapsource

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
)

// TestChangedSinceOutOfFilter: a modification that takes a person out of
// users.filter (HR marks them terminated) makes them a leaver. A poll must
// list them, so that reading them again finds them out of scope; with
// users.filter in its search, it never saw them, and they kept their
// access until the next full reconciliation.
func TestChangedSinceOutOfFilter(t *testing.T) {
	t.Parallel()
	old := "modifyTimestamp: 20200101000000Z\ncreateTimestamp: 20200101000000Z\n"
	ldif := string(slapdtest.BaseLDIF())
	for _, uid := range []string{"a", "b"} {
		ldif += "dn: uid=" + uid + "," + slapdtest.PeopleDN + "\nobjectClass: inetOrgPerson\nuid: " + uid +
			"\ncn: " + uid + "\nsn: " + uid + "\nemployeeType: staff\n" + old + "\n"
	}
	srv := slapdtest.Start(t, slapdtest.WithLDIF([]byte(ldif)))
	cfg := testConfig(t, srv)
	cfg.Users.Filter = "(&(objectClass=inetOrgPerson)(!(employeeType=terminated)))"
	s := newTestSource(t, cfg)
	ctx := context.Background()
	since := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	admin := srv.Conn(t)
	modify(t, admin, "uid=b,"+slapdtest.PeopleDN, func(m *ldap.ModifyRequest) { m.Replace("employeeType", []string{"terminated"}) })
	ids, _, err := s.ChangedSince(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	if want := uuidOf(t, admin, "uid=b,"+slapdtest.PeopleDN); !slices.Contains(ids, want) {
		t.Errorf("changed people = %v, want b (%s), out of users.filter now", ids, want)
	}
	if a := uuidOf(t, admin, "uid=a,"+slapdtest.PeopleDN); slices.Contains(ids, a) {
		t.Errorf("changed people = %v: a (%s) did not change", ids, a)
	}
}

// TestChangedSinceMovedOut: a person moved out of users.base_dn (to an OU
// of former staff, the way many directories retire people) is a leaver. A
// poll must list them, from the naming context that holds the users' base,
// so that reading them again finds them gone; searching only under the
// users' base, it never saw them, and they kept their access until the
// next full reconciliation.
func TestChangedSinceMovedOut(t *testing.T) {
	t.Parallel()
	old := "modifyTimestamp: 20200101000000Z\ncreateTimestamp: 20200101000000Z\n"
	ldif := string(slapdtest.BaseLDIF()) + "dn: ou=former," + slapdtest.BaseDN + "\nobjectClass: organizationalUnit\nou: former\n\n"
	for _, uid := range []string{"a", "b"} {
		ldif += "dn: uid=" + uid + "," + slapdtest.PeopleDN + "\nobjectClass: inetOrgPerson\nuid: " + uid +
			"\ncn: " + uid + "\nsn: " + uid + "\n" + old + "\n"
	}
	srv := slapdtest.Start(t, slapdtest.WithLDIF([]byte(ldif)))
	s := newTestSource(t, testConfig(t, srv))
	admin := srv.Conn(t)
	a, b := uuidOf(t, admin, "uid=a,"+slapdtest.PeopleDN), uuidOf(t, admin, "uid=b,"+slapdtest.PeopleDN)
	if err := admin.ModifyDN(ldap.NewModifyDNRequest("uid=b,"+slapdtest.PeopleDN, "uid=b", true, "ou=former,"+slapdtest.BaseDN)); err != nil {
		t.Fatal(err)
	}
	ids, _, err := s.ChangedSince(context.Background(), time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(ids, b) || slices.Contains(ids, a) {
		t.Errorf("changed people = %v, want b (%s), moved out of the users' base, and not a (%s)", ids, b, a)
	}
}
