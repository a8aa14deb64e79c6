package main

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/idsync/idsync/state"
)

// runColumns are the columns of runs --format csv, in order.
var runColumns = []string{"id", "target", "mode", "started", "finished", "status", "source_count", "summary", "error"}

// runJSON is one run in runs --format json (one object per line).
type runJSON struct {
	ID          int64  `json:"id"`
	Target      string `json:"target"`
	Mode        string `json:"mode"`
	Started     string `json:"started"`
	Finished    string `json:"finished,omitempty"`
	Status      string `json:"status"`
	SourceCount int    `json:"source_count"`
	Summary     string `json:"summary,omitempty"`
	Error       string `json:"error,omitempty"`
}

func cmdRuns(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("runs", stderr)
	var c common
	c.register(fs)
	limit := fs.Int("limit", 20, "show the newest `N` runs of each target")
	format := fs.String("format", "text", "text, json (one object per line) or csv")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	w, err := runFormats.writer(*format, stdout)
	if err != nil {
		return err
	}
	s, err := openSession(ctx, c, stderr, false)
	if err != nil {
		return err
	}
	defer s.store.Close()
	for _, t := range s.cfg.Targets {
		if c.target != "" && t.Name != c.target {
			continue
		}
		runs, err := s.store.Runs(ctx, t.Name, *limit)
		if err != nil {
			return err
		}
		for _, r := range runs {
			if err := w.row(r); err != nil {
				return err
			}
		}
	}
	return w.flush()
}

// runFormats writes runs.
var runFormats = rowFormats[state.Run]{
	json: func(r state.Run) any {
		return runJSON{ID: r.ID, Target: r.Target, Mode: r.Mode, Started: stamp(r.Started),
			Finished: stamp(r.Finished), Status: r.Status, SourceCount: r.SourceCount, Summary: r.Summary, Error: r.Error}
	},
	columns: runColumns,
	csv: func(r state.Run) []string {
		return []string{strconv.FormatInt(r.ID, 10), r.Target, r.Mode, stamp(r.Started), stamp(r.Finished),
			r.Status, strconv.Itoa(r.SourceCount), r.Summary, r.Error}
	},
	header: "RUN\tTARGET\tMODE\tSTARTED\tSTATUS\tSOURCE\tSUMMARY",
	text: func(r state.Run) string {
		summary := r.Summary
		if r.Error != "" {
			summary = r.Error
		}
		return fmt.Sprintf("%d\t%s\t%s\t%s\t%s\t%d\t%s", r.ID, r.Target, r.Mode,
			stamp(r.Started), r.Status, r.SourceCount, text(summary))
	},
}
