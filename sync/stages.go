package sync

import (
	"fmt"
	"time"
)

// Leavers in stages (Policy.DeleteAfter): a leaver's account is disabled
// at once and deleted once it has been disabled for the retention period,
// counted from the disable idsync recorded (the link turned inactive, its
// Updated time). Until then the plan lists it as a report ("will be
// deleted on DATE"); a person who comes back before is an ordinary mover
// whose account is re-enabled, not recreated.

// staged reports whether p's account, once disabled, is deleted after the
// retention period.
func (b *builder) staged(p *person) bool {
	return b.in.Policy.Leavers != "delete" && b.in.Policy.DeleteAfter > 0 && !b.keepInactive(p)
}

// keepInactive reports whether p is a person disabled in the source whose
// account the policy keeps, inactive (disabled_people = create-inactive):
// it is disabled, never deleted.
func (b *builder) keepInactive(p *person) bool {
	return p.p.InScope && p.p.Disabled && (b.in.Policy.DisabledPeople == DisabledCreateInactive || b.startsLater(p))
}

// deleteDue returns when p's disabled account is to be deleted; ok is
// false when the account is not (or not known to be) disabled by idsync.
func (b *builder) deleteDue(p *person) (since, due time.Time, ok bool) {
	if !b.staged(p) || p.acct < 0 || b.list.Active(p.acct) || p.link == nil || p.link.Active {
		return time.Time{}, time.Time{}, false
	}
	since = p.link.Updated
	return since, since.Add(b.in.Policy.DeleteAfter), true
}

// stagedDelete reports whether p's account was disabled long enough ago to
// be deleted now, and says so in c.
func (b *builder) stagedDelete(p *person, c *Change) bool {
	since, due, ok := b.deleteDue(p)
	if !ok || b.in.Now.Before(due) {
		return false
	}
	c.Reasons = append(c.Reasons, fmt.Sprintf("disabled on %s, more than delete_after = %s ago",
		day(since), FormatRetention(b.in.Policy.DeleteAfter)))
	return true
}

// pendingDelete plans, for a leaver whose account is already disabled and
// whose deletion is staged, what is left to do: a report that says when
// the account will be deleted, or, for an account someone else disabled
// (idsync has not recorded the disable), a record that starts the
// retention period now.
func (b *builder) pendingDelete(p *person, c *Change) bool {
	if !b.staged(p) || p.acct < 0 || b.list.Active(p.acct) || p.link == nil {
		return false
	}
	if p.link.Active {
		c.Action = Record
		c.Reasons = append(c.Reasons, fmt.Sprintf("the account is already disabled in the target; the retention period starts now: it will be deleted on %s",
			day(b.in.Now.Add(b.in.Policy.DeleteAfter))))
		return true
	}
	c.Action = Report
	return true
}

// noteStage adds to a leaver's disable, or to the report of an account
// waiting for its deletion, the day it will be deleted.
func (b *builder) noteStage(p *person, c *Change) {
	if !b.staged(p) {
		return
	}
	switch {
	case c.Action == Disable:
		c.DeleteOn = b.in.Now.Add(b.in.Policy.DeleteAfter)
		c.Reasons = append(c.Reasons, fmt.Sprintf("will be deleted on %s (delete_after = %s)",
			day(b.in.Now.Add(b.in.Policy.DeleteAfter)), FormatRetention(b.in.Policy.DeleteAfter)))
	case c.Action == Report || c.Action == Roles:
		if since, due, ok := b.deleteDue(p); ok {
			c.DeleteOn = due
			c.Reasons = append(c.Reasons, fmt.Sprintf("disabled on %s; will be deleted on %s (delete_after = %s)",
				day(since), day(due), FormatRetention(b.in.Policy.DeleteAfter)))
		}
	}
}

// day formats t as a date in UTC.
func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// FormatRetention writes a retention period in whole days ("90d") when it
// is one, else as time.Duration does.
func FormatRetention(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

// createInactive reports whether p, disabled in the source and without an
// account, gets one created inactive (disabled_people = create-inactive).
func (b *builder) createInactive(p *person) bool {
	if !b.keepInactive(p) || p.acct >= 0 || p.link != nil {
		return false
	}
	if b.startsLater(p) { // only within provision_before of the start
		return b.in.Policy.ProvisionBefore > 0 && !b.in.Now.Before(p.p.StartDate.Add(-b.in.Policy.ProvisionBefore))
	}
	return true
}

// inactiveJoiner plans the inactive account of a person disabled in the
// source: created with active=false and no roles.
func (b *builder) inactiveJoiner(out *changeList, p *person) {
	after := p.desired()
	after.Active = false
	out.add(Change{Kind: Joiner, Action: Create, SourceID: p.p.SourceID, DN: p.p.DN,
		UserName: after.UserName, After: &after, Reasons: []string{b.inactiveWhy(p, "created")}})
}

// inactiveWhy says why p's account is made (done: "created", "adopted")
// inactive.
func (b *builder) inactiveWhy(p *person, done string) string {
	if b.startsLater(p) {
		return withRule(fmt.Sprintf("starts on %s; %s inactive ahead (provision_before = %s) and activated on that day",
			day(p.p.StartDate), done, FormatRetention(b.in.Policy.ProvisionBefore)), b.rule("start_date"))
	}
	return withRule("disabled in the source; "+done+" inactive (disabled_people = \"create-inactive\")", b.rule("disabled"))
}

// inactiveAdopt plans the adoption of the unlinked account that matches
// a person whose account would be created inactive (createInactive):
// linked, updated to the rules and kept inactive, without roles.
func (b *builder) inactiveAdopt(out *changeList, p *person) {
	a := b.list.Account(p.acct)
	want := p.desired()
	want.Active = false
	after := b.merge(*a, want)
	after.Active = false
	why := b.inactiveWhy(p, "adopted")
	c := Change{Kind: Adopt, Action: Link, SourceID: p.p.SourceID, DN: p.p.DN, TargetID: a.ID,
		UserName: after.UserName, Before: a, After: &after, Reasons: []string{p.adoptWhy, why}}
	for _, d := range b.attrDiff(p.acct, want) {
		if d.Path != "active" {
			c.Attrs = append(c.Attrs, d)
		}
	}
	if a.Active {
		c.Attrs = append([]AttrChange{{Path: "active", Before: "true", After: "false", Rule: why}}, c.Attrs...)
	}
	c.RolesRemoved = b.roleLoss(p, p.acct)
	out.add(c)
}

// startsLater reports whether p's start date is still to come.
func (b *builder) startsLater(p *person) bool {
	return !p.p.StartDate.IsZero() && b.in.Now.Before(p.p.StartDate)
}

// dateReason says why p, disabled, is so by a date, "" when the dates
// have nothing to do with it.
func (b *builder) dateReason(p *person) string {
	switch {
	case b.startsLater(p):
		return withRule("starts on "+day(p.p.StartDate)+"; kept inactive until then", b.rule("start_date"))
	case !p.p.EndDate.IsZero() && !b.in.Now.Before(p.p.EndDate):
		return withRule("end date "+p.p.EndDate.UTC().Format("2006-01-02 15:04 MST")+" passed", b.rule("end_date"))
	}
	return ""
}
