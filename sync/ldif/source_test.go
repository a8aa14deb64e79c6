package ldif

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idsync/idsync/mapping"
)

const sample = `version: 1
# An export with people, nested groups and things that are neither.

dn: dc=example,dc=org
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: uid=alice,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: alice
cn: Alice
mail: alice@example.org
entryUUID: 11111111-1111-1111-1111-111111111111
memberOf: cn=Elsewhere,ou=teams,dc=example,dc=org

dn: uid=bob,ou=people,dc=example,dc=org
objectClass: person
UID: bob
description: first line
  continued
entryUUID: 22222222-2222-2222-2222-222222222222

dn: cn=printer,ou=devices,dc=example,dc=org
objectClass: device
cn: printer

dn: cn=A,ou=groups,dc=example,dc=org
objectClass: groupOfNames
cn: A
member: uid=alice,ou=people,dc=example,dc=org

dn: cn=B,ou=groups,dc=example,dc=org
objectClass: groupOfUniqueNames
cn: B
uniqueMember: CN=A,ou=groups,dc=example,dc=org
uniqueMember: uid=bob,ou=people,dc=example,dc=org

dn: uid=carl,ou=other,dc=example,dc=org
objectClass: inetOrgPerson
uid: carl
entryUUID: 33333333-3333-3333-3333-333333333333
`

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func read(t *testing.T, cfg Config) ([]mapping.Entry, error) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var got []mapping.Entry
	err = s.Read(context.Background(), func(e mapping.Entry) error {
		got = append(got, e)
		return nil
	})
	return got, err
}

func TestSourceRead(t *testing.T) {
	path := writeFile(t, "export.ldif", sample)
	got, err := read(t, Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("read %d people, want alice, bob, carl", len(got))
	}
	alice, bob := got[0], got[1]
	if alice.ID != "11111111-1111-1111-1111-111111111111" || alice.First("MAIL") != "alice@example.org" {
		t.Errorf("alice = %+v", alice)
	}
	wantAlice := []mapping.Membership{
		{DN: "cn=A,ou=groups,dc=example,dc=org", Name: "A"},
		{DN: "cn=Elsewhere,ou=teams,dc=example,dc=org", Name: "Elsewhere"},
		{DN: "cn=B,ou=groups,dc=example,dc=org", Name: "B", Via: []string{"cn=A,ou=groups,dc=example,dc=org"}},
	}
	if got, want := groupsString(alice.Groups), groupsString(wantAlice); got != want {
		t.Errorf("alice groups = %s\nwant %s", got, want)
	}
	if bob.First("uid") != "bob" || bob.First("description") != "first line continued" || len(bob.Groups) != 1 {
		t.Errorf("bob = %+v", bob)
	}

	got, err = read(t, Config{Path: path, BaseDN: "OU=People, DC=example,dc=org", UserClasses: []string{"inetorgperson"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].First("uid") != "alice" {
		t.Errorf("base_dn and user_classes: got %+v", got)
	}
}

func TestSourceObjectGUID(t *testing.T) {
	path := writeFile(t, "ad.ldif", `dn: CN=Ann,OU=Staff,DC=x
objectClass: top
objectClass: user
objectGUID:: MyIRAFVEd2aImaq7zN3u/w==
sAMAccountName: ann
`)
	got, err := read(t, Config{Path: path, IDAttribute: "objectGUID"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != "00112233-4455-6677-8899-aabbccddeeff" || got[0].First("objectguid") != got[0].ID {
		t.Errorf("got %+v", got)
	}
}

func TestSourceErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content, want string
		cfg                 Config
	}{
		{"parse error", sample + "\ndn: uid=x\nbad line\n", `ldif: %s: line 46: missing ':' after attribute name`, Config{}},
		{"missing id", sample, `ldif: %s: line 18: entry "uid=bob,ou=people,dc=example,dc=org" has no mail`, Config{IDAttribute: "mail"}},
		{"modify record", "dn: uid=x\nchangetype: modify\nreplace: cn\ncn: y\n", `ldif: %s: line 2: changetype modify not supported`, Config{}},
		{"bad guid", "dn: cn=a\nobjectClass: user\nobjectGUID: short\n", `ldif: %s: line 1: entry "cn=a": objectGUID: GUID must be 16 bytes, got 5`, Config{IDAttribute: "objectGUID"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".ldif")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg := tt.cfg
			cfg.Path = path
			_, err := read(t, cfg)
			want := strings.Replace(tt.want, "%s", path, 1)
			if err == nil || err.Error() != want {
				t.Errorf("err = %v\nwant %s", err, want)
			}
		})
	}
	_, err := read(t, Config{Path: filepath.Join(dir, "missing.ldif")})
	if !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "ldif: open ") {
		t.Errorf("missing file: %v", err)
	}
}

