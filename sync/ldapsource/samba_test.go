package ldapsource

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/internal/duration"
	"github.com/idsync/idsync/internal/secret"
	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/sync/ldapsource/sambatest"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// adConfig reads the whole domain of s from its root over LDAPS as the
// service account, with the AD defaults and members in chunks of 100.
func adConfig(t testing.TB, s *sambatest.Server) Config {
	t.Helper()
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte(sambatest.ServicePassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return Config{
		Flavour: FlavourAD, URL: s.LDAPSURL, CAFile: s.CAFile,
		BindDN: sambatest.ServiceDNValue, BindPassword: secret.Ref{File: pw},
		Timeout: duration.Of(30 * time.Second), PageSize: 50,
		Users:  UserSearch{BaseDN: sambatest.BaseDN},
		Groups: GroupSearch{BaseDN: sambatest.BaseDN, RangeSize: 100},
	}
}

// adRead reads every person with cfg, by sAMAccountName.
func adRead(t *testing.T, cfg Config) map[string]mapping.Entry {
	t.Helper()
	entries, err := readAll(t, cfg)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	out := map[string]mapping.Entry{}
	for _, e := range entries {
		sam := e.First("samaccountname")
		if _, dup := out[sam]; dup {
			t.Errorf("%s read twice", sam)
		}
		out[sam] = e
	}
	return out
}

// builtinPeople are the person accounts of a new domain, besides the seed
// and the service account.
var builtinPeople = []string{"Administrator", "Guest", "krbtgt"}

var guidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// TestADDomainRoot: a read from the domain root with flavour = "ad" gets
// every person (not the DC's computer account), ignores and logs the
// continuation references once, and gives objectGUIDs as in samba-tool.
func TestADDomainRoot(t *testing.T) {
	s := sambatest.Shared(t)
	cfg := adConfig(t, s)
	log, hook := logtest.NewNullLogger()
	src, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]mapping.Entry{}
	if err := src.Read(context.Background(), func(e mapping.Entry) error {
		got[e.First("samaccountname")] = e
		return nil
	}); err != nil {
		t.Fatalf("Read: %v", err)
	}
	if want := s.Seed.People + 1 + len(builtinPeople); len(got) != want {
		t.Errorf("read %d people, want %d", len(got), want)
	}
	if _, ok := got[strings.ToUpper(sambatest.HostName)+"$"]; ok {
		t.Error("the DC's computer account was read as a person")
	}
	refs := 0
	for _, e := range hook.AllEntries() {
		if strings.Contains(e.Message, "continuation references") {
			refs++
			if r := e.Data["references"].(string); !strings.Contains(r, "CN=Configuration,"+sambatest.BaseDN) {
				t.Errorf("references logged: %s", r)
			}
		}
	}
	if refs != 1 {
		t.Errorf("continuation references logged %d times, want once", refs)
	}
	e := got["uac.normal"]
	if !guidRE.MatchString(e.ID) || e.First("objectguid") != e.ID {
		t.Errorf("uac.normal: ID %q, objectguid %q", e.ID, e.First("objectguid"))
	}
	out, err := s.Tool("user", "show", "uac.normal", "--attributes=objectGUID")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "objectGUID: "+e.ID) {
		t.Errorf("ID %s, samba-tool says %s", e.ID, out)
	}
	if sid := e.First("objectsid"); !strings.HasPrefix(sid, "S-1-5-21-") {
		t.Errorf("objectSid %q, want its string form", sid)
	}
}

// TestADNamesNeedingEscapes: DNs with escaped characters and non-ASCII
// names arrive as the directory has them, and their memberships resolve.
func TestADNamesNeedingEscapes(t *testing.T) {
	got := adRead(t, adConfig(t, sambatest.Shared(t)))
	for _, sp := range sambatest.Specials {
		if !strings.HasPrefix(sp.SAM, "name.") {
			continue
		}
		e, ok := got[sp.SAM]
		if !ok {
			t.Errorf("%s not read", sp.SAM)
			continue
		}
		if e.First("cn") != sp.CN {
			t.Errorf("%s: cn %q, want %q", sp.SAM, e.First("cn"), sp.CN)
		}
		// Samba escapes ";" as \3B: compare the parsed DNs.
		want := sambatest.UserDN(sp.CN, sambatest.StatesDN)
		have, err1 := ldap.ParseDN(e.DN)
		wantDN, err2 := ldap.ParseDN(want)
		if err1 != nil || err2 != nil || !have.EqualFold(wantDN) {
			t.Errorf("%s: DN %q, want %q (%v, %v)", sp.SAM, e.DN, want, err1, err2)
		}
	}
	if g := groupNames(got["name.hash"]); !slices.Contains(g, "R&D, Europe") {
		t.Errorf("name.hash: groups %v, want R&D, Europe", g)
	}
}

