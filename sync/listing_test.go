package sync

import (
	"reflect"
	"testing"

	"github.com/idsync/idsync/targets"
)

// TestListingGivesAccountsBack: every account comes back from a listing
// exactly as it was added, whatever its attributes, and Attr gives what
// targets.Account.Attr gives.
func TestListingGivesAccountsBack(t *testing.T) {
	managed := []string{"userName", "displayName", "department", "title"}
	tests := []struct {
		name string
		a    targets.Account
	}{
		{"managed only", targets.Account{ID: "a1", UserName: "ann", ExternalID: "s1", Active: true,
			Attrs: targets.Attrs{{Path: "department", Value: "Eng"}, {Path: "displayName", Value: "Ann"}, {Path: "emails.work", Value: "ann@x"}}}},
		{"no attributes", targets.Account{ID: "a2", UserName: "bob", Attrs: targets.Attrs{}}},
		{"nil attributes", targets.Account{ID: "a3", UserName: "cat"}},
		{"other paths between the held ones", targets.Account{ID: "a4", UserName: "dan", Active: true,
			Attrs: targets.Attrs{{Path: "a.first", Value: "1"}, {Path: "department", Value: "Eng"}, {Path: "name.givenName", Value: "Dan"}, {Path: "title", Value: "Boss"}, {Path: "zz", Value: "2"}}}},
		{"a value given as empty", targets.Account{ID: "a5", UserName: "eve",
			Attrs: targets.Attrs{{Path: "department", Value: ""}, {Path: "displayName", Value: "Eve"}}}},
		{"unsorted", targets.Account{ID: "a6", UserName: "fay",
			Attrs: targets.Attrs{{Path: "title", Value: "T"}, {Path: "department", Value: "D"}}}},
		{"a path twice", targets.Account{ID: "a7", UserName: "gus",
			Attrs: targets.Attrs{{Path: "department", Value: "first"}, {Path: "department", Value: "second"}}}},
	}
	l := NewListing(managed, 0)
	for _, tt := range tests {
		l.Add(tt.a)
	}
	if l.Len() != len(tests) {
		t.Fatalf("Len = %d, want %d", l.Len(), len(tests))
	}
	paths := []string{"userName", "externalId", "active", "displayName", "department", "title", "emails.work"}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ai := int32(i)
			if got := l.Account(ai); !reflect.DeepEqual(*got, tt.a) {
				t.Errorf("Account = %#v, want %#v", *got, tt.a)
			}
			if l.ID(ai) != tt.a.ID || l.UserName(ai) != tt.a.UserName || l.ExternalID(ai) != tt.a.ExternalID || l.Active(ai) != tt.a.Active {
				t.Errorf("fixed fields %q %q %q %v, want %q %q %q %v", l.ID(ai), l.UserName(ai), l.ExternalID(ai), l.Active(ai),
					tt.a.ID, tt.a.UserName, tt.a.ExternalID, tt.a.Active)
			}
			for _, p := range append(paths, "name.givenName") {
				if got, want := l.Attr(ai, p), tt.a.Attr(p); got != want {
					t.Errorf("Attr(%s) = %q, want %q", p, got, want)
				}
			}
		})
	}
}

// TestBuildPlanListingSameAsAccounts: a plan of a listing is the plan of
// the accounts it holds.
func TestBuildPlanListingSameAsAccounts(t *testing.T) {
	in := mixedInput()
	in.Accounts[3].Attrs.Set("nickName", "unmanaged") // kept beside the held paths
	want := BuildPlan(in)
	l := NewListing(in.Managed, 0)
	for _, a := range in.Accounts {
		l.Add(a)
	}
	in.Listing, in.Accounts = l, nil
	got := BuildPlan(in)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("plans differ: %d changes, %d groups; want %d, %d", len(got.Changes), len(got.Groups), len(want.Changes), len(want.Groups))
	}
	if len(want.Changes) == 0 {
		t.Fatal("the input plans nothing")
	}
}
