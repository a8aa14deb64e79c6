package state

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
)

// CheckpointEvery is how many audit records a checkpoint is made after the
// one before: "report access" replays at most about that many records,
// and each checkpoint stores every account once (see docs/audit.md).
var CheckpointEvery int64 = 100_000

// Checkpoint makes the checkpoints due: one every CheckpointEvery records
// after the last one, up to the last record whose outcome is known. The
// records are verified as they are read; an audit that does not verify
// gets no checkpoint and an error wrapping ErrChainBroken. It returns how
// many it made (none when fewer records than CheckpointEvery came since).
func (s *Store) Checkpoint(ctx context.Context) (int, error) {
	cps, err := checkpoints(ctx, s.db)
	if err != nil {
		return 0, fmt.Errorf("state: checkpoint: %w", err)
	}
	var from, end int64
	if n := len(cps); n > 0 {
		from = cps[n-1].upTo
	} else if err := s.db.QueryRowContext(ctx, `SELECT coalesce(min(id), 1) - 1 FROM audit`).Scan(&from); err != nil {
		return 0, fmt.Errorf("state: checkpoint: %w", err)
	}
	if end, err = s.settledEnd(ctx); err != nil {
		return 0, fmt.Errorf("state: checkpoint: %w", err)
	}
	var marks []int64
	for m := from + CheckpointEvery; m <= end; m += CheckpointEvery {
		marks = append(marks, m)
	}
	if len(marks) == 0 {
		return 0, s.heldBack(ctx, from)
	}
	return s.makeCheckpoints(ctx, cps, marks, nil, "every "+fmt.Sprint(CheckpointEvery)+" records")
}

// Background runs f in a goroutine, unless the f of an earlier call is
// still running (then it does nothing and returns false). Close cancels
// f's ctx and waits for it to return. For the upkeep a long-running
// process (the daemon) does not make its runs wait for: the audit's
// retention and checkpoints.
func (s *Store) Background(f func(ctx context.Context)) bool {
	return s.bg.start(f)
}

// bgWork runs one background task at a time.
type bgWork struct {
	mu      sync.Mutex
	running bool
	stopped bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// start runs f in a goroutine unless a task is running already or the
// work was stopped.
func (b *bgWork) start(f func(ctx context.Context)) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.running || b.stopped {
		return false
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.running, b.cancel = true, cancel
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		defer cancel()
		f(ctx)
		b.mu.Lock()
		b.running = false
		b.mu.Unlock()
	}()
	return true
}

// stop cancels the running task, waits for it, and refuses new ones.
func (b *bgWork) stop() {
	b.mu.Lock()
	b.stopped = true
	if b.cancel != nil {
		b.cancel()
	}
	b.mu.Unlock()
	b.wg.Wait()
}

