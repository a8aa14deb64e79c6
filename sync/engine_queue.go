package sync

import (
	"slices"
	"strings"
	"time"
)

// pending is a queued run: the requests merged into it and the callers
// waiting for its outcome.
type pending struct {
	req     Request
	reasons []string // each distinct Reason merged in, in arrival order
	since   time.Time
	waiters []chan<- error
}

func newPending(req Request, res chan<- error, now time.Time) *pending {
	req.SourceIDs = slices.Clone(req.SourceIDs)
	p := &pending{req: req, since: now, waiters: []chan<- error{res}}
	if req.Kind == RunFull {
		p.req.SourceIDs = nil
	}
	p.addReason(req.Reason)
	return p
}

// merge folds req (of the same DryRun) into p so that one run serves both.
// The broader request wins: a full run absorbs incremental ones; an
// incremental run with no SourceIDs (everything changed since the last run)
// absorbs one with IDs; incremental runs with IDs run the union of their
// IDs.
func (p *pending) merge(req Request, res chan<- error) {
	p.waiters = append(p.waiters, res)
	p.addReason(req.Reason)
	switch {
	case p.req.Kind == RunFull:
	case req.Kind == RunFull:
		p.req.Kind, p.req.SourceIDs = RunFull, nil
	case len(p.req.SourceIDs) == 0:
	case len(req.SourceIDs) == 0:
		p.req.SourceIDs = nil
	default:
		ids := append(p.req.SourceIDs, req.SourceIDs...)
		slices.Sort(ids)
		p.req.SourceIDs = slices.Compact(ids)
	}
}

// addReason records reason once and keeps the request's Reason the list of
// all of them.
func (p *pending) addReason(reason string) {
	if !slices.Contains(p.reasons, reason) {
		p.reasons = append(p.reasons, reason)
	}
	p.req.Reason = strings.Join(p.reasons, ", ")
}

// resolve hands err to every waiter (each channel has room for one value).
func (p *pending) resolve(err error) {
	for _, w := range p.waiters {
		w <- err
	}
}
