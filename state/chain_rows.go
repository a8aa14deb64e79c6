package state

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
)

// rowScan holds what the pass over the audit records found: each
// record's digest, in ID order.
type rowScan struct {
	ids      []int64
	digests  [][sha256.Size]byte
	redacted map[int64]bool // records with redacted fields
	bad      map[int64]string
	pending  int64
	nRed     int64
}

// rowChunk is how many record IDs one query of the parallel scan covers
// (a variable for the tests).
var rowChunk int64 = 1 << 14

// scanParallel computes the digest of every audit record with workers
// goroutines, each taking the next chunk of IDs in turn, and merges what
// they found in ID order. With rp set, the records also feed the replay
// of report access in the same pass: each chunk's records, in ID order,
// one chunk after the other, while the workers read the next chunks.
//
// The chunks cover the IDs lo..hi, but no more than span of them: the
// last chunk takes all the IDs past (records given far-off IDs by hand
// would otherwise make a chunk list as long as the gap).
func (r *rowScan) scanParallel(ctx context.Context, db *sql.DB, lo, hi, span int64, workers int, rp *replay) error {
	n := (min(hi-lo, max(span, 1)-1))/rowChunk + 1
	parts := make([]rowScan, n)
	var fed []chan []replayRec
	// inFlight bounds the chunks read and not yet replayed: the chunk
	// the replay waits for is always one of them, so it comes.
	inFlight := make(chan struct{}, 2*workers)
	if rp != nil {
		fed = make([]chan []replayRec, n)
		for i := range fed {
			fed[i] = make(chan []replayRec, 1)
		}
	}
	var next atomic.Int64
	fns := make([]func(context.Context) error, workers, workers+1)
	for i := range fns {
		fns[i] = func(ctx context.Context) error {
			for {
				if rp != nil {
					select {
					case inFlight <- struct{}{}:
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				k := next.Add(1) - 1
				if k >= n {
					return nil
				}
				from, to := lo+k*rowChunk, lo+k*rowChunk+rowChunk-1
				if k == n-1 {
					to = hi
				}
				var keep func(*storedRow)
				var rs []replayRec
				if rp != nil {
					keep = func(row *storedRow) {
						if !rp.wants(row) {
							return
						}
						if rs == nil {
							rs = make([]replayRec, 0, max(1, min(rowChunk, to-row.id+1)))
						}
						rs = append(rs, replayForm(row))
					}
				}
				if err := parts[k].scan(ctx, db, from, to, keep); err != nil {
					return err
				}
				if rp != nil {
					fed[k] <- rs
				}
			}
		}
	}
	if rp != nil {
		fns = append(fns, func(ctx context.Context) error {
			if err := rp.start(ctx); err != nil {
				return err
			}
			for k := range fed {
				select {
				case rs := <-fed[k]:
					for i := range rs {
						if err := rp.feed(&rs[i]); err != nil {
							return err
						}
					}
					<-inFlight
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		})
	}
	if err := all(ctx, fns...); err != nil {
		return err
	}
	total := 0
	for i := range parts {
		total += len(parts[i].ids)
	}
	r.ids, r.digests = make([]int64, 0, total), make([][sha256.Size]byte, 0, total)
	for i := range parts {
		r.merge(&parts[i])
	}
	return nil
}

func (r *rowScan) merge(p *rowScan) {
	r.ids = append(r.ids, p.ids...)
	r.digests = append(r.digests, p.digests...)
	r.pending += p.pending
	r.nRed += p.nRed
	for id := range p.redacted {
		r.note(&r.redacted, id, "")
	}
	for id, why := range p.bad {
		r.note(nil, id, why)
	}
}

// note adds id to a lazily made set: redacted (why "") or bad.
func (r *rowScan) note(set *map[int64]bool, id int64, why string) {
	if why != "" {
		if r.bad == nil {
			r.bad = map[int64]string{}
		}
		r.bad[id] = why
		return
	}
	if *set == nil {
		*set = map[int64]bool{}
	}
	(*set)[id] = true
}

// scan reads the audit records with IDs from..to in ID order and computes
// their digests; keep, when set, sees each record after.
func (r *rowScan) scan(ctx context.Context, db *sql.DB, from, to int64, keep func(*storedRow)) error {
	rows, err := db.QueryContext(ctx, `SELECT `+storedColumns+` FROM audit WHERE id BETWEEN ? AND ? ORDER BY id`, from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	x := newHasher()
	var row storedRow
	if n := to - from + 1; n > 0 && n < 1<<24 {
		r.ids, r.digests = make([]int64, 0, n), make([][sha256.Size]byte, 0, n)
	}
	for rows.Next() {
		if err := scanStored(rows, &row); err != nil {
			return err
		}
		r.add(x, &row)
		if keep != nil {
			keep(&row)
		}
	}
	return rows.Err()
}

// add notes one record read: its ID and digest, whether it is pending or
// redacted, and why it could not be digested.
func (r *rowScan) add(x *hasher, row *storedRow) {
	d, err := x.digest(row)
	if err != nil {
		r.note(nil, row.id, err.Error())
	}
	r.ids = append(r.ids, row.id)
	r.digests = append(r.digests, d)
	if row.status == AuditPending {
		r.pending++
	}
	if row.redacted != "" {
		r.note(&r.redacted, row.id, "")
		r.nRed++
	}
}

// scanIDs reads the records ids (in ID order, after the others) one by
// one, computes their digests and, with rp set, replays them.
func (r *rowScan) scanIDs(ctx context.Context, db *sql.DB, ids []int64, rp *replay) error {
	x := newHasher()
	for _, id := range ids {
		var row storedRow
		err := scanStored(db.QueryRowContext(ctx, `SELECT `+storedColumns+` FROM audit WHERE id = ?`, id), &row)
		if errors.Is(err, sql.ErrNoRows) {
			continue // deleted since: compare finds its entry
		}
		if err != nil {
			return err
		}
		r.add(x, &row)
		if rp != nil && rp.wants(&row) {
			rec := replayForm(&row)
			if err := rp.feed(&rec); err != nil {
				return err
			}
		}
	}
	return nil
}

// compare matches every record with its last chain entry: a record that
// differs was edited (or moved: its ID is in its digest), one with no entry
// was inserted, and an entry whose record is gone (and not pruned) names a
// deleted one. Records redacted without a redaction entry were altered.
func compare(c *chainScan, r *rowScan) []Problem {
	var out []Problem
	var prevSeq int64
	for i, id := range r.ids {
		info, ok := c.last.markSeen(id)
		switch {
		case !ok:
			out = append(out, Problem{AuditID: id, after: prevSeq, What: "not in the chain: the record was inserted (or its ID changed)", recheck: true})
			continue
		case r.bad[id] != "":
			out = append(out, Problem{AuditID: id, Seq: info.seq, What: "unreadable: " + r.bad[id]})
		case r.digests[i] != info.digest:
			out = append(out, Problem{AuditID: id, Seq: info.seq, What: "edited: the record differs from the digest chained at this entry", recheck: true})
		case r.redacted[id] && !info.redacted && id > c.anonTo:
			out = append(out, Problem{AuditID: id, Seq: info.seq, What: "fields marked redacted with no redaction in the chain"})
		}
		prevSeq = info.seq
	}
	c.last.each(func(id int64, info entryInfo) {
		if !info.seen && id > c.prunedTo {
			out = append(out, Problem{AuditID: id, Seq: info.seq, What: fmt.Sprintf("missing: the record chained at entry %d was deleted", info.seq), recheck: true})
		}
	})
	return out
}
