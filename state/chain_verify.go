package state

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// ErrChainBroken is wrapped by the error of a report that needs a verified
// audit chain when the chain does not verify.
var ErrChainBroken = errors.New("the audit chain does not verify")

// VerifyOptions tunes VerifyAudit.
type VerifyOptions struct {
	// Head, when Seq is set, is a head logged earlier: the chain must hold
	// an entry at Head.Seq with hash Head.Hash, else it was rewritten.
	Head ChainHead
	// Checkpoints also reads every checkpoint's state and checks it
	// against the digest it was stored with (a report checks the one it
	// starts from).
	Checkpoints bool
}

// Problem is one place where the audit does not match its chain.
type Problem struct {
	Seq     int64  // the chain entry concerned, 0 when none
	AuditID int64  // the audit record concerned, 0 when none
	What    string // what is wrong, in words
	after   int64  // for a record with no entry: the entry of the record before
	recheck bool   // a run writing during the passes could explain it
}

func (p Problem) String() string {
	switch {
	case p.AuditID != 0 && p.Seq != 0:
		return fmt.Sprintf("audit record %d (chain entry %d): %s", p.AuditID, p.Seq, p.What)
	case p.AuditID != 0:
		return fmt.Sprintf("audit record %d: %s", p.AuditID, p.What)
	}
	return fmt.Sprintf("chain entry %d: %s", p.Seq, p.What)
}

// VerifyResult is what VerifyAudit found.
type VerifyResult struct {
	Head     ChainHead // the last entry of the chain as stored
	Entries  int64     // chain entries checked
	Records  int64     // audit records checked
	Pending  int64     // records still pending (their outcome not yet known)
	Redacted int64     // records with redacted personal fields
	PrunedTo int64     // records up to this ID were pruned by the retention
	// Checkpoints is how many checkpoints were checked (their states too
	// with VerifyOptions.Checkpoints).
	Checkpoints int
	// From, for a report, is the last record of the checkpoint it
	// started from (0: the first record).
	From     int64
	Problems []Problem // in chain order; none when the audit verifies
}

// OK reports whether the audit verified.
func (r VerifyResult) OK() bool { return len(r.Problems) == 0 }

// maxProblems bounds the problems VerifyAudit lists.
const maxProblems = 100

// entryInfo is the last chain entry of one audit record.
type entryInfo struct {
	seq      int64 // 0: the record has no entry
	digest   [sha256.Size]byte
	redacted bool // a redact entry names the record
	seen     bool // the record is there (set by compare)
}

// VerifyAudit checks the audit against its chain: every entry's hash, the
// head, and every record's digest against its last entry. It finds an
// edited, deleted, inserted, reordered or truncated record and lists the
// problems in chain order, the first bad record first. A redaction and a
// retention prune or anonymisation verify. The chain and the records are
// read in parallel.
func (s *Store) VerifyAudit(ctx context.Context, opts VerifyOptions) (VerifyResult, error) {
	return s.verify(ctx, opts, nil, span{})
}

// span is the part of the audit a pass reads: the whole of it (the zero
// span), or the records after a checkpoint (report access, and the pass
// that makes the next checkpoints).
type span struct {
	// partial: a report's or a checkpoint's pass, which checks only the
	// checkpoint it starts from (audit verify checks them all).
	partial bool
	from    *checkpoint // the checkpoint the replay starts from; nil: the first record
	hi      int64       // the last record read; 0: the last there is
	extra   []int64     // records past hi read too (dated at or before the report's date), in ID order
}

