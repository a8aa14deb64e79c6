package sync

import (
	"errors"
	"fmt"
)

// Guards are the limits checked on a whole plan before the first write.
// Breaking one stops the run; it is never retried.
type Guards struct {
	// MaxDeletes is the most accounts one run may disable or delete
	// (leavers and orphans together). Negative: no limit.
	MaxDeletes int `toml:"max_deletes"`
	// MaxDeletesPercent is the same limit as a share of the accounts idsync
	// manages in the target (0–100). Zero: no percentage limit. It applies
	// only once the target has at least 20 managed accounts.
	MaxDeletesPercent float64 `toml:"max_deletes_percent"`
	// MaxSourceShrinkPercent refuses a run whose source has this share fewer
	// in-scope people than the last applied run (0–100). Zero: no limit.
	MaxSourceShrinkPercent float64 `toml:"max_source_shrink_percent"`
	// MaxMissingLinkedPercent refuses a run when this share or more of the
	// accounts idsync has linked in the target are missing from its
	// listing (0–100): a listing cut short (a server capping pages, a
	// wrong totalResults) must not look like deletions. It applies once
	// the target has at least 20 links. Zero: no limit.
	MaxMissingLinkedPercent float64 `toml:"max_missing_linked_percent"`
	// MaxDisables is the most accounts one run may disable (leavers and
	// orphans), counted on their own. Zero or negative: no limit of its
	// own (MaxDeletes still counts them).
	MaxDisables int `toml:"max_disables"`
	// MaxDisablesPercent is MaxDisables as a share of the managed
	// accounts (0–100, from 20 managed accounts). Zero: no limit.
	MaxDisablesPercent float64 `toml:"max_disables_percent"`
	// MaxRoleRemovals is the most role memberships one run may take from
	// accounts it does not disable or delete (a leaver's roles go with the
	// account): a directory group deleted by mistake must not strip
	// hundreds of people of their access. Zero or negative: no limit.
	MaxRoleRemovals int `toml:"max_role_removals"`
	// MaxRoleRemovalsPercent limits the accounts that lose a role, as a
	// share of the managed accounts (0–100, from 20 managed accounts).
	// Zero: no limit.
	MaxRoleRemovalsPercent float64 `toml:"max_role_removals_percent"`
	// Section is the configuration section the limits come from, for
	// messages: "guards" when empty, "target.NAME.guards" for a target's
	// own.
	Section string `toml:"-"`
}

// DefaultGuards are the limits used when the configuration sets none.
var DefaultGuards = Guards{MaxDeletes: 50, MaxDeletesPercent: 10, MaxSourceShrinkPercent: 20, MaxMissingLinkedPercent: 20}

// Validate checks the limits. Messages start with the key.
func (g Guards) Validate() error {
	var errs []error
	if g.MaxDeletesPercent < 0 || g.MaxDeletesPercent > 100 {
		errs = append(errs, fmt.Errorf("max_deletes_percent: must be between 0 and 100, got %v", g.MaxDeletesPercent))
	}
	if g.MaxSourceShrinkPercent < 0 || g.MaxSourceShrinkPercent > 100 {
		errs = append(errs, fmt.Errorf("max_source_shrink_percent: must be between 0 and 100, got %v", g.MaxSourceShrinkPercent))
	}
	if g.MaxMissingLinkedPercent < 0 || g.MaxMissingLinkedPercent > 100 {
		errs = append(errs, fmt.Errorf("max_missing_linked_percent: must be between 0 and 100, got %v", g.MaxMissingLinkedPercent))
	}
	if g.MaxDisablesPercent < 0 || g.MaxDisablesPercent > 100 {
		errs = append(errs, fmt.Errorf("max_disables_percent: must be between 0 and 100, got %v", g.MaxDisablesPercent))
	}
	if g.MaxRoleRemovalsPercent < 0 || g.MaxRoleRemovalsPercent > 100 {
		errs = append(errs, fmt.Errorf("max_role_removals_percent: must be between 0 and 100, got %v", g.MaxRoleRemovalsPercent))
	}
	return errors.Join(errs...)
}

