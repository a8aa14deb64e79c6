package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/idsync/idsync/state"
)

func cmdAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit", stderr)
	var c common
	c.register(fs)
	runID := fs.Int64("run", 0, "only the run with this `ID`")
	user := fs.String("user", "", "only this userName")
	format := fs.String("format", "text", "text or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	s, err := openSession(ctx, c, stderr)
	if err != nil {
		return err
	}
	defer s.store.Close()
	f := state.AuditFilter{Target: c.target, RunID: *runID, UserName: *user}
	enc := json.NewEncoder(stdout)
	tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
	if *format == "text" {
		fmt.Fprintln(tw, "TIME\tRUN\tTARGET\tKIND\tACTION\tUSER\tWHY")
	}
	err = s.store.Audit(ctx, f, func(a state.Audit) error {
		if *format == "json" {
			return enc.Encode(a)
		}
		why := strings.Join(a.Reasons, "; ")
		if a.Detail != "" {
			why = a.Detail + "; " + why
		}
		if a.Status != state.AuditApplied { // PENDING, REFUSED, FAILED, UNCONFIRMED
			why = strings.TrimSuffix(strings.ToUpper(a.Status)+": "+a.Error, " ") + "; " + why
		}
		_, err := fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", a.Time.UTC().Format(time.RFC3339),
			a.RunID, a.Target, a.Kind, a.Action, a.UserName, why)
		return err
	})
	if err != nil {
		return err
	}
	return tw.Flush()
}

func cmdRuns(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("runs", stderr)
	var c common
	c.register(fs)
	limit := fs.Int("limit", 20, "show the newest `N` runs")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	s, err := openSession(ctx, c, stderr)
	if err != nil {
		return err
	}
	defer s.store.Close()
	tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tTARGET\tMODE\tSTARTED\tSTATUS\tSOURCE\tSUMMARY")
	for _, t := range s.cfg.Targets {
		if c.target != "" && t.Name != c.target {
			continue
		}
		runs, err := s.store.Runs(ctx, t.Name, *limit)
		if err != nil {
			return err
		}
		for _, r := range runs {
			summary := r.Summary
			if r.Error != "" {
				summary = r.Error
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\n", r.ID, r.Target, r.Mode,
				r.Started.UTC().Format(time.RFC3339), r.Status, r.SourceCount, summary)
		}
	}
	return tw.Flush()
}
