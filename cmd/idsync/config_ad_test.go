package main

import (
	"testing"

	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/sync/ldapsource"
)

// TestADConfigDefaults: the README's Active Directory example loads, and
// flavour = "ad" fills the mapping rules it leaves unset (userName,
// externalId, disabled and its reason) while keeping those it sets.
func TestADConfigDefaults(t *testing.T) {
	cfg, err := loadConfig("testdata/valid-ad.toml")
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.mapper
	for key, want := range map[string]string{
		"attributes.userName":   `attr("sAMAccountName")`,
		"attributes.externalId": "id",
		"disabled":              ldapsource.ADDisabled,
		"disabled_reason":       ldapsource.ADDisabledReason,
		"scope":                 `has("mail")`,
		"attributes.title":      `attr("title")`,
	} {
		if got := m.Rule(key); got != want {
			t.Errorf("mapping.%s = %q, want %q", key, got, want)
		}
	}
}

// TestADConfigDiscover: docs/ad.md's discovery example loads, and the
// source it builds finds its domain controllers in DNS.
func TestADConfigDiscover(t *testing.T) {
	cfg, err := loadConfig("testdata/valid-ad-discover.toml")
	if err != nil {
		t.Fatal(err)
	}
	s, ok := cfg.Source.section.(*configured[ldapsource.Config, sync.Source])
	if !ok {
		t.Fatalf("source section %T", cfg.Source.section)
	}
	want := ldapsource.DiscoverConfig{Domain: "corp.example.com", Site: "HQ", Scheme: "ldaps"}
	if got := s.cfg.Discover; got != want || s.cfg.URL != "" {
		t.Errorf("discover = %+v, url %q; want %+v", got, s.cfg.URL, want)
	}
}
