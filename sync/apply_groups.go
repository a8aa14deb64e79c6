package sync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

// Group audit actions: the audit rows of kind "group".
const (
	auditCreateGroup   = "create-group"
	auditAdoptGroup    = "adopt-group"
	auditAddMembers    = "add-members"
	auditRemoveMembers = "remove-members"
)

func (ap *Applier) groupAudit(g *GroupChange, action string) state.Audit {
	return state.Audit{RunID: ap.RunID, Time: ap.Now(), Target: ap.Name, Kind: "group", Action: action,
		UserName: g.Role, TargetID: g.GroupID}
}

// write records the intent a, calls call, and completes the row with the
// outcome. It returns call's error, or the store's.
func (ap *Applier) write(ctx context.Context, a state.Audit, call func(context.Context) error) error {
	id, err := ap.begin(ctx, a)
	if err != nil {
		return fmt.Errorf("record the intent of %s %q: %w", a.Action, a.UserName, err)
	}
	a.ID = id
	if werr := ap.slots.send(ctx, call); werr != nil {
		return ap.refused(ctx, a, werr, false)
	}
	a.Status = state.AuditApplied
	return ap.hold(ctx, state.Op{Audit: a})
}

// revoke removes the members that lose the role, before any account is
// disabled or deleted.
func (ap *Applier) revoke(ctx context.Context, gm targets.GroupManager, g *GroupChange, r *applyRun) error {
	if len(g.Remove) == 0 || g.GroupID == "" {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	ids := make([]string, 0, len(g.Remove))
	for _, m := range g.Remove {
		ids = append(ids, m.TargetID)
	}
	a := ap.groupAudit(g, auditRemoveMembers)
	a.Detail = fmt.Sprintf("-%d: %s", len(ids), names(g.Remove))
	a.Reasons = []string{"no rule gives these accounts the role any more, or they are leavers"}
	a.Members = r.auditMembers(g.Role, g.Remove, ids, false)
	err := ap.write(ctx, a, func(ctx context.Context) error { return gm.ModifyMembers(ctx, g.GroupID, nil, ids) })
	return r.settle(fmt.Sprintf("remove %d from group %q", len(ids), g.Role), err)
}

// grant creates or adopts the role's group when planned, records its ID,
// then adds the members whose accounts exist. A refused group create means
// its members are not sent; members whose own account change was not
// applied are left out. Both are recorded as refused.
func (ap *Applier) grant(ctx context.Context, gm targets.GroupManager, g *GroupChange, r *applyRun) error {
	if !g.Create && !g.Adopt && len(g.Add) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if g.Create || g.Adopt {
		err := ap.ensureGroup(ctx, gm, g)
		if err := r.settle(fmt.Sprintf("create group %q", g.Role), err); err != nil {
			return err
		}
		if err != nil {
			return ap.notSent(ctx, g, g.Add, fmt.Sprintf("group %q was not created: %v", g.Role, err), r)
		}
	}
	add, ids, skipped := ap.resolve(g.Add, r)
	if len(skipped) > 0 {
		if err := ap.notSent(ctx, g, skipped, "their own account change was not applied", r); err != nil {
			return err
		}
	}
	if len(ids) == 0 {
		return nil
	}
	a := ap.groupAudit(g, auditAddMembers)
	a.Detail = fmt.Sprintf("+%d: %s", len(ids), names(add))
	a.Reasons = r.roleReasons(g.Role, add)
	a.Members = r.auditMembers(g.Role, add, ids, true)
	err := ap.write(ctx, a, func(ctx context.Context) error { return gm.ModifyMembers(ctx, g.GroupID, ids, nil) })
	return r.settle(fmt.Sprintf("add %d to group %q", len(ids), g.Role), err)
}

// notSent records members not added to g's group because of why, as one
// refused step.
func (ap *Applier) notSent(ctx context.Context, g *GroupChange, ms []Member, why string, r *applyRun) error {
	if len(ms) == 0 {
		return nil
	}
	a := ap.groupAudit(g, auditAddMembers)
	a.Status, a.Error = state.AuditRefused, "not sent: "+why
	a.Detail = fmt.Sprintf("+%d not sent: %s", len(ms), names(ms))
	a.Reasons = r.roleReasons(g.Role, ms)
	a.Members = r.auditMembers(g.Role, ms, nil, true)
	if err := ap.flush(ctx); err != nil {
		return err
	}
	if err := ap.Store.Commit(ctx, state.Op{Audit: a}); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Failed++
	r.res.Refused++
	r.res.Errors = append(r.res.Errors, fmt.Sprintf("add %d to group %q: not sent: %s", len(ms), g.Role, why))
	return nil
}

// ensureGroup creates or adopts the role's group and records its ID.
func (ap *Applier) ensureGroup(ctx context.Context, gm targets.GroupManager, g *GroupChange) error {
	if g.Adopt && g.GroupID != "" {
		return ap.recordGroup(ctx, g, g.GroupID, auditAdoptGroup, "an existing group with the role's name is taken over")
	}
	a := ap.groupAudit(g, auditCreateGroup)
	a.Reasons = []string{fmt.Sprintf("role %q has no group in the target yet", g.Role)}
	id, err := ap.begin(ctx, a)
	if err != nil {
		return fmt.Errorf("record the intent of creating group %q: %w", g.Role, err)
	}
	a.ID = id
	var gid string
	werr := ap.slots.send(ctx, func(ctx context.Context) (err error) {
		gid, err = gm.CreateGroup(ctx, g.Role)
		return err
	})
	if werr != nil {
		if err := ap.refused(ctx, a, werr, false); !errors.Is(werr, targets.ErrConflict) || !errors.Is(err, werr) {
			return err
		}
		// Someone made it since the plan: adopt it by name.
		found, err := findGroup(ctx, gm, g.Role)
		if err != nil {
			return err
		}
		return ap.recordGroup(ctx, g, found, auditAdoptGroup, "create refused (a group with the role's name exists); adopted it")
	}
	a.Status, a.TargetID = state.AuditApplied, gid
	a.Reasons = append(a.Reasons, fmt.Sprintf("role %q is held by group %s", g.Role, gid))
	// The group exists in the target: its ID is recorded even when ctx
	// was cancelled.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := ap.Store.SetGroupID(sctx, ap.Name, g.Role, gid, a); err != nil { // nothing is held: begin took it
		return err
	}
	g.GroupID = gid
	return nil
}

