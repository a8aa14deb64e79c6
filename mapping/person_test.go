package mapping

import (
	"testing"

	"github.com/idsync/idsync/targets"
)

func hashPerson() Person {
	return Person{
		SourceID: "0b9f6c4e-2d1a-4c8e-9f3b-5a7d2e1c4b6a",
		DN:       jdoeDN,
		InScope:  true,
		Account: targets.Account{
			UserName:   "jdoe@example.org",
			ExternalID: "0b9f6c4e-2d1a-4c8e-9f3b-5a7d2e1c4b6a",
			Active:     true,
			Attrs:      targets.AttrsOf(map[string]string{"displayName": "Jane Doe", "department": "Engineering", "title": ""}),
		},
		Roles: []Role{{Name: "engineering", Reason: "r1"}, {Name: "vpn", Reason: "r2"}},
	}
}

// TestPersonHashStable pins the hash format: snapshots store these hashes,
// so a change here makes every person look changed after an upgrade.
func TestPersonHashStable(t *testing.T) {
	const want = "46dad793a4936edfbb998e22869b3865"
	if got := hashPerson().Hash(); got != want {
		t.Errorf("Hash() = %s, want %s (the snapshot format changed?)", got, want)
	}
	if got := (Person{}).Hash(); len(got) != 32 {
		t.Errorf("Hash() of the zero Person = %q, want 32 hex digits", got)
	}
}

func TestPersonHash(t *testing.T) {
	base := hashPerson().Hash()
	same := []struct {
		name   string
		change func(*Person)
	}{
		{"DN (renames are tracked separately)", func(p *Person) { p.DN = "uid=jsmith,ou=people,dc=example,dc=org" }},
		{"SourceID", func(p *Person) { p.SourceID = "x" }},
		{"reasons", func(p *Person) { p.Roles[0].Reason = "other" }},
		{"role order", func(p *Person) { p.Roles[0], p.Roles[1] = p.Roles[1], p.Roles[0] }},
		{"account ID", func(p *Person) { p.Account.ID = "42" }},
		{"attribute map rebuilt", func(p *Person) {
			p.Account.Attrs = targets.AttrsOf(map[string]string{"title": "", "department": "Engineering", "displayName": "Jane Doe"})
		}},
	}
	for _, tt := range same {
		p := hashPerson()
		tt.change(&p)
		if got := p.Hash(); got != base {
			t.Errorf("%s changed the hash", tt.name)
		}
	}
	differ := []struct {
		name   string
		change func(*Person)
	}{
		{"InScope", func(p *Person) { p.InScope = false }},
		{"Disabled", func(p *Person) { p.Disabled = true }},
		{"Active", func(p *Person) { p.Account.Active = false }},
		{"UserName", func(p *Person) { p.Account.UserName = "JDoe@example.org" }},
		{"ExternalID", func(p *Person) { p.Account.ExternalID = "" }},
		{"attribute value", func(p *Person) { p.Account.Attrs.Set("department", "Sales") }},
		{"empty attribute removed", func(p *Person) { p.Account.Attrs.Delete("title") }},
		{"attribute added", func(p *Person) { p.Account.Attrs.Set("nickName", "") }},
		{"value moved between attributes", func(p *Person) {
			p.Account.Attrs.Set("title", "Engineering")
			p.Account.Attrs.Set("department", "")
		}},
		{"role removed", func(p *Person) { p.Roles = p.Roles[:1] }},
		{"role renamed", func(p *Person) { p.Roles[1].Name = "vpn2" }},
		{"field boundaries", func(p *Person) {
			p.Account.Attrs = targets.AttrsOf(map[string]string{"displayName": "Jane Doe" + "department" + "Engineering", "title": ""})
		}},
	}
	seen := map[string]string{base: "base"}
	for _, tt := range differ {
		p := hashPerson()
		tt.change(&p)
		h := p.Hash()
		if prev, ok := seen[h]; ok {
			t.Errorf("%s: same hash as %s", tt.name, prev)
		}
		seen[h] = tt.name
	}
}
