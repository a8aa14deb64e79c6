package main

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strconv"
	gosync "sync"
	"time"
)

// WritesPath is where -write-log serves the writes recorded.
const WritesPath = "/_writes"

// write is one successful write request: a POST, PUT, PATCH or DELETE
// answered with a 2xx status, at the time its response was written (the
// change is visible to readers from then on).
type write struct {
	Seq    int    `json:"seq"`  // 1, 2, ... in the order they finished
	Time   int64  `json:"time"` // Unix time in nanoseconds
	Method string `json:"method"`
	Path   string `json:"path"` // e.g. /scim/v2/Users/ID
}

// writeLog records writes for benchmarks, which measure when a change
// made in the directory became visible at the server: GET WritesPath
// ?after=N (with the bearer token) answers the writes after the N-th, as
// a JSON array.
type writeLog struct {
	token string
	mu    gosync.Mutex
	log   []write
}

// handler serves WritesPath and sends every other request to next,
// recording it when it is a successful write.
func (l *writeLog) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == WritesPath {
			l.serve(w, r)
			return
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		if r.Method == http.MethodGet || rec.status < 200 || rec.status > 299 {
			return
		}
		l.mu.Lock()
		l.log = append(l.log, write{Seq: len(l.log) + 1, Time: time.Now().UnixNano(), Method: r.Method, Path: r.URL.Path})
		l.mu.Unlock()
	})
}

func (l *writeLog) serve(w http.ResponseWriter, r *http.Request) {
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+l.token)) != 1 {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	after, err := strconv.Atoi(r.URL.Query().Get("after"))
	if r.URL.Query().Get("after") == "" {
		after, err = 0, nil
	}
	if err != nil || after < 0 {
		http.Error(w, "after: a number of writes, 0 or more", http.StatusBadRequest)
		return
	}
	l.mu.Lock()
	out := append([]write{}, l.log[min(after, len(l.log)):]...)
	l.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// statusRecorder remembers the status of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
