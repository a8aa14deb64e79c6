//go:build ignore

// Command gen writes the bundled sample organisation, "Example Org"
// (dc=example,dc=org), as two LDIF exports: day1.ldif and day2.ldif. The
// output is deterministic: running it again gives the same bytes.
//
//	go run testdata/sample/gen.go -out testdata/sample
//
// README.md in this directory describes the people and every change between
// the two days; keep it in step with the story below.
package main

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"
)

const suffix = "dc=example,dc=org"

var (
	peopleOU      = "ou=people," + suffix
	contractorsOU = "ou=contractors," + peopleOU
	groupsOU      = "ou=groups," + suffix
	teamsOU       = "ou=teams," + groupsOU
)

// person is one entry under ou=people. key is stable across days and
// renames: the entryUUID derives from it.
type person struct {
	key                string
	given, sn, uid     string
	title, dept, team  string
	empType            string // staff, contractor, disabled, service
	contractorOU       bool
	employeeNumber     int
	phone              string
	manager, vpn       bool
	noMail             bool
	displayNameMissing bool
}

func (p *person) dn() string {
	ou := peopleOU
	if p.contractorOU {
		ou = contractorsOU
	}
	return "uid=" + p.uid + "," + ou
}

func (p *person) cn() string { return p.given + " " + p.sn }

// department layout: teams (nested into the department group) or none.
type dept struct {
	name  string
	teams []team
	size  int // for departments without teams
	head  string
	roles []string // titles of ordinary members, cycled
}

type team struct {
	name, lead string
	size       int
}

var depts = []dept{
	{name: "Engineering", teams: []team{
		{"Backend", "Engineering Manager", 16},
		{"Frontend", "Engineering Manager", 16},
		{"Platform", "Engineering Manager", 16},
	}, roles: []string{"Software Engineer", "Senior Software Engineer", "Software Engineer", "Staff Engineer", "Site Reliability Engineer"}},
	{name: "Sales", teams: []team{
		{"EMEA", "Sales Manager", 15},
		{"Americas", "Sales Manager", 15},
	}, roles: []string{"Account Executive", "Sales Development Representative", "Account Executive", "Solutions Consultant"}},
	{name: "Marketing", teams: []team{
		{"Brand", "Marketing Manager", 9},
		{"Growth", "Marketing Manager", 9},
	}, roles: []string{"Marketing Specialist", "Content Designer", "Marketing Analyst"}},
	{name: "Finance", size: 15, head: "Head of Finance", roles: []string{"Accountant", "Financial Analyst", "Payroll Specialist"}},
	{name: "People", size: 15, head: "Head of People", roles: []string{"People Partner", "Recruiter", "People Operations Specialist"}},
}

// parentTeam nests teams: Platform is a sub-team of Backend, so its
// members are in Engineering through two levels of nesting.
var parentTeam = map[string]string{"Platform": "Backend"}

var firstNames = []string{
	"Olivia", "Liam", "Emma", "Noah", "Ava", "Lucas", "Mia", "Ethan", "Zoë", "Mateo",
	"Amara", "Kenji", "Ingrid", "Rahul", "Chloé", "Omar", "Freya", "Diego", "Hana", "Søren",
	"Aisha", "Luca", "Nadia", "Felix", "Yuki", "José", "Elena", "Tariq", "Greta", "Malik",
	"Sofia", "Henrik", "Leila", "Arjun", "Clara", "Kwame", "Isla", "Rafael", "Mei", "Jonas",
	"Fatima", "Oscar", "Anya",
}

var lastNames = []string{
	"Andersen", "Brooks", "Castillo", "Dubois", "Eriksen", "Fernández", "Gallagher", "Haddad",
	"Ishikawa", "Jansen", "Kowalski", "Lindqvist", "Mensah", "Novak", "O'Brien", "Pereira",
	"Quinn", "Rossi", "Schneider", "Tanaka", "Umarov", "Varga", "Whitfield", "Xu", "Yilmaz",
	"Zimmermann", "Müller", "Nakamura", "Okonkwo", "Petrov", "Reyes", "Sato", "Thompson",
	"Underwood", "Vasquez", "Wójcik", "Abbott", "Byrne", "Chen", "Dalton", "Ødegaard", "Hughes",
	"Kaur", "Lambert", "Moreau", "Nielsen", "Ortiz",
}