func (ap *Applier) recordGroup(ctx context.Context, g *GroupChange, id, action, why string) error {
	a := ap.groupAudit(g, action)
	a.TargetID = id
	a.Reasons = []string{why, fmt.Sprintf("role %q is held by group %s", g.Role, id)}
	if err := ap.flush(ctx); err != nil {
		return err
	}
	if err := ap.Store.SetGroupID(ctx, ap.Name, g.Role, id, a); err != nil {
		return err
	}
	g.GroupID = id
	return nil
}

func findGroup(ctx context.Context, gm targets.GroupManager, role string) (string, error) {
	id := ""
	err := gm.ListGroups(ctx, func(x targets.Group) error {
		if strings.EqualFold(x.DisplayName, role) {
			id = x.ID
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("create group %q conflicted and listing groups failed: %w", role, err)
	}
	if id == "" {
		return "", fmt.Errorf("create group %q conflicted and no group has that name: %w", role, targets.ErrRejected)
	}
	return id, nil
}

// resolve returns the members to add with their target IDs (accounts
// created in this run taken from r.made), and those left out because their
// account change was not applied.
func (ap *Applier) resolve(ms []Member, r *applyRun) (sent []Member, ids []string, skipped []Member) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range ms {
		id := m.TargetID
		if m.SourceID != "" {
			if _, bad := r.notDone[m.SourceID]; bad {
				skipped = append(skipped, m)
				continue
			}
			if made := r.made[m.SourceID]; made != "" {
				id = made
			}
		}
		if id == "" {
			skipped = append(skipped, m)
			continue
		}
		sent = append(sent, m)
		ids = append(ids, id)
	}
	return sent, ids, skipped
}

// roleReasons says why the members get the role: the first few of them,
// with the rule behind each.
func (r *applyRun) roleReasons(role string, ms []Member) []string {
	out := []string{"group membership follows the role rules"}
	const max = 20
	for i, m := range ms {
		if i == max {
			out = append(out, fmt.Sprintf("and %d more", len(ms)-max))
			break
		}
		why := "the rules give this role"
		if c := r.bySource[m.SourceID]; c != nil {
			for _, rc := range c.RolesAdded {
				if rc.Role == role {
					why = rc.Reason
				}
			}
		}
		out = append(out, fmt.Sprintf("+%s: %s", m.UserName, why))
	}
	return out
}

// auditMembers lists the members of a group change for its audit row
// (what "report access" replays): each with the account ID sent (ids[i],
// when ids is set) and the rule that gives or takes the role.
func (r *applyRun) auditMembers(role string, ms []Member, ids []string, added bool) []state.AuditMember {
	out := make([]state.AuditMember, len(ms))
	for i, m := range ms {
		id := m.TargetID
		if ids != nil {
			id = ids[i]
		}
		why := "no rule gives this role any more"
		if added {
			why = "the rules give this role"
		}
		if c := r.bySource[m.SourceID]; c != nil {
			list := c.RolesRemoved
			if added {
				list = c.RolesAdded
			}
			for _, rc := range list {
				if rc.Role == role {
					why = rc.Reason
				}
			}
		}
		out[i] = state.AuditMember{SourceID: m.SourceID, TargetID: id, UserName: m.UserName, Reason: why}
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