// TestSourceNotUTF8: a value that is not UTF-8 (a Latin-1 export) fails
// the read, naming the file and line, rather than becoming a changed
// attribute on every run.
func TestSourceNotUTF8(t *testing.T) {
	for name, value := range map[string]string{"plain": "sn: M\xfcller", "base64": "sn:: TfxsbGVy"} {
		t.Run(name, func(t *testing.T) {
			path := writeFile(t, "latin1.ldif", "dn: uid=a,dc=x\nobjectClass: person\nentryUUID: a\n\n"+
				"dn: uid=b,dc=x\nobjectClass: person\nentryUUID: b\n"+value+"\n")
			_, err := read(t, Config{Path: path})
			want := "ldif: " + path + ": line 8: attribute sn: "
			if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "not valid UTF-8") {
				t.Errorf("err = %v, want %q... not valid UTF-8", err, want)
			}
		})
	}
	// objectGUID is binary: its bytes are read and formatted.
	path := writeFile(t, "guid.ldif", "dn: uid=a,dc=x\nobjectClass: person\nobjectGUID:: 6RI0VnialLzeEjRWeJq83g==\n")
	got, err := read(t, Config{Path: path, IDAttribute: "objectGUID"})
	if err != nil || len(got) != 1 || got[0].ID != "563412e9-9a78-bc94-de12-3456789abcde" {
		t.Errorf("objectGUID: %v, %v", got, err)
	}
}

func TestSourceStops(t *testing.T) {
	path := writeFile(t, "export.ldif", sample)
	s, err := New(Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	n := 0
	if err := s.Read(context.Background(), func(mapping.Entry) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("fn error: %v after %d calls, want stop after 1", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = s.Read(ctx, func(mapping.Entry) error { return nil })
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), path) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{Path: "x.ldif"}, ""},
		{Config{}, "path: required"},
		{Config{Path: "x", IDAttribute: "entry UUID", UserClasses: []string{"person", ""}, MemberAttributes: []string{"member;"}, BaseDN: "people"},
			"id_attribute: invalid attribute name \"entry UUID\"\n" +
				"user_classes: empty attribute name\n" +
				"member_attributes: invalid attribute name \"member;\"\n" +
				"base_dn: \"people\" is not a DN"},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if got := fmtErr(err); got != tt.want {
			t.Errorf("Validate(%+v) = %q, want %q", tt.cfg, got, tt.want)
		}
	}
}

// groupsString prints memberships with normalised DNs and lower-case
// names, so that tests do not depend on how Groups spells a group it only
// knows from memberOf.
func groupsString(ms []mapping.Membership) string {
	var b strings.Builder
	for _, m := range ms {
		b.WriteString(mapping.NormalizeDN(m.DN) + " " + strings.ToLower(m.Name) + " via")
		for _, v := range m.Via {
			b.WriteString(" " + mapping.NormalizeDN(v))
		}
		b.WriteString("; ")
	}
	return b.String()
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestReadGroupType: the groups of an export from AD carry the scope and
// kind their groupType says; a group without groupType has none.
func TestReadGroupType(t *testing.T) {
	path := writeFile(t, "ad.ldif", `dn: CN=Jo,OU=People,DC=example,DC=org
objectClass: user
cn: Jo
entryUUID: 44444444-4444-4444-4444-444444444444

dn: CN=Staff,OU=Groups,DC=example,DC=org
objectClass: group
cn: Staff
groupType: -2147483646
member: CN=Jo,OU=People,DC=example,DC=org

dn: CN=News,OU=Groups,DC=example,DC=org
objectClass: group
cn: News
groupType: 8
member: CN=Jo,OU=People,DC=example,DC=org

dn: CN=Plain,OU=Groups,DC=example,DC=org
objectClass: groupOfNames
cn: Plain
member: CN=Jo,OU=People,DC=example,DC=org
`)
	got, err := read(t, Config{Path: path, UserClasses: []string{"user"}})
	if err != nil || len(got) != 1 {
		t.Fatalf("read %d entries: %v", len(got), err)
	}
	want := map[string]mapping.GroupType{
		"Staff": {Scope: mapping.ScopeGlobal, Kind: mapping.KindSecurity},
		"News":  {Scope: mapping.ScopeUniversal, Kind: mapping.KindDistribution},
		"Plain": {},
	}
	if len(got[0].Groups) != len(want) {
		t.Fatalf("groups %+v", got[0].Groups)
	}
	for _, g := range got[0].Groups {
		if g.Type != want[g.Name] {
			t.Errorf("%s: type %+v, want %+v", g.Name, g.Type, want[g.Name])
		}
	}
}