// heldBack returns an error naming the first pending record when it holds
// back a checkpoint due long ago (records twice the span past the last
// checkpoint, from): the write of a target no run settles any more.
func (s *Store) heldBack(ctx context.Context, from int64) error {
	var last int64
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM audit`).Scan(&last); err != nil || last-from < 2*CheckpointEvery {
		return err
	}
	var id int64
	var target string
	err := s.db.QueryRowContext(ctx, `SELECT id, target FROM audit INDEXED BY audit_pending WHERE status = 'pending' ORDER BY id LIMIT 1`).Scan(&id, &target)
	if err != nil {
		return err
	}
	return fmt.Errorf("state: checkpoint: audit record %d (target %q) is still pending and holds back the checkpoints, which cover only records whose outcome is known: the next apply run of that target settles it", id, target)
}

// settledEnd returns the last record before the first pending one (or the
// last record): a checkpoint covers only records whose outcome is known.
func (s *Store) settledEnd(ctx context.Context) (int64, error) {
	var end int64
	err := s.db.QueryRowContext(ctx, `SELECT coalesce((SELECT min(id) - 1 FROM audit INDEXED BY audit_pending WHERE status = 'pending'), (SELECT max(id) FROM audit), 0)`).Scan(&end)
	return end, err
}

// made is a checkpoint made by a pass, stored once the pass verified.
type made struct {
	cp   checkpoint
	blob []byte
}

// makeCheckpoints makes a checkpoint at each mark, in order, each with a
// verified pass from the one before (the latest of cps before it at
// first): one state in memory at a time. chainFrom gives, for a checkpoint
// made again (after a redaction), the chainFrom it had. It stops at the
// first that is not made.
func (s *Store) makeCheckpoints(ctx context.Context, cps []checkpoint, marks []int64, chainFrom map[int64]int64, why string) (int, error) {
	slices.Sort(marks)
	n := 0
	for _, m := range marks {
		made, err := s.makeAt(ctx, cps, []int64{m}, chainFrom, why)
		if n += made; err != nil || made == 0 {
			return n, err
		}
		if cps, err = checkpoints(ctx, s.db); err != nil {
			return n, err
		}
	}
	return n, nil
}

// makeAt runs one verified pass from the latest of cps before the first
// mark and makes a checkpoint at each mark.
func (s *Store) makeAt(ctx context.Context, cps []checkpoint, marks []int64, chainFrom map[int64]int64, why string) (int, error) {
	rp := newReplay(AccessQuery{})
	rp.at = math.MaxInt64
	sp := span{partial: true}
	for i := range cps {
		if cps[i].upTo < marks[0] {
			sp.from = &cps[i]
		}
	}
	if sp.from != nil {
		from := sp.from
		rp.init = func(ctx context.Context) error { return loadCheckpoint(ctx, s.db, from, rp) }
	}
	sp.hi = marks[len(marks)-1]
	var out []made
	rp.marks = marks
	rp.onMark = func(upTo int64) error {
		blob, err := encodeState(rp)
		if err != nil {
			return fmt.Errorf("checkpoint %d: %w", upTo, err)
		}
		out = append(out, made{checkpoint{upTo: upTo, time: rp.maxTime, accounts: int64(len(rp.accounts)), skipped: int64(rp.skippedFor(""))}, blob})
		return nil
	}
	res, err := s.verify(ctx, VerifyOptions{}, rp, sp)
	if err != nil {
		return 0, fmt.Errorf("state: checkpoint: %w", err)
	}
	if !res.OK() {
		return 0, fmt.Errorf("state: checkpoint: %w: %s (run idsync audit verify)", ErrChainBroken, res.Problems[0])
	}
	n := 0
	err = s.write(ctx, "checkpoint the audit", func(tx *sql.Tx) error {
		n = 0 // a write may be run again (state/write.go)
		// A redaction or retention since the pass changed what it read:
		// its checkpoints would not match the records; the next call
		// makes them again.
		var changed int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM audit_chain WHERE seq > ? AND event NOT IN ('insert', 'complete', 'settle')`,
			res.Head.Seq).Scan(&changed); err != nil || changed > 0 {
			return err
		}
		for _, m := range out {
			if cf, ok := chainFrom[m.cp.upTo]; ok {
				m.cp.chainFrom = cf
			} else if m.cp.chainFrom, err = firstEntryAfter(ctx, tx, m.cp.upTo); err != nil {
				return err
			}
			m.cp.stateSum = sha256.Sum256(m.blob)
			note := fmt.Sprintf("checkpoint of the records up to %d (%d accounts): %s", m.cp.upTo, m.cp.accounts, why)
			if err := storeCheckpoint(ctx, tx, m.cp, m.blob, note); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// firstEntryAfter returns the chain entry just before the first insert of a
// record after upTo, or the head when there is none yet: every entry of
// the records after upTo, and a checkpoint of upTo appended now, come
// after it. Inserts are chained in ID order, so the first is found by
// bisecting the chain on the last insert at or before an entry.
func firstEntryAfter(ctx context.Context, tx *sql.Tx, upTo int64) (int64, error) {
	var head int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce((SELECT seq FROM audit_head WHERE id = 1), 0)`).Scan(&head); err != nil {
		return 0, err
	}
	var next sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT min(id) FROM audit WHERE id > ?`, upTo).Scan(&next); err != nil || !next.Valid {
		return head, err
	}
	// lastInsert returns the record of the last insert at or before seq.
	lastInsert := func(seq int64) (int64, error) {
		var id sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT audit_id FROM audit_chain WHERE seq <= ? AND event = 'insert' ORDER BY seq DESC LIMIT 1`, seq).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil
		}
		return id.Int64, err
	}
	lo, hi := int64(0), head // lastInsert(lo) < next <= lastInsert(hi)
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		id, err := lastInsert(mid)
		if err != nil {
			return 0, err
		}
		if id >= next.Int64 {
			hi = mid
		} else {
			lo = mid
		}
	}
	return lo, nil
}
