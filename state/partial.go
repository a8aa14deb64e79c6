package state

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// The reads and writes of an incremental run, which touches a handful of
// people rather than the whole directory: the links of some source IDs, and
// the snapshot rows of those people alone.

// idChunk is how many source IDs one IN (...) query carries: SQLite allows
// 32,766 host parameters, and a smaller chunk keeps each statement cheap.
const idChunk = 500

// LinksOf returns the links of target whose source ID is in sourceIDs, in
// source ID order. IDs that have no link are left out; repeated IDs are
// harmless.
func (s *Store) LinksOf(ctx context.Context, target string, sourceIDs []string) ([]Link, error) {
	if err := needTarget("links", target); err != nil {
		return nil, err
	}
	var out []Link
	for chunk := range slices.Chunk(sourceIDs, idChunk) {
		q := `SELECT source_id, target_id, user_name, dn, active, created, updated FROM links
			WHERE target = ? AND source_id IN (` + placeholders(len(chunk)) + `) ORDER BY source_id`
		rows, err := s.db.QueryContext(ctx, q, args(target, chunk)...)
		if err != nil {
			return nil, fmt.Errorf("state: links of %s: %w", target, err)
		}
		for rows.Next() {
			l := Link{Target: target}
			var created, updated int64
			if err := rows.Scan(&l.SourceID, &l.TargetID, &l.UserName, &l.DN, &l.Active, &created, &updated); err != nil {
				rows.Close()
				return nil, fmt.Errorf("state: links of %s: %w", target, err)
			}
			l.Created, l.Updated = fromMS(created), fromMS(updated)
			out = append(out, l)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("state: links of %s: %w", target, err)
		}
	}
	return out, nil
}

// UpdateSnapshot changes part of target's snapshot in one transaction:
// each of entries is inserted or replaces the row of its source ID, and
// the rows of gone are deleted. runID (0: none) is recorded as the run that
// saved the snapshot. It returns by how much the number of people in scope
// changed. It fails when target has no snapshot yet: an incremental run
// follows a full one.
func (s *Store) UpdateSnapshot(ctx context.Context, target string, runID int64, entries []SnapshotEntry, gone []string) (inScopeDelta int, err error) {
	what := "update snapshot of " + target
	if err := needTarget(what, target); err != nil {
		return 0, err
	}
	ids := slices.Clone(gone)
	for _, e := range entries {
		ids = append(ids, e.SourceID)
		if e.InScope {
			inScopeDelta++
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	added := inScopeDelta // in scope among entries; what was there is taken off in fn
	err = s.write(ctx, what, func(tx *sql.Tx) error {
		var n int
		err := tx.QueryRowContext(ctx, `SELECT entries FROM snapshot_info WHERE target = ?`, target).Scan(&n)
		if err == sql.ErrNoRows {
			return fmt.Errorf("no snapshot to update: run a full reconciliation first")
		}
		if err != nil {
			return err
		}
		rowsBefore, before, err := countOf(ctx, tx, target, ids)
		if err != nil {
			return err
		}
		inScopeDelta = added - before // fn may run twice (state/write.go)
		for _, id := range gone {
			if _, err := tx.ExecContext(ctx, `DELETE FROM snapshot WHERE target = ? AND source_id = ?`, target, id); err != nil {
				return fmt.Errorf("delete source id %q: %w", id, err)
			}
		}
		for i, e := range entries {
			if e.SourceID == "" {
				return fmt.Errorf("entry %d (%q): empty source id", i+1, e.DN)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO snapshot (target, source_id, dn, user_name, in_scope, disabled, hash)
				VALUES (?,?,?,?,?,?,?) ON CONFLICT (target, source_id) DO UPDATE SET dn = excluded.dn,
				user_name = excluded.user_name, in_scope = excluded.in_scope, disabled = excluded.disabled, hash = excluded.hash`,
				target, e.SourceID, e.DN, e.UserName, e.InScope, e.Disabled, e.Hash)
			if err != nil {
				return fmt.Errorf("entry %d (source id %q): %w", i+1, e.SourceID, err)
			}
		}
		// The count moves by the rows of these IDs alone: counting every
		// row would cost a whole snapshot per change.
		rowsAfter, _, err := countOf(ctx, tx, target, ids)
		if err != nil {
			return err
		}
		var run any
		if runID != 0 {
			run = runID
		}
		_, err = tx.ExecContext(ctx, `UPDATE snapshot_info SET run_id = ?, saved = ?, entries = ? WHERE target = ?`,
			run, ms(now()), n+rowsAfter-rowsBefore, target)
		if err != nil {
			return err
		}
		return ctx.Err()
	})
	if err != nil {
		return 0, err
	}
	return inScopeDelta, nil
}

// countOf counts the rows of target's snapshot among ids (sorted,
// distinct), and those of them in scope.
func countOf(ctx context.Context, tx *sql.Tx, target string, ids []string) (rows, inScope int, err error) {
	for chunk := range slices.Chunk(ids, idChunk) {
		var n, in int
		q := `SELECT count(*), coalesce(sum(in_scope), 0) FROM snapshot WHERE target = ? AND source_id IN (` + placeholders(len(chunk)) + `)`
		if err := tx.QueryRowContext(ctx, q, args(target, chunk)...).Scan(&n, &in); err != nil {
			return 0, 0, err
		}
		rows += n
		inScope += in
	}
	return rows, inScope, nil
}

// SnapshotInScope returns how many people of target's snapshot are in
// scope; ok is false when target has no snapshot.
func (s *Store) SnapshotInScope(ctx context.Context, target string) (n int, ok bool, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM snapshot WHERE target = ? AND in_scope),
		EXISTS (SELECT 1 FROM snapshot_info WHERE target = ?)`, target, target).Scan(&n, &ok)
	if err != nil {
		return 0, false, fmt.Errorf("state: snapshot of %s: %w", target, err)
	}
	return n, ok, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

func args(first string, rest []string) []any {
	out := make([]any, 0, len(rest)+1)
	out = append(out, first)
	for _, r := range rest {
		out = append(out, r)
	}
	return out
}
