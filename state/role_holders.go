package state

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
)

// RoleHolder is a linked person idsync made a member of a role's group in
// a target.
type RoleHolder struct {
	Role     string
	SourceID string
	TargetID string
	UserName string
}

// RoleHolders lists who holds each role in target as idsync wrote it: the
// target's group records of the audit replayed in ID order (members added
// and removed; a refused or failed write changed nothing, a pending or
// unconfirmed one counts), joined with the target's links (a member not
// linked to a source person is left out). It reads neither the target
// nor the chain: a member added in the target by hand, or whose record was
// pruned by the retention or had its members redacted, is not known. The
// holders come sorted by role and source ID.
func (s *Store) RoleHolders(ctx context.Context, target string) ([]RoleHolder, error) {
	if err := needTarget("role holders", target); err != nil {
		return nil, err
	}
	members, err := s.groupMembers(ctx, target)
	if err != nil {
		return nil, fmt.Errorf("state: role holders of %s: %w", target, err)
	}
	var out []RoleHolder
	err = s.PlanLinks(ctx, target, func(l PlanLink) error {
		for role, ids := range members {
			if ids[l.TargetID] {
				out = append(out, RoleHolder{Role: role, SourceID: l.SourceID, TargetID: l.TargetID, UserName: l.UserName})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("state: role holders of %s: %w", target, err)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Role != out[j].Role {
			return out[i].Role < out[j].Role
		}
		return out[i].SourceID < out[j].SourceID
	})
	return out, nil
}

// groupMembers replays target's membership records: role -> member
// account IDs.
func (s *Store) groupMembers(ctx context.Context, target string) (map[string]map[string]bool, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT action, user_name, coalesce(members, '') FROM audit
		WHERE kind = 'group' AND target = ? AND action IN ('add-members', 'remove-members')
		AND status NOT IN (?, ?) ORDER BY id`, target, AuditRefused, AuditFailed)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]map[string]bool{}
	for rows.Next() {
		var action, role, members string
		if err := rows.Scan(&action, &role, &members); err != nil {
			return nil, err
		}
		if members == "" || role == "" {
			continue
		}
		var ms []storedMember
		if err := json.Unmarshal([]byte(members), &ms); err != nil {
			return nil, fmt.Errorf("members of a %s record: %w", action, err)
		}
		if out[role] == nil {
			out[role] = map[string]bool{}
		}
		for _, m := range ms {
			switch {
			case m.TargetID == "":
			case action == "add-members":
				out[role][m.TargetID] = true
			default:
				delete(out[role], m.TargetID)
			}
		}
	}
	return out, rows.Err()
}
