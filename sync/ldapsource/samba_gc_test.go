package ldapsource

import (
	"strings"
	"testing"

	"github.com/idsync/idsync/sync/ldapsource/sambatest"
)

// TestADGlobalCatalog: the Global Catalog port works as a source URL: the
// same people, with the same objectGUIDs, as the domain's own LDAP port.
func TestADGlobalCatalog(t *testing.T) {
	s := sambatest.Shared(t)
	cfg := adConfig(t, s)
	domain := adRead(t, cfg)
	cfg.URL, cfg.CAFile = s.GCURL, ""
	cfg.Users.Attributes = []string{"sAMAccountName", "userAccountControl"}
	gc := adRead(t, cfg)
	if len(gc) != len(domain) {
		t.Errorf("Global Catalog: %d people, domain: %d", len(gc), len(domain))
	}
	for sam, e := range domain {
		if g, ok := gc[sam]; !ok || g.ID != e.ID {
			t.Errorf("%s: Global Catalog ID %q, domain %q", sam, g.ID, e.ID)
		}
	}
	if !strings.Contains(strings.Join(groupNames(gc["user006"]), ","), "All Staff") {
		t.Errorf("user006 through the Global Catalog: groups %v", groupNames(gc["user006"]))
	}
}

// TestADOtherDomain: a base DN the DC does not hold (another domain of
// the forest) fails the read with a message saying what to do. Samba
// answers noSuchObject where AD refers (TestReadServerAnswers has AD's
// referral).
func TestADOtherDomain(t *testing.T) {
	cfg := adConfig(t, sambatest.Shared(t))
	cfg.Users.BaseDN, cfg.Groups.BaseDN = "DC=emea,DC=example,DC=org", ""
	_, err := readAll(t, cfg)
	if err == nil || !strings.Contains(err.Error(), "the base DN does not exist on this server") ||
		!strings.Contains(err.Error(), "Global Catalog") {
		t.Fatalf("err = %v, want the other domain explained", err)
	}
}
