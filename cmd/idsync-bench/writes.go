//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// scimWrite is one write recorded by scimd -write-log (see its /_writes).
type scimWrite struct {
	Seq    int    `json:"seq"`
	Time   int64  `json:"time"` // Unix nanoseconds
	Method string `json:"method"`
	Path   string `json:"path"`
}

// writeWatcher follows scimd's write log.
type writeWatcher struct {
	url, token string // url: the server's root, without /scim/v2
	after      int    // the writes read so far
	pending    []scimWrite
}

// poll reads the writes recorded since the last poll.
func (w *writeWatcher) poll(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/_writes?after=%d", w.url, w.after), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+w.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("scimd /_writes: %s (is it started with -write-log?)", resp.Status)
	}
	var ws []scimWrite
	if err := json.NewDecoder(resp.Body).Decode(&ws); err != nil {
		return fmt.Errorf("scimd /_writes: %w", err)
	}
	if n := len(ws); n > 0 {
		w.after = ws[n-1].Seq
	}
	w.pending = append(w.pending, ws...)
	return nil
}

// await waits until every one of paths (suffixes of request paths, e.g.
// "/Users/ID") has been written at or after since, and returns when the
// last of them was. Writes older than since are dropped.
func (w *writeWatcher) await(ctx context.Context, since time.Time, paths []string) (time.Time, error) {
	seen := map[string]time.Time{}
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := w.poll(ctx); err != nil {
			return time.Time{}, err
		}
		for _, wr := range w.pending {
			at := time.Unix(0, wr.Time)
			if at.Before(since) {
				continue
			}
			for _, p := range paths {
				if _, ok := seen[p]; !ok && strings.HasSuffix(wr.Path, p) {
					seen[p] = at
				}
			}
		}
		w.pending = w.pending[:0]
		if len(seen) == len(paths) {
			var last time.Time
			for _, at := range seen {
				if at.After(last) {
					last = at
				}
			}
			return last, nil
		}
		select {
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("%v written, %v awaited: %w", seen, paths, ctx.Err())
		case <-tick.C:
		}
	}
}