// Overrides loosen the guards for one run, from the command line.
type Overrides struct {
	// AllowDeletes lets up to this many removals (disables and deletes)
	// through the removal and disable limits (0: no override).
	AllowDeletes int
	// AllowRoleRemovals lets up to this many role removals through
	// (0: no override).
	AllowRoleRemovals int
	// AllowShrink lets a shrunken source through.
	AllowShrink bool
	// AllowMissing lets a target listing through that misses more linked
	// accounts than guards.max_missing_linked_percent (each is then read
	// by ID before its link is dropped).
	AllowMissing bool
}

// ErrGuard is wrapped by every guard refusal.
var ErrGuard = errors.New("guard tripped")

// minManagedForPercent is the managed-account count below which the
// percentage limit does not apply: in a ten-person company one leaver is 10%.
const minManagedForPercent = 20

// Check returns an error wrapping ErrGuard when the plan breaks a limit.
// lastCount is the in-scope source count of the last applied run (ok false
// when there was none). The message names the limit, the numbers and how to
// override.
func (g Guards) Check(p *Plan, lastCount int, haveLast bool, o Overrides) error {
	var errs []error
	removals := p.Removals()
	managed := p.Summary.Linked
	if p.Incremental != nil {
		// An incremental plan sees a few people; limits in percent are
		// of every account idsync manages.
		managed = p.Incremental.Linked
	}
	if o.AllowDeletes > 0 && removals <= o.AllowDeletes {
		removals = 0 // the operator looked at this plan and allowed it
	}
	sec := g.section()
	if g.MaxDeletes >= 0 && removals > g.MaxDeletes {
		errs = append(errs, fmt.Errorf("%w: %d accounts would be disabled or deleted, more than %s.max_deletes = %d; "+
			"review the plan, then rerun with --allow-deletes %d or raise the limit", ErrGuard, removals, sec, g.MaxDeletes, removals))
	}
	if g.MaxDeletesPercent > 0 && managed >= minManagedForPercent {
		pct := 100 * float64(removals) / float64(managed)
		if pct > g.MaxDeletesPercent {
			errs = append(errs, fmt.Errorf("%w: %d of %d managed accounts (%.1f%%) would be disabled or deleted, more than %s.max_deletes_percent = %v; "+
				"review the plan, then rerun with --allow-deletes %d or raise the limit", ErrGuard, removals, managed, pct, sec, g.MaxDeletesPercent, removals))
		}
	}
	errs = append(errs, g.checkFiner(p, managed, o)...)
	now := p.Summary.InScope
	// An incremental plan does not count the source: a person it finds
	// gone is a leaver the removal limits above count.
	if haveLast && lastCount > 0 && !o.AllowShrink && p.Incremental == nil {
		shrink := 100 * float64(lastCount-now) / float64(lastCount)
		if g.MaxSourceShrinkPercent > 0 && shrink > g.MaxSourceShrinkPercent {
			errs = append(errs, fmt.Errorf("%w: the source has %d people in scope, %.1f%% fewer than the %d of the last applied run, more than "+g.section()+".max_source_shrink_percent = %v; "+
				"check the source (base DN, filter, permissions), then rerun with --allow-shrink if the drop is real", ErrGuard, now, shrink, lastCount, g.MaxSourceShrinkPercent))
		}
		if now == 0 && g.MaxSourceShrinkPercent == 0 {
			errs = append(errs, fmt.Errorf("%w: the source returned nobody in scope, the last applied run had %d; rerun with --allow-shrink if that is real", ErrGuard, lastCount))
		}
	}
	return errors.Join(errs...)
}

// CheckListing returns an error wrapping ErrGuard when a target listing
// shows far fewer of the accounts idsync has linked (links) than the state
// records: seen of them were listed. The message says what was seen
// against what is recorded, and how to override.
func (g Guards) CheckListing(links, seen int, o Overrides) error {
	if o.AllowMissing || g.MaxMissingLinkedPercent <= 0 || links < minManagedForPercent {
		return nil
	}
	missing := links - seen
	pct := 100 * float64(missing) / float64(links)
	if pct < g.MaxMissingLinkedPercent {
		return nil
	}
	return fmt.Errorf("%w: the target listed %d of the %d accounts idsync has linked (%d missing, %.1f%%), at least "+g.section()+".max_missing_linked_percent = %v; "+
		"the listing may be cut short (a server capping its pages or misreporting totalResults); nothing was planned or changed; "+
		"check the target, then rerun with --allow-missing if the accounts are really gone (each is read by ID before its link is dropped)",
		ErrGuard, seen, links, missing, pct, g.MaxMissingLinkedPercent)
}
