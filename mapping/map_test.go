package mapping

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/idsync/idsync/targets"
)

const (
	engDN      = "cn=Engineering,ou=groups,dc=example,dc=org"
	backendDN  = "cn=Backend,ou=teams,ou=groups,dc=example,dc=org"
	platformDN = "cn=Platform,ou=teams,ou=groups,dc=example,dc=org"
	vpnDN      = "cn=vpn-users,ou=groups,dc=example,dc=org"
	mgrDN      = "cn=managers,ou=groups,dc=example,dc=org"
	jdoeDN     = "uid=jdoe,ou=people,dc=example,dc=org"
	asmithDN   = "uid=asmith,ou=people,dc=example,dc=org"
)

var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// testGroups: jdoe is in Backend (which is in Engineering) and vpn-users;
// asmith is in Platform (in Backend, in Engineering) and managers.
func testGroups() *Groups {
	g := NewGroups()
	g.Add(engDN, "Engineering", []string{backendDN})
	g.Add(backendDN, "Backend", []string{"UID=jdoe, ou=People,dc=example,dc=org", platformDN})
	g.Add(platformDN, "Platform", []string{asmithDN})
	g.Add(vpnDN, "vpn-users", []string{jdoeDN})
	g.Add(mgrDN, "", []string{asmithDN})
	return g
}

func testEntry(dn string, attrs map[string][]string) Entry {
	return Entry{
		ID:     "id-" + rdnValue(dn),
		DN:     dn,
		Attrs:  AttrsOf(attrs),
		Groups: testGroups().Of(dn, nil),
	}
}

func jdoe() Entry {
	return testEntry(jdoeDN, map[string][]string{
		"uid":                {"jdoe"},
		"cn":                 {"Jane Doe"},
		"givenname":          {"Jane"},
		"sn":                 {"Doe"},
		"mail":               {"Jane.Doe@Example.org", "jd@example.org"},
		"title":              {"Backend Engineer"},
		"departmentnumber":   {"Engineering"},
		"employeenumber":     {"1001"},
		"employeetype":       {"staff"},
		"useraccountcontrol": {"512"},
		"accountexpires":     {"0"},
		"createtimestamp":    {"20240115093000Z"},
	})
}

func asmith() Entry {
	return testEntry(asmithDN, map[string][]string{
		"uid":          {"asmith"},
		"cn":           {"Alex Smith"},
		"title":        {"Engineering Manager"},
		"employeetype": {"contractor"},
	})
}

