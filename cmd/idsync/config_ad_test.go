package main

import (
	"testing"

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
