package sync

import "fmt"

// section returns the configuration section the limits come from.
func (g Guards) section() string {
	if g.Section == "" {
		return "guards"
	}
	return g.Section
}

// RoleRemovals counts the role memberships the plan takes from accounts
// it does not also disable or delete, and the accounts that lose one.
func (p *Plan) RoleRemovals() (memberships, accounts int) {
	removed := map[string]bool{}
	for _, c := range p.Changes {
		if c.Action.Removes() && c.TargetID != "" {
			removed[c.TargetID] = true
		}
	}
	losing := map[string]bool{}
	for _, g := range p.Groups {
		for _, m := range g.Remove {
			if m.TargetID != "" && removed[m.TargetID] {
				continue
			}
			memberships++
			losing[m.TargetID+"\x00"+m.SourceID] = true
		}
	}
	return memberships, len(losing)
}

// disables counts the changes that disable an account: the disables, and
// the other writes that make an active account inactive (deactivations).
func (p *Plan) disables() int {
	n := p.deactivations()
	for _, c := range p.Changes {
		if c.Action == Disable {
			n++
		}
	}
	return n
}

// deactivations counts the writes other than a disable that make an
// active account inactive: an unlinked active account adopted for a person
// disabled in the source (disabled_people = "create-inactive").
func (p *Plan) deactivations() int {
	n := 0
	for _, c := range p.Changes {
		if c.Action != Disable && c.Action != Report && c.Before != nil && c.After != nil &&
			c.Before.Active && !c.After.Active {
			n++
		}
	}
	return n
}

// checkFiner checks the limits on disables and role removals; managed is
// the number of accounts idsync manages in the target.
func (g Guards) checkFiner(p *Plan, managed int, o Overrides) []error {
	var errs []error
	sec := g.section()
	disables := p.disables()
	allow := p.Removals() + p.deactivations() // what --allow-deletes must cover
	if o.AllowDeletes > 0 && allow <= o.AllowDeletes {
		disables = 0 // allowed with the removals
	}
	if g.MaxDisables > 0 && disables > g.MaxDisables {
		errs = append(errs, fmt.Errorf("%w: %d accounts would be disabled, more than %s.max_disables = %d; "+
			"review the plan, then rerun with --allow-deletes %d or raise the limit", ErrGuard, disables, sec, g.MaxDisables, allow))
	}
	if pct := percent(disables, managed); g.MaxDisablesPercent > 0 && managed >= minManagedForPercent && pct > g.MaxDisablesPercent {
		errs = append(errs, fmt.Errorf("%w: %d of %d managed accounts (%.1f%%) would be disabled, more than %s.max_disables_percent = %v; "+
			"review the plan, then rerun with --allow-deletes %d or raise the limit", ErrGuard, disables, managed, pct, sec, g.MaxDisablesPercent, allow))
	}
	roles, losing := p.RoleRemovals()
	if o.AllowRoleRemovals > 0 && roles <= o.AllowRoleRemovals {
		roles, losing = 0, 0 // the operator looked at this plan and allowed it
	}
	if g.MaxRoleRemovals > 0 && roles > g.MaxRoleRemovals {
		errs = append(errs, fmt.Errorf("%w: %d role memberships would be removed from %d accounts that keep their account, more than %s.max_role_removals = %d "+
			"(a directory group deleted or emptied by mistake looks like this); review the plan, then rerun with --allow-role-removals %d or raise the limit",
			ErrGuard, roles, losing, sec, g.MaxRoleRemovals, roles))
	}
	if pct := percent(losing, managed); g.MaxRoleRemovalsPercent > 0 && managed >= minManagedForPercent && pct > g.MaxRoleRemovalsPercent {
		errs = append(errs, fmt.Errorf("%w: %d of %d managed accounts (%.1f%%) would lose a role, more than %s.max_role_removals_percent = %v; "+
			"review the plan, then rerun with --allow-role-removals %d or raise the limit", ErrGuard, losing, managed, pct, sec, g.MaxRoleRemovalsPercent, roles))
	}
	return errs
}

func percent(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}
