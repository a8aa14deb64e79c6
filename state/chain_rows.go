package state

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
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

// scan reads every audit record in ID order and computes its digest; fn,
// when set, is called with each record as stored (what report access
// replays), in the same pass.
func (r *rowScan) scan(ctx context.Context, db *sql.DB, fn func(*storedRow) error) error {
	rows, err := db.QueryContext(ctx, `SELECT `+storedColumns+` FROM audit ORDER BY id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	x := newHasher()
	var row storedRow
	for rows.Next() {
		if err := scanStored(rows, &row); err != nil {
			return err
		}
		d, err := x.digest(&row)
		if err != nil {
			if r.bad == nil {
				r.bad = map[int64]string{}
			}
			r.bad[row.id] = err.Error()
		}
		r.ids = append(r.ids, row.id)
		r.digests = append(r.digests, d)
		if row.status == AuditPending {
			r.pending++
		}
		if row.redacted != "" {
			if r.redacted == nil {
				r.redacted = map[int64]bool{}
			}
			r.redacted[row.id] = true
			r.nRed++
		}
		if fn != nil {
			if err := fn(&row); err != nil {
				return err
			}
		}
	}
	return rows.Err()
}

// compare matches every record with its last chain entry: a record that
// differs was edited (or moved: its ID is in its digest), one with no entry
// was inserted, and an entry whose record is gone (and not pruned) names a
// deleted one. Records redacted without a redaction entry were altered.
func compare(c *chainScan, r *rowScan) []Problem {
	var out []Problem
	seen := make(map[int64]struct{}, len(r.ids))
	var prevSeq int64
	for i, id := range r.ids {
		seen[id] = struct{}{}
		info, ok := c.last[id]
		switch {
		case !ok:
			out = append(out, Problem{AuditID: id, after: prevSeq, What: "not in the chain: the record was inserted (or its ID changed)"})
			continue
		case r.bad[id] != "":
			out = append(out, Problem{AuditID: id, Seq: info.seq, What: "unreadable: " + r.bad[id]})
		case r.digests[i] != info.digest:
			out = append(out, Problem{AuditID: id, Seq: info.seq, What: "edited: the record differs from the digest chained at this entry"})
		case r.redacted[id] && !info.redacted && id > c.anonTo:
			out = append(out, Problem{AuditID: id, Seq: info.seq, What: "fields marked redacted with no redaction in the chain"})
		}
		prevSeq = info.seq
	}
	for id, info := range c.last {
		if _, ok := seen[id]; !ok && id > c.prunedTo {
			out = append(out, Problem{AuditID: id, Seq: info.seq, What: fmt.Sprintf("missing: the record chained at entry %d was deleted", info.seq)})
		}
	}
	return out
}
