package scimtest

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// faults holds the injected misbehaviour and the request counters.
type faults struct {
	mu sync.Mutex

	requests  map[string]int
	writes    int
	throttled int
	injected  int

	failAfter, failAfterStatus int // status 0: off
	every429, every429N        int
	every429After              string
	storm                      int
	stormAfter                 string
	stormAt, stormAtN          int // a storm of stormAtN begins once writes reach stormAt (stormAtN 0: off)
	failNext, failNextStatus   int
	latency                    time.Duration
	maxMembers                 int
	repeatPastEnd              bool
	pageCap                    int            // 0: off
	ignoreStartIndex           bool           //
	refusals                   map[string]int // "METHOD /Endpoint" -> status
	waiters                    []writeWaiter
}

// writeWaiter is a channel closed once writes reach n.
type writeWaiter struct {
	n  int
	ch chan struct{}
}

// failure is a response the server gives instead of doing the request.
type failure struct {
	err        *httpError
	retryAfter string
}

// Stats counts what the server received.
type Stats struct {
	// Requests counts every request by HTTP method, including refused ones.
	Requests map[string]int
	// Writes counts successful POST, PUT, PATCH and DELETE requests.
	Writes int
	// Throttled counts the 429 responses sent.
	Throttled int
	// Injected counts the other injected failures (FailNext, FailAfterWrites).
	Injected int
}

// Total is the number of requests received.
func (s Stats) Total() int {
	n := 0
	for _, c := range s.Requests {
		n += c
	}
	return n
}

func (f *faults) count(method string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.requests == nil {
		f.requests = map[string]int{}
	}
	f.requests[method]++
}

// before sleeps the injected latency and returns the injected failure for
// this request, if any.
func (f *faults) before(method string) *failure {
	f.mu.Lock()
	latency := f.latency
	f.mu.Unlock()
	if latency > 0 {
		time.Sleep(latency) // on purpose not cut short: a slow server finishes the work
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stormAtN > 0 && f.writes >= f.stormAt {
		f.storm, f.stormAtN = f.stormAtN, 0
	}
	throttle := func(after string) *failure {
		f.throttled++
		return &failure{err: errorf(http.StatusTooManyRequests, "", "too many requests"), retryAfter: after}
	}
	switch {
	case f.storm > 0:
		f.storm--
		return throttle(f.stormAfter)
	case f.every429 > 0:
		f.every429N++
		if f.every429N%f.every429 == 0 {
			return throttle(f.every429After)
		}
	}
	if f.failNext > 0 {
		f.failNext--
		f.injected++
		return &failure{err: errorf(f.failNextStatus, "", "injected failure")}
	}
	if isWrite(method) && f.failAfterStatus != 0 && f.writes >= f.failAfter {
		f.injected++
		return &failure{err: errorf(f.failAfterStatus, "", "injected failure after %d writes", f.failAfter)}
	}
	return nil
}

func (f *faults) wrote() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	kept := f.waiters[:0]
	for _, w := range f.waiters {
		if f.writes >= w.n {
			close(w.ch)
		} else {
			kept = append(kept, w)
		}
	}
	f.waiters = kept
}

// WritesReached returns a channel closed once the server has taken n
// successful writes in all (counted as Stats.Writes): a test waits on it
// instead of polling.
func (s *Server) WritesReached(n int) <-chan struct{} {
	ch := make(chan struct{})
	s.setFaults(func(f *faults) {
		if f.writes >= n {
			close(ch)
			return
		}
		f.waiters = append(f.waiters, writeWaiter{n: n, ch: ch})
	})
	return ch
}

func (f *faults) memberLimit() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.maxMembers
}

func (f *faults) repeatsPastEnd() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.repeatPastEnd
}

func (s *Server) setFaults(fn func(f *faults)) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	fn(&s.faults)
}

// FailAfterWrites makes every write fail with status once n more writes
// have succeeded (counting from the writes so far), until ResetFaults.
// status 0 turns it off.
func (s *Server) FailAfterWrites(n, status int) {
	s.setFaults(func(f *faults) { f.failAfter, f.failAfterStatus = f.writes+n, status })
}

// RateLimit429 answers every k-th request with 429 and Retry-After:
// retryAfter seconds (negative: no Retry-After header). k 0 turns it off.
func (s *Server) RateLimit429(every, retryAfter int) {
	s.setFaults(func(f *faults) { f.every429, f.every429N, f.every429After = every, 0, retryAfterValue(retryAfter) })
}

