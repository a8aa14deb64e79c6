package sync

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/idsync/idsync/targets"
)

// Protect lists the accounts of a target that idsync never disables,
// deletes or changes, whatever the policy: their changes are planned as
// reports that say "protected", and their group memberships are left
// alone. Patterns are globs (path.Match: *, ?, [a-z]), matched without
// regard to case.
type Protect struct {
	// UserNames match the account's userName.
	UserNames []string `toml:"user_names"`
	// Emails match any of the account's e-mail addresses.
	Emails []string `toml:"emails"`
	// Groups match the display names of target groups: their members are
	// protected (the target must list its groups).
	Groups []string `toml:"groups"`
}

// IsZero reports whether p protects nothing.
func (p Protect) IsZero() bool {
	return len(p.UserNames) == 0 && len(p.Emails) == 0 && len(p.Groups) == 0
}

// Validate checks every pattern. Messages start with the key.
func (p Protect) Validate() error {
	var errs []error
	for _, list := range []struct {
		key      string
		patterns []string
	}{{"user_names", p.UserNames}, {"emails", p.Emails}, {"groups", p.Groups}} {
		for i, pat := range list.patterns {
			if _, err := path.Match(pat, ""); err != nil || strings.TrimSpace(pat) == "" {
				errs = append(errs, fmt.Errorf("%s[%d]: %q is not a valid pattern", list.key, i, pat))
			}
		}
	}
	return errors.Join(errs...)
}

// matchAny returns the first pattern of patterns that v matches.
func matchAny(patterns []string, v string) (string, bool) {
	if v == "" {
		return "", false
	}
	v = strings.ToLower(v)
	for _, p := range patterns {
		if ok, _ := path.Match(strings.ToLower(p), v); ok {
			return p, true
		}
	}
	return "", false
}

// emailPaths are the attributes an e-mail pattern is matched against.
var emailPaths = []string{"emails.work", "emails.home", "emails.other"}

// matchAccount returns why a is protected by its userName or an e-mail,
// "" when it is not.
func (p Protect) matchAccount(a *targets.Account) string {
	return p.match(a.UserName, func(path string) string { return a.Attrs.Get(path) })
}

// matchListed is matchAccount for account i of a listing.
func (p Protect) matchListed(l *Listing, i int32) string {
	return p.match(l.UserName(i), func(path string) string { return l.Attr(i, path) })
}

func (p Protect) match(userName string, attr func(path string) string) string {
	if pat, ok := matchAny(p.UserNames, userName); ok {
		return fmt.Sprintf("protect.user_names %q", pat)
	}
	if len(p.Emails) == 0 {
		return ""
	}
	for _, e := range emailPaths {
		if pat, ok := matchAny(p.Emails, attr(e)); ok {
			return fmt.Sprintf("protect.emails %q", pat)
		}
	}
	return ""
}

// protect turns every change to a protected account into a report that
// says so, and takes protected accounts out of the group changes.
func (b *builder) protect(x *TargetIndex) {
	pr := b.in.Policy.Protect
	if pr.IsZero() {
		return
	}
	why := b.protectedAccounts(x)
	if len(why) == 0 {
		return
	}
	byID := make(map[string]int32, b.list.Len())
	for i := range int32(b.list.Len()) {
		byID[b.list.ID(i)] = i
	}
	for i := range b.plan.Changes {
		c := &b.plan.Changes[i]
		if c.Before == nil {
			continue
		}
		if ai, ok := byID[c.Before.ID]; ok && why[ai] != "" {
			protectChange(c, why[ai])
		}
	}
	protected := func(m Member) bool {
		ai, ok := byID[m.TargetID]
		return ok && why[ai] != ""
	}
	groups := b.plan.Groups[:0]
	for _, g := range b.plan.Groups {
		g.Add = dropMembers(g.Add, protected)
		g.Remove = dropMembers(g.Remove, protected)
		if g.Create || g.Adopt || len(g.Add)+len(g.Remove) > 0 {
			groups = append(groups, g)
		}
	}
	b.plan.Groups = groups
}

// protectedAccounts returns, by account index, why each account is
// protected ("" when it is not); nil when none is.
func (b *builder) protectedAccounts(x *TargetIndex) []string {
	pr := b.in.Policy.Protect
	var why []string
	mark := func(ai int32, reason string) {
		if why == nil {
			why = make([]string, b.list.Len())
		}
		if why[ai] == "" {
			why[ai] = reason
		}
	}
	for i := range int32(b.list.Len()) {
		if r := pr.matchListed(b.list, i); r != "" {
			mark(i, r)
		}
	}
	if len(pr.Groups) > 0 && b.in.Groups == nil {
		b.plan.Warnings = append(b.plan.Warnings, "protect.groups is set, but the target's groups are not listed: no account is protected by its groups")
	}
	for gi := range b.in.Groups {
		pat, ok := matchAny(pr.Groups, b.in.Groups[gi].DisplayName)
		if !ok || gi >= len(x.members) {
			continue
		}
		for _, ai := range x.members[gi] {
			mark(ai, fmt.Sprintf("protect.groups %q: member of %s", pat, b.in.Groups[gi].DisplayName))
		}
	}
	return why
}

// protectChange makes c a report that its account is protected.
func protectChange(c *Change, why string) {
	was := c.Action
	if was == Report {
		c.Reasons = append([]string{"protected (" + why + "): idsync never changes this account"}, c.Reasons...)
		c.DeleteOn = time.Time{}
		return
	}
	reasons := make([]string, 0, len(c.Reasons)+1)
	reasons = append(reasons, fmt.Sprintf("protected (%s): idsync never changes this account; without the protection it would %s it", why, was))
	for _, r := range c.Reasons {
		reasons = append(reasons, "would "+string(was)+": "+r)
	}
	c.Action, c.After, c.Attrs, c.RolesAdded, c.RolesRemoved, c.Reasons = Report, nil, nil, nil, nil, reasons
	c.DeleteOn = time.Time{} // a protected account is never deleted
}

func dropMembers(ms []Member, drop func(Member) bool) []Member {
	out := ms[:0:0]
	for _, m := range ms {
		if !drop(m) {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
