package scim

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/idsync/idsync/targets"
)

// listGroupsByFilter is ListGroups for a target whose group reads list no
// members (AWS IAM Identity Center): it lists the groups, then every user,
// and asks the target which user is in which group with the profile's
// member filter. A group is never reported empty because a read showed
// no members: its members are what the filter answers.
func (c *Client) listGroupsByFilter(ctx context.Context, fn func(targets.Group) error) error {
	var groups []targets.Group
	err := listResources(ctx, c, "/Groups", nil, (*group).id, func(r *group) error {
		groups = append(groups, targets.Group{ID: string(r.ID), DisplayName: string(r.DisplayName)})
		return nil
	})
	if err != nil {
		return err
	}
	var users []string
	if len(groups) > 0 {
		err = listResources(ctx, c, "/Users", c.userListParams(), (*user).id, func(u *user) error {
			users = append(users, string(u.ID))
			return nil
		})
		if err != nil {
			return err
		}
	}
	for i := range groups {
		g := &groups[i]
		for _, u := range users {
			in, err := c.isMember(ctx, g.ID, u)
			if err != nil {
				return fmt.Errorf("scim: group %q: read membership: %w", g.DisplayName, err)
			}
			if in {
				g.Members = append(g.Members, u)
			}
		}
		if err := fn(*g); err != nil {
			return err
		}
	}
	return nil
}

// groupsOfByFilter returns the IDs of the groups user id is in, asked
// group by group with the member filter.
func (c *Client) groupsOfByFilter(ctx context.Context, id string) ([]string, error) {
	var ids []string
	err := listResources(ctx, c, "/Groups", nil, (*group).id, func(r *group) error {
		ids = append(ids, string(r.ID))
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, g := range ids {
		in, err := c.isMember(ctx, g, id)
		if err != nil {
			return nil, fmt.Errorf("scim: user %s: read group membership: %w", id, err)
		}
		if in {
			out = append(out, g)
		}
	}
	return out, nil
}

// isMember asks the target whether user u is a member of group g with the
// profile's member filter (`id eq "g" and members eq "u"` on AWS, else
// `id eq "g" and members.value eq "u"`).
func (c *Client) isMember(ctx context.Context, g, u string) (bool, error) {
	form := c.cfg.profile.MemberFilter
	if form == "" {
		form = "id eq %s and members.value eq %s"
	}
	q := url.Values{"filter": {fmt.Sprintf(form, quote(g), quote(u))}}
	var lr *listResponse[group]
	err := c.do(ctx, request{method: http.MethodGet, path: "/Groups", query: q, idempotent: true}, func(b []byte) error {
		var err error
		lr, err = decodeList[group](b)
		return err
	})
	if err != nil || lr == nil {
		return false, err
	}
	for _, r := range lr.Resources {
		if strings.EqualFold(string(r.ID), g) {
			return true, nil
		}
	}
	return false, nil
}
