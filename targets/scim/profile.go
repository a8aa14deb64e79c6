package scim

import (
	"fmt"
	"slices"
	"strings"
)

// Profile names for Config.Profile.
const (
	ProfileGeneric   = "generic"
	ProfileSlack     = "slack"
	ProfileGitHubEMU = "github-emu"
	ProfileAtlassian = "atlassian"
	ProfileAWS       = "aws-identity-center"
	ProfileZoom      = "zoom"
)

// Profile is how one SaaS application bends SCIM, and what the client
// does about it. A Config's profile supplies defaults; every setting that
// has a key of its own (page_size, rate_limit, max_members_per_patch, ...)
// still overrides the profile's value.
type Profile struct {
	// Name is the value of the profile key.
	Name string
	// MaxPageSize is the largest count the server honours; page_size is
	// capped to it (0: maxPageSize).
	MaxPageSize int
	// CursorPaging lists with an opaque cursor (nextCursor) instead of
	// startIndex.
	CursorPaging bool
	// UserFilters are the attributes a /Users filter may name, lower case;
	// nil allows any (FindByUserName needs "username").
	UserFilters []string
	// GroupMembersUnlisted says group reads always return an empty members
	// list: ListGroups and GetWithGroups read membership with
	// MemberFilter, one request per group and account, and never report
	// a group as empty because its read says so.
	GroupMembersUnlisted bool
	// MemberFilter is the /Groups filter that finds group g if it has
	// member u (fmt verbs: group id, user id, both quoted); "" for the
	// RFC form `members.value eq`.
	MemberFilter string
	// UserNameRewrite is what the server makes of a userName it stores;
	// nil when it stores it as sent.
	UserNameRewrite func(string) string
	// Disable and Delete say in words what a leaver's disable and delete
	// do on this target ("" for plain SCIM: nothing to add).
	Disable, Delete string
	// IrreversibleDelete refuses leavers/orphans = "delete" at config
	// check unless acknowledge_irreversible_delete is set.
	IrreversibleDelete bool
	// MaxMembersPerPatch is the default max_members_per_patch.
	MaxMembersPerPatch int
	// MaxGroupMembers is the most members a group may have (0: no limit);
	// a ModifyMembers that would pass it is refused before it is sent.
	MaxGroupMembers int
	// Required are the attribute paths a create or update must carry; the
	// client refuses an account without them before sending it.
	Required []string
	// UpdateMethod is the default update_method ("" : patch).
	UpdateMethod string
	// ReactivationKeepsGroups says a user made again under a userName the
	// target knew comes back with its old groups: a create removes them,
	// so the roles the plan grants are the only ones left.
	ReactivationKeepsGroups bool
	// RateLimit and Burst are the default rate_limit and burst (0: the
	// package defaults); WriteRateLimit and WriteBurst pace writes only
	// (0: writes are paced by RateLimit alone).
	RateLimit, WriteRateLimit float64
	Burst, WriteBurst         int
	// Concurrency is the default concurrency (0: DefaultConcurrency).
	Concurrency int
	// SingleValued says the target keeps one value per multi-valued
	// attribute (AWS): an account with two e-mails or two phone numbers
	// is refused before it is sent.
	SingleValued bool
	// ExternalIDOwned says the target sets externalId itself (Zoom): the
	// client never sends one.
	ExternalIDOwned bool
	// Discover reads /ServiceProviderConfig before the first request and
	// adapts to what the server declares (generic).
	Discover bool
	// Notes are the known limits, for the documentation and `idsync check`.
	Notes []string
}

