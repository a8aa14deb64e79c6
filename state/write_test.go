package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	gosync "sync"
	"testing"
	"time"
)

// TestCommitGroup: writes committed in one transaction each keep their
// own outcome: one that fails is rolled back to its savepoint (its row is
// not there) and only it gets the error; one whose ctx ends before the
// commit is not committed; the others are, and the audit chain verifies.
func TestCommitGroup(t *testing.T) {
	s := openTest(t)
	bg := context.Background()
	insert := func(src string, fail error) func(*sql.Tx) error {
		return func(tx *sql.Tx) error {
			a := audit("joiner", "create", src, "u-"+src)
			a.Status = AuditApplied
			if _, err := s.insertAudit(bg, tx, a); err != nil {
				return err
			}
			return fail
		}
	}
	cancelled, cancel := context.WithCancel(bg)
	group := []*writeReq{
		{ctx: bg, fn: insert("s1", nil)},
		{ctx: bg, fn: insert("s2", errInjected)},
		{ctx: cancelled, fn: insert("s3", nil)},
		{ctx: bg, fn: insert("s4", nil)},
	}
	s.beforeCommit = func(context.Context) error { cancel(); return nil } // s3's caller gives up before the commit
	errs := s.commitGroup(group)
	s.beforeCommit = nil
	want := []error{nil, errInjected, context.Canceled, nil}
	for i := range want {
		if !errors.Is(errs[i], want[i]) || (want[i] == nil) != (errs[i] == nil) {
			t.Errorf("write %d: err %v, want %v", i+1, errs[i], want[i])
		}
	}
	var got []string
	for _, a := range allAudit(t, s, AuditFilter{}) {
		got = append(got, a.SourceID)
	}
	if fmt.Sprint(got) != "[s1 s4]" {
		t.Errorf("rows of %v, want [s1 s4]", got)
	}
	if res, err := s.VerifyAudit(bg, VerifyOptions{}); err != nil || !res.OK() {
		t.Errorf("chain: %+v, %v", res.Problems, err)
	}
}

// TestGroupMadeAgainKeepsSnapshot: a group of writes made again without
// one whose ctx ended before the commit runs the others' functions a
// second time. SaveSnapshot's entries can be read once: it fails then,
// and never saves an empty snapshot as if it had saved them.
func TestGroupMadeAgainKeepsSnapshot(t *testing.T) {
	s := openTest(t)
	bg := context.Background()
	queued := make(chan struct{}, 2)
	s.queued = func() { queued <- struct{}{} }
	cctx, cancel := context.WithCancel(bg)
	defer cancel()
	s.beforeCommit = func(context.Context) error { cancel(); return nil } // the cookie's caller gives up before the commit
	s.wsem <- struct{}{}                                                  // hold the store: both writes go in one group
	errc := make(chan error, 2)
	go func() { errc <- s.SaveWatchCookie(cctx, "ldap", []byte("c"), time.Now()) }()
	<-queued
	i := 0
	go func() {
		errc <- s.SaveSnapshot(bg, "t", 0, func() (SnapshotEntry, bool, error) {
			if i++; i > 3 {
				return SnapshotEntry{}, false, nil
			}
			return SnapshotEntry{SourceID: fmt.Sprint("p", i), InScope: true}, true, nil
		})
	}()
	<-queued
	<-s.wsem
	var saveErr error
	for range 2 {
		if err := <-errc; err != nil && !errors.Is(err, context.Canceled) {
			saveErr = err
		}
	}
	s.beforeCommit = nil
	n := 0
	if err := s.Snapshot(bg, "t", func(SnapshotEntry) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if saveErr == nil && n != 3 {
		t.Errorf("SaveSnapshot of 3 entries returned nil, and the snapshot has %d rows", n)
	}
	if saveErr != nil && n != 0 {
		t.Errorf("SaveSnapshot failed (%v), yet the snapshot has %d rows", saveErr, n)
	}
}

// TestConcurrentCommits: commits from many goroutines at once (the
// workers of a concurrent apply) are all recorded, each with its link,
// and the chain verifies; a conflicting one fails alone.
func TestConcurrentCommits(t *testing.T) {
	s := openTest(t)
	bg := context.Background()
	if err := s.Commit(bg, Op{Audit: audit("joiner", "create", "taken", "u-taken"), Link: &Link{SourceID: "taken", TargetID: "u-taken"}}); err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 25
	var wg gosync.WaitGroup
	errs := make([]error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				n := w*each + i
				src, tid := fmt.Sprintf("s%03d", n), fmt.Sprintf("u%03d", n)
				if n == 77 {
					tid = "u-taken" // linked to another person: a conflict
				}
				a := audit("joiner", "create", src, tid)
				id, err := s.Begin(bg, a)
				if err == nil {
					a.ID = id
					err = s.Commit(bg, Op{Audit: a, Link: &Link{SourceID: src, TargetID: tid}})
				}
				errs[n] = err
			}
		})
	}
	wg.Wait()
	for n, err := range errs {
		if (n == 77) != errors.Is(err, ErrLinkConflict) {
			t.Errorf("commit %d: %v", n, err)
		}
	}
	if links := allLinks(t, s, "t"); len(links) != workers*each {
		t.Errorf("%d links, want %d", len(links), workers*each)
	}
	if res, err := s.VerifyAudit(bg, VerifyOptions{}); err != nil || !res.OK() || res.Pending != 1 {
		t.Errorf("chain: %+v (pending %d, want the conflicting one), %v", res.Problems, res.Pending, err)
	}
}
