package scim_test

import (
	"testing"

	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// TestSCIMMYManager: SCIMMY stores the enterprise manager idsync sends,
// changes it, and clears it while the extension's other attributes stay.
func TestSCIMMYManager(t *testing.T) {
	url, token := scimtest.StartSCIMMY(t)
	c, _ := newClient(t, testConfig(t, url, token))
	boss, err := c.Create(t.Context(), targets.Account{UserName: "boss", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	other, err := c.Create(t.Context(), targets.Account{UserName: "other", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	acct := func(manager string) targets.Account {
		return targets.Account{UserName: "e", Active: true,
			Attrs: targets.AttrsOf(map[string]string{"department": "Eng", "manager": manager})}
	}
	id, err := c.Create(t.Context(), acct(boss))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{boss, other, ""} {
		if want != boss {
			if err := c.Update(t.Context(), id, acct(want)); err != nil {
				t.Fatal(err)
			}
		}
		got, err := c.Get(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Attrs.Get("manager") != want || got.Attrs.Get("department") != "Eng" {
			t.Errorf("manager %q: got %v", want, got.Attrs)
		}
	}
}
