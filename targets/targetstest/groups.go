package targetstest

import (
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/idsync/idsync/targets"
)

func (s *suite) groups(t *testing.T) {
	tg := s.newTarget(t)
	gm, ok := tg.(targets.GroupManager)
	if !ok {
		t.Log("the target is not a GroupManager")
		return
	}
	p := s.prefix(t)
	gid, err := gm.CreateGroup(t.Context(), p)
	if err != nil || gid == "" {
		t.Fatalf("CreateGroup = %q, %v", gid, err)
	}
	if _, err := gm.CreateGroup(t.Context(), p); !errors.Is(err, targets.ErrConflict) {
		t.Errorf("second CreateGroup(%s) = %v, want ErrConflict", p, err)
	}
	other, err := gm.CreateGroup(t.Context(), p+"-other")
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}

	users := s.createMany(t, tg, p, s.caps.GroupMembers)
	if err := gm.ModifyMembers(t.Context(), gid, users, nil); err != nil {
		t.Fatalf("ModifyMembers(add %d): %v", len(users), err)
	}
	checkMembers(t, gm, gid, users)

	half := len(users) / 2
	if err := gm.ModifyMembers(t.Context(), gid, nil, users[:half]); err != nil {
		t.Fatalf("ModifyMembers(remove %d): %v", half, err)
	}
	checkMembers(t, gm, gid, users[half:])

	// Mixed: add two back, remove two others; adding a member twice is a no-op.
	add, remove := slices.Clone(users[:2]), slices.Clone(users[half:half+2])
	if err := gm.ModifyMembers(t.Context(), gid, append(add, users[len(users)-1]), remove); err != nil {
		t.Fatalf("ModifyMembers(mixed): %v", err)
	}
	checkMembers(t, gm, gid, append(slices.Clone(add), users[half+2:]...))
	checkMembers(t, gm, other, nil)

	missing := fmt.Sprintf("%x-0000-4000-8000-%x", rand.Text()[:4], rand.Text()[:6])
	if err := gm.ModifyMembers(t.Context(), missing, users[:1], nil); !errors.Is(err, targets.ErrNotFound) {
		t.Errorf("ModifyMembers of a missing group = %v, want ErrNotFound", err)
	}
}

// checkMembers lists the groups (each exactly once) and compares one
// group's members with want, in any order. The groups are looked at after
// ListGroups returned: callers keep what fn was given.
func checkMembers(t *testing.T, gm targets.GroupManager, gid string, want []string) {
	t.Helper()
	seen := map[string]bool{}
	var listed []targets.Group
	err := gm.ListGroups(t.Context(), func(g targets.Group) error {
		if seen[g.ID] {
			return fmt.Errorf("ListGroups called fn twice for %s", g.ID)
		}
		seen[g.ID] = true
		listed = append(listed, g)
		return nil
	})
	if err != nil {
		t.Fatalf("ListGroups: %v", err)
	}
	var got []string
	found := false
	for _, g := range listed {
		if g.ID == gid {
			found, got = true, slices.Clone(g.Members)
		}
	}
	if !found {
		t.Fatalf("group %s is not listed", gid)
	}
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("group %s has %d members, want %d (first difference: %s)", gid, len(got), len(want), firstDiff(got, want))
	}
}

func firstDiff(got, want []string) string {
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(got):
			return "missing " + want[i]
		case i >= len(want):
			return "extra " + got[i]
		case got[i] != want[i]:
			return fmt.Sprintf("got %s, want %s", got[i], want[i])
		}
	}
	return "none"
}

// getWithGroups checks a MemberGetter: an account's groups as the groups
// list it, none for an account in no group (when the target reports them),
// and ErrNotFound for a missing account.
func (s *suite) getWithGroups(t *testing.T) {
	tg := s.newTarget(t)
	mg, ok := tg.(targets.MemberGetter)
	gm, _ := tg.(targets.GroupManager)
	if !ok || gm == nil {
		t.Log("the target is not a MemberGetter")
		return
	}
	p := s.prefix(t)
	g1, err := gm.CreateGroup(t.Context(), p+"-1")
	if err != nil {
		t.Fatal(err)
	}
	g2, err := gm.CreateGroup(t.Context(), p+"-2")
	if err != nil {
		t.Fatal(err)
	}
	users := s.createMany(t, tg, p, 3)
	if err := gm.ModifyMembers(t.Context(), g1, users[:2], nil); err != nil {
		t.Fatal(err)
	}
	if err := gm.ModifyMembers(t.Context(), g2, users[1:2], nil); err != nil {
		t.Fatal(err)
	}
	want := [][]string{{g1}, {g1, g2}, {}}
	for i, id := range users {
		a, groups, known, err := mg.GetWithGroups(t.Context(), id)
		if err != nil || a.ID != id {
			t.Fatalf("GetWithGroups(%s) = %+v, %v", id, a, err)
		}
		if !known {
			if s.caps.ReportsGroups {
				t.Errorf("GetWithGroups(%s): groups not reported", id)
			}
			if len(groups) != 0 {
				t.Errorf("GetWithGroups(%s): groups %v but not known", id, groups)
			}
			continue
		}
		slices.Sort(groups)
		w := slices.Clone(want[i])
		slices.Sort(w)
		if !slices.Equal(groups, w) {
			t.Errorf("GetWithGroups(%s) groups = %v, want %v", id, groups, w)
		}
	}
	if _, _, _, err := mg.GetWithGroups(t.Context(), users[0]+"-missing"); !errors.Is(err, targets.ErrNotFound) {
		t.Errorf("GetWithGroups of a missing account = %v, want ErrNotFound", err)
	}
}
