package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	gosync "sync"

	"github.com/idsync/idsync/targets"
)

// job is one step of an apply: an account change or a group's changes of
// one phase. keys name the objects it writes (an account, a userName, a
// person, a group): two jobs sharing a key never run at the same time.
type job struct {
	keys []string
	run  func(ctx context.Context, w *Applier) error
}

// phases returns the jobs of p in their four phases, each a barrier for
// the next: members removed from groups; leavers (and orphans) disabled or
// deleted; movers, rehires, adoptions and joiners written; groups created
// and members added.
func (ap *Applier) phases(p *Plan, gm targets.GroupManager, r *applyRun) [][]job {
	out := make([][]job, 4)
	for i := range p.Groups {
		g := &p.Groups[i]
		keys := []string{"group:" + strings.ToLower(g.Role)}
		if len(g.Remove) > 0 && g.GroupID != "" {
			out[0] = append(out[0], job{keys: keys, run: func(ctx context.Context, w *Applier) error { return w.revoke(ctx, gm, g, r) }})
		}
		if g.Create || g.Adopt || len(g.Add) > 0 {
			out[3] = append(out[3], job{keys: keys, run: func(ctx context.Context, w *Applier) error { return w.grant(ctx, gm, g, r) }})
		}
	}
	for i := range p.Changes {
		c := &p.Changes[i]
		if c.Action == Report {
			continue
		}
		phase := 2
		if revokes(c) {
			phase = 1
		}
		out[phase] = append(out[phase], job{keys: accountKeys(c), run: func(ctx context.Context, w *Applier) error { return w.account(ctx, c, r) }})
	}
	return out
}

// steps is the number of jobs of all phases: what a progress meter counts.
func steps(phases [][]job) int {
	n := 0
	for _, ph := range phases {
		n += len(ph)
	}
	return n
}

// accountKeys names what an account change writes: the account, the
// userName it claims (two creates of one userName never race), and the
// person.
func accountKeys(c *Change) []string {
	var keys []string
	if c.TargetID != "" {
		keys = append(keys, "account:"+c.TargetID)
	}
	for _, a := range []*targets.Account{c.After, c.Before} {
		if a != nil && a.UserName != "" {
			keys = append(keys, "username:"+strings.ToLower(a.UserName))
		}
	}
	if c.UserName != "" {
		keys = append(keys, "username:"+strings.ToLower(c.UserName))
	}
	if c.SourceID != "" {
		keys = append(keys, "person:"+c.SourceID)
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// runPhase runs the jobs of one phase with up to ap.Concurrency writes in
// flight and returns when all are done, calling done (from the workers,
// concurrently) after each job that did not stop the phase. It runs twice
// as many workers as writes in flight (see writeSlots). Each worker is a
// copy of ap with its own held outcome, flushed before the worker ends, so
// that every write's intent is committed before it is sent and its outcome
// before the phase ends.
//
// A per-object error is settled by the job itself; any other error stops
// the phase: no job starts after it and no write waiting for a slot is
// sent (its row is completed as not sent), the writes in flight end as
// they would, and the first such error is returned.
func (ap *Applier) runPhase(ctx context.Context, jobs []job, done func()) error {
	n := min(max(ap.Concurrency, 1), len(jobs))
	if n <= 1 {
		for _, j := range jobs {
			if err := j.run(ctx, ap); err != nil {
				return err
			}
			done()
		}
		return nil
	}
	if err := ap.flush(ctx); err != nil {
		return err
	}
	var (
		locks  = newKeyLocks()
		queue  = make(chan job)
		mu     gosync.Mutex
		failed error
		wg     gosync.WaitGroup
	)
	slots := newWriteSlots(n)
	stopped := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return failed != nil || slots.halted()
	}
	fail := func(err error) {
		slots.halt()
		mu.Lock()
		defer mu.Unlock()
		if failed == nil {
			failed = err
		} else if !errors.Is(failed, err) {
			failed = errors.Join(failed, err)
		}
	}
	for range min(2*n, len(jobs)) {
		w := ap.worker()
		w.slots = slots
		wg.Go(func() {
			for j := range queue {
				if stopped() {
					continue
				}
				locks.lock(j.keys)
				err := runRecovered(ctx, j, w)
				locks.unlock(j.keys)
				if errors.Is(err, errNotSent) {
					continue // the phase stopped: its error is the other write's
				}
				if err != nil {
					fail(err)
					continue
				}
				done()
			}
			if err := w.flush(ctx); err != nil {
				fail(fmt.Errorf("record the last change: %w", err))
			}
		})
	}
	for _, j := range jobs {
		if stopped() {
			break
		}
		queue <- j
	}
	close(queue)
	wg.Wait()
	return failed
}

// runRecovered runs j, turning a panic (in a target client, say) into an
// error that stops the run: a worker goroutine is not the engine's, whose
// recovery would otherwise fail the run and keep the daemon up. The
// write's intent is on record; the next run marks it unconfirmed.
func runRecovered(ctx context.Context, j job, w *Applier) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("apply %s: panic: %v", strings.Join(j.keys, " "), r)
		}
	}()
	return j.run(ctx, w)
}

// worker returns a copy of ap for one worker goroutine: same target,
// store and run, nothing held.
func (ap *Applier) worker() *Applier {
	w := *ap
	w.held, w.slots = nil, nil
	return &w
}

// keyLocks lets a job hold all its keys at once or wait: a job never
// holds some keys while waiting for others, so jobs cannot deadlock.
type keyLocks struct {
	mu   gosync.Mutex
	cond *gosync.Cond
	held map[string]bool
}

func newKeyLocks() *keyLocks {
	l := &keyLocks{held: map[string]bool{}}
	l.cond = gosync.NewCond(&l.mu)
	return l
}

func (l *keyLocks) lock(keys []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for slices.ContainsFunc(keys, func(k string) bool { return l.held[k] }) {
		l.cond.Wait()
	}
	for _, k := range keys {
		l.held[k] = true
	}
}

func (l *keyLocks) unlock(keys []string) {
	l.mu.Lock()
	for _, k := range keys {
		delete(l.held, k)
	}
	l.mu.Unlock()
	l.cond.Broadcast()
}

// result returns a copy of what the run has done so far.
func (r *applyRun) result() Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := r.res
	res.Errors = slices.Clone(r.res.Errors)
	return res
}
