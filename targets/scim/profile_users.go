package scim

import (
	"context"
	"fmt"

	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/targets"
)

// outgoing returns a as the client sends it under the profile: its
// userName rewritten the way the target would, so that what is stored is
// what was sent. It refuses (ErrRejected, nothing sent) an account without
// an attribute the profile requires, or one that clears it.
func (c *Client) outgoing(a targets.Account) (targets.Account, error) {
	p := c.cfg.profile
	for _, path := range p.Required {
		v, present := a.Attr(path), true
		if path != "externalId" {
			_, present = a.Attrs.Lookup(path)
		}
		if v == "" && (present || a.ID == "") {
			return a, fmt.Errorf("scim: user %q: profile %s requires %s: %w", a.UserName, p.Name, path, targets.ErrRejected)
		}
	}
	if p.SingleValued {
		if err := singleValued(a); err != nil {
			return a, fmt.Errorf("scim: user %q: profile %s keeps one value per multi-valued attribute: %w: %w", a.UserName, p.Name, err, targets.ErrRejected)
		}
	}
	if p.UserNameRewrite != nil {
		a.UserName = p.UserNameRewrite(a.UserName)
	}
	if p.ExternalIDOwned {
		a.ExternalID = ""
	}
	return a, nil
}

// singleValued returns an error naming the paths when a has values for
// two types of one multi-valued attribute (emails.home and emails.work).
func singleValued(a targets.Account) error {
	seen := map[string]string{}
	for _, at := range a.Attrs {
		def, ok := targets.LookupAttribute(at.Path)
		if !ok || def.Kind != targets.KindTyped || at.Value == "" {
			continue
		}
		if other, dup := seen[def.Parent()]; dup {
			return fmt.Errorf("%s and %s both have a value", other, at.Path)
		}
		seen[def.Parent()] = at.Path
	}
	return nil
}

// dropRestoredGroups removes a newly created user from every group it is
// in: on a target that gives a re-created user its old groups back
// (Atlassian), those are stale; the plan grants the current roles after
// the create.
func (c *Client) dropRestoredGroups(ctx context.Context, id string) error {
	_, groups, known, err := c.GetWithGroups(ctx, id)
	if err != nil {
		return fmt.Errorf("scim: user %s: read the groups the target restored: %w", id, err)
	}
	if !known || len(groups) == 0 {
		return nil
	}
	c.log.WithFields(logrus.Fields{"id": id, "groups": len(groups)}).
		Info("scim: the target gave a re-created user its old groups back; removing them")
	for _, g := range groups {
		if err := c.ModifyMembers(ctx, g, nil, []string{id}); err != nil {
			return fmt.Errorf("scim: user %s: remove restored group: %w", id, err)
		}
	}
	return nil
}

// withoutExternalID drops the operations on externalId from ops, for a
// target that owns it (Zoom).
func (c *Client) withoutExternalID(ops []patchOp) []patchOp {
	if !c.cfg.profile.ExternalIDOwned {
		return ops
	}
	out := ops[:0]
	for _, op := range ops {
		if op.Path != "externalId" {
			out = append(out, op)
		}
	}
	return out
}
