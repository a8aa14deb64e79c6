package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Run modes.
const (
	ModePlan  = "plan"  // a dry run: plan only, nothing written to the target
	ModeApply = "apply" // the plan is applied
)

// Run statuses. A run is StatusRunning from StartRun until FinishRun sets one
// of the others.
const (
	StatusRunning = "running"
	StatusPlanned = "planned" // a dry run that completed
	StatusApplied = "applied" // every planned change was applied
	StatusPartial = "partial" // the run went to its end, but the target refused or failed some changes
	StatusFailed  = "failed"  // the run stopped on an error, or was interrupted
	StatusRefused = "refused" // a guard refused the plan; nothing was written
)

// Run is one sync run of one target.
type Run struct {
	ID          int64
	Target      string
	Mode        string // ModePlan or ModeApply
	Started     time.Time
	Finished    time.Time // zero while running
	Status      string
	SourceCount int    // people read from the source
	Summary     string // short text, e.g. "3 joiners, 1 leaver"
	Error       string // why the run failed or was refused
}

// interruptedError is the Error of a run found still running at Open.
const interruptedError = "interrupted: idsync stopped before the run finished"

// StartRun records a new run of target in mode (ModePlan or ModeApply) with
// status StatusRunning and the current time, and returns it with its ID.
func (s *Store) StartRun(ctx context.Context, target, mode string) (Run, error) {
	if err := needTarget("start run", target); err != nil {
		return Run{}, err
	}
	if mode != ModePlan && mode != ModeApply {
		return Run{}, fmt.Errorf("state: start run: mode %q, want %q or %q", mode, ModePlan, ModeApply)
	}
	r := Run{Target: target, Mode: mode, Started: now(), Status: StatusRunning}
	err := s.write(ctx, "start run", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO runs (target, mode, started, status) VALUES (?,?,?,?)`,
			r.Target, r.Mode, ms(r.Started), r.Status)
		if err != nil {
			return err
		}
		r.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return Run{}, err
	}
	return r, nil
}

// FinishRun ends the running run r.ID: it sets Status (one of planned,
// applied, partial, failed, refused), SourceCount, Summary, Error and Finished (now
// when r.Finished is zero). Target, Mode and Started are not changed. It
// fails with ErrNotFound for an unknown ID and refuses a run that is already
// finished.
func (s *Store) FinishRun(ctx context.Context, r Run) error {
	switch r.Status {
	case StatusPlanned, StatusApplied, StatusPartial, StatusFailed, StatusRefused:
	default:
		return fmt.Errorf("state: finish run %d: status %q is not a final status", r.ID, r.Status)
	}
	fin := r.Finished
	if fin.IsZero() {
		fin = now()
	}
	return s.write(ctx, fmt.Sprintf("finish run %d", r.ID), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE runs SET finished = ?, status = ?, source_count = ?, summary = ?, error = ?
			WHERE id = ? AND status = 'running'`, ms(fin), r.Status, r.SourceCount, r.Summary, r.Error, r.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		var status string
		err = tx.QueryRowContext(ctx, `SELECT status FROM runs WHERE id = ?`, r.ID).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("no such run: %w", ErrNotFound)
		} else if err != nil {
			return err
		}
		return fmt.Errorf("run already finished (%s)", status)
	})
}

// failInterruptedRuns marks runs left running by a dead process as failed:
// those of mode, or of every mode when mode is "". Open calls it only where
// no live run of that mode can exist.
func (s *Store) failInterruptedRuns(ctx context.Context, mode string) error {
	return s.write(ctx, "open: mark interrupted runs", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE runs SET status = 'failed', finished = ?, error = ?
			WHERE status = 'running' AND (? = '' OR mode = ?)`, ms(now()), interruptedError, mode, mode)
		return err
	})
}

// LastSourceCount returns the source count of target's newest run with
// status applied or partial; ok is false when there is none. Planned, failed
// and refused runs are ignored: only a run that went to its end proves its
// read was whole (a partial run read everything; the target refused some
// of its changes).
func (s *Store) LastSourceCount(ctx context.Context, target string) (n int, ok bool, err error) {
	// One index seek per status: with IN and ORDER BY, SQLite sorts every
	// applied run of the target, and a daemon makes one run per change.
	err = s.db.QueryRowContext(ctx, `SELECT source_count FROM runs WHERE id = max(
		coalesce((SELECT max(id) FROM runs WHERE target = ?1 AND status = 'applied'), 0),
		coalesce((SELECT max(id) FROM runs WHERE target = ?1 AND status = 'partial'), 0))`, target).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("state: last source count of %s: %w", target, err)
	}
	return n, true, nil
}

// Runs returns target's runs, newest first, at most limit of them (limit <= 0:
// all). An empty target returns the runs of every target.
func (s *Store) Runs(ctx context.Context, target string, limit int) ([]Run, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, target, mode, started, finished, status, source_count, summary, error
		FROM runs WHERE ? = '' OR target = ? ORDER BY id DESC LIMIT ?`, target, target, limit)
	if err != nil {
		return nil, fmt.Errorf("state: runs of %q: %w", target, err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var started, finished int64
		if err := rows.Scan(&r.ID, &r.Target, &r.Mode, &started, &finished, &r.Status,
			&r.SourceCount, &r.Summary, &r.Error); err != nil {
			return nil, fmt.Errorf("state: runs of %q: %w", target, err)
		}
		r.Started, r.Finished = fromMS(started), fromMS(finished)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("state: runs of %q: %w", target, err)
	}
	return out, nil
}
