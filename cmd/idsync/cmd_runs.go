package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

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
	w, err := newRunsWriter(*format, stdout)
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

// newRunsWriter returns the writer of one runs format.
func newRunsWriter(format string, w io.Writer) (*rowWriter[state.Run], error) {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		return &rowWriter[state.Run]{row: func(r state.Run) error {
			return enc.Encode(runJSON{ID: r.ID, Target: r.Target, Mode: r.Mode, Started: stamp(r.Started),
				Finished: stamp(r.Finished), Status: r.Status, SourceCount: r.SourceCount, Summary: r.Summary, Error: r.Error})
		}, flush: noFlush}, nil
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(runColumns); err != nil {
			return nil, err
		}
		return &rowWriter[state.Run]{row: func(r state.Run) error {
			return cw.Write([]string{strconv.FormatInt(r.ID, 10), r.Target, r.Mode, stamp(r.Started), stamp(r.Finished),
				r.Status, strconv.Itoa(r.SourceCount), r.Summary, r.Error})
		}, flush: csvFlush(cw)}, nil
	case "text":
		tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "RUN\tTARGET\tMODE\tSTARTED\tSTATUS\tSOURCE\tSUMMARY")
		return &rowWriter[state.Run]{row: func(r state.Run) error {
			summary := r.Summary
			if r.Error != "" {
				summary = r.Error
			}
			_, err := fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\n", r.ID, r.Target, r.Mode,
				stamp(r.Started), r.Status, r.SourceCount, text(summary))
			return err
		}, flush: tw.Flush}, nil
	}
	return nil, fmt.Errorf("--format must be text, json or csv, got %q", format)
}
