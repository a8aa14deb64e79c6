package main

import (
	"context"
	"strings"
	"testing"

	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// TestOrphansAdopt: an orphan account linked by hand to a source person,
// after review, is that person's account from then on: the next apply
// updates it to the rules instead of creating another.
func TestOrphansAdopt(t *testing.T) {
	slapd := slapdtest.Start(t, slapdtest.WithLDIFFile("../../testdata/sample/day1.ldif"))
	url, token, _ := scimtest.Start(t, scimtest.Options{})
	e := newEnv(t, slapd, url, token, "")
	id, err := e.client().Create(context.Background(), targets.Account{UserName: "priya.legacy", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := byKind(e.plan(), sync.Orphan); len(got) != 1 || got[0] != "report priya.legacy" {
		t.Fatalf("orphans before adoption: %v", got)
	}
	spatel := "uid=spatel," + people
	for _, tc := range []struct{ args, err string }{
		{"--account priya.legacy", "needs --target, --account and --person"},
		{"--target nope --account priya.legacy --person " + spatel, `no target named "nope"`},
		{"--target scim --account nobody --person " + spatel, `no account "nobody" in target scim`},
		{"--target scim --account priya.legacy --person uid=ghost,dc=example,dc=org", "no person with the ID or DN"},
	} {
		code, _, errs := e.idsync(append([]string{"orphans", "adopt"}, strings.Fields(tc.args)...)...)
		if code == exitOK || !strings.Contains(errs, tc.err) {
			t.Errorf("adopt %s: exit %d, %q; want an error with %q", tc.args, code, errs, tc.err)
		}
	}
	out := e.mustIdsync(exitOK, "orphans", "adopt", "--target", "scim", "--account", "priya.legacy", "--person", spatel)
	if !strings.Contains(out, "Linked account "+id) {
		t.Errorf("adopt said %q", out)
	}
	code, _, errs := e.idsync("orphans", "adopt", "--target", "scim", "--account", "priya.legacy", "--person", spatel)
	if code == exitOK || !strings.Contains(errs, "is not an orphan") {
		t.Errorf("adopting twice: exit %d, %q", code, errs)
	}
	e.mustIdsync(exitOK, "apply")
	users := e.users()
	if u := users["spatel"]; u.ID != id || !u.Active {
		t.Errorf("spatel's account %+v, want the adopted %s", u, id)
	}
	if _, ok := users["priya.legacy"]; ok || len(users) != 124 {
		t.Errorf("%d accounts, priya.legacy still there: %v", len(users), ok)
	}
	if count(e.audit(0), "orphan/adopt priya.legacy") != 1 {
		t.Errorf("audit: %v", e.audit(0))
	}
}
