package state

import (
	"context"
	"slices"
	"testing"
)

func TestLinksByRef(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	for _, l := range []Link{
		{SourceID: "s1", TargetID: "a1", UserName: "ann", DN: "uid=ann,ou=People,dc=example,dc=org"},
		{SourceID: "s2", TargetID: "b1", UserName: "bob", DN: "uid=bob,ou=people,dc=example,dc=org"},
		{SourceID: "s3", TargetID: "c1", UserName: "carl", DN: "uid=carl,ou=people,dc=example,dc=org"},
	} {
		if err := s.Commit(ctx, Op{Audit: audit("joiner", "create", l.SourceID, l.TargetID), Link: &l}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.LinksByRef(ctx, "t", []string{"UID=ann,ou=people,DC=example,dc=org", "s2", "uid=zed,dc=example,dc=org", "s9"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range got {
		ids = append(ids, l.TargetID)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"a1", "b1"}) {
		t.Errorf("LinksByRef = %v, want a1 (by DN) and b1 (by ID)", ids)
	}
	if none, err := s.LinksByRef(ctx, "other", []string{"s1"}); err != nil || len(none) != 0 {
		t.Errorf("another target: %v, %v", none, err)
	}
}
