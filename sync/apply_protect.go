package sync

import (
	"context"
	"fmt"

	"github.com/idsync/idsync/targets"
)

// protectedAt returns why the account acc, found at apply time rather than
// in the plan (a create refused because its userName exists), is protected
// by the target's Policy.Protect, "" when it is not. Planning turns changes
// to protected accounts into reports; this is the same check for an
// account the plan did not know. With protect.groups set, the target's
// groups are listed to see whether acc is a member of a protected one; a
// target whose groups cannot be listed cannot tell, and acc counts as
// protected: it is left alone rather than taken over by mistake.
func (ap *Applier) protectedAt(ctx context.Context, acc *targets.Account) (string, error) {
	pr := ap.Protect
	if why := pr.matchAccount(acc); why != "" || len(pr.Groups) == 0 {
		return why, nil
	}
	gm, ok := ap.Target.(targets.GroupManager)
	if !ok {
		return "protect.groups is set and the target's groups cannot be listed", nil
	}
	why := ""
	err := gm.ListGroups(ctx, func(g targets.Group) error {
		pat, ok := matchAny(pr.Groups, g.DisplayName)
		if !ok || why != "" {
			return nil
		}
		for _, m := range g.Members {
			if m == acc.ID {
				why = fmt.Sprintf("protect.groups %q: member of %s", pat, g.DisplayName)
				break
			}
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("list groups to check protect.groups: %w", err)
	}
	return why, nil
}
