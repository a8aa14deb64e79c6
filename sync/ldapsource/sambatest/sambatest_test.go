package sambatest

import (
	"os"
	"testing"

	"github.com/go-ldap/ldap/v3"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// TestSeed: the DC starts from the template over LDAPS with the CA of the
// harness, and holds the seeded people, the primary group and the states.
func TestSeed(t *testing.T) {
	s := Start(t)
	c := s.Conn(t)
	res, err := c.Search(ldap.NewSearchRequest(PeopleDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		"(&(objectCategory=person)(objectClass=user))", []string{"sAMAccountName"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(res.Entries); got != s.Seed.People {
		t.Errorf("%d people under %s, want %d", got, PeopleDN, s.Seed.People)
	}
}
