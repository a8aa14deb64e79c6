package state

import (
	"crypto/sha256"
	"fmt"
	"slices"
)

// cpEntry is the last chain entry of one checkpoint.
type cpEntry struct {
	seq     int64
	digest  [sha256.Size]byte
	dropped bool // a drop-checkpoint entry
}

// noteCheckpoint records a checkpoint's entry.
func (c *chainScan) noteCheckpoint(e *chainEntry) {
	if c.cps == nil {
		c.cps = map[int64]cpEntry{}
	}
	ce := cpEntry{seq: e.seq, dropped: e.event == eventDropCP}
	if len(e.digest) != sha256.Size {
		c.add(Problem{Seq: e.seq, What: "the entry's digest is not a SHA-256"})
	}
	copy(ce.digest[:], e.digest)
	c.cps[e.auditID] = ce
}

// reads reports whether the pass reads record id (and so notes its
// entries).
func (c *chainScan) reads(id int64) bool {
	switch {
	case id <= c.recFrom:
		return false
	case c.recTo == 0 || id <= c.recTo:
		return true
	}
	_, ok := slices.BinarySearch(c.extra, id)
	return ok
}

// checkCheckpoints matches the stored checkpoints with their last chain
// entries: one edited, restored after its drop, inserted, or deleted (and
// not by a retention) is a problem. A partial pass is given only the
// checkpoint it starts from, and sees only the entries after it.
func (c *chainScan) checkCheckpoints(stored []checkpoint, partial bool) []Problem {
	var out []Problem
	seen := map[int64]bool{}
	horizon := max(c.prunedTo, c.anonTo)
	for i := range stored {
		cp := &stored[i]
		seen[cp.upTo] = true
		e, ok := c.cps[cp.upTo]
		switch {
		case !ok:
			out = append(out, Problem{AuditID: cp.upTo, What: fmt.Sprintf("checkpoint of the records up to %d: not in the chain (inserted)", cp.upTo)})
		case e.dropped:
			out = append(out, Problem{Seq: e.seq, What: fmt.Sprintf("checkpoint of the records up to %d: dropped at this entry, yet stored (restored)", cp.upTo)})
		case e.digest != cp.digest():
			out = append(out, Problem{Seq: e.seq, What: fmt.Sprintf("checkpoint of the records up to %d: edited, it differs from the digest chained at this entry", cp.upTo)})
		case cp.wasRead && cp.read != cp.stateSum:
			out = append(out, Problem{Seq: e.seq, What: fmt.Sprintf("checkpoint of the records up to %d: its state was edited, it differs from the digest it was stored with", cp.upTo)})
		case cp.bad != "":
			out = append(out, Problem{Seq: e.seq, What: fmt.Sprintf("checkpoint of the records up to %d: %s", cp.upTo, cp.bad)})
		}
	}
	for upTo, e := range c.cps {
		if !seen[upTo] && !e.dropped && upTo >= horizon && !partial {
			out = append(out, Problem{Seq: e.seq, What: fmt.Sprintf("checkpoint of the records up to %d: missing, the checkpoint chained at this entry was deleted", upTo)})
		}
	}
	return out
}
