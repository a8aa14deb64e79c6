package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/idsync/idsync/targets"
)

// List calls fn exactly once for each user in the target (see pages for
// how the end of the list is found) and returns the first error fn returns.
// Its pages ask the server to leave out excluded_attributes.
func (c *Client) List(ctx context.Context, fn func(targets.Account) error) error {
	if err := c.discover(ctx); err != nil {
		return err
	}
	return listResources(ctx, c, "/Users", c.userListParams(), (*user).id, func(u *user) error {
		a, err := accountFromResource(u, c.cfg.enterprise)
		if err != nil {
			return err
		}
		return fn(a)
	})
}

// userListParams is the query List adds to every page: excludedAttributes,
// unless excluded_attributes is empty. Only list pages carry it: a GET of
// one user (before a PUT) must see the whole resource, and a group list
// needs members.
func (c *Client) userListParams() url.Values {
	if c.cfg.excluded == "" {
		return nil
	}
	return url.Values{"excludedAttributes": {c.cfg.excluded}}
}

// FindByUserName looks a user up with a `userName eq` filter and checks
// the match case-insensitively. Servers whose filters compare
// case-sensitively (SCIMMY) are asked a second time with the lower-case
// name. ErrNotFound when neither finds the user.
func (c *Client) FindByUserName(ctx context.Context, userName string) (targets.Account, error) {
	if err := c.discover(ctx); err != nil {
		return targets.Account{}, err
	}
	if !c.cfg.profile.allowsUserFilter("userName") {
		return targets.Account{}, fmt.Errorf("scim: user %q: %w (the target takes no userName filter)", userName, targets.ErrNotFound)
	}
	userName = c.RewriteUserName(userName)
	names := []string{userName}
	if l := strings.ToLower(userName); l != userName {
		names = append(names, l)
	}
	for _, name := range names {
		var lr *listResponse[user]
		q := url.Values{"filter": {"userName eq " + quote(name)}}
		err := c.do(ctx, request{method: http.MethodGet, path: "/Users", query: q, idempotent: true}, func(b []byte) error {
			var err error
			lr, err = decodeList[user](b)
			return err
		})
		if err != nil {
			return targets.Account{}, err
		}
		if lr == nil {
			continue
		}
		a, found, err := c.match(lr.Resources, userName)
		if err != nil || found {
			return a, err
		}
	}
	return targets.Account{}, fmt.Errorf("scim: user %q: %w", userName, targets.ErrNotFound)
}

// match returns the user of users whose userName is userName, ignoring
// case.
func (c *Client) match(users []user, userName string) (targets.Account, bool, error) {
	for i := range users {
		a, err := accountFromResource(&users[i], c.cfg.enterprise)
		if err != nil {
			return targets.Account{}, false, err
		}
		if strings.EqualFold(a.UserName, userName) {
			return a, true, nil
		}
	}
	return targets.Account{}, false, nil
}

// Get reads user id with a GET of /Users/{id}, the whole resource.
// ErrNotFound when the server answers 404.
func (c *Client) Get(ctx context.Context, id string) (targets.Account, error) {
	if id == "" {
		return targets.Account{}, errors.New("scim: get user: empty id")
	}
	var u *user
	err := c.do(ctx, request{method: http.MethodGet, path: userPath(id), idempotent: true}, func(b []byte) error {
		var err error
		u, err = decodeResource[user](b)
		return err
	})
	if err != nil {
		return targets.Account{}, err
	}
	if u == nil {
		return targets.Account{}, fmt.Errorf("scim: GET %s: empty response", userPath(id))
	}
	a, err := accountFromResource(u, c.cfg.enterprise)
	if err == nil && a.ID != id {
		err = fmt.Errorf("scim: GET %s: the server answered with user %q", userPath(id), a.ID)
	}
	return a, err
}

