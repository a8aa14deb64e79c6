// Package targetstest is the conformance suite every targets.Target passes
// (after restic's backend/test.Suite and rclone's fstests). A target's own
// tests call Run against real servers.
package targetstest

import (
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/idsync/idsync/targets"
)

// Capabilities describes what the target under test stores and enforces.
type Capabilities struct {
	// Attrs are the attribute paths, beyond userName, externalId and
	// active, that the target stores and returns. Nil means every path in
	// targets.Attributes.
	Attrs []string
	// CaseInsensitiveUserName says the target refuses a userName that
	// differs from an existing one only in case, as RFC 7643 requires.
	CaseInsensitiveUserName bool
	// PagingUsers is how many users the paging test creates; make it more
	// than two of the target's pages (default 250).
	PagingUsers int
	// GroupMembers is how many members the group test adds in one
	// ModifyMembers call; make it more than the target takes in one
	// request (default 250).
	GroupMembers int
	// ReportsGroups says a MemberGetter target always reports an
	// account's groups (known is true, even for an account in none).
	ReportsGroups bool
	// MaxUserNameLength is the longest userName the target keeps (Slack:
	// 21): the suite's names are made short enough. 0: no limit.
	MaxUserNameLength int
	// DeleteDeactivates says Delete leaves the account in place, inactive
	// (Slack): a deleted account is still listed and found.
	DeleteDeactivates bool
	// Required are attribute paths every account must carry (GitHub EMU):
	// the suite gives every account it creates a value for each and never
	// clears one.
	Required []string
	// ServerExternalID says the target sets externalId itself (Zoom): the
	// suite does not compare it.
	ServerExternalID bool
}

// Run runs the suite. newTarget returns the target to test, talking to a
// server the test owns (it may be shared between subtests: every subtest
// uses its own random names). Subtests for optional abilities
// (Deactivator, GroupManager) run when the target has them.
func Run(t *testing.T, newTarget func(t *testing.T) targets.Target, caps Capabilities) {
	if caps.Attrs == nil {
		for _, p := range targets.AttributeNames() {
			switch p {
			case "userName", "externalId", "active":
			default:
				caps.Attrs = append(caps.Attrs, p)
			}
		}
	}
	if caps.PagingUsers <= 0 {
		caps.PagingUsers = 250
	}
	if caps.GroupMembers <= 0 {
		caps.GroupMembers = 250
	}
	s := &suite{caps: caps, newTarget: newTarget}
	t.Run("CreateListRoundTrip", s.createListRoundTrip)
	t.Run("DuplicateUserName", s.duplicateUserName)
	t.Run("UpdateChangesAndClears", s.updateChangesAndClears)
	t.Run("Deactivate", s.deactivate)
	t.Run("DeleteTwice", s.deleteTwice)
	t.Run("Get", s.get)
	t.Run("ListPaging", s.listPaging)
	t.Run("ListStopsAtCallbackError", s.listStopsAtCallbackError)
	t.Run("Groups", s.groups)
	t.Run("GetWithGroups", s.getWithGroups)
}

type suite struct {
	caps      Capabilities
	newTarget func(t *testing.T) targets.Target
}

// prefix returns a random name prefix for one subtest, short when the
// target keeps short userNames only.
func (s *suite) prefix(t *testing.T) string {
	if s.caps.MaxUserNameLength > 0 {
		return "x" + strings.ToLower(rand.Text()[:6])
	}
	return prefix(t)
}

// prefix returns a random name prefix for one subtest.
func prefix(t *testing.T) string {
	name := strings.ToLower(t.Name()[strings.LastIndex(t.Name(), "/")+1:])
	return fmt.Sprintf("ct-%s-%s", name, strings.ToLower(rand.Text()[:6]))
}

