package ldapsource

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/idsync/idsync/mapping"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFormatSID(t *testing.T) {
	tests := []struct {
		hex, want, err string
	}{
		// S-1-5-21-2926446821-1756797902-3681979318-500 (Samba's Administrator)
		{"01 05 000000000005 15000000 e5086eae ce9bb668 b68b76db f4010000", "S-1-5-21-2926446821-1756797902-3681979318-500", ""},
		{"01 01 000000000005 12000000", "S-1-5-18", ""},
		{"01 00 000000000001", "S-1-1", ""},
		{"01 02 000000000005 20000000", "", "want 16 for 2"},
		{"02 01 000000000005 12000000", "", "revision 2"},
		{"01 10" + strings.Repeat("00", 6+64), "", "16 sub-authorities"},
		{"0105", "", "too short"},
	}
	for _, tt := range tests {
		got, err := formatSID(mustHex(t, tt.hex))
		if got != tt.want || (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("formatSID(%s) = %q, %v; want %q, error %q", tt.hex, got, err, tt.want, tt.err)
		}
	}
}

func TestWithRID(t *testing.T) {
	admin := mustHex(t, "01 05 000000000005 15000000 e5086eae ce9bb668 b68b76db f4010000")
	g, err := withRID(admin, 513)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := formatSID(g); s != "S-1-5-21-2926446821-1756797902-3681979318-513" {
		t.Errorf("withRID(admin, 513) = %s", s)
	}
	if formatted, _ := formatSID(admin); !strings.HasSuffix(formatted, "-500") {
		t.Error("withRID changed its argument")
	}
	if _, err := withRID(mustHex(t, "01 00 000000000001"), 1); err == nil {
		t.Error("withRID of a SID without sub-authorities: no error")
	}
}

func FuzzFormatSID(f *testing.F) {
	f.Add(mustHex(f, "01 05 000000000005 15000000 e5086eae ce9bb668 b68b76db f4010000"))
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := formatSID(b)
		if err != nil {
			return
		}
		if !strings.HasPrefix(s, "S-1-") || strings.Count(s, "-") != 2+int(b[1]) {
			t.Errorf("formatSID(%x) = %q", b, s)
		}
		if b[1] > 0 {
			g, err := withRID(b, 7)
			if err != nil || len(g) != len(b) {
				t.Errorf("withRID(%x) = %x, %v", b, g, err)
			}
		}
	})
}

func TestPrimaryIndex(t *testing.T) {
	user := mustHex(t, "01 05 000000000005 15000000 e5086eae ce9bb668 b68b76db 51040000") // RID 1105
	du, _ := withRID(user, 513)
	p := newPrimaryIndex()
	p.add(mapping.Entry{DN: "CN=Domain Users,CN=Users,DC=x", Attrs: mapping.Attrs{{Name: "objectsid", Values: []string{string(du)}}}})
	p.add(mapping.Entry{DN: "CN=no sid,DC=x"})
	person := func(pg string) mapping.Entry {
		return mapping.Entry{DN: "CN=p,DC=x", Attrs: mapping.Attrs{
			{Name: "objectsid", Values: []string{string(user)}}, {Name: "primarygroupid", Values: []string{pg}}}}
	}
	if dn, err := p.group(person("513")); dn != "CN=Domain Users,CN=Users,DC=x" || err != nil {
		t.Errorf("513: %q, %v", dn, err)
	}
	if dn, err := p.group(mapping.Entry{DN: "CN=p,DC=x"}); dn != "" || err != nil {
		t.Errorf("no primaryGroupID: %q, %v", dn, err)
	}
	var miss *missingPrimaryError
	if _, err := p.group(person("1200")); err == nil || !strings.Contains(err.Error(), "-1200 is not among") {
		t.Errorf("unknown RID: %v, want %T", err, miss)
	}
	if _, err := p.group(person("x")); err == nil || !strings.Contains(err.Error(), "not a RID") {
		t.Errorf("bad RID: %v", err)
	}
}

func TestMappingDefaults(t *testing.T) {
	ad := Config{Flavour: FlavourAD}
	var m mapping.Config
	ad.MappingDefaults(&m)
	if m.Attributes["userName"] != `attr("sAMAccountName")` || m.Attributes["externalId"] != "id" ||
		m.Disabled != ADDisabled || m.DisabledReason != ADDisabledReason {
		t.Errorf("defaults: %+v", m)
	}
	// Every default can be overridden; ad.user_name picks the UPN.
	ad.AD.UserName = "userPrincipalName"
	m = mapping.Config{Disabled: `attr("x") == "y"`, Attributes: map[string]string{"externalId": `attr("employeeID")`}}
	ad.MappingDefaults(&m)
	if m.Attributes["userName"] != `attr("userPrincipalName")` || m.Attributes["externalId"] != `attr("employeeID")` ||
		m.Disabled != `attr("x") == "y"` || m.DisabledReason != "" {
		t.Errorf("overridden: %+v", m)
	}
	// A generic LDAP source sets nothing.
	m = mapping.Config{}
	Config{}.MappingDefaults(&m)
	if m.Attributes != nil || m.Disabled != "" {
		t.Errorf("ldap flavour: %+v", m)
	}
	if _, err := mapping.Compile(func() mapping.Config { var c mapping.Config; Config{Flavour: "ad"}.MappingDefaults(&c); return c }()); err != nil {
		t.Errorf("the AD defaults do not compile: %v", err)
	}
}