func TestMap(t *testing.T) {
	base := map[string]string{"userName": `attr("uid")`}
	attrs := func(extra map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	account := func(user string, attrs map[string]string) targets.Account {
		if attrs == nil {
			attrs = map[string]string{}
		}
		return targets.Account{UserName: user, Active: true, Attrs: targets.AttrsOf(attrs)}
	}
	tests := []struct {
		name  string
		cfg   Config
		entry Entry
		want  Person
	}{
		{
			name: "attributes",
			cfg: Config{Attributes: attrs(map[string]string{
				"userName":       `lower(attr("uid")) + "@example.org"`,
				"externalId":     `id`,
				"displayName":    `default(attr("displayName"), attr("givenName") + " " + attr("SN"))`,
				"emails.work":    `lower(attr("mail"))`,
				"emails.other":   `join(attrs("mail")[1:], ",")`,
				"title":          `attr("Title")`,
				"department":     `attr(upper("departmentNumber"))`,
				"employeeNumber": `int(attr("employeeNumber")) + 1`,
				"nickName":       `has("nickName") ? attr("nickName") : nil`,
				"userType":       `has("mail")`,
				"costCenter":     `1.5`,
				"locale":         `generalizedTime(attr("createTimestamp"))`,
				"timezone":       `string(now.Year())`,
			})},
			entry: jdoe(),
			want: Person{SourceID: "id-jdoe", DN: jdoeDN, InScope: true, Account: targets.Account{
				UserName: "jdoe@example.org", ExternalID: "id-jdoe", Active: true,
				Attrs: targets.AttrsOf(map[string]string{
					"displayName":    "Jane Doe",
					"emails.work":    "jane.doe@example.org",
					"emails.other":   "jd@example.org",
					"title":          "Backend Engineer",
					"department":     "Engineering",
					"employeeNumber": "1002",
					"nickName":       "",
					"userType":       "true",
					"costCenter":     "1.5",
					"locale":         "2024-01-15T09:30:00Z",
					"timezone":       "2025",
				}),
			}},
		},
		{
			name: "dn helpers",
			cfg: Config{Attributes: attrs(map[string]string{
				"organization": `dnValue(dn, "dc")`,
				"division":     `dnValue(dn, "ou")`,
				"nickName":     `rdn(dn)`,
				"profileUrl":   `parentDN(dn)`,
				"title":        `rdn(parentDN(dn))`,
			})},
			entry: jdoe(),
			want: Person{SourceID: "id-jdoe", DN: jdoeDN, InScope: true, Account: account("jdoe", map[string]string{
				"organization": "example", "division": "people", "nickName": "jdoe",
				"profileUrl": "ou=people,dc=example,dc=org", "title": "people",
			})},
		},
		{
			name: "groups and groupDNs",
			cfg: Config{Attributes: attrs(map[string]string{
				"title":      `join(groups, ",")`,
				"department": `join(groupDNs, ";")`,
				"division":   `string(len(filter(groups, # startsWith "B")))`,
			})},
			entry: jdoe(),
			want: Person{SourceID: "id-jdoe", DN: jdoeDN, InScope: true, Account: account("jdoe", map[string]string{
				"title":      "Backend,vpn-users,Engineering",
				"department": backendDN + ";" + vpnDN + ";" + engDN,
				"division":   "1",
			})},
		},
		{
			name: "out of scope: nothing else is evaluated",
			cfg: Config{
				Scope:      `attr("employeeType") == "staff"`,
				Disabled:   `adExpired("bogus")`,
				Attributes: attrs(map[string]string{"title": `attrs("title")[7]`}),
			},
			entry: asmith(),
			want:  Person{SourceID: "id-asmith", DN: asmithDN},
		},
		{
			name:  "disabled by userAccountControl bit 0x2",
			cfg:   Config{Disabled: `bitSet(attr("userAccountControl"), 0x2)`, Attributes: base},
			entry: withAttr(jdoe(), "useraccountcontrol", "66050"),
			want: Person{SourceID: "id-jdoe", DN: jdoeDN, InScope: true, Disabled: true,
				Account: targets.Account{UserName: "jdoe", Attrs: targets.Attrs{}}},
		},
		{
			name:  "enabled: 512",
			cfg:   Config{Disabled: `bitSet(attr("userAccountControl"), 0x2)`, Attributes: base},
			entry: jdoe(),
			want:  Person{SourceID: "id-jdoe", DN: jdoeDN, InScope: true, Account: account("jdoe", nil)},
		},
		{
			name:  "disabled by accountExpires before now",
			cfg:   Config{Disabled: `adExpired(attr("accountExpires"))`, Attributes: base},
			entry: withAttr(jdoe(), "accountexpires", "133900000000000000"), // 2025-04-24
			want: Person{SourceID: "id-jdoe", DN: jdoeDN, InScope: true, Disabled: true,
				Account: targets.Account{UserName: "jdoe", Attrs: targets.Attrs{}}},
		},
		{
			name: "disabled_reason says why: expired on its date",
			cfg: Config{Disabled: `bitSet(attr("userAccountControl"), 0x2) or adExpired(attr("accountExpires"))`,
				DisabledReason: `bitSet(attr("userAccountControl"), 0x2) ? "disabled" : "expired on " + adTime(attr("accountExpires")).Format("2006-01-02")`,
				Attributes:     base},
			entry: withAttr(jdoe(), "accountexpires", "133900000000000000"), // 2025-04-24
			want: Person{SourceID: "id-jdoe", DN: jdoeDN, InScope: true, Disabled: true, DisabledReason: "expired on 2025-04-24",
				Account: targets.Account{UserName: "jdoe", Attrs: targets.Attrs{}}},
		},
		{
			name: "disabled_reason: disabled bit",
			cfg: Config{Disabled: `bitSet(attr("userAccountControl"), 0x2) or adExpired(attr("accountExpires"))`,
				DisabledReason: `bitSet(attr("userAccountControl"), 0x2) ? "disabled" : "expired"`,
				Attributes:     base},
			entry: withAttr(jdoe(), "useraccountcontrol", "514"),
			want: Person{SourceID: "id-jdoe", DN: jdoeDN, InScope: true, Disabled: true, DisabledReason: "disabled",
				Account: targets.Account{UserName: "jdoe", Attrs: targets.Attrs{}}},
		},
		{
			name: "disabled_reason is not evaluated for an enabled person",
			cfg: Config{Disabled: `bitSet(attr("userAccountControl"), 0x2)`,
				DisabledReason: `adTime("bogus").Format("2006")`, Attributes: base},
			entry: jdoe(),
			want:  Person{SourceID: "id-jdoe", DN: jdoeDN, InScope: true, Account: account("jdoe", nil)},
		},
		{
			name:  "accountExpires after now",
			cfg:   Config{Disabled: `adExpired(attr("accountExpires"))`, Attributes: base},
			entry: withAttr(jdoe(), "accountexpires", "134000000000000000"), // 2025-08-24
			want:  Person{SourceID: "id-jdoe", DN: jdoeDN, InScope: true, Account: account("jdoe", nil)},
		},
		{
			name: "static roles from groups and attributes",
			cfg: Config{Attributes: base, Roles: []RoleRule{
				{Name: "engineering", When: `memberOf("cn=engineering, ou=Groups,dc=example,dc=org")`},
				{Name: "vpn", When: `directMemberOf("VPN-USERS")`},
				{Name: "backend-direct", When: `directMemberOf("Backend")`},
				{Name: "managers", When: `memberOf("managers") or attr("title") contains "Manager"`},
				{Name: "everyone", When: `true`},
				{Name: "platform", When: `memberOf("Platform")`},
			}},
			entry: asmith(),
			want: Person{SourceID: "id-asmith", DN: asmithDN, InScope: true, Account: account("asmith", nil),
				Roles: []Role{
					{"engineering", `mapping.roles[0] when: memberOf("cn=engineering, ou=Groups,dc=example,dc=org"); member of ` + engDN + ` (via ` + platformDN + `, ` + backendDN + `)`},
					{"everyone", `mapping.roles[4] when: true`},
					{"managers", `mapping.roles[3] when: memberOf("managers") or attr("title") contains "Manager"; member of ` + mgrDN},
					{"platform", `mapping.roles[5] when: memberOf("Platform"); member of ` + platformDN},
				}},
		},
		{
			name: "directMemberOf excludes nested groups",
			cfg: Config{Attributes: base, Roles: []RoleRule{
				{Name: "eng-direct", When: `directMemberOf("Engineering")`},
				{Name: "eng", When: `memberOf("Engineering")`},
				{Name: "vpn", When: `directMemberOf("` + vpnDN + `")`},
			}},
			entry: jdoe(),
			want: Person{SourceID: "id-jdoe", DN: jdoeDN, InScope: true, Account: account("jdoe", nil),
				Roles: []Role{
					{"eng", `mapping.roles[1] when: memberOf("Engineering"); member of ` + engDN + ` (via ` + backendDN + `)`},
					{"vpn", `mapping.roles[2] when: directMemberOf("` + vpnDN + `"); member of ` + vpnDN},
				}},
		},
		{
			name: "group roles, nested, with a static role of the same name",
			cfg: Config{Attributes: base,
				Roles: []RoleRule{{Name: "team-backend", When: `attr("title") contains "Manager"`}},
				GroupRoles: []GroupRoleRule{
					{Match: `group.dn endsWith ",ou=teams,ou=groups,dc=example,dc=org"`, Name: `"team-" + lower(group.name)`},
					{Match: `dnValue(group.dn, "ou") == "groups" && group.name != "managers"`, Name: `group.name`},
				}},
			entry: asmith(),
			want: Person{SourceID: "id-asmith", DN: asmithDN, InScope: true, Account: account("asmith", nil),
				Roles: []Role{
					{"Engineering", `mapping.group_roles[1]: member of ` + engDN + ` (via ` + platformDN + `, ` + backendDN + `)`},
					{"team-backend", `mapping.roles[0] when: attr("title") contains "Manager"`},
					{"team-platform", `mapping.group_roles[0]: member of ` + platformDN},
				}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Compile(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := m.Map(tt.entry, testNow)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Map() =\n%+v\nwant\n%+v", got, tt.want)
			}
			// A second call (cached group results, pooled state) agrees.
			again, err := m.Map(tt.entry, testNow)
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("second Map() = %+v, %v", again, err)
			}
		})
	}
}

