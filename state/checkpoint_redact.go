package state

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
)

// scrubCheckpoints removes, inside tx, the accounts of the person p from the
// states of the checkpoints before record first (all of them when first
// is 0) and chains each one changed. Each is checked against its chain
// entry first (base, read already, was): a checkpoint that does not match
// is an error, and the redaction does nothing. It returns how many
// changed.
func scrubCheckpoints(ctx context.Context, tx *sql.Tx, p personIDs, base *horizonState, first int64, why string) (int, error) {
	cps, err := checkpoints(ctx, tx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range cps {
		if first != 0 && c.upTo >= first {
			continue
		}
		r := base.state
		if c.upTo != base.upTo {
			var err error
			if r, err = checkedState(ctx, tx, &c); err != nil {
				return n, err
			}
		}
		removed := false
		for key, a := range r.accounts {
			if p.owns(key.id, a.sourceID, a.userName) {
				delete(r.accounts, key)
				removed = true
			}
		}
		if !removed {
			continue
		}
		blob, err := encodeState(r)
		if err != nil {
			return n, fmt.Errorf("audit checkpoint %d: %w", c.upTo, err)
		}
		c.accounts, c.stateSum = int64(len(r.accounts)), sha256.Sum256(blob)
		note := fmt.Sprintf("checkpoint of the records up to %d without a redacted person's accounts: %s", c.upTo, why)
		if err := storeCheckpoint(ctx, tx, c, blob, note); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// horizonState is the checkpoint the retention kept at its horizon, read.
type horizonState struct {
	upTo  int64
	state *replay
}

// baseState returns, inside tx, the checkpoint the retention kept at its
// horizon with its state (checked against its chain entry), or nil when
// no retention removed records or it kept no checkpoint.
func baseState(ctx context.Context, tx *sql.Tx) (*horizonState, error) {
	horizon, err := retentionHorizon(ctx, tx)
	if err != nil || horizon == 0 {
		return nil, err
	}
	cps, err := checkpoints(ctx, tx)
	if err != nil {
		return nil, err
	}
	for _, c := range cps {
		if c.upTo == horizon {
			r, err := checkedState(ctx, tx, &c)
			if err != nil {
				return nil, err
			}
			return &horizonState{horizon, r}, nil
		}
	}
	return nil, nil
}

// checkedState reads the state of c inside tx, after checking it against
// c's last chain entry.
func checkedState(ctx context.Context, tx *sql.Tx, c *checkpoint) (*replay, error) {
	var blob, last []byte
	var event string
	if err := tx.QueryRowContext(ctx, `SELECT state FROM audit_checkpoint WHERE upto = ?`, c.upTo).Scan(&blob); err != nil {
		return nil, fmt.Errorf("audit checkpoint %d: %w", c.upTo, err)
	}
	err := tx.QueryRowContext(ctx, `SELECT event, digest FROM audit_chain WHERE audit_id = ? AND event IN ('checkpoint', 'drop-checkpoint')
		ORDER BY seq DESC LIMIT 1`, c.upTo).Scan(&event, &last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("audit checkpoint %d: %w", c.upTo, err)
	}
	d := c.digest()
	if sha256.Sum256(blob) != c.stateSum || event != eventCheckpoint || string(last) != string(d[:]) {
		return nil, fmt.Errorf("audit checkpoint of the records up to %d does not match its chain entry (idsync audit verify --checkpoints says more): %w", c.upTo, ErrChainBroken)
	}
	r := newReplay(AccessQuery{})
	if err := decodeState(blob, r); err != nil {
		return nil, fmt.Errorf("audit checkpoint %d: %w", c.upTo, err)
	}
	return r, nil
}
