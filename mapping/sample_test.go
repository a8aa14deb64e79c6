package mapping

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// TestSampleOrganisation maps the bundled sample directory
// (testdata/sample/day1.ldif and day2.ldif) with the rules recommended for
// it (the mapping section of testdata/map/sample.json) and checks that the
// differences between the days are exactly the ones its README lists.
// sampleRules returns the recommended rules for the sample organisation
// (testdata/map/sample.json).
func sampleRules(t *testing.T) Config {
	t.Helper()
	var in goldenInput
	data, err := os.ReadFile(filepath.Join("testdata", "map", "sample.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &in); err != nil {
		t.Fatal(err)
	}
	return in.Mapping
}

func TestSampleOrganisation(t *testing.T) {
	m, err := Compile(sampleRules(t))
	if err != nil {
		t.Fatal(err)
	}
	day1 := mapSample(t, m, "day1.ldif")
	day2 := mapSample(t, m, "day2.ldif")

	count := func(people map[string]Person) (in, out, disabled int) {
		for _, p := range people {
			switch {
			case !p.InScope:
				out++
			case p.Disabled:
				in++
				disabled++
			default:
				in++
			}
		}
		return
	}
	for _, c := range []struct {
		day               string
		people            map[string]Person
		in, out, disabled int
	}{
		{"day 1", day1, 126, 2, 2},
		{"day 2", day2, 126, 2, 3},
	} {
		in, out, disabled := count(c.people)
		if in != c.in || out != c.out || disabled != c.disabled {
			t.Errorf("%s: %d in scope, %d out of scope, %d disabled; want %d, %d, %d",
				c.day, in, out, disabled, c.in, c.out, c.disabled)
		}
	}

	var got []string
	for id, p1 := range day1 {
		p2, ok := day2[id]
		if !ok {
			got = append(got, "gone "+p1.Account.UserName)
			continue
		}
		got = append(got, personDiff(p1, p2)...)
	}
	for id, p2 := range day2 {
		if _, ok := day1[id]; !ok {
			got = append(got, "new "+p2.Account.UserName)
		}
	}
	sort.Strings(got)
	want := []string{
		"gone bcarter",
		"new pnatarajan",
		"dokafor: department: Sales -> Marketing",
		"dokafor: roles: -dept-sales -team-emea +dept-marketing +team-growth",
		"mlopez: dn: uid=mlopez,ou=people,dc=example,dc=org -> uid=mkeller,ou=people,dc=example,dc=org",
		"mlopez: displayName: Maria Lopez -> Maria Keller",
		"mlopez: emails.work: maria.lopez@example.org -> maria.keller@example.org",
		"mlopez: name.familyName: Lopez -> Keller",
		"mlopez: userName: mlopez -> mkeller",
		"ogrant: disabled: false -> true",
		"spatel: title: Software Engineer -> Senior Software Engineer",
		"tsilva: dn: uid=tsilva,ou=contractors,ou=people,dc=example,dc=org -> uid=tsilva,ou=people,dc=example,dc=org",
		"tsilva: userType: Contractor -> Employee",
	}
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("day 1 -> day 2 differences:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// personDiff lists what changed for one person, prefixed with the day-1
// userName; nothing when the two agree (and then their hashes agree too).
func personDiff(a, b Person) []string {
	var out []string
	add := func(what, from, to string) {
		if from != to {
			out = append(out, fmt.Sprintf("%s: %s: %s -> %s", a.Account.UserName, what, from, to))
		}
	}
	add("dn", a.DN, b.DN)
	add("inScope", fmt.Sprint(a.InScope), fmt.Sprint(b.InScope))
	add("disabled", fmt.Sprint(a.Disabled), fmt.Sprint(b.Disabled))
	add("userName", a.Account.UserName, b.Account.UserName)
	add("externalId", a.Account.ExternalID, b.Account.ExternalID)
	paths := map[string]bool{}
	for _, at := range a.Account.Attrs {
		paths[at.Path] = true
	}
	for _, at := range b.Account.Attrs {
		paths[at.Path] = true
	}
	for _, k := range sortedKeys(paths) {
		add(k, a.Account.Attrs.Get(k), b.Account.Attrs.Get(k))
	}
	ra, rb := a.RoleNames(), b.RoleNames()
	if !reflect.DeepEqual(ra, rb) {
		var d []string
		for _, r := range ra {
			if !contains(rb, r) {
				d = append(d, "-"+r)
			}
		}
		for _, r := range rb {
			if !contains(ra, r) {
				d = append(d, "+"+r)
			}
		}
		out = append(out, a.Account.UserName+": roles: "+strings.Join(d, " "))
	}
	if hashSame := a.Hash() == b.Hash(); hashSame != (len(out) == 0 || len(out) == 1 && a.DN != b.DN) {
		out = append(out, a.Account.UserName+": hash and differences disagree")
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// mapSample reads one sample LDIF file the way a source would (groups
// first, nested groups resolved) and maps every person, by entryUUID.
func mapSample(t *testing.T, m *Mapper, name string) map[string]Person {
	t.Helper()
	records := readLDIF(t, filepath.Join("..", "testdata", "sample", name))
	groups := NewGroups()
	dns := map[string]bool{}
	uuids := map[string]string{}
	for _, r := range records {
		dns[NormalizeDN(r.dn)] = true
		id := first(r.attrs["entryuuid"])
		if prev, ok := uuids[id]; ok || id == "" {
			t.Errorf("%s: %s: entryUUID %q missing or also used by %s", name, r.dn, id, prev)
		}
		uuids[id] = r.dn
		if contains(r.attrs["objectclass"], "groupOfNames") {
			if len(r.attrs["member"]) == 0 {
				t.Errorf("%s: group %s has no member", name, r.dn)
			}
			groups.Add(r.dn, first(r.attrs["cn"]), r.attrs["member"])
		}
	}
	people := map[string]Person{}
	for _, r := range records {
		for _, member := range r.attrs["member"] {
			if !dns[NormalizeDN(member)] {
				t.Errorf("%s: group %s: member %s does not exist", name, r.dn, member)
			}
		}
		if !contains(r.attrs["objectclass"], "inetOrgPerson") {
			continue
		}
		e := Entry{ID: first(r.attrs["entryuuid"]), DN: r.dn, Attrs: AttrsOf(r.attrs), Groups: groups.Of(r.dn, nil)}
		p, err := m.Map(e, testNow)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		people[e.ID] = p
	}
	return people
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

type ldifRecord struct {
	dn    string
	attrs map[string][]string // lower-case names
}

// readLDIF is a small RFC 2849 reader for content records: comments,
// folded lines and base64 values; enough to check the sample files.
func readLDIF(t *testing.T, path string) []ldifRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string // logical lines; "" separates records
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, " ") && len(lines) > 0 && lines[len(lines)-1] != "":
			lines[len(lines)-1] += line[1:]
		default:
			lines = append(lines, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	var out []ldifRecord
	var cur *ldifRecord
	for i, line := range append(lines, "") {
		if line == "" {
			if cur != nil {
				out = append(out, *cur)
				cur = nil
			}
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("%s: logical line %d: no colon: %q", path, i+1, line)
		}
		if strings.HasPrefix(value, ":") {
			b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(value[1:]))
			if err != nil {
				t.Fatalf("%s: logical line %d: %v", path, i+1, err)
			}
			value = string(b)
		} else {
			value = strings.TrimPrefix(value, " ")
		}
		if cur == nil {
			if name != "dn" {
				t.Fatalf("%s: logical line %d: record does not start with dn: %q", path, i+1, line)
			}
			cur = &ldifRecord{dn: value, attrs: map[string][]string{}}
			continue
		}
		key := strings.ToLower(name)
		cur.attrs[key] = append(cur.attrs[key], value)
	}
	return out
}