func groupNames(e mapping.Entry) []string {
	var out []string
	for _, g := range e.Groups {
		out = append(out, g.Name)
	}
	slices.Sort(out)
	return out
}

// TestADGroups: nested groups three levels deep, a cycle, the primary
// group (Domain Users, or Contractors for user001-005) and a group of 300
// read 100 at a time.
func TestADGroups(t *testing.T) {
	s := sambatest.Shared(t)
	got := adRead(t, adConfig(t, s))
	tests := []struct {
		sam  string
		want []string
	}{
		// user001 is in Backend (by its number), primary group
		// Contractors: AD lists it in no member attribute there, and
		// made it a listed member of Domain Users, its former primary
		// group. Users is BUILTIN\Users, which has Domain Users.
		{"user001", []string{"All Staff", "Backend", "Big Group", "Contractors", "Domain Users", "Engineering", "Users"}},
		{"user006", []string{"All Staff", "Big Group", "Domain Users", "Engineering", "Frontend", "Users"}},
		{"user003", []string{"All Staff", "Big Group", "Contractors", "Domain Users", "Sales", "Users"}},
		{"name.comma", []string{"Cycle A", "Cycle B", "Domain Users", "Users"}},
		{"name.plus", []string{"Cycle A", "Cycle B", "Domain Users", "Users"}},
		{"uac.normal", []string{"All Staff", "Domain Users", "Engineering", "Local Admins", "Users"}},
	}
	for _, tt := range tests {
		if g := groupNames(got[tt.sam]); !slices.Equal(g, tt.want) {
			t.Errorf("%s: groups %v, want %v", tt.sam, g, tt.want)
		}
	}
	for n := 1; n <= sambatest.Staff; n++ {
		if !slices.Contains(groupNames(got[sambatest.StaffSAM(n)]), sambatest.BigGroup) {
			t.Fatalf("%s is not in %s: ranged retrieval lost members", sambatest.StaffSAM(n), sambatest.BigGroup)
		}
	}
	// The DC itself cuts member lists only when asked: prove it answers
	// the range requested, so the read above went through several chunks.
	c := s.Conn(t)
	res, err := c.Search(ldap.NewSearchRequest(sambatest.GroupDN(sambatest.BigGroup), ldap.ScopeBaseObject,
		ldap.NeverDerefAliases, 0, 0, false, "(objectClass=*)", []string{"member;range=0-99"}, nil))
	if err != nil || len(res.Entries) != 1 || len(res.Entries[0].Attributes) != 1 {
		t.Fatalf("ranged search: %v", err)
	}
	if a := res.Entries[0].Attributes[0]; a.Name != "member;range=0-99" || len(a.Values) != 100 {
		t.Errorf("ranged search gave %s with %d values", a.Name, len(a.Values))
	}
}

// TestADMappingDefaults: the AD mapping defaults on what Samba returns:
// userName from sAMAccountName, externalId the objectGUID, and leavers
// from the disabled bit (not == 514) and accountExpires, each with its
// reason.
func TestADMappingDefaults(t *testing.T) {
	cfg := adConfig(t, sambatest.Shared(t))
	var mc mapping.Config
	cfg.MappingDefaults(&mc)
	m, err := mapping.Compile(mc)
	if err != nil {
		t.Fatal(err)
	}
	got := adRead(t, cfg)
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	want := map[string]string{ // sAMAccountName -> disabled reason, "" for active
		"uac.normal": "", "uac.514": "disabled", "uac.546": "disabled", "uac.66048": "",
		"uac.66050": "disabled", "uac.544": "", "exp.past": "expired on 2020-01-31", "exp.future": "",
		"exp.zero": "", "exp.max": "", "exp.both": "disabled", "Guest": "disabled", "krbtgt": "disabled",
		"Administrator": "", "user042": "", sambatest.ServiceUser: "",
	}
	for sam, reason := range want {
		e, ok := got[sam]
		if !ok {
			t.Errorf("%s not read", sam)
			continue
		}
		p, err := m.Map(e, now)
		if err != nil {
			t.Errorf("%s: %v", sam, err)
			continue
		}
		if p.Disabled != (reason != "") || p.DisabledReason != reason {
			t.Errorf("%s (UAC %s, accountExpires %q): disabled %v %q, want %q", sam, e.First("useraccountcontrol"),
				e.First("accountexpires"), p.Disabled, p.DisabledReason, reason)
		}
		if p.Account.UserName != sam || p.Account.ExternalID != e.ID || !guidRE.MatchString(e.ID) {
			t.Errorf("%s: userName %q, externalId %q (ID %s)", sam, p.Account.UserName, p.Account.ExternalID, e.ID)
		}
	}
}