func withAttr(e Entry, name string, values ...string) Entry {
	attrs := append(Attrs(nil), e.Attrs...)
	attrs.Set(name, values)
	e.Attrs = attrs
	return e
}

func TestMapErrors(t *testing.T) {
	base := map[string]string{"userName": `attr("uid")`}
	tests := []struct {
		name  string
		cfg   Config
		entry Entry
		key   string
		want  string
	}{
		{"empty userName", Config{Attributes: map[string]string{"userName": `attr("nope")`}}, jdoe(),
			"attributes.userName", "mapping: " + jdoeDN + ": attributes.userName: empty for a person in scope"},
		{"index out of range", Config{Attributes: map[string]string{"userName": `attr("uid")`, "department": `attrs("ou")[1]`}}, jdoe(),
			"attributes.department", "mapping: " + jdoeDN + ": attributes.department: index out of range: 1 (array length is 0) (1:12)"},
		{"list result", Config{Attributes: map[string]string{"userName": `attr("uid")`, "title": `fromJSON("[1, 2]")`}}, jdoe(),
			"attributes.title", "mapping: " + jdoeDN + ": attributes.title: expression returned a list, not a string (use join or first)"},
		{"map result", Config{Attributes: map[string]string{"userName": `fromJSON("{}")`}}, jdoe(),
			"attributes.userName", "mapping: " + jdoeDN + ": attributes.userName: expression returned map[string]interface {}, not a string"},
		{"scope not bool at run time", Config{Scope: `fromJSON("1")`, Attributes: base}, jdoe(),
			"scope", "mapping: " + jdoeDN + ": scope: expression returned float64, not a bool"},
		{"bad userAccountControl", Config{Disabled: `bitSet(attr("userAccountControl"), 2)`, Attributes: base}, withAttr(jdoe(), "useraccountcontrol", "x"),
			"disabled", "mapping: " + jdoeDN + `: disabled: bitSet: "x" is not an integer (1:1)`},
		{"bad accountExpires", Config{Disabled: `adExpired(attr("accountExpires"))`, Attributes: base}, withAttr(jdoe(), "accountexpires", "soon"),
			"disabled", "mapping: " + jdoeDN + `: disabled: adExpired: "soon" is not a FILETIME`},
		{"bad generalizedTime", Config{Attributes: map[string]string{"userName": `attr("uid")`, "locale": `generalizedTime(attr("cn"))`}}, jdoe(),
			"attributes.locale", "mapping: " + jdoeDN + `: attributes.locale: generalizedTime: "Jane Doe" is not a GeneralizedTime (1:1)`},
		{"role error", Config{Attributes: base, Roles: []RoleRule{{Name: "x", When: `attrs("x")[0] == ""`}}}, jdoe(),
			"roles[0].when", "mapping: " + jdoeDN + ": roles[0].when: index out of range: 0 (array length is 0) (1:11)"},
		{"empty group role name", Config{Attributes: base, GroupRoles: []GroupRoleRule{{Match: `true`, Name: `group.name == "vpn-users" ? "" : group.name`}}}, jdoe(),
			"group_roles[0].name", "mapping: " + jdoeDN + ": group_roles[0].name: group " + vpnDN + ": empty role name"},
		{"group match error", Config{Attributes: base, GroupRoles: []GroupRoleRule{{Match: `split(group.dn, ",")[9] == ""`, Name: `group.name`}}}, jdoe(),
			"group_roles[0].match", "mapping: " + jdoeDN + ": group_roles[0].match: group " + backendDN + ": index out of range: 9 (array length is 5) (1:21)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Compile(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = m.Map(tt.entry, testNow)
			if err == nil {
				t.Fatalf("Map succeeded, want %s", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Map() error\n%s\nwant\n%s", err, tt.want)
			}
			var re *RuleError
			if !errors.As(err, &re) || re.Key != tt.key {
				t.Errorf("error %v: RuleError key = %v, want %s", err, re, tt.key)
			}
		})
	}
}