// GetWithGroups reads user id like Get, with the IDs of the groups in its
// read-only "groups" attribute. known is false when the server left the
// attribute out.
func (c *Client) GetWithGroups(ctx context.Context, id string) (targets.Account, []string, bool, error) {
	if id == "" {
		return targets.Account{}, nil, false, errors.New("scim: get user: empty id")
	}
	var body []byte
	err := c.do(ctx, request{method: http.MethodGet, path: userPath(id), idempotent: true}, func(b []byte) error {
		body = bytes.Clone(b)
		return nil
	})
	if err != nil {
		return targets.Account{}, nil, false, err
	}
	u, err := decodeResource[user](body)
	if err == nil && u == nil {
		err = fmt.Errorf("scim: GET %s: empty response", userPath(id))
	}
	if err != nil {
		return targets.Account{}, nil, false, err
	}
	a, err := accountFromResource(u, c.cfg.enterprise)
	if err == nil && a.ID != id {
		err = fmt.Errorf("scim: GET %s: the server answered with user %q", userPath(id), a.ID)
	}
	if err != nil {
		return targets.Account{}, nil, false, err
	}
	var m struct {
		Groups *[]struct {
			Value scalar `json:"value"`
		} `json:"groups"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return targets.Account{}, nil, false, fmt.Errorf("scim: GET %s: groups: %w", userPath(id), err)
	}
	if c.cfg.profile.GroupMembersUnlisted {
		groups, err := c.groupsOfByFilter(ctx, id)
		if err != nil {
			return targets.Account{}, nil, false, err
		}
		return a, groups, true, nil
	}
	if m.Groups == nil {
		return a, nil, false, nil
	}
	groups := make([]string, 0, len(*m.Groups))
	for _, g := range *m.Groups {
		if g.Value != "" {
			groups = append(groups, string(g.Value))
		}
	}
	return a, groups, true, nil
}

// Create POSTs a new user and returns its id. A 409 wraps
// targets.ErrConflict. A POST that got no answer is not repeated: it
// returns an error wrapping ErrUnknownOutcome.
func (c *Client) Create(ctx context.Context, a targets.Account) (string, error) {
	if err := c.discover(ctx); err != nil { // it may adapt what outgoing reads
		return "", err
	}
	a, err := c.outgoing(a)
	if err != nil {
		return "", err
	}
	body, err := resourceFromAccount(a, c.cfg.enterprise)
	if err != nil {
		return "", err
	}
	id, err := c.create(ctx, request{method: http.MethodPost, path: "/Users", body: body})
	if err == nil && c.cfg.profile.ReactivationKeepsGroups {
		err = c.dropRestoredGroups(ctx, id)
	}
	return id, err
}

// create POSTs req and returns the id of what the server made; a success
// without an id leaves the outcome unknown.
func (c *Client) create(ctx context.Context, req request) (string, error) {
	var made *created
	err := c.do(ctx, req, func(b []byte) error {
		var err error
		made, err = decodeResource[created](b)
		return err
	})
	if err != nil {
		return "", err
	}
	if made == nil || made.ID == "" {
		return "", fmt.Errorf("scim: %s %s: %w: %w", req.method, req.path, ErrUnknownOutcome, errMissingID)
	}
	return string(made.ID), nil
}

// Update makes user id match a for the fixed fields and every path in
// a.Attrs (empty clears), with PATCH or, when configured, GET and PUT.
func (c *Client) Update(ctx context.Context, id string, a targets.Account) error {
	if id == "" {
		return errors.New("scim: update: empty id")
	}
	if err := c.discover(ctx); err != nil {
		return err
	}
	a, err := c.outgoing(a)
	if err != nil {
		return err
	}
	if c.cfg.UpdateMethod == UpdatePut {
		return c.updatePut(ctx, id, a)
	}
	ops, err := userPatchOps(a, c.cfg.enterprise)
	if err != nil {
		return err
	}
	return c.patch(ctx, userPath(id), c.withoutExternalID(ops))
}

// updatePut reads the user, changes only what idsync manages and PUTs the
// whole resource back, so attributes idsync does not manage survive.
func (c *Client) updatePut(ctx context.Context, id string, a targets.Account) error {
	var r map[string]any
	err := c.do(ctx, request{method: http.MethodGet, path: userPath(id), idempotent: true}, func(b []byte) error {
		var err error
		r, err = decodeObject(b)
		return err
	})
	if err != nil {
		return err
	}
	if r == nil {
		return fmt.Errorf("scim: GET %s: empty response", userPath(id))
	}
	if c.cfg.profile.ExternalIDOwned { // keep the target's own
		a.ExternalID, _ = getCI(r, "externalId").(string)
	}
	if err := applyAccount(r, a, c.cfg.enterprise); err != nil {
		return err
	}
	return c.do(ctx, request{method: http.MethodPut, path: userPath(id), body: r, idempotent: true}, nil)
}

// Deactivate sets active to false and touches nothing else.
func (c *Client) Deactivate(ctx context.Context, id string) error {
	if id == "" {
		return errors.New("scim: deactivate: empty id")
	}
	return c.patch(ctx, userPath(id), []patchOp{{Op: "replace", Path: "active", Value: false}})
}

// Delete removes user id; a 404 wraps targets.ErrNotFound.
func (c *Client) Delete(ctx context.Context, id string) error {
	if id == "" {
		return errors.New("scim: delete: empty id")
	}
	return c.do(ctx, request{method: http.MethodDelete, path: userPath(id), idempotent: true}, nil)
}

// patch sends a PatchOp. Never with ?attributes=: some servers (SCIMMY)
// then store the partial copy they return.
func (c *Client) patch(ctx context.Context, path string, ops []patchOp) error {
	return c.do(ctx, request{method: http.MethodPatch, path: path, body: patchRequest{Schemas: []string{schemaPatchOp}, Operations: ops}, idempotent: true}, nil)
}

func userPath(id string) string  { return "/Users/" + url.PathEscape(id) }
func groupPath(id string) string { return "/Groups/" + url.PathEscape(id) }
