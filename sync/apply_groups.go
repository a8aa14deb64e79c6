package sync

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

// group creates or adopts the role's group when planned, records its ID,
// then sends the membership changes. It returns how many steps it applied.
func (ap *Applier) group(ctx context.Context, gm targets.GroupManager, g *GroupChange, created map[string]string) (int, error) {
	n := 0
	base := state.Audit{RunID: ap.RunID, Target: ap.Name, Kind: "group", UserName: g.Role}
	if g.Create || g.Adopt {
		id, how, err := ap.ensureGroup(ctx, gm, g)
		if err != nil {
			return n, err
		}
		a := base
		a.Time, a.Action, a.TargetID = ap.Now(), how, id
		a.Reasons = []string{fmt.Sprintf("role %q is held by group %s", g.Role, id)}
		if err := ap.Store.SetGroupID(ctx, ap.Name, g.Role, id, a); err != nil {
			return n, err
		}
		g.GroupID = id
		n++
	}
	add := resolve(g.Add, created)
	remove := resolve(g.Remove, created)
	if len(add) == 0 && len(remove) == 0 {
		return n, nil
	}
	err := gm.ModifyMembers(ctx, g.GroupID, add, remove)
	a := base
	a.Time, a.Action, a.TargetID = ap.Now(), "members", g.GroupID
	a.Detail = fmt.Sprintf("+%d -%d: add %s; remove %s", len(add), len(remove), names(g.Add), names(g.Remove))
	a.Reasons = []string{"group membership follows the role rules"}
	if err != nil {
		a.Error = err.Error()
	}
	if cerr := ap.Store.Commit(ctx, state.Op{Audit: a}); cerr != nil {
		return n, errors.Join(err, cerr)
	}
	if err != nil {
		return n, err
	}
	ap.Log.WithField("role", g.Role).Debugf("group members %+d -%d", len(add), len(remove))
	return n + 1, nil
}

func (ap *Applier) ensureGroup(ctx context.Context, gm targets.GroupManager, g *GroupChange) (id, how string, err error) {
	if g.Adopt && g.GroupID != "" {
		return g.GroupID, "adopt-group", nil
	}
	id, err = gm.CreateGroup(ctx, g.Role)
	if err == nil {
		return id, "create-group", nil
	}
	if !errors.Is(err, targets.ErrConflict) {
		return "", "", err
	}
	// Someone made it since the plan: adopt it by name.
	err = gm.ListGroups(ctx, func(x targets.Group) error {
		if strings.EqualFold(x.DisplayName, g.Role) {
			id = x.ID
		}
		return nil
	})
	if err != nil || id == "" {
		return "", "", fmt.Errorf("create group %q conflicted and it could not be found: %w", g.Role, err)
	}
	return id, "adopt-group", nil
}

// resolve returns the target IDs of the members, taking accounts created in
// this run from created. Members whose account could not be made are left
// out; the next run adds them.
func resolve(ms []Member, created map[string]string) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		id := m.TargetID
		if id == "" {
			id = created[m.SourceID]
		}
		if id != "" {
			out = append(out, id)
		}
	}
	return out
}

func names(ms []Member) string {
	if len(ms) == 0 {
		return "nobody"
	}
	const max = 20
	var b strings.Builder
	for i, m := range ms {
		if i == max {
			fmt.Fprintf(&b, " and %d more", len(ms)-max)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(m.UserName)
	}
	return b.String()
}
