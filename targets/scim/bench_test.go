package scim_test

import (
	"fmt"
	"testing"

	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// realisticUser is a user as a fully-linked target holds it.
func realisticUser(i int) targets.Account {
	return targets.Account{
		UserName:   fmt.Sprintf("user%06d", i),
		ExternalID: fmt.Sprintf("5f0c%04x-9a1b-4c2d-8e3f-%012x", i%0xffff, i),
		Active:     i%17 != 0,
		Attrs: targets.AttrsOf(map[string]string{
			"displayName":     fmt.Sprintf("Given%d Family%d", i, i),
			"name.givenName":  fmt.Sprintf("Given%d", i),
			"name.familyName": fmt.Sprintf("Family%d", i),
			"emails.work":     fmt.Sprintf("user%06d@example.test", i),
			"title":           "Senior Software Engineer",
			"department":      fmt.Sprintf("Department %d", i%40),
			"employeeNumber":  fmt.Sprint(100000 + i),
		}),
	}
}

// BenchmarkList100k lists 100,000 realistic users in pages of 1000 with no
// rate limit: the SCIM part of `idsync plan` against a large target. ns/op
// is the wall time of one whole List (101 pages: the list ends at an empty
// page); B/op and allocs/op include the in-process scimtest server's
// share. BenchmarkDecodeUserPage measures the client's decoding alone.
func BenchmarkList100k(b *testing.B) {
	const n = 100_000
	url, token, srv := scimtest.Start(b, scimtest.Options{})
	for i := range n {
		if _, err := srv.SeedUser(realisticUser(i)); err != nil {
			b.Fatal(err)
		}
	}
	cfg := testConfig(b, url, token)
	cfg.PageSize = 1000
	c, _ := newClient(b, cfg)
	b.ReportAllocs()
	for b.Loop() {
		got := 0
		err := c.List(b.Context(), func(a targets.Account) error {
			if a.Attrs.Get("department") == "" {
				return fmt.Errorf("user %s without department", a.ID)
			}
			got++
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if got != n {
			b.Fatalf("listed %d, want %d", got, n)
		}
	}
}

// BenchmarkListGroups lists 1,000 groups of 100 members each (100,000
// memberships) in pages of 100.
func BenchmarkListGroups(b *testing.B) {
	const groups, members = 1000, 100
	url, token, srv := scimtest.Start(b, scimtest.Options{})
	ids := make([]string, members*10)
	for i := range ids {
		id, err := srv.SeedUser(targets.Account{UserName: fmt.Sprintf("user%05d", i), Active: true})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = id
	}
	for g := range groups {
		from := g % 10 * members
		if _, err := srv.SeedGroup(fmt.Sprintf("group%04d", g), ids[from:from+members]...); err != nil {
			b.Fatal(err)
		}
	}
	c, _ := newClient(b, testConfig(b, url, token))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		err := c.ListGroups(b.Context(), func(g targets.Group) error {
			n += len(g.Members)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if n != groups*members {
			b.Fatalf("listed %d memberships, want %d", n, groups*members)
		}
	}
}