// TestMapStateReuse checks that a pooled state carries nothing from one
// entry to the next: an error, group lists, memberships.
func TestMapStateReuse(t *testing.T) {
	m, err := Compile(Config{
		Disabled:   `adExpired(attr("accountExpires"))`,
		Attributes: map[string]string{"userName": `attr("uid")`, "title": `join(groups, ",")`},
		Roles:      []RoleRule{{Name: "eng", When: `memberOf("Engineering")`}},
	})
	if err != nil {
		t.Fatal(err)
	}
	bad := withAttr(jdoe(), "accountexpires", "x")
	for i := 0; i < 3; i++ {
		if _, err := m.Map(bad, testNow); err == nil {
			t.Fatal("no error for a bad accountExpires")
		}
		p, err := m.Map(testEntry("uid=nobody,ou=people,dc=example,dc=org", map[string][]string{"uid": {"nobody"}}), testNow)
		if err != nil {
			t.Fatal(err)
		}
		if p.Account.Attrs.Get("title") != "" || len(p.Roles) != 0 {
			t.Fatalf("state leaked into the next entry: %+v", p)
		}
	}
}

func TestMapConcurrent(t *testing.T) {
	m, err := Compile(benchConfig)
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	want := make([]Person, n)
	for i := range want {
		if want[i], err = m.Map(benchEntry(i), testNow); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < n; i++ {
				k := (i + g*31) % n
				p, err := m.Map(benchEntry(k), testNow)
				if err != nil || !reflect.DeepEqual(p, want[k]) {
					errs <- fmt.Errorf("goroutine %d entry %d: %v %+v", g, k, err, p)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestMapIsPure(t *testing.T) {
	m, err := Compile(benchConfig)
	if err != nil {
		t.Fatal(err)
	}
	e := benchEntry(7)
	before := fmt.Sprintf("%+v", e)
	p1, err1 := m.Map(e, testNow)
	p2, err2 := m.Map(e, testNow)
	if err1 != nil || err2 != nil || !reflect.DeepEqual(p1, p2) || p1.Hash() != p2.Hash() {
		t.Fatalf("two maps differ: %v %v", err1, err2)
	}
	if after := fmt.Sprintf("%+v", e); after != before {
		t.Errorf("Map modified its entry")
	}
	// now is an input: a later run may disable an expiring account.
	exp := withAttr(e, "accountexpires", strconv.FormatInt(testNow.Unix()*1e7+fileTimeEpoch, 10))
	p3, _ := m.Map(exp, testNow.Add(-time.Second))
	p4, _ := m.Map(exp, testNow)
	if p3.Disabled || !p4.Disabled {
		t.Errorf("adExpired around now: before %v, at %v", p3.Disabled, p4.Disabled)
	}
}

// TestMapCopiesStrings: a Person shares no memory with its entry. The
// entry's strings here live in one buffer, as the LDAP reader's do; the
// buffer is overwritten after mapping and the Person must not change.
func TestMapCopiesStrings(t *testing.T) {
	m, err := Compile(benchConfig)
	if err != nil {
		t.Fatal(err)
	}
	src := benchEntry(3)
	var buf []byte
	var spans [][2]int
	add := func(s string) {
		spans = append(spans, [2]int{len(buf), len(buf) + len(s)})
		buf = append(buf, s...)
	}
	add(src.ID)
	add(src.DN)
	for _, a := range src.Attrs {
		for _, v := range a.Values {
			add(v)
		}
	}
	view := func(i int) string { return unsafe.String(&buf[spans[i][0]], spans[i][1]-spans[i][0]) }
	e := Entry{ID: view(0), DN: view(1), Groups: src.Groups}
	i := 2
	for _, a := range src.Attrs {
		for range a.Values {
			e.Attrs.Add(a.Name, view(i))
			i++
		}
	}
	p, err := m.Map(e, testNow)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%+v", p)
	for i := range buf {
		buf[i] = 'X'
	}
	if got := fmt.Sprintf("%+v", p); got != want {
		t.Errorf("the person changed with the entry's buffer:\n got %s\nwant %s", got, want)
	}
	if p.SourceID != src.ID || p.DN != src.DN || p.Account.UserName != "user3@example.org" {
		t.Errorf("person = %+v", p)
	}
}

// TestMapGroupRenamed: the same group DN under a new name (a later run's
// directory) gives the role of the new name, although the mapper caches
// the group_roles results of a group.
func TestMapGroupRenamed(t *testing.T) {
	m, err := Compile(Config{
		Attributes: map[string]string{"userName": `attr("uid")`},
		GroupRoles: []GroupRoleRule{{Match: `true`, Name: `"team-" + group.name`}},
	})
	if err != nil {
		t.Fatal(err)
	}
	const dn = "cn=g1,ou=groups,dc=example,dc=org"
	for _, name := range []string{"alpha", "alpha", "beta", "beta", "alpha"} {
		e := testEntry("uid=jdoe,ou=people,dc=example,dc=org", map[string][]string{"uid": {"jdoe"}})
		e.Groups = []Membership{{DN: dn, Name: name}}
		p, err := m.Map(e, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Roles) != 1 || p.Roles[0].Name != "team-"+name {
			t.Fatalf("group named %q: roles %+v, want team-%s", name, p.Roles, name)
		}
	}
}
