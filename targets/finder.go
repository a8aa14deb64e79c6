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
