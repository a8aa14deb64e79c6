package sync

import (
	"context"
	"errors"
	"fmt"

	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

// adoptOnConflict handles a create the target refused because the userName
// exists (the refusal is already recorded). The existing account is looked
// up and, never duplicated:
//   - unlinked, or linked to this person already: adopted (linked, updated);
//   - linked to a person gone from the source and disabled: rehired
//     (updated, re-activated, and its link moved to this person in one
//     commit);
//   - protected (Policy.Protect): left alone, and the create stays refused;
//   - linked to a person still in the source, or still active (the
//     leaver's disable or delete was not applied): left alone, and the
//     create stays refused.
func (ap *Applier) adoptOnConflict(ctx context.Context, c *Change, conflict error) (string, error) {
	f, ok := ap.Target.(targets.Finder)
	if !ok {
		return "", fmt.Errorf("%w; the next run correlates the existing account", conflict)
	}
	acc, err := f.FindByUserName(ctx, c.After.UserName)
	if err != nil {
		return "", fmt.Errorf("create conflicted and the existing account was not found: %w", err)
	}
	if why, err := ap.protectedAt(ctx, &acc); err != nil || why != "" {
		if err != nil {
			return "", err
		}
		return "", fmt.Errorf("userName %q is taken by account %s, which is protected (%s): idsync never adopts or changes it: %w",
			c.After.UserName, acc.ID, why, conflict)
	}
	if err := ap.flush(ctx); err != nil {
		return "", err
	}
	owner, err := ap.Store.LinkOf(ctx, ap.Name, acc.ID)
	switch {
	case errors.Is(err, state.ErrNotFound) || err == nil && owner.SourceID == c.SourceID:
		c.Kind, c.Action = Adopt, Link
		c.Reasons = append(c.Reasons, fmt.Sprintf("create refused (userName exists); adopted account %s", acc.ID))
	case err != nil:
		return "", err
	case ap.InSource != nil && ap.InSource(owner.SourceID):
		return "", fmt.Errorf("userName %q is taken by account %s, linked to source person %s (%s) who is still in the source: %w",
			c.After.UserName, acc.ID, owner.SourceID, owner.DN, conflict)
	case ap.Rehire == RehireOff:
		return "", fmt.Errorf("userName %q is taken by the disabled account %s of source person %s (%s), gone from the source; "+
			"rehire = \"off\" keeps it from being taken over: %w", c.After.UserName, acc.ID, owner.SourceID, owner.DN, conflict)
	case acc.Active:
		return "", fmt.Errorf("userName %q is taken by account %s of source person %s (%s), gone from the source but still active "+
			"(its leaver change was not applied); it is rehired only once disabled: %w",
			c.After.UserName, acc.ID, owner.SourceID, owner.DN, conflict)
	default:
		c.Kind, c.Action, c.PreviousSourceID = Rehire, Relink, owner.SourceID
		c.Reasons = append(c.Reasons, rehireReason(owner.SourceID, owner.DN, acc.ID, "create refused (userName exists)"))
	}
	c.TargetID, c.Before = acc.ID, &acc
	update := func(ctx context.Context) error { return ap.Target.Update(ctx, acc.ID, *c.After) }
	err = ap.send(ctx, c, c.Action, update, func() state.Op {
		return state.Op{Link: ap.link(c, acc.ID, true), Replaces: c.PreviousSourceID}
	})
	if err != nil {
		return "", err
	}
	return acc.ID, nil
}

// rehireReason says which identity and account a rehire takes over.
func rehireReason(oldSource, oldDN, accountID, how string) string {
	s := fmt.Sprintf("rehire: %s; account %s of source person %s", how, accountID, oldSource)
	if oldDN != "" {
		s += " (last seen as " + oldDN + ")"
	}
	return s + ", gone from the source, is linked to this person, re-activated and given this person's roles"
}
