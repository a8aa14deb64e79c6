package scim_test

import (
	"fmt"
	"testing"

	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// SCIMMY-specific checks beyond the conformance suite. Data sets stay in
// the hundreds: SCIMMY builds every page from every stored resource.

// TestSCIMMYRepeatedLastPage: with 200 users and pages of 100, SCIMMY
// answers startIndex=201 with the first page again.
func TestSCIMMYRepeatedLastPage(t *testing.T) {
	url, token := scimtest.StartSCIMMY(t)
	c, _ := newClient(t, testConfig(t, url, token))
	for i := range 200 {
		if _, err := c.Create(t.Context(), targets.Account{UserName: fmt.Sprintf("r%03d", i), Active: true}); err != nil {
			t.Fatal(err)
		}
	}
	calls := map[string]int{}
	if err := c.List(t.Context(), func(a targets.Account) error { calls[a.ID]++; return nil }); err != nil {
		t.Fatal(err)
	}
	for id, n := range calls {
		if n != 1 {
			t.Errorf("fn called %d times for %s", n, id)
		}
	}
	if len(calls) != 200 {
		t.Errorf("listed %d, want 200", len(calls))
	}
}

// TestSCIMMYPatchKeepsOtherEmails: replacing emails.work by filter keeps
// the home address, and an update of a user without a work address adds it.
func TestSCIMMYPatchKeepsOtherEmails(t *testing.T) {
	url, token := scimtest.StartSCIMMY(t)
	c, _ := newClient(t, testConfig(t, url, token))
	a := targets.Account{UserName: "e", Active: true, Attrs: targets.AttrsOf(map[string]string{"emails.home": "e@home.test"})}
	id, err := c.Create(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	for _, work := range []string{"e1@work.test", "e2@work.test"} {
		if err := c.Update(t.Context(), id, targets.Account{UserName: "e", Active: true,
			Attrs: targets.AttrsOf(map[string]string{"emails.work": work})}); err != nil {
			t.Fatal(err)
		}
	}
	var got targets.Account
	if err := c.List(t.Context(), func(a targets.Account) error { got = a; return nil }); err != nil {
		t.Fatal(err)
	}
	if got.Attrs.Get("emails.work") != "e2@work.test" || got.Attrs.Get("emails.home") != "e@home.test" {
		t.Errorf("emails after two updates: %v", got.Attrs)
	}
}

// TestSCIMMYFindByUserNameCaseFallback: SCIMMY's filters are
// case-sensitive, so "ALICE" is also asked for as "alice".
func TestSCIMMYFindByUserNameCaseFallback(t *testing.T) {
	url, token := scimtest.StartSCIMMY(t)
	c, _ := newClient(t, testConfig(t, url, token))
	id, err := c.Create(t.Context(), alice())
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.FindByUserName(t.Context(), "ALICE")
	if err != nil || a.ID != id || a.Attrs.Get("department") != "Eng" {
		t.Errorf("FindByUserName(ALICE) = %+v, %v", a, err)
	}
}
