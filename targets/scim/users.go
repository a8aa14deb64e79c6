package scim

import (
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
	return listAll(ctx, c, "/Users", c.userListParams(), (*userResource).id, func(u *userResource) error {
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
	names := []string{userName}
	if l := strings.ToLower(userName); l != userName {
		names = append(names, l)
	}
	for _, name := range names {
		var lr listPage[userResource]
		q := url.Values{"filter": {"userName eq " + quote(name)}}
		if err := c.do(ctx, request{method: http.MethodGet, path: "/Users", query: q, idempotent: true}, &lr); err != nil {
			return targets.Account{}, err
		}
		a, found, err := c.match(&lr, userName)
		lr.release()
		if err != nil || found {
			return a, err
		}
	}
	return targets.Account{}, fmt.Errorf("scim: user %q: %w", userName, targets.ErrNotFound)
}

// match returns the user of lr whose userName is userName, ignoring case.
func (c *Client) match(lr *listPage[userResource], userName string) (targets.Account, bool, error) {
	for i := range lr.Resources {
		a, err := accountFromResource(&lr.Resources[i], c.cfg.enterprise)
		if err != nil {
			return targets.Account{}, false, err
		}
		if strings.EqualFold(a.UserName, userName) {
			return a, true, nil
		}
	}
	return targets.Account{}, false, nil
}

// Create POSTs a new user and returns its id. A 409 wraps
// targets.ErrConflict. A POST that got no answer is not repeated: it
// returns an error wrapping ErrUnknownOutcome.
func (c *Client) Create(ctx context.Context, a targets.Account) (string, error) {
	body, err := resourceFromAccount(a, c.cfg.enterprise)
	if err != nil {
		return "", err
	}
	var created json.RawMessage
	req := request{method: http.MethodPost, path: "/Users", body: body}
	if err := c.do(ctx, req, &created); err != nil {
		return "", err
	}
	return createdID(req, created)
}

// createdID reads the id of a 201 response; without one the user may
// exist, so the outcome is unknown.
func createdID(req request, raw json.RawMessage) (string, error) {
	r, err := decodeObject(raw)
	if err == nil {
		if id := str(getCI(r, "id")); id != "" {
			return id, nil
		}
		err = errMissingID
	}
	return "", fmt.Errorf("scim: %s %s: %w: %w", req.method, req.path, ErrUnknownOutcome, err)
}

// Update makes user id match a for the fixed fields and every path in
// a.Attrs (empty clears), with PATCH or, when configured, GET and PUT.
func (c *Client) Update(ctx context.Context, id string, a targets.Account) error {
	if id == "" {
		return errors.New("scim: update: empty id")
	}
	if c.cfg.UpdateMethod == UpdatePut {
		return c.updatePut(ctx, id, a)
	}
	ops, err := userPatchOps(a, c.cfg.enterprise)
	if err != nil {
		return err
	}
	return c.patch(ctx, userPath(id), ops)
}

// updatePut reads the user, changes only what idsync manages and PUTs the
// whole resource back, so attributes idsync does not manage survive.
func (c *Client) updatePut(ctx context.Context, id string, a targets.Account) error {
	var raw json.RawMessage
	if err := c.do(ctx, request{method: http.MethodGet, path: userPath(id), idempotent: true}, &raw); err != nil {
		return err
	}
	r, err := decodeObject(raw)
	if err != nil {
		return fmt.Errorf("scim: GET %s: %w", userPath(id), err)
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
	return c.do(ctx, request{method: http.MethodPatch, path: path, body: patchMessage(ops), idempotent: true}, nil)
}

func userPath(id string) string  { return "/Users/" + url.PathEscape(id) }
func groupPath(id string) string { return "/Groups/" + url.PathEscape(id) }
