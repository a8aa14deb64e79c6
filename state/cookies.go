package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// schemaWatchCookies keeps the resume point of each source's change
// watcher (an RFC 4533 syncrepl cookie, an Active Directory DirSync
// cookie): opaque bytes, one row per source name.
const schemaWatchCookies = `
CREATE TABLE watch_cookies (
	source  TEXT    PRIMARY KEY CHECK (source <> ''),
	cookie  BLOB    NOT NULL,
	updated INTEGER NOT NULL
) STRICT;
`

// WatchCookie is the stored resume point of a source's watcher.
type WatchCookie struct {
	// Cookie is the watcher's opaque cookie, as the watcher handed it out.
	Cookie []byte
	// Updated is when it was saved.
	Updated time.Time
}

// LoadWatchCookie returns the cookie saved for source. A source with no
// cookie (never watched, or forgotten with an empty cookie) returns a zero
// WatchCookie and a nil error: the watcher then starts from scratch, which
// means a full reconciliation.
func (s *Store) LoadWatchCookie(ctx context.Context, source string) (WatchCookie, error) {
	if source == "" {
		return WatchCookie{}, errors.New("state: load watch cookie: empty source name")
	}
	var (
		c       WatchCookie
		updated int64
	)
	err := s.db.QueryRowContext(ctx, `SELECT cookie, updated FROM watch_cookies WHERE source = ?`, source).
		Scan(&c.Cookie, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return WatchCookie{}, nil
	}
	if err != nil {
		return WatchCookie{}, fmt.Errorf("state: load watch cookie of %s: %w", source, err)
	}
	c.Updated = fromMS(updated)
	return c, nil
}

// SaveWatchCookie stores cookie as source's resume point, replacing the
// previous one, at time at. Call it only once the changes the cookie
// covers have been handled (see sync.Watcher): a crash then replays them
// rather than losing them. An empty cookie deletes the row, so the next
// watch starts from scratch.
func (s *Store) SaveWatchCookie(ctx context.Context, source string, cookie []byte, at time.Time) error {
	what := "save watch cookie of " + source
	if source == "" {
		return errors.New("state: save watch cookie: empty source name")
	}
	return s.write(ctx, what, func(tx *sql.Tx) error {
		if len(cookie) == 0 {
			_, err := tx.ExecContext(ctx, `DELETE FROM watch_cookies WHERE source = ?`, source)
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO watch_cookies (source, cookie, updated) VALUES (?,?,?)
			ON CONFLICT (source) DO UPDATE SET cookie = excluded.cookie, updated = excluded.updated`,
			source, cookie, ms(at))
		return err
	})
}
