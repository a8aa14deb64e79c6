package scim

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/idsync/idsync/targets"
)

// ListGroups calls fn exactly once for each group with the ids of its
// members (members[].value, duplicates removed). Its paging is List's.
// On a profile whose group reads list no members (aws-identity-center)
// the members are read with the member filter instead, one request per
// group and user (see listGroupsByFilter): never taken as empty.
func (c *Client) ListGroups(ctx context.Context, fn func(targets.Group) error) error {
	if err := c.discover(ctx); err != nil {
		return err
	}
	if c.cfg.profile.GroupMembersUnlisted {
		return c.listGroupsByFilter(ctx, fn)
	}
	return listResources(ctx, c, "/Groups", nil, (*group).id, func(r *group) error {
		g := targets.Group{ID: string(r.ID), DisplayName: string(r.DisplayName)}
		seen := make(map[scalar]bool, len(r.Members))
		for _, m := range r.Members {
			if m.Value != "" && !seen[m.Value] {
				seen[m.Value] = true
				g.Members = append(g.Members, string(m.Value))
			}
		}
		return fn(g)
	})
}

// CreateGroup POSTs an empty group. A 409 wraps targets.ErrConflict; a
// refusal (400 or another 4xx, or a SCIM error with a success status)
// wraps targets.ErrRejected with the status and the server's detail.
func (c *Client) CreateGroup(ctx context.Context, displayName string) (string, error) {
	body := newGroup{Schemas: []string{schemaGroup}, DisplayName: displayName}
	return c.create(ctx, request{method: http.MethodPost, path: "/Groups", body: body})
}

// ModifyMembers removes and adds members of groupID with PATCH requests of
// at most max_members_per_patch member changes each: removals first, as
// `members[value eq "id"]` operations, then additions as one "add" of a
// value array per request. A 404 wraps targets.ErrNotFound. When a request
// fails the earlier ones have been applied; repeating the call converges.
func (c *Client) ModifyMembers(ctx context.Context, groupID string, add, remove []string) error {
	if groupID == "" {
		return errors.New("scim: modify members: empty group id")
	}
	add, remove = dedupe(add), dedupe(remove)
	if limit := c.MaxGroupMembers(); limit > 0 && len(add) > limit {
		return fmt.Errorf("scim: group %s: adding %d members passes the limit of %d members (max_group_members): %w",
			groupID, len(add), limit, targets.ErrRejected)
	}
	type change struct {
		id  string
		add bool
	}
	changes := make([]change, 0, len(add)+len(remove))
	for _, id := range remove {
		changes = append(changes, change{id: id})
	}
	for _, id := range add {
		changes = append(changes, change{id: id, add: true})
	}
	return chunk(len(changes), c.cfg.MaxMembersPerPatch, func(lo, hi int) error {
		var ops []patchOp
		var values []any
		for _, ch := range changes[lo:hi] {
			if ch.add {
				values = append(values, map[string]any{"value": ch.id})
			} else {
				ops = append(ops, patchOp{Op: "remove", Path: "members[value eq " + quote(ch.id) + "]"})
			}
		}
		if len(values) > 0 {
			ops = append(ops, patchOp{Op: "add", Path: "members", Value: values})
		}
		return c.patch(ctx, groupPath(groupID), ops)
	})
}

func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