// Storm429 answers the next n requests with 429 and Retry-After:
// retryAfter seconds (0 for fast tests; negative: no header).
func (s *Server) Storm429(n, retryAfter int) {
	s.setFaults(func(f *faults) { f.storm, f.stormAfter = n, retryAfterValue(retryAfter) })
}

// Storm429AfterWrites answers n requests in a row with 429 and
// Retry-After: retryAfter seconds (negative: no header) once w more
// writes have succeeded: a storm in the middle of an apply rather than at
// its first request.
func (s *Server) Storm429AfterWrites(w, n, retryAfter int) {
	s.setFaults(func(f *faults) { f.stormAt, f.stormAtN, f.stormAfter = f.writes+w, n, retryAfterValue(retryAfter) })
}

// FailNext answers the next n requests with status (e.g. 500, 503).
func (s *Server) FailNext(n, status int) {
	s.setFaults(func(f *faults) { f.failNext, f.failNextStatus = n, status })
}

// Latency delays every request by d before it is handled. The work is
// done even when the client has given up meanwhile.
func (s *Server) Latency(d time.Duration) {
	s.setFaults(func(f *faults) { f.latency = d })
}

// MaxMembersPerPatch rejects a group PATCH with more than n member changes
// with 400, like AWS does past 100. 0 turns the limit off.
func (s *Server) MaxMembersPerPatch(n int) {
	s.setFaults(func(f *faults) { f.maxMembers = n })
}

// RepeatPastEnd makes a page past the end repeat the first page (SCIMMY).
func (s *Server) RepeatPastEnd(on bool) {
	s.setFaults(func(f *faults) { f.repeatPastEnd = on })
}

// CapPages caps every list page at n resources, whatever count asks for,
// and reports totalResults equal to the number of resources on the page,
// as some SaaS APIs do: a client that trusts either stops after the first
// page. n 0 turns it off.
func (s *Server) CapPages(n int) {
	s.setFaults(func(f *faults) { f.pageCap = n })
}

// IgnoreStartIndex makes every list page start at the first resource
// whatever startIndex asks for, as AWS IAM Identity Center does, with the
// true totalResults.
func (s *Server) IgnoreStartIndex(on bool) {
	s.setFaults(func(f *faults) { f.ignoreStartIndex = on })
}

// Refuse answers every method request to endpoint ("/Groups") or below it
// ("/Groups/{id}") with status and a SCIM error whose detail names the
// request, without doing it, until ResetFaults. status 0 lifts it.
func (s *Server) Refuse(method, endpoint string, status int) {
	s.setFaults(func(f *faults) {
		if f.refusals == nil {
			f.refusals = map[string]int{}
		}
		if status == 0 {
			delete(f.refusals, method+" "+endpoint)
			return
		}
		f.refusals[method+" "+endpoint] = status
	})
}

// refusal returns the injected refusal of a request, if any.
func (f *faults) refusal(method, path string) *httpError {
	f.mu.Lock()
	defer f.mu.Unlock()
	for key, status := range f.refusals {
		m, endpoint, _ := strings.Cut(key, " ")
		if m == method && (path == endpoint || strings.HasPrefix(path, endpoint+"/")) {
			f.injected++
			return errorf(status, "invalidValue", "injected refusal of %s %s", method, path)
		}
	}
	return nil
}

// paging returns the list faults: the page cap (0: none) and whether
// startIndex is ignored.
func (f *faults) paging() (pageCap int, ignoreStart bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pageCap, f.ignoreStartIndex
}

// ResetFaults turns off every injected failure, refusal and the latency;
// the vendor behaviours (MaxMembersPerPatch, RepeatPastEnd, CapPages,
// IgnoreStartIndex) and the counters stay.
func (s *Server) ResetFaults() {
	s.setFaults(func(f *faults) {
		f.failAfterStatus, f.every429, f.storm, f.failNext, f.latency, f.stormAtN = 0, 0, 0, 0, 0, 0
		f.refusals = nil
	})
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	st := Stats{Requests: map[string]int{}, Writes: s.faults.writes, Throttled: s.faults.throttled, Injected: s.faults.injected}
	for k, v := range s.faults.requests {
		st.Requests[k] = v
	}
	return st
}

// ResetStats sets the counters to zero. It does not re-arm FailAfterWrites.
func (s *Server) ResetStats() {
	s.setFaults(func(f *faults) {
		f.failAfter -= f.writes
		f.requests, f.writes, f.throttled, f.injected = nil, 0, 0, 0
	})
}

func retryAfterValue(seconds int) string {
	if seconds < 0 {
		return ""
	}
	return strconv.Itoa(seconds)
}
