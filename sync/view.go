package sync

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

// checkListing compares the target's listing with the links the state
// holds, before anything is planned:
//   - an account listed twice means the server repeated a page (one that
//     ignores startIndex returns its first page again): the run stops;
//   - when far more linked accounts are missing from the listing than
//     Guards.MaxMissingLinkedPercent allows, the listing is taken as cut
//     short and the run stops, unless Overrides.AllowMissing;
//   - each remaining linked account missing from the listing is read by ID
//     (when the target is a targets.Getter): one that exists is added to
//     the listing, so only an account really gone loses its link; an
//     answer with another account stops the run.
func (r *Runner) checkListing(ctx context.Context, t TargetSpec, o Overrides, v *targetView) error {
	seen := make(map[string]bool, v.accounts.Len())
	for i := range int32(v.accounts.Len()) {
		id := v.accounts.ID(i)
		if seen[id] {
			return fmt.Errorf("%w: the target listed account %s (%q) twice; it may ignore startIndex and repeat a page, "+
				"so its listing cannot be trusted (nothing was planned or changed)", ErrGuard, id, v.accounts.UserName(i))
		}
		seen[id] = true
	}
	var missing []string
	for _, l := range v.links {
		if !seen[l.TargetID] {
			missing = append(missing, l.TargetID)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if err := t.Guards.CheckListing(len(v.links), len(v.links)-len(missing), o); err != nil {
		return err
	}
	g, ok := t.Target.(targets.Getter)
	if !ok {
		return nil
	}
	found := 0
	for _, id := range missing {
		a, err := g.Get(ctx, id)
		if errors.Is(err, targets.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read linked account %s missing from the listing: %w (nothing was planned or changed)", id, err)
		}
		if a.ID != id || seen[a.ID] {
			return fmt.Errorf("read linked account %s missing from the listing: the target answered with account %q (%q); "+
				"its answers cannot be trusted (nothing was planned or changed)", id, a.ID, a.UserName)
		}
		seen[a.ID] = true
		v.accounts.Add(a)
		found++
	}
	if found > 0 {
		r.Log.WithField("target", t.Name).Warnf("%d linked accounts missing from the target's listing exist when read by ID; the listing is incomplete", found)
	}
	return nil
}

// pendingAudit returns target's audit rows whose write was never
// completed.
func (r *Runner) pendingAudit(ctx context.Context, target string) ([]state.Audit, error) {
	var out []state.Audit
	err := r.Store.Audit(ctx, state.AuditFilter{Target: target, Status: state.AuditPending}, func(a state.Audit) error {
		out = append(out, a)
		return nil
	})
	return out, err
}

// pendingWarnings describes pending audit rows for the plan.
func pendingWarnings(pending []state.Audit) []string {
	if len(pending) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d target writes of earlier runs have no recorded outcome (idsync stopped, or the state store failed, "+
		"between the write and its record); this plan reconciles those accounts with what the target holds, and "+
		"`idsync audit` shows them as pending until an apply settles them:", len(pending))
	for i, a := range pending {
		if i == 10 {
			fmt.Fprintf(&b, " and %d more", len(pending)-10)
			break
		}
		fmt.Fprintf(&b, " [audit %d, run %d: %s %s %q]", a.ID, a.RunID, a.Kind, a.Action, a.UserName)
	}
	return []string{b.String()}
}

// settlePending marks the pending rows this apply reported unconfirmed.
func (r *Runner) settlePending(ctx context.Context, target string, runID int64, pending []state.Audit) error {
	if len(pending) == 0 {
		return nil
	}
	upTo := pending[len(pending)-1].ID
	note := fmt.Sprintf("outcome never recorded; reported by run %d, whose plan reconciled the account with the target", runID)
	_, err := r.Store.SettlePending(ctx, target, upTo, note)
	return err
}

// idTable finds the target's own copy of an account ID, so that the group
// members and the links of a run hold the listing's strings instead of
// copies of them: at 100,000 accounts in 1,000 groups the copies are tens
// of megabytes held for the whole plan. It is dropped once the view is
// built.
type idTable struct {
	accounts *Listing
	byID     map[string]int32
}

func newIDTable(accounts *Listing) idTable {
	t := idTable{accounts: accounts, byID: make(map[string]int32, accounts.Len())}
	for i := range accounts.accounts {
		t.byID[accounts.accounts[i].ID] = int32(i)
	}
	return t
}

// share returns the listing's copy of id, or id when no account has it.
func (t idTable) share(id string) string {
	if i, ok := t.byID[id]; ok {
		return t.accounts.ID(i)
	}
	return id
}

// shareLink makes l hold the listing's copies of the strings its account
// has equal: the ID, and the userName and source ID when the account's
// userName and externalId are the same (as idsync writes them).
func (t idTable) shareLink(l *state.PlanLink) {
	i, ok := t.byID[l.TargetID]
	if !ok {
		return
	}
	a := &t.accounts.accounts[i]
	l.TargetID = a.ID
	if a.UserName == l.UserName {
		l.UserName = a.UserName
	}
	if a.ExternalID == l.SourceID {
		l.SourceID = a.ExternalID
	}
}

// shareMembers replaces the member IDs of groups with the listing's
// copies; the groups' slices are the caller's, written in place.
func (t idTable) shareMembers(groups []targets.Group) {
	for gi := range groups {
		members := groups[gi].Members
		for i, m := range members {
			members[i] = t.share(m)
		}
	}
}

// planLinks returns what planning reads of links.
func planLinks(links []state.Link) []state.PlanLink {
	out := make([]state.PlanLink, len(links))
	for i, l := range links {
		out[i] = state.PlanLink{SourceID: l.SourceID, TargetID: l.TargetID, UserName: l.UserName, DN: l.DN, Active: l.Active, Updated: l.Updated}
	}
	return out
}
