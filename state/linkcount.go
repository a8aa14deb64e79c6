package state

import (
	"context"
	"fmt"
)

// schemaLinkCounts keeps the number of links of each target up to date as
// links are written, so that reading it does not count a hundred thousand
// rows: an incremental run reads it for its guards at every change.
const schemaLinkCounts = `
CREATE TABLE link_counts (
	target TEXT    PRIMARY KEY,
	n      INTEGER NOT NULL
) STRICT;
INSERT INTO link_counts (target, n) SELECT target, count(*) FROM links GROUP BY target;
CREATE TRIGGER links_count_insert AFTER INSERT ON links BEGIN
	INSERT INTO link_counts (target, n) VALUES (new.target, 1)
		ON CONFLICT (target) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER links_count_delete AFTER DELETE ON links BEGIN
	UPDATE link_counts SET n = n - 1 WHERE target = old.target;
END;
CREATE TRIGGER links_count_move AFTER UPDATE OF target ON links WHEN new.target <> old.target BEGIN
	UPDATE link_counts SET n = n - 1 WHERE target = old.target;
	INSERT INTO link_counts (target, n) VALUES (new.target, 1)
		ON CONFLICT (target) DO UPDATE SET n = n + 1;
END;
`

// LinkCount returns the number of links of target.
func (s *Store) LinkCount(ctx context.Context, target string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT coalesce((SELECT n FROM link_counts WHERE target = ?), 0)`, target).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("state: link count of %s: %w", target, err)
	}
	return n, nil
}
