package sync

import (
	"time"

	"github.com/idsync/idsync/state"
)

// Dated events happen with nobody touching the directory: a joiner's
// account is made ahead of their start date (Policy.ProvisionBefore) and
// activated on the day, a contractor leaves at their end date, a disabled
// leaver's account is deleted once Policy.DeleteAfter has passed. Every run
// plans those that are due as of its own time; Outcome.NextDue says when
// the next one falls, so that a daemon can run then.

// nextDue returns the earliest dated event after now for target t, given
// the people as t's rules mapped them, its view and its plan (nil when it
// was not planned: the deletions its disables start); zero when there is
// none. An incremental run's people and view are those of the people it
// touched: its next event is theirs.
func nextDue(now time.Time, people []peopleDates, t TargetSpec, v *targetView, p *Plan) time.Time {
	var next time.Time
	consider := func(at time.Time) {
		if at.After(now) && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	var kept map[string]bool // people whose inactive account is never deleted
	for _, p := range people {
		if p.kept {
			if kept == nil {
				kept = map[string]bool{}
			}
			kept[p.id] = true
		}
		if !p.start.IsZero() {
			consider(p.start)
			if t.Policy.ProvisionBefore > 0 {
				consider(p.start.Add(-t.Policy.ProvisionBefore))
			}
		}
		if !p.end.IsZero() {
			consider(p.end)
		}
	}
	if v != nil {
		for _, l := range v.links {
			if at, ok := DeleteDue(t.Policy, l); ok && !kept[l.SourceID] {
				consider(at)
			}
		}
	}
	if p != nil {
		for i := range p.Changes {
			if c := &p.Changes[i]; c.Action == Disable {
				consider(c.DeleteOn) // zero when the deletion is not staged
			}
		}
	}
	return next
}

// DeleteDue returns when the account of link l is to be deleted under
// pol: for an inactive link (idsync disabled the account) of a target
// whose leavers are deleted in stages, the disable's time plus
// pol.DeleteAfter. ok is false when the account waits for no deletion.
func DeleteDue(pol Policy, l state.PlanLink) (at time.Time, ok bool) {
	if pol.DeleteAfter <= 0 || pol.Leavers == "delete" || l.Active {
		return time.Time{}, false
	}
	return l.Updated.Add(pol.DeleteAfter), true
}

// peopleDates are the dates of one person, and whether the policy keeps
// their account inactive rather than deleting it (builder.keepInactive).
type peopleDates struct {
	id         string
	start, end time.Time
	kept       bool
}

// datesOf lists the people of src that have dates, or whose account pol
// keeps inactive, as of now.
func datesOf(src source, pol Policy, now time.Time) []peopleDates {
	var out []peopleDates
	for i := range src.people {
		p := &src.people[i]
		kept := p.InScope && p.Disabled && (pol.DisabledPeople == DisabledCreateInactive || now.Before(p.StartDate))
		if !p.StartDate.IsZero() || !p.EndDate.IsZero() || kept {
			out = append(out, peopleDates{id: p.SourceID, start: p.StartDate, end: p.EndDate, kept: kept})
		}
	}
	return out
}

// earliest returns the earlier of two times, a zero one counting as none.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || !b.IsZero() && b.Before(a) {
		return b
	}
	return a
}
