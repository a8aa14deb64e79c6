package targets

import "context"

// Finder is a Target that can look up one account by userName, so that a
// create refused with ErrConflict can be correlated at once instead of on the
// next run.
type Finder interface {
	// FindByUserName returns the account whose userName equals userName,
	// compared case-insensitively. ErrNotFound when there is none.
	FindByUserName(ctx context.Context, userName string) (Account, error)
}

// Getter is a Target that can read one account by its ID. The engine uses it
// to check a linked account that a listing did not show before it forgets
// the link: a listing cut short by the server must not look like a deletion.
type Getter interface {
	// Get returns the account id. ErrNotFound when it is gone.
	Get(ctx context.Context, id string) (Account, error)
}

// MemberGetter is a GroupManager that reads one account together with the
// groups it is a direct member of. An incremental run reads the few
// accounts a change touches this way instead of listing every account and
// group.
type MemberGetter interface {
	// GetWithGroups returns account id and the IDs of the groups that list
	// it as a member. known is false when the answer did not say (the
	// target left the groups out): "no groups" and "not reported" cannot
	// be told apart then, and the caller must not plan roles from it.
	// ErrNotFound when id is gone.
	GetWithGroups(ctx context.Context, id string) (a Account, groups []string, known bool, err error)
}
