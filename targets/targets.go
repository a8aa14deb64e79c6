// Package targets defines what idsync pushes accounts and roles to: the
// Account type, the Target interface every target implements, the optional
// abilities a target may have, and the error classes the sync engine acts on.
//
// Implementations live in sub-packages (targets/scim). Only cmd/idsync wires
// a concrete target to the engine.
package targets

import (
	"context"
	"errors"
)

// Account is one user account, either as idsync wants it (desired, ID empty)
// or as a target reports it (actual, ID set).
type Account struct {
	// ID is the target's own identifier; empty in a desired account.
	ID string `json:"id,omitempty"`
	// UserName is the login name; unique and compared case-insensitively.
	UserName string `json:"userName"`
	// ExternalID is the source's stable identifier (entryUUID, objectGUID)
	// when the target stores one.
	ExternalID string `json:"externalId,omitempty"`
	// Active is false for a disabled account.
	Active bool `json:"active"`
	// Attrs holds the other attributes by path, for example "displayName",
	// "name.givenName", "emails.work" or "department". See AttributeTable
	// for the paths idsync knows. An empty value means the attribute is
	// absent.
	Attrs Attrs `json:"attributes,omitempty"`
}

// Attr returns the value of an attribute path, including the fixed fields
// userName, externalId and active ("true"/"false").
func (a Account) Attr(path string) string {
	switch path {
	case "userName":
		return a.UserName
	case "externalId":
		return a.ExternalID
	case "active":
		if a.Active {
			return "true"
		}
		return "false"
	}
	return a.Attrs.Get(path)
}

// Clone returns a deep copy of a.
func (a Account) Clone() Account {
	c := a
	c.Attrs = a.Attrs.Clone()
	return c
}

// Group is a role as a target stores it: a named group of accounts.
type Group struct {
	ID          string   `json:"id"`
	DisplayName string   `json:"displayName"`
	Members     []string `json:"members,omitempty"` // account IDs
}

// Target is a system that holds user accounts.
//
// Every method may be called concurrently with List's callback not running.
// Errors wrap ErrNotFound, ErrConflict or ErrRejected where those apply;
// any other error (network, 5xx after retries, auth) means the target cannot
// be trusted right now and the run stops.
type Target interface {
	// List calls fn exactly once for each user account in the target, in no
	// particular order, and stops at the first error fn returns, returning
	// it. A List that returns nil has seen every account.
	List(ctx context.Context, fn func(Account) error) error
	// Create creates a and returns the target's ID for it. It returns an
	// error wrapping ErrConflict when the userName (or externalId) exists.
	Create(ctx context.Context, a Account) (id string, err error)
	// Update makes the account id match a for every attribute idsync
	// manages (the fixed fields and every path present in a.Attrs; an empty
	// value clears the attribute). ErrNotFound when id is gone.
	Update(ctx context.Context, id string, a Account) error
	// Delete removes the account id. ErrNotFound when it is already gone.
	Delete(ctx context.Context, id string) error
}

// Deactivator is a Target that can disable an account without touching its
// other attributes.
type Deactivator interface {
	// Deactivate sets the account inactive. ErrNotFound when id is gone.
	Deactivate(ctx context.Context, id string) error
}

// GroupManager is a Target that stores roles as groups.
type GroupManager interface {
	// ListGroups calls fn exactly once for each group with its members.
	ListGroups(ctx context.Context, fn func(Group) error) error
	// CreateGroup creates an empty group and returns its ID; ErrConflict
	// when a group with that display name exists.
	CreateGroup(ctx context.Context, displayName string) (id string, err error)
	// ModifyMembers adds and removes account IDs in the group groupID.
	// Implementations split large changes into as many requests as the
	// target allows. ErrNotFound when the group is gone.
	ModifyMembers(ctx context.Context, groupID string, add, remove []string) error
}

// Error classes. Wrap them with fmt.Errorf("...: %w", ErrX).
var (
	// ErrNotFound: the object does not exist (any more).
	ErrNotFound = errors.New("not found")
	// ErrConflict: an object with the same unique name exists; correlate.
	ErrConflict = errors.New("already exists")
	// ErrRejected: the target refused this one object (a 4xx other than
	// 404, 409, 429); other objects may still succeed.
	ErrRejected = errors.New("rejected by target")
)