// verify is VerifyAudit feeding rp, when set, the records it reads (the
// replay of report access, in the same pass), over the span sp.
func (s *Store) verify(ctx context.Context, opts VerifyOptions, rp *replay, sp span) (VerifyResult, error) {
	var res VerifyResult
	// The passes run on their own connections, each its own snapshot,
	// while an apply may be writing: the chain is read up to the head
	// as it was at the start, and what seems wrong is checked again at
	// the end in one snapshot (recheck).
	head, err := chainHead(ctx, s.db)
	if err != nil {
		return res, fmt.Errorf("state: verify audit: %w", err)
	}
	var lo, hi sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT min(id), max(id) FROM audit`).Scan(&lo, &hi); err != nil {
		return res, fmt.Errorf("state: verify audit: %w", err)
	}
	chain := chainScan{upTo: head.Seq}
	if sp.from != nil {
		chain.start, chain.recFrom = sp.from.chainFrom, sp.from.upTo
		lo.Int64 = max(lo.Int64, sp.from.upTo+1)
	}
	if sp.hi != 0 {
		hi.Int64 = min(hi.Int64, sp.hi)
		chain.recTo, chain.extra = sp.hi, sp.extra
	}
	lo.Valid = lo.Valid && lo.Int64 <= hi.Int64
	chain.last = newLastEntries(lo.Int64, hi.Int64, head.Seq)
	var rows rowScan
	fns := []func(context.Context) error{
		func(ctx context.Context) error { return chain.scan(ctx, s.db, opts.Head) },
	}
	var cps []checkpoint
	if !sp.partial {
		if cps, err = checkpoints(ctx, s.db); err != nil {
			return res, fmt.Errorf("state: verify audit: %w", err)
		}
		if opts.Checkpoints {
			fns = append(fns, func(ctx context.Context) error { return readStates(ctx, s.db, cps) })
		}
	}
	if lo.Valid {
		fns = append(fns, func(ctx context.Context) error {
			// Every record has an entry: the chain bounds the IDs' span.
			return rows.scanParallel(ctx, s.db, lo.Int64, hi.Int64, 2*head.Seq+rowChunk, verifyWorkers(), rp)
		})
	}
	if err := all(ctx, fns...); err != nil {
		return res, fmt.Errorf("state: verify audit: %w", err)
	}
	if rp != nil {
		// A pass with no records to read has not loaded the checkpoint.
		if err := rp.start(ctx); err != nil {
			return res, fmt.Errorf("state: verify audit: %w", err)
		}
	}
	if len(sp.extra) > 0 {
		if err := rows.scanIDs(ctx, s.db, sp.extra, rp); err != nil {
			return res, fmt.Errorf("state: verify audit: %w", err)
		}
	}
	if rp != nil && rp.onMark != nil {
		if err := rp.flushMarks(hi.Int64); err != nil {
			return res, fmt.Errorf("state: verify audit: %w", err)
		}
	}
	if sp.from != nil {
		cps = []checkpoint{*sp.from} // its stateSum set by the load
		res.From = sp.from.upTo
	}
	res.Records, res.Pending, res.Redacted = int64(len(rows.ids)), rows.pending, rows.nRed
	res.Head, res.Entries, res.PrunedTo, res.Checkpoints = head, chain.entries, chain.prunedTo, len(cps)
	probs := chain.problems
	probs = append(probs, chain.checkHead(head)...)
	if p, err := s.pastHead(ctx); err != nil {
		return res, fmt.Errorf("state: verify audit: %w", err)
	} else if p != nil {
		probs = append(probs, *p)
	}
	probs = append(probs, compare(&chain, &rows)...)
	probs = append(probs, chain.checkCheckpoints(cps, sp.partial)...)
	if probs, err = s.recheck(ctx, head, &chain, probs); err != nil {
		return res, fmt.Errorf("state: verify audit: %w", err)
	}
	sort.SliceStable(probs, func(i, j int) bool { return probs[i].pos() < probs[j].pos() })
	if len(probs) > maxProblems {
		probs = probs[:maxProblems]
	}
	res.Problems = probs
	return res, nil
}

// pastHead finds chain entries after the head (a run moves both in one
// transaction: only a hand can leave entries past it).
func (s *Store) pastHead(ctx context.Context) (*Problem, error) {
	var head, last sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT (SELECT seq FROM audit_head WHERE id = 1), (SELECT max(seq) FROM audit_chain)`).Scan(&head, &last)
	if err != nil || last.Int64 <= head.Int64 {
		return nil, err
	}
	return &Problem{Seq: head.Int64 + 1, What: fmt.Sprintf("the chain goes on after its head (entry %d) to entry %d: entries were appended by hand", head.Int64, last.Int64)}, nil
}