// story people: the entries the day-2 changes happen to. Their names are
// fixed; everyone else is generated.
var story = []*person{
	{key: "rename", given: "Maria", sn: "Lopez", uid: "mlopez", dept: "Engineering", team: "Frontend", title: "Software Engineer", empType: "staff", phone: "+44 20 7946 0311"},
	{key: "dept-mover", given: "Daniel", sn: "Okafor", uid: "dokafor", dept: "Sales", team: "EMEA", title: "Business Analyst", empType: "staff"},
	{key: "ou-mover", given: "Tomás", sn: "Silva", uid: "tsilva", dept: "Engineering", team: "Platform", title: "Site Reliability Engineer", empType: "contractor", contractorOU: true},
	{key: "deleted", given: "Ben", sn: "Carter", uid: "bcarter", dept: "Finance", title: "Accountant", empType: "staff", phone: "+44 20 7946 0422"},
	{key: "disabled", given: "Olivia", sn: "Grant", uid: "ogrant", dept: "Marketing", team: "Brand", title: "Content Designer", empType: "staff"},
	{key: "title", given: "Sam", sn: "Patel", uid: "spatel", dept: "Engineering", team: "Backend", title: "Software Engineer", empType: "staff"},
}

// joiner is hired on day 2.
var joiner = &person{key: "joiner", given: "Priya", sn: "Natarajan", uid: "pnatarajan", dept: "Engineering", team: "Frontend", title: "Software Engineer", empType: "staff", phone: "+44 20 7946 0999"}

// services are accounts under ou=people without a mail address and with
// employeeType "service": out of scope for the recommended rules.
var services = []*person{
	{key: "svc-backup", given: "Backup", sn: "Service", uid: "svc-backup", title: "Backup service account", empType: "service", noMail: true, displayNameMissing: true},
	{key: "svc-reporting", given: "Reporting", sn: "Service", uid: "svc-reporting", title: "Reporting service account", empType: "service", noMail: true, displayNameMissing: true},
}