// Profiles returns every profile, in the order of the documentation.
func Profiles() []Profile {
	return []Profile{
		{
			Name: ProfileGeneric, Discover: true,
			Disable: "sets active to false", Delete: "deletes the SCIM user (what that means is the application's business)",
		},
		{
			Name: ProfileSlack, MaxPageSize: 1000, UserFilters: []string{"username", "emails.value", "externalid"},
			UserNameRewrite: SlackUserName, MaxGroupMembers: 15000,
			Disable: "deactivates the Slack account (reversible; sessions end)",
			Delete:  "deactivates the Slack account too: Slack never deletes a user over SCIM (reversible)",
			// 600 writes a minute org-wide, burst 180.
			WriteRateLimit: 10, WriteBurst: 180, RateLimit: 20, Burst: 20, Concurrency: 8,
			Notes: []string{"userName: at most 21 characters, lower case; other characters become _",
				"a write overlapping another write to the same object is answered 429 (retried)",
				"group updates over 15,000 members are refused"},
		},
		{
			Name: ProfileGitHubEMU, MaxPageSize: 100, UserFilters: []string{"username", "externalid"},
			UserNameRewrite: GitHubUserName, IrreversibleDelete: true,
			Required: []string{"externalId", "emails.work", "name.givenName", "name.familyName"},
			Disable:  "suspends the managed user (reversible)",
			Delete:   "permanently deletes the managed user: identity, keys and owned repositories are gone (irreversible)",
			// About 1,000 users an hour.
			WriteRateLimit: 1000.0 / 3600, WriteBurst: 20, Concurrency: 2,
			Notes: []string{"userName is normalised (lower case, characters other than letters, digits and - become -, the e-mail domain is dropped)",
				"one filter per request"},
		},
		{
			Name: ProfileAtlassian, MaxPageSize: 100, UserFilters: []string{"username", "externalid"},
			ReactivationKeepsGroups: true,
			Disable:                 "deactivates the Atlassian account (reversible; the licence is freed)",
			Delete:                  "removes the SCIM record and unlinks the Atlassian account, which stays (a new create with the same e-mail re-links it with its old groups)",
			Notes:                   []string{"a re-created user gets its old groups back: idsync removes them and grants the current roles"},
		},
		{
			Name: ProfileAWS, MaxPageSize: 100, CursorPaging: true, UserFilters: []string{"username", "externalid"},
			GroupMembersUnlisted: true, MemberFilter: "id eq %s and members eq %s", MaxMembersPerPatch: 100, SingleValued: true,
			Disable: "sets the user inactive (reversible; sign-in is blocked)",
			Delete:  "deletes the user and its permission-set assignments",
			Notes: []string{"group reads list no members: membership is read with one filtered request per group and user",
				"one value per multi-valued attribute", "at most 100 member changes per request"},
		},
		{
			Name: ProfileZoom, MaxPageSize: 100, UserFilters: []string{"username"}, ExternalIDOwned: true,
			Disable: "deactivates the Zoom user (reversible)",
			Delete:  "deletes the Zoom user and its recordings",
			Notes:   []string{"externalId is Zoom's own id: idsync correlates by userName (the e-mail)"},
		},
	}
}

// ProfileNamed returns the profile called name; "" is the zero Profile
// (plain SCIM as configured, nothing discovered).
func ProfileNamed(name string) (Profile, error) {
	if name == "" {
		return Profile{}, nil
	}
	for _, p := range Profiles() {
		if p.Name == name {
			return p, nil
		}
	}
	return Profile{}, fmt.Errorf("must be one of %s, got %q", profileNames(), name)
}

func profileNames() string {
	var names []string
	for _, p := range Profiles() {
		names = append(names, fmt.Sprintf("%q", p.Name))
	}
	return strings.Join(names, ", ")
}

// allowsUserFilter says whether a /Users filter on attr may be sent.
func (p Profile) allowsUserFilter(attr string) bool {
	return p.UserFilters == nil || slices.Contains(p.UserFilters, strings.ToLower(attr))
}

// rewrite applies the server's userName rewrite.
func (p Profile) rewrite(name string) string {
	if p.UserNameRewrite == nil {
		return name
	}
	return p.UserNameRewrite(name)
}
