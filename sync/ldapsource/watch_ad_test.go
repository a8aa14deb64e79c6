package ldapsource

import (
	"errors"
	"slices"
	"testing"

	"github.com/go-ldap/ldap/v3"
)

// TestADCookie: the saved cookie names the DC with the DirSync cookie;
// nothing saved is the zero cookie, and anything that is not a cookie of
// this watcher is an error (the watcher then starts over, in full).
func TestADCookie(t *testing.T) {
	c := adCookie{DC: "CN=NTDS Settings,CN=DC1", DirSync: []byte{1, 2, 3}}
	got, err := parseADCookie(c.encode())
	if err != nil || got.DC != c.DC || string(got.DirSync) != string(c.DirSync) {
		t.Errorf("round trip: %+v, %v", got, err)
	}
	if z, err := parseADCookie(nil); err != nil || z.DC != "" || z.DirSync != nil {
		t.Errorf("nil cookie: %+v, %v", z, err)
	}
	for _, bad := range []string{"{", `{"dc":"x"}`, `{"dirsync":"AQI="}`, "rO0ABXNy"} {
		if _, err := parseADCookie([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func dirSyncEntry(dn string, guid []byte, attrs map[string][]string) *ldap.Entry {
	e := ldap.NewEntry(dn, attrs)
	e.Attributes = append(e.Attributes, &ldap.EntryAttribute{Name: "objectGUID", ByteValues: [][]byte{guid}, Values: []string{string(guid)}})
	return e
}

// TestClassifyDirSync: a tombstone is Deleted by its objectGUID, a group
// (by class, or by a member change) is named by its DN, anything else is a
// person to read again; a later tombstone of the same object wins; an
// entry without an objectGUID is skipped.
func TestClassifyDirSync(t *testing.T) {
	g1 := []byte("0123456789abcdef")
	g2 := []byte("fedcba9876543210")
	id1, _ := formatGUID(g1)
	id2, _ := formatGUID(g2)
	g3 := []byte("0011223344556677")
	id3, _ := formatGUID(g3)
	var changed, deleted, groups ordered
	for _, e := range []*ldap.Entry{
		dirSyncEntry("CN=A,DC=x", g1, map[string][]string{"title": {"x"}}),
		dirSyncEntry("CN=G,DC=x", []byte("gggggggggggggggg"), map[string][]string{"objectClass": {"top", "group"}}),
		dirSyncEntry("CN=H,DC=x", []byte("hhhhhhhhhhhhhhhh"), map[string][]string{"member;range=1-1": {"CN=A,DC=x"}}),
		dirSyncEntry("CN=B,DC=x", g2, nil),
		// A person's memberOf (a back link) does not make it a group.
		dirSyncEntry("CN=C,DC=x", g3, map[string][]string{"objectClass": {"top", "person", "user"}, "memberOf": {"CN=G,DC=x"}}),
		dirSyncEntry("CN=A\\0ADEL:x,CN=Deleted Objects,DC=x", g1, map[string][]string{"isDeleted": {"TRUE"}}),
		ldap.NewEntry("CN=NoGUID,DC=x", map[string][]string{"title": {"y"}}),
	} {
		classifyDirSync(e, &changed, &deleted, &groups)
	}
	if !slices.Equal(changed.list, []string{id2, id3}) || !slices.Equal(deleted.list, []string{id1}) ||
		!slices.Equal(groups.list, []string{"CN=G,DC=x", "CN=H,DC=x"}) {
		t.Errorf("changed %v deleted %v groups %v", changed.list, deleted.list, groups.list)
	}
}

// TestCookieRefusal: only an LDAP answer to the saved cookie itself counts
// as the DC refusing it (a fresh start in full); a lost connection, a busy
// DC or a missing right does not.
func TestCookieRefusal(t *testing.T) {
	ck := adCookie{DC: "dc", DirSync: []byte("saved")}
	refusedErr := &ldap.Error{ResultCode: ldap.LDAPResultUnavailableCriticalExtension, Err: errors.New("bad cookie")}
	cases := []struct {
		name   string
		cookie []byte
		err    error
		want   bool
	}{
		{"refused", ck.DirSync, refusedErr, true},
		{"a later round", []byte("newer"), refusedErr, false},
		{"network", ck.DirSync, &ldap.Error{ResultCode: ldap.ErrorNetwork, Err: errors.New("eof")}, false},
		{"busy", ck.DirSync, &ldap.Error{ResultCode: ldap.LDAPResultBusy}, false},
		{"no right", ck.DirSync, &ldap.Error{ResultCode: ldap.LDAPResultInsufficientAccessRights}, false},
		{"not LDAP", ck.DirSync, errors.New("x"), false},
	}
	for _, c := range cases {
		if got := unchanged(ck, c.cookie) && refusable(c.err); got != c.want {
			t.Errorf("%s: refused = %v, want %v", c.name, got, c.want)
		}
	}
}