func main() {
	out := flag.String("out", "testdata/sample", "directory to write day1.ldif, day2.ldif and day3.ldif to")
	flag.Parse()
	people := build()
	day1 := render(people, 1)
	day2people := day2(people)
	day2 := render(day2people, 2)
	day3people := day3(day2people)
	day3 := render(day3people, 3)
	for name, data := range map[string][]byte{"day1.ldif": day1, "day2.ldif": day2, "day3.ldif": day3} {
		if err := os.WriteFile(filepath.Join(*out, name), data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("day 1: %d people, day 2: %d people, day 3: %d people\n", len(people), len(day2people), len(day3people))
}

// build generates the day-1 people in a fixed order.
func build() []*person {
	var people []*person
	used := map[string]bool{"pnatarajan": true, "mkeller": true}
	for _, p := range story {
		used[p.uid] = true
	}
	storyIn := func(dept, team string) []*person {
		var out []*person
		for _, p := range story {
			if p.dept == dept && p.team == team {
				out = append(out, p)
			}
		}
		return out
	}
	n := 0
	next := func(d dept, team, title string, i int) *person {
		var p *person
		for {
			given := firstNames[n%len(firstNames)]
			sn := lastNames[(n*7+n/len(lastNames))%len(lastNames)]
			n++
			uid := strings.ToLower(fold(given)[:1] + strings.ReplaceAll(fold(sn), "'", ""))
			if !used[uid] {
				used[uid] = true
				p = &person{given: given, sn: sn, uid: uid}
				break
			}
		}
		p.key = "gen-" + p.uid
		p.dept, p.team, p.title, p.empType = d.name, team, title, "staff"
		if title == "" {
			p.title = d.roles[i%len(d.roles)]
		}
		return p
	}
	add := func(d dept, team string, lead string, size int) {
		members := storyIn(d.name, team)
		size -= len(members)
		for i := 0; i < size; i++ {
			title := ""
			if i == 0 {
				title = lead
			}
			p := next(d, team, title, i)
			p.manager = i == 0
			// Every ninth person is a contractor, unless a manager.
			if !p.manager && (len(people)+len(members))%9 == 4 {
				p.empType, p.contractorOU = "contractor", true
			}
			members = append(members, p)
		}
		people = append(people, members...)
	}
	for _, d := range depts {
		if len(d.teams) == 0 {
			add(d, "", d.head, d.size)
			continue
		}
		for _, t := range d.teams {
			add(d, t.name, t.lead, t.size)
		}
	}
	for i, p := range people {
		p.employeeNumber = 1001 + i
		if p.phone == "" && i%3 == 0 {
			p.phone = fmt.Sprintf("+44 20 7946 %04d", 100+i)
		}
		p.vpn = p.dept == "Engineering" || p.dept == "Sales" || p.manager
	}
	// Two people have been disabled for a while already: a contractor in
	// Engineering and a member of Finance.
	for _, i := range []int{40, 99} {
		if p := people[i]; p.manager || !strings.HasPrefix(p.key, "gen-") {
			log.Fatalf("gen: person %d (%s) cannot be the disabled example", i, p.uid)
		}
		people[i].empType = "disabled"
	}
	// Some entries have no displayName; rules fall back to cn.
	people[7].displayNameMissing = true
	people[64].displayNameMissing = true
	for i, p := range services {
		p.employeeNumber = 9001 + i
		people = append(people, p)
	}
	return people
}

// day2 applies the day-2 story to a copy of the day-1 people.
func day2(day1 []*person) []*person {
	var out []*person
	for _, p0 := range day1 {
		p := *p0
		switch p.key {
		case "rename": // marriage: new surname, uid, cn, mail; same entryUUID
			p.sn, p.uid = "Keller", "mkeller"
		case "dept-mover": // Sales (EMEA) -> Marketing (Growth)
			p.dept, p.team = "Marketing", "Growth"
		case "ou-mover": // contractor hired as staff: moves out of ou=contractors
			p.empType, p.contractorOU = "staff", false
		case "deleted": // left the company: entry deleted
			continue
		case "disabled": // on leave: account disabled
			p.empType = "disabled"
		case "title": // promotion
			p.title = "Senior Software Engineer"
		}
		out = append(out, &p)
	}
	// The joiner gets the next employee number.
	j := *joiner
	j.employeeNumber = 1001 + len(day1) - len(services)
	j.vpn = true
	return append(out, &j)
}

// day3 applies the day-3 story to the day-2 people: Ben Carter, who left
// on day 2, is hired back. His entry is new (a new entryUUID, from a new
// key) with his old uid and mail: a rehire, not a joiner.
func day3(day2 []*person) []*person {
	out := append([]*person(nil), day2...)
	for _, p0 := range story {
		if p0.key == "deleted" {
			p := *p0
			p.key = "rehired"
			p.title = "Senior Accountant"
			p.employeeNumber = 1001 + len(out) - len(services)
			out = append(out, &p)
		}
	}
	return out
}

// uuid returns a name-based (version 5, SHA-1) RFC 4122 UUID for name.
func uuid(name string) string {
	ns := []byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8} // URL namespace
	h := sha1.Sum(append(ns, "https://example.org/idsync-sample/"+name...))
	u := h[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// fold maps the non-ASCII letters of the name lists to ASCII for uids and
// mail addresses.
func fold(s string) string {
	r := strings.NewReplacer("ë", "e", "é", "e", "ø", "o", "Ø", "O", "á", "a", "ó", "o", "ü", "u", "ñ", "n", "í", "i", "ć", "c")
	return r.Replace(s)
}

// ldif accumulates entries.
type ldif struct{ bytes.Buffer }

// attr writes one attribute line, base64 when the value is not a
// SAFE-STRING (RFC 2849), folded at 76 columns.
func (l *ldif) attr(name, value string) {
	line := name + ": " + value
	if !safe(value) {
		line = name + ":: " + base64.StdEncoding.EncodeToString([]byte(value))
	}
	for len(line) > 76 {
		l.WriteString(line[:76] + "\n")
		line = " " + line[76:]
	}
	l.WriteString(line + "\n")
}

func safe(v string) bool {
	if v == "" {
		return true
	}
	if v[0] == ' ' || v[0] == ':' || v[0] == '<' || v[len(v)-1] == ' ' {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == 0 || c == '\n' || c == '\r' || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func (l *ldif) entry(dn string, attrs ...string) {
	l.attr("dn", dn)
	for i := 0; i+1 < len(attrs); i += 2 {
		l.attr(attrs[i], attrs[i+1])
	}
	l.WriteString("\n")
}

func render(people []*person, day int) []byte {
	var l ldif
	// No "version: 1" line: slapadd rejects it, and LDIF readers accept
	// its absence (slapcat writes none).
	fmt.Fprintf(&l, "# Example Org (%s), day %d. Generated by testdata/sample/gen.go; do not edit.\n\n", suffix, day)
	l.entry(suffix, "objectClass", "top", "objectClass", "dcObject", "objectClass", "organization",
		"dc", "example", "o", "Example Org", "entryUUID", uuid("ou/"+suffix))
	for _, ou := range []string{peopleOU, contractorsOU, groupsOU, teamsOU} {
		name := strings.TrimPrefix(strings.SplitN(ou, ",", 2)[0], "ou=")
		l.entry(ou, "objectClass", "top", "objectClass", "organizationalUnit", "ou", name, "entryUUID", uuid("ou/"+ou))
	}
	for _, p := range people {
		a := []string{"objectClass", "top", "objectClass", "person", "objectClass", "organizationalPerson",
			"objectClass", "inetOrgPerson", "uid", p.uid, "cn", p.cn(), "sn", p.sn, "givenName", p.given}
		if !p.displayNameMissing {
			a = append(a, "displayName", p.cn())
		}
		if !p.noMail {
			mail := strings.ToLower(fold(p.given)) + "." + strings.ReplaceAll(strings.ToLower(fold(p.sn)), "'", "") + "@example.org"
			a = append(a, "mail", mail)
		}
		a = append(a, "title", p.title)
		if p.dept != "" {
			a = append(a, "departmentNumber", p.dept)
		}
		a = append(a, "employeeNumber", fmt.Sprint(p.employeeNumber), "employeeType", p.empType)
		if p.phone != "" {
			a = append(a, "telephoneNumber", p.phone)
		}
		a = append(a, "entryUUID", uuid("person/"+p.key))
		l.entry(p.dn(), a...)
	}
	for _, g := range groups(people) {
		a := []string{"objectClass", "top", "objectClass", "groupOfNames", "cn", g.name, "description", g.description}
		for _, m := range g.members {
			a = append(a, "member", m)
		}
		a = append(a, "entryUUID", uuid("group/"+g.dn))
		l.entry(g.dn, a...)
	}
	return l.Bytes()
}

type group struct {
	dn, name, description string
	members               []string
}

// groups derives the groups from the people: department groups (with the
// top-level teams as members), team groups, managers and vpn-users.
func groups(people []*person) []group {
	var out []group
	members := func(match func(p *person) bool) []string {
		var m []string
		for _, p := range people {
			if match(p) {
				m = append(m, p.dn())
			}
		}
		return m
	}
	teamDN := func(t string) string { return "cn=" + t + "," + teamsOU }
	for _, d := range depts {
		var m []string
		for _, t := range d.teams {
			if parentTeam[t.name] == "" {
				m = append(m, teamDN(t.name))
			}
		}
		m = append(m, members(func(p *person) bool { return p.dept == d.name && p.team == "" })...)
		out = append(out, group{dn: "cn=" + d.name + "," + groupsOU, name: d.name,
			description: "Everyone in " + d.name, members: m})
	}
	for _, d := range depts {
		for _, t := range d.teams {
			m := members(func(p *person) bool { return p.team == t.name })
			for _, sub := range sortedKeys(parentTeam) {
				if parentTeam[sub] == t.name {
					m = append(m, teamDN(sub))
				}
			}
			desc := d.name + " team " + t.name
			if parent := parentTeam[t.name]; parent != "" {
				desc += ", a sub-team of " + parent
			}
			out = append(out, group{dn: teamDN(t.name), name: t.name, description: desc, members: m})
		}
	}
	out = append(out,
		group{dn: "cn=managers," + groupsOU, name: "managers", description: "People managers",
			members: members(func(p *person) bool { return p.manager })},
		group{dn: "cn=vpn-users," + groupsOU, name: "vpn-users", description: "Allowed to use the VPN",
			members: members(func(p *person) bool { return p.vpn })},
	)
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
