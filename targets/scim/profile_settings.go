package scim

import (
	"errors"
	"fmt"
)

// applyProfile fills the settings the configuration leaves unset from the
// profile. withDefaults applies the package defaults after it.
func (s *settings) applyProfile() {
	p := s.profile
	if s.PageSize == 0 && p.MaxPageSize > 0 {
		s.PageSize = p.MaxPageSize
	}
	if s.UpdateMethod == "" {
		s.UpdateMethod = p.UpdateMethod
	}
	if s.MaxMembersPerPatch == 0 {
		s.MaxMembersPerPatch = p.MaxMembersPerPatch
	}
	if s.MaxGroupMembers == 0 {
		s.MaxGroupMembers = p.MaxGroupMembers
	}
	if s.Concurrency == 0 {
		s.Concurrency = p.Concurrency
	}
	if s.RateLimit == nil && p.RateLimit > 0 {
		s.rateLimit = p.RateLimit
		if s.Burst == 0 {
			s.burst = p.Burst
		}
	}
	if s.Burst != 0 {
		s.burst = s.Burst
	}
	s.writeRate, s.writeBurst = p.WriteRateLimit, p.WriteBurst
	if s.WriteRateLimit != nil {
		s.writeRate, s.writeBurst = *s.WriteRateLimit, 0
	}
	if s.WriteBurst != 0 {
		s.writeBurst = s.WriteBurst
	}
	if s.writeRate > 0 && s.writeBurst == 0 {
		s.writeBurst = max(1, int(s.writeRate+0.999))
	}
}

// CheckPolicy checks a target's leaver and orphan policies ("disable" or
// "delete") against the profile: on a profile whose delete destroys data
// (github-emu), "delete" needs acknowledge_irreversible_delete = true.
// Each message starts with the key it is about, under the target.
func (c *Config) CheckPolicy(leavers, orphans string) error {
	p, err := ProfileNamed(c.Profile)
	if err != nil || !p.IrreversibleDelete || c.AcknowledgeIrreversibleDelete {
		return nil
	}
	var errs []error
	for _, k := range []struct{ key, value string }{{"leavers", leavers}, {"orphans", orphans}} {
		if k.value == "delete" {
			errs = append(errs, fmt.Errorf("%s: \"delete\" on profile %q %s; set acknowledge_irreversible_delete = true in the scim section to allow it, or use \"disable\"",
				k.key, p.Name, p.Delete))
		}
	}
	return errors.Join(errs...)
}

// Meaning says in words what action ("disable", "delete") does on this
// target, as a verb phrase for plans and reports ("deactivates the Slack
// account too: ..."); "" without a profile or for another action.
func (c *Client) Meaning(action string) string {
	switch action {
	case "disable":
		return c.cfg.profile.Disable
	case "delete":
		return c.cfg.profile.Delete
	}
	return ""
}

// Concurrency is how many writes to different objects an apply may send
// at once (the concurrency key, else the profile's default).
func (c *Client) Concurrency() int { return c.cfg.Concurrency }

// Profile returns the profile the client runs with.
func (c *Client) Profile() Profile { return c.cfg.profile }

// MaxGroupMembers is the most members a group may have on the target
// (max_group_members, else the profile's: Slack 15,000); 0 when there is
// none. The engine plans
// no addition past it.
func (c *Client) MaxGroupMembers() int { return max(c.cfg.MaxGroupMembers, 0) }

// RewriteUserName returns the userName the target stores for name: the
// profile's rewrite (Slack, GitHub), or name. The engine compares a
// desired userName through it, so a rewritten name is not a change.
func (c *Client) RewriteUserName(name string) string { return c.cfg.profile.rewrite(name) }