// sample returns a plausible value for an attribute path; variant makes
// different values for the same path.
func sample(path, variant string) string {
	typ := path[strings.IndexByte(path, '.')+1:]
	switch {
	case strings.HasPrefix(path, "emails."):
		return fmt.Sprintf("%s.%s@example.test", variant, typ)
	case strings.HasPrefix(path, "phoneNumbers."):
		return fmt.Sprintf("+44 20 7946 %04d", int(variant[0])*10+len(typ))
	case path == "preferredLanguage" || path == "locale":
		return map[bool]string{true: "en-GB", false: "de-DE"}[variant == "a"]
	case path == "timezone":
		return map[bool]string{true: "Europe/London", false: "Europe/Berlin"}[variant == "a"]
	case path == "profileUrl":
		return "https://example.test/people/" + variant
	}
	return fmt.Sprintf("%s %s", path, variant)
}

func (s *suite) account(userName, variant string) targets.Account {
	a := targets.Account{UserName: userName, ExternalID: "ext-" + userName, Active: true, Attrs: targets.Attrs{}}
	for _, p := range s.caps.Attrs {
		a.Attrs.Set(p, sample(p, variant))
	}
	return a
}

// complete gives a the required attributes it lacks (Capabilities.Required).
func (s *suite) complete(a targets.Account) targets.Account {
	for _, p := range s.caps.Required {
		switch {
		case p == "externalId" && a.ExternalID == "":
			a.ExternalID = "ext-" + a.UserName
		case p != "externalId" && a.Attrs.Get(p) == "":
			a.Attrs = a.Attrs.Clone()
			a.Attrs.Set(p, sample(p, "r"))
		}
	}
	return a
}

// required says whether path is one the target requires.
func (s *suite) required(path string) bool { return slices.Contains(s.caps.Required, path) }

// listAll lists tg, failing when an id comes twice.
func listAll(t *testing.T, tg targets.Target) map[string]targets.Account {
	t.Helper()
	all := map[string]targets.Account{}
	err := tg.List(t.Context(), func(a targets.Account) error {
		if a.ID == "" {
			return fmt.Errorf("account %q without ID", a.UserName)
		}
		if _, dup := all[a.ID]; dup {
			return fmt.Errorf("List called fn twice for id %s (%s)", a.ID, a.UserName)
		}
		all[a.ID] = a
		return nil
	})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return all
}

func mustGet(t *testing.T, tg targets.Target, id string) targets.Account {
	t.Helper()
	a, ok := listAll(t, tg)[id]
	if !ok {
		t.Fatalf("account %s is not listed", id)
	}
	return a
}

func (s *suite) mustCreate(t *testing.T, tg targets.Target, a targets.Account) string {
	t.Helper()
	return mustCreate(t, tg, s.complete(a))
}

func mustCreate(t *testing.T, tg targets.Target, a targets.Account) string {
	t.Helper()
	id, err := tg.Create(t.Context(), a)
	if err != nil {
		t.Fatalf("Create(%s): %v", a.UserName, err)
	}
	if id == "" {
		t.Fatalf("Create(%s) returned an empty id", a.UserName)
	}
	return id
}

// createMany creates n accounts named prefix-NNNN with a few workers.
func (s *suite) createMany(t *testing.T, tg targets.Target, prefix string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				a := s.complete(targets.Account{UserName: fmt.Sprintf("%s-%04d", prefix, i), Active: true,
					Attrs: targets.AttrsOf(map[string]string{"displayName": fmt.Sprintf("User %d", i)})})
				ids[i], errs[i] = tg.Create(t.Context(), a)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("create %d accounts: %v", n, err)
	}
	return ids
}

// checkAccount compares the fixed fields and the given paths, externalId
// unless the target sets it itself.
func (s *suite) checkAccount(t *testing.T, got, want targets.Account, paths []string) {
	t.Helper()
	fixed := []string{"userName", "externalId", "active"}
	if s.caps.ServerExternalID {
		fixed = []string{"userName", "active"}
	}
	for _, p := range append(fixed, paths...) {
		if g, w := got.Attr(p), want.Attr(p); g != w {
			t.Errorf("%s: %s = %q, want %q", want.UserName, p, g, w)
		}
	}
}
