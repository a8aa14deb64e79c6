package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
)

// maxGroup bounds the writes one transaction carries.
const maxGroup = 64

// writeReq is one write waiting for its transaction.
type writeReq struct {
	ctx  context.Context
	fn   func(tx *sql.Tx) error
	done chan error
}

// write runs fn in a write transaction: all of fn is committed or none,
// and write returns once it is on disk (synchronous=FULL). what names the
// operation in errors.
//
// SQLite has one writer and each commit costs a sync to disk, so writes
// made at the same time (the workers of a concurrent apply) share one
// transaction: the first caller to find the store idle commits, in one
// transaction, every write queued by then, each inside a savepoint of its
// own. A write that fails is rolled back to its savepoint and only its
// caller gets the error; the others are committed. Every caller returns
// only after the transaction holding its write has committed (or failed,
// then its write is not there). A write alone runs as a transaction of its
// own, as it always did. A ctx done before the write is taken returns
// ctx's error with nothing written.
//
// fn may run more than once: a group is made again without a write whose
// ctx ended before the commit. So fn must compute what it records afresh
// on each run, not consume its inputs or carry state from one run to the
// next (SaveSnapshot, whose entries can be read once, fails instead).
func (s *Store) write(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("state: %s: %w", what, err)
	}
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	s.qmu.Lock()
	s.queue = append(s.queue, req)
	s.qmu.Unlock()
	if s.queued != nil {
		s.queued()
	}
	for {
		select {
		case err := <-req.done:
			if err != nil {
				return fmt.Errorf("state: %s: %w", what, err)
			}
			return nil
		case s.wsem <- struct{}{}:
			s.drain(req)
			<-s.wsem
		case <-ctx.Done():
			if s.dequeue(req) {
				return fmt.Errorf("state: %s: %w", what, ctx.Err())
			}
			// Taken already: its outcome follows on req.done.
			return s.await(req, what)
		}
	}
}

// await waits for the outcome of a write already taken into a transaction.
func (s *Store) await(req *writeReq, what string) error {
	if err := <-req.done; err != nil {
		return fmt.Errorf("state: %s: %w", what, err)
	}
	return nil
}

// dequeue removes req from the queue; false when a transaction took it.
func (s *Store) dequeue(req *writeReq) bool {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	i := slices.Index(s.queue, req)
	if i < 0 {
		return false
	}
	s.queue = slices.Delete(s.queue, i, i+1)
	return true
}

// drain commits the queued writes, a group at a time, until mine has
// been or none is left. The caller holds wsem; the writers still queued
// when it lets go of it take it in turn.
func (s *Store) drain(mine *writeReq) {
	for {
		s.qmu.Lock()
		n := min(len(s.queue), maxGroup)
		group := slices.Clone(s.queue[:n])
		s.queue = slices.Delete(s.queue, 0, n)
		s.qmu.Unlock()
		if n == 0 {
			return
		}
		errs := s.commitGroup(group)
		for i, r := range group {
			r.done <- errs[i]
		}
		if slices.Contains(group, mine) {
			return
		}
	}
}

// commitGroup runs the writes of group in one transaction and returns
// each one's error. A write whose ctx is done before the commit is not
// committed: alone, its transaction is bound to its ctx, as it always
// was; in a group, the transaction is rolled back and made again without
// it.
func (s *Store) commitGroup(group []*writeReq) []error {
	errs := make([]error, len(group))
	fail := func(err error) []error {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
		return errs
	}
	ctx := group[0].ctx
	if len(group) > 1 {
		// Each write's statements run under its own ctx.
		ctx = context.WithoutCancel(ctx)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fail(fmt.Errorf("begin: %w", err))
	}
	if len(group) == 1 {
		errs[0] = group[0].fn(tx)
	} else {
		for i, r := range group {
			if errs[i] = r.ctx.Err(); errs[i] == nil {
				errs[i] = savepoint(tx, r.fn)
			}
			if errors.Is(errs[i], errTxLost) {
				// SQLite rolled the whole transaction back (a statement of
				// this write interrupted as its ctx ended): the writes
				// before it are gone, and those after would each commit
				// on their own. Make the group again without it.
				tx.Rollback()
				var again []*writeReq
				var at []int
				for j, r := range group {
					if j > i || j < i && errs[j] == nil {
						again, at = append(again, r), append(at, j)
					}
				}
				if len(again) > 0 {
					for j, err := range s.commitGroup(again) {
						errs[at[j]] = err
					}
				}
				return errs
			}
		}
	}
	if !slices.ContainsFunc(errs, func(e error) bool { return e == nil }) {
		tx.Rollback()
		return errs
	}
	if s.beforeCommit != nil {
		if err := s.beforeCommit(group[0].ctx); err != nil {
			tx.Rollback()
			return fail(err)
		}
	}
	if len(group) > 1 && slices.ContainsFunc(group, func(r *writeReq) bool { return r.ctx.Err() != nil }) {
		tx.Rollback()
		var again []*writeReq
		var at []int
		for i, r := range group {
			switch {
			case r.ctx.Err() != nil:
				errs[i] = r.ctx.Err()
			case errs[i] == nil:
				again, at = append(again, r), append(at, i)
			}
		}
		if len(again) > 0 {
			for j, err := range s.commitGroup(again) {
				errs[at[j]] = err
			}
		}
		return errs
	}
	if len(group) == 1 && ctx.Err() != nil {
		tx.Rollback()
		return fail(ctx.Err())
	}
	if err := tx.Commit(); err != nil {
		if ctx.Err() != nil { // database/sql rolled it back as ctx ended
			return fail(ctx.Err())
		}
		return fail(fmt.Errorf("commit: %w", err))
	}
	return errs
}

// errTxLost: the savepoint of a failed write is gone, and with it the
// transaction (SQLite rolls back a whole transaction whose INSERT, UPDATE
// or DELETE was interrupted).
var errTxLost = errors.New("the transaction was rolled back")

// savepoint runs fn inside a savepoint of tx, rolled back to when fn
// fails. When that rollback fails, the transaction is no longer there:
// the error wraps errTxLost.
func savepoint(tx *sql.Tx, fn func(tx *sql.Tx) error) error {
	if _, err := tx.Exec("SAVEPOINT write"); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	ferr := fn(tx)
	if ferr != nil {
		if _, err := tx.Exec("ROLLBACK TO write"); err != nil {
			return errors.Join(ferr, fmt.Errorf("rollback to savepoint: %w", err), errTxLost)
		}
	}
	if _, err := tx.Exec("RELEASE write"); err != nil {
		return errors.Join(ferr, fmt.Errorf("release savepoint: %w", err))
	}
	return ferr
}
