package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// SnapshotEntry is what a run saw of one source person.
type SnapshotEntry struct {
	SourceID string // stable source identifier (entryUUID, objectGUID); required, unique per target
	DN       string
	UserName string
	InScope  bool
	Disabled bool
	Hash     string // of the mapped account and roles, to spot movers cheaply
}

// ctxCheckEvery is how many rows SaveSnapshot writes between checks of ctx.
// Rows are written without a per-row ctx, which in go-sqlite3 would cost a
// goroutine per statement.
const ctxCheckEvery = 1024

// Snapshot calls fn exactly once for each entry of target's snapshot, in
// source ID order, and stops at the first error fn returns, returning it
// unwrapped. A Snapshot that returns nil has seen every entry.
func (s *Store) Snapshot(ctx context.Context, target string, fn func(SnapshotEntry) error) error {
	return s.snapshotWhere(ctx, target, "", fn)
}

// DisabledInScope is Snapshot for the people in scope and disabled only.
func (s *Store) DisabledInScope(ctx context.Context, target string, fn func(SnapshotEntry) error) error {
	return s.snapshotWhere(ctx, target, " AND in_scope AND disabled", fn)
}

func (s *Store) snapshotWhere(ctx context.Context, target, where string, fn func(SnapshotEntry) error) error {
	if err := needTarget("snapshot", target); err != nil {
		return err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT source_id, dn, user_name, in_scope, disabled, hash
		FROM snapshot WHERE target = ?`+where+` ORDER BY source_id`, target)
	if err != nil {
		return fmt.Errorf("state: snapshot of %s: %w", target, err)
	}
	defer rows.Close()
	var e SnapshotEntry
	for rows.Next() {
		if err := rows.Scan(&e.SourceID, &e.DN, &e.UserName, &e.InScope, &e.Disabled, &e.Hash); err != nil {
			return fmt.Errorf("state: snapshot of %s: %w", target, err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("state: snapshot of %s: %w", target, err)
	}
	return nil
}

// SnapshotCount returns the number of entries in target's snapshot.
func (s *Store) SnapshotCount(ctx context.Context, target string) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM snapshot WHERE target = ?`, target).Scan(&n); err != nil {
		return 0, fmt.Errorf("state: snapshot count of %s: %w", target, err)
	}
	return n, nil
}

// SaveSnapshot replaces target's snapshot with the entries next returns, in
// one transaction, recording runID (0: none) as the run that saved it.
//
// next is called until it returns ok=false or an error; entries are written
// as they come, so the snapshot is never held in memory. If next fails, an
// entry is invalid (empty or repeated SourceID) or ctx is cancelled, nothing
// is changed and the previous snapshot stays intact. next must not write to
// the Store.
func (s *Store) SaveSnapshot(ctx context.Context, target string, runID int64, next func() (SnapshotEntry, bool, error)) error {
	what := "save snapshot of " + target
	if err := needTarget(what, target); err != nil {
		return err
	}
	used := false
	return s.write(ctx, what, func(tx *sql.Tx) error {
		// next cannot be read twice: should the write be made again (a
		// group of writes retried, state/write.go), fail it rather than
		// save what is left of next, an empty snapshot.
		if used {
			return errors.New("the entries were consumed by an earlier attempt; nothing saved")
		}
		used = true
		if _, err := tx.ExecContext(ctx, `DELETE FROM snapshot WHERE target = ?`, target); err != nil {
			return err
		}
		ins := tx.StmtContext(ctx, s.stmts.insertSnapshot)
		n := 0
		for ; ; n++ {
			if n%ctxCheckEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			e, ok, err := next()
			if err != nil {
				return fmt.Errorf("entry %d: %w", n+1, err)
			}
			if !ok {
				break
			}
			if e.SourceID == "" {
				return fmt.Errorf("entry %d (%q): empty source id", n+1, e.DN)
			}
			if _, err := ins.Exec(target, e.SourceID, e.DN, e.UserName, e.InScope, e.Disabled, e.Hash); err != nil {
				return fmt.Errorf("entry %d (source id %q): %w", n+1, e.SourceID, err)
			}
		}
		var run any
		if runID != 0 {
			run = runID
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO snapshot_info (target, run_id, saved, entries) VALUES (?,?,?,?)
			ON CONFLICT (target) DO UPDATE SET run_id = excluded.run_id, saved = excluded.saved, entries = excluded.entries`,
			target, run, ms(now()), n)
		if err != nil {
			return err
		}
		return ctx.Err()
	})
}