// recheck looks again, in one read transaction, at the records found
// wrong when the chain grew during the passes: a record completed,
// settled or pruned by a run meanwhile matches the entries written since
// (checked too, from the head the passes started with).
func (s *Store) recheck(ctx context.Context, head ChainHead, c *chainScan, probs []Problem) ([]Problem, error) {
	var again []Problem
	for _, p := range probs {
		if p.recheck {
			again = append(again, p)
		}
	}
	if len(again) == 0 {
		return probs, nil
	}
	now, err := chainHead(ctx, s.db)
	if err != nil || now == head {
		return probs, err
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	tail := chainScan{last: c.last, lastSeq: c.lastSeq, lastHash: c.lastHash, prunedTo: c.prunedTo, anonTo: c.anonTo,
		recFrom: c.recFrom, recTo: c.recTo, extra: c.extra, cps: c.cps}
	if err := tail.scanFrom(ctx, tx, head.Seq); err != nil {
		return nil, err
	}
	if len(tail.problems) > 0 {
		return append(probs, tail.problems...), nil
	}
	x := newHasher()
	out := probs[:0]
	for _, p := range probs {
		if !p.recheck || !tail.settles(ctx, tx, x, p.AuditID) {
			out = append(out, p)
		}
	}
	return out, nil
}

// settles reports whether record id, read now inside tx, matches its last
// entry (or is gone under a prune).
func (c *chainScan) settles(ctx context.Context, tx *sql.Tx, x *hasher, id int64) bool {
	var r storedRow
	err := scanStored(tx.QueryRowContext(ctx, `SELECT `+storedColumns+` FROM audit WHERE id = ?`, id), &r)
	info, chained := c.last.get(id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return id <= c.prunedTo
	case err != nil || !chained:
		return false
	}
	d, err := x.digest(&r)
	return err == nil && d == info.digest
}

// verifyWorkers is how many goroutines digest the records: one per CPU
// the process may use, the chain scan taking its share.
func verifyWorkers() int { return max(1, runtime.GOMAXPROCS(0)) }

// all runs fns in parallel and returns their errors joined; once one
// fails the others are cancelled.
func all(ctx context.Context, fns ...func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, len(fns))
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = fn(ctx); errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// lastEntries holds each record's last chain entry: in a slice indexed
// by ID for the IDs of the records there when the pass started (most
// entries), in a map for the others.
type lastEntries struct {
	lo    int64
	dense []entryInfo
	other map[int64]entryInfo
}

// newLastEntries makes room for the records lo..hi; a range much wider
// than the chain (IDs changed by hand) is capped, the rest going to the
// map.
func newLastEntries(lo, hi, entries int64) *lastEntries {
	n := hi - lo + 1
	n = max(0, min(n, 2*entries+1024))
	return &lastEntries{lo: lo, dense: make([]entryInfo, n), other: map[int64]entryInfo{}}
}

func (l *lastEntries) get(id int64) (entryInfo, bool) {
	if p := l.slot(id); p != nil {
		return *p, p.seq != 0
	}
	info, ok := l.other[id]
	return info, ok
}

func (l *lastEntries) put(id int64, info entryInfo) {
	if p := l.slot(id); p != nil {
		*p = info
		return
	}
	l.other[id] = info
}

// slot returns id's place in the slice, nil when it has none.
func (l *lastEntries) slot(id int64) *entryInfo {
	if i := id - l.lo; i >= 0 && i < int64(len(l.dense)) {
		return &l.dense[i]
	}
	return nil
}

// markSeen notes that record id is there and returns its last entry.
func (l *lastEntries) markSeen(id int64) (entryInfo, bool) {
	if p := l.slot(id); p != nil {
		p.seen = true
		return *p, p.seq != 0
	}
	info, ok := l.other[id]
	if ok {
		info.seen = true
		l.other[id] = info
	}
	return info, ok
}

// each calls fn with every record that has an entry, in no set order.
func (l *lastEntries) each(fn func(id int64, info entryInfo)) {
	for i := range l.dense {
		if l.dense[i].seq != 0 {
			fn(l.lo+int64(i), l.dense[i])
		}
	}
	for id, info := range l.other {
		fn(id, info)
	}
}

// chainScan holds what the pass over audit_chain found.
type chainScan struct {
	last *lastEntries
	// start, when set, is the entry the scan starts after (a pass from a
	// checkpoint); recFrom and recTo, when set, bound the records whose
	// entries are noted (the records the pass reads), extra naming more.
	start, recFrom, recTo int64
	extra                 []int64
	cps                   map[int64]cpEntry // each checkpoint's last entry, by the last record it covers
	held                  []heldEntry       // set: what the entries note is held here (see scan)
	lastSeq               int64
	lastHash              string // the stored bytes
	upTo                  int64  // read no further than this entry (the head at the start)
	entries               int64
	prunedTo              int64
	anonTo                int64
	headFound             bool
	problems              []Problem
	wantHead              ChainHead
	headTooNew            bool
}

// scan reads the chain in order, checks each entry's hash against the
// stored hash of the one before, and notes each record's last entry.
func (c *chainScan) scan(ctx context.Context, db *sql.DB, want ChainHead) error {
	if c.last == nil {
		c.last = newLastEntries(0, -1, 0)
	}
	c.wantHead = want
	if c.start > 0 {
		if err := c.startAfter(ctx, db, c.start); err != nil {
			return err
		}
		if c.lastSeq != c.start {
			c.add(Problem{Seq: c.start, What: "missing: the entry a checkpoint starts from was deleted"})
			c.lastSeq = c.start
		}
	}
	if c.upTo-c.start < 2*chainSplit {
		return c.read(ctx, db, c.start, c.upTo)
	}
	// Two halves read in parallel: each entry's hash is checked against
	// the stored hash of the one before, so the second half starts from
	// the stored entry where the first ends. What it notes waits for the
	// first half, to be applied in chain order.
	mid := c.start + (c.upTo-c.start)/2
	tail := &chainScan{upTo: c.upTo, recFrom: c.recFrom, recTo: c.recTo, extra: c.extra, wantHead: want, held: []heldEntry{}}
	err := all(ctx,
		func(ctx context.Context) error { return c.read(ctx, db, c.start, mid) },
		func(ctx context.Context) error {
			if err := tail.startAfter(ctx, db, mid); err != nil {
				return err
			}
			return tail.read(ctx, db, mid, c.upTo)
		})
	if err != nil {
		return err
	}
	c.entries += tail.entries
	c.headFound = c.headFound || tail.headFound
	for _, p := range tail.problems {
		c.add(p)
	}
	for i := range tail.held {
		h := &tail.held[i]
		e := chainEntry{seq: h.seq, auditID: h.auditID, event: h.event}
		if h.sha {
			e.digest = string(h.digest[:])
		}
		c.note(&e)
	}
	c.lastSeq, c.lastHash = tail.lastSeq, tail.lastHash
	return nil
}

// chainSplit is the shortest half of a chain scan read in parallel (a
// variable for the tests).
var chainSplit int64 = 1 << 16

// heldEntry is what an entry read by the second half of a scan notes, held
// until the first half is done.
type heldEntry struct {
	seq, auditID int64
	event        string
	sha          bool // the digest is a SHA-256 (unless altered)
	digest       [sha256.Size]byte
}

// startAfter makes the scan start after the last stored entry at or
// before seq.
func (c *chainScan) startAfter(ctx context.Context, db *sql.DB, seq int64) error {
	var h []byte
	err := db.QueryRowContext(ctx, `SELECT seq, hash FROM audit_chain WHERE seq <= ? ORDER BY seq DESC LIMIT 1`, seq).Scan(&c.lastSeq, &h)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	c.lastHash = string(h)
	return nil
}

// scanFrom goes on reading the chain after entry from, to its end, inside
// tx.
func (c *chainScan) scanFrom(ctx context.Context, tx *sql.Tx, from int64) error {
	return c.read(ctx, tx, from, math.MaxInt64)
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

type chainQuerier interface {
	querier
	queryer
}

// read checks the entries after from up to to, in order.
func (c *chainScan) read(ctx context.Context, db chainQuerier, from, to int64) error {
	// One text column per entry (see storedColumns): the numbers and
	// lengths, then the event, note, digest and hash, these two as
	// stored (bytes, not hex: half the size, and nothing to decode).
	rows, err := db.QueryContext(ctx, `SELECT concat(seq, ' ', audit_id, ' ', octet_length(event), ' ',
		octet_length(note), ' ', octet_length(digest), ' ', event, note, digest, hash)
		FROM audit_chain WHERE seq > ? AND seq <= ? ORDER BY seq`, from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	x := newHasher()
	var e chainEntry
	var packed string
	want := c.wantHead
	for rows.Next() {
		if err := rows.Scan(&packed); err != nil {
			return err
		}
		if err := unpackEntry(packed, &e); err != nil {
			return err
		}
		c.entries++
		if e.seq != c.lastSeq+1 {
			c.add(Problem{Seq: c.lastSeq + 1, What: fmt.Sprintf("missing: the chain goes from entry %d to %d (entries deleted)", c.lastSeq, e.seq)})
		} else if got := x.link(&e, c.lastHash); string(got[:]) != e.hash {
			c.add(Problem{Seq: e.seq, AuditID: e.auditID, What: "hash mismatch: the entry, or the one before it, was edited, inserted or moved"})
		}
		if want.Seq != 0 && want.Seq == e.seq {
			c.headFound = true
			if h := hex.EncodeToString([]byte(e.hash)); h != strings.ToLower(want.Hash) {
				c.add(Problem{Seq: e.seq, What: fmt.Sprintf("the logged head %s does not match this entry's hash %s: the chain was rewritten", want, h)})
			}
		}
		c.note(&e)
		c.lastHash, c.lastSeq = e.hash, e.seq
	}
	return rows.Err()
}

// unpackEntry takes apart one packed chain entry.
func unpackEntry(packed string, e *chainEntry) error {
	var nums [5]int64
	rest := packed
	for i := range nums {
		sp := strings.IndexByte(rest, ' ')
		if sp < 0 {
			return fmt.Errorf("audit chain: bad packed form")
		}
		n, err := strconv.ParseInt(rest[:sp], 10, 64)
		if err != nil {
			return fmt.Errorf("audit chain: %w", err)
		}
		nums[i], rest = n, rest[sp+1:]
	}
	e.seq, e.auditID = nums[0], nums[1]
	for i, dst := range []*string{&e.event, &e.note, &e.digest} {
		n := nums[2+i]
		if n < 0 || n > int64(len(rest)) {
			return fmt.Errorf("audit chain entry %d: bad length", e.seq)
		}
		*dst, rest = rest[:n], rest[n:]
	}
	e.hash = rest
	return nil
}

// note records what entry e says about its record.
func (c *chainScan) note(e *chainEntry) {
	if c.held != nil {
		c.hold(e)
		return
	}
	switch e.event {
	case eventPrune:
		c.prunedTo = max(c.prunedTo, e.auditID)
		return
	case eventAnonymise:
		c.anonTo = max(c.anonTo, e.auditID)
		return
	case eventCheckpoint, eventDropCP:
		c.noteCheckpoint(e)
		return
	}
	if !c.reads(e.auditID) {
		return
	}
	info, _ := c.last.get(e.auditID)
	info.seq = e.seq
	if len(e.digest) != sha256.Size {
		c.add(Problem{Seq: e.seq, AuditID: e.auditID, What: "the entry's digest is not a SHA-256"})
		info.digest = [sha256.Size]byte{}
	} else {
		copy(info.digest[:], e.digest)
	}
	if e.event == eventRedact {
		info.redacted = true
	}
	c.last.put(e.auditID, info)
}

// hold keeps what e notes, when it can matter, for the scan's first half.
func (c *chainScan) hold(e *chainEntry) {
	var ev string
	switch e.event {
	case eventPrune, eventAnonymise, eventCheckpoint, eventDropCP:
		ev = e.event
	case eventInsert, eventComplete, eventSettle, eventRedact:
		if !c.reads(e.auditID) {
			return
		}
		ev = e.event
	default:
		ev = strings.Clone(e.event)
	}
	h := heldEntry{seq: e.seq, auditID: e.auditID, event: ev, sha: len(e.digest) == sha256.Size}
	copy(h.digest[:], e.digest)
	c.held = append(c.held, h)
}

func (c *chainScan) add(p Problem) {
	if len(c.problems) < maxProblems {
		c.problems = append(c.problems, p)
	}
}

// checkHead compares the end of the chain with the stored head and the
// logged head wanted.
func (c *chainScan) checkHead(head ChainHead) []Problem {
	var out []Problem
	switch {
	case head.Seq > c.lastSeq:
		out = append(out, Problem{Seq: c.lastSeq + 1, What: fmt.Sprintf("truncated: the chain ends at entry %d but its head is entry %d", c.lastSeq, head.Seq)})
	case head.Seq < c.lastSeq:
		out = append(out, Problem{Seq: head.Seq + 1, What: fmt.Sprintf("the chain goes on after its head (entry %d) to entry %d: entries were appended by hand", head.Seq, c.lastSeq)})
	case head.Seq != 0 && head.Hash != hex.EncodeToString([]byte(c.lastHash)):
		out = append(out, Problem{Seq: head.Seq, What: "the head's hash differs from the last entry's"})
	}
	if c.wantHead.Seq != 0 && !c.headFound {
		out = append(out, Problem{Seq: min(c.wantHead.Seq, c.lastSeq+1), What: fmt.Sprintf("the logged head %s is past the end of the chain (entry %d): the chain was truncated or rewritten", c.wantHead, c.lastSeq)})
	}
	return out
}

// ParseChainHead parses "SEQ:HASH" (as logged, and as ChainHead.String
// writes it).
func ParseChainHead(s string) (ChainHead, error) {
	seq, h, ok := strings.Cut(strings.TrimSpace(s), ":")
	n, err := strconv.ParseInt(seq, 10, 64)
	if !ok || err != nil || n < 1 || len(h) != 2*sha256.Size {
		return ChainHead{}, fmt.Errorf("chain head %q: want SEQ:HASH, as logged at the end of a run (a positive number, a colon, 64 hex digits)", s)
	}
	return ChainHead{Seq: n, Hash: strings.ToLower(h)}, nil
}

// pos orders problems along the chain; a record that has no entry is
// placed after the entry of the record before it (see compare).
func (p Problem) pos() float64 {
	if p.Seq == 0 {
		return float64(p.after) + 0.5
	}
	return float64(p.Seq)
}
