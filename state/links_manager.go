package state

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// LinksByRef returns the links of target whose source ID is one of refs,
// or whose DN is one of them compared case-insensitively: the links of the
// managers an incremental run's people name (a manager reference is a
// source DN or ID). A link may be returned twice; refs that match nothing
// are left out. DNs are compared as written apart from case: one written
// with other spacing is not found.
func (s *Store) LinksByRef(ctx context.Context, target string, refs []string) ([]Link, error) {
	out, err := s.LinksOf(ctx, target, refs)
	if err != nil {
		return nil, err
	}
	var dns []string
	for _, r := range refs {
		if strings.Contains(r, "=") {
			dns = append(dns, strings.ToLower(r))
		}
	}
	for chunk := range slices.Chunk(dns, idChunk) {
		q := `SELECT source_id, target_id, user_name, dn, active, created, updated FROM links
			WHERE target = ? AND lower(dn) IN (` + placeholders(len(chunk)) + `) ORDER BY source_id`
		links, err := s.queryLinks(ctx, target, q, args(target, chunk))
		if err != nil {
			return nil, err
		}
		out = append(out, links...)
	}
	return out, nil
}

// queryLinks runs q, which selects the columns of a Link, for target.
func (s *Store) queryLinks(ctx context.Context, target, q string, qargs []any) ([]Link, error) {
	rows, err := s.db.QueryContext(ctx, q, qargs...)
	if err != nil {
		return nil, fmt.Errorf("state: links of %s by DN: %w", target, err)
	}
	defer rows.Close()
	var out []Link
	for rows.Next() {
		l := Link{Target: target}
		var created, updated int64
		if err := rows.Scan(&l.SourceID, &l.TargetID, &l.UserName, &l.DN, &l.Active, &created, &updated); err != nil {
			return nil, fmt.Errorf("state: links of %s by DN: %w", target, err)
		}
		l.Created, l.Updated = fromMS(created), fromMS(updated)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("state: links of %s by DN: %w", target, err)
	}
	return out, nil
}
