package sync

import (
	"maps"
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
	req.SourceIDs, req.Groups, req.Deleted = slices.Clone(req.SourceIDs), slices.Clone(req.Groups), slices.Clone(req.Deleted)
	req.GoneAt = maps.Clone(req.GoneAt)
	p := &pending{req: req, since: now, waiters: []chan<- error{res}}
	if req.Kind == RunFull {
		p.req.SourceIDs, p.req.Groups, p.req.Deleted, p.req.GoneAt = nil, nil, nil, nil
	}
	p.addReason(req.Reason)
	return p
}

// merge folds req (of the same DryRun) into p so that one run serves both.
// The broader request wins: a full run absorbs incremental ones; an
// incremental run with no SourceIDs and no Groups (everything changed since
// the last run) absorbs one with them; incremental runs with them run the
// union of their IDs and of their groups.
func (p *pending) merge(req Request, res chan<- error) {
	p.waiters = append(p.waiters, res)
	reason := p.req.Reason
	p.req = p.req.Merge(req)
	p.req.Reason = reason
	p.addReason(req.Reason)
}

// Merge returns the request that serves both r and other (of the same
// DryRun), with r's Reason. The broader one wins: a full run absorbs
// incremental ones; an incremental run with no SourceIDs and no Groups
// (everything changed since the last run) absorbs one with them;
// incremental runs with them run the union of their IDs and of their
// groups, with the earlier time an ID left.
func (r Request) Merge(other Request) Request {
	switch {
	case r.Kind == RunFull:
	case other.Kind == RunFull:
		r.Kind, r.SourceIDs, r.Groups, r.Deleted, r.GoneAt = RunFull, nil, nil, nil, nil
	case r.everything():
	case other.everything():
		r.SourceIDs, r.Groups, r.Deleted, r.GoneAt = nil, nil, nil, nil
	default:
		r.SourceIDs = union(r.SourceIDs, other.SourceIDs)
		r.Groups = union(r.Groups, other.Groups)
		// An ID deleted in one request and changed in a later one is read
		// again: found, it is no leaver; not found, it was deleted.
		r.Deleted = union(r.Deleted, other.Deleted)
		r.GoneAt = earliestOf(maps.Clone(r.GoneAt), other.GoneAt)
	}
	return r
}

// earliestOf adds b's times to a, keeping the earlier of two for an ID.
func earliestOf(a, b map[string]time.Time) map[string]time.Time {
	for id, t := range b {
		if a == nil {
			a = map[string]time.Time{}
		}
		if old, ok := a[id]; !ok || t.Before(old) {
			a[id] = t
		}
	}
	return a
}

// everything reports whether an incremental request names nothing, so
// asks for everything that changed.
func (r Request) everything() bool { return len(r.SourceIDs) == 0 && len(r.Groups) == 0 }

func union(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	out := append(slices.Clip(a), b...) // a new array: a stays as it was
	slices.Sort(out)
	return slices.Compact(out)
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
