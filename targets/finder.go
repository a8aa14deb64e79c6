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
