package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/idsync/idsync/sync"
)

// cmdReview writes the access review: per target and role, the current
// holders and why each holds the role, for a certification campaign.
func cmdReview(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("review", stderr)
	var c common
	c.register(fs)
	role := fs.String("role", "", "only this role (default: every role)")
	formatFlag := fs.String("format", "", "csv, html, text or json (default: from the --out file's extension, else text)")
	out := fs.String("out", "", "write the review to `file` instead of standard output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	format := reportFormat(*formatFlag, *out, "text")
	switch format {
	case "csv", "html", "text", "json":
	default:
		return fmt.Errorf("--format must be csv, html, text or json, got %q", format)
	}
	s, err := openSession(ctx, c, stderr, false)
	if err != nil {
		return err
	}
	defer s.store.Close()
	r, err := newRunner(s.cfg, s.store, c.target, s.log)
	if err != nil {
		return err
	}
	var rows, all []sync.ReviewRow
	at := time.Now()
	if _, err := r.Run(ctx, sync.Options{DryRun: true, Inspect: func(p *sync.Plan, in *sync.PlanInputs) error {
		rows = append(rows, sync.ReviewRows(p, in, *role)...)
		if len(r.SoD) > 0 {
			all = append(all, sync.ReviewRows(p, in, "")...) // SoD rules see every role
		}
		return nil
	}}); err != nil {
		return err
	}
	var vs []sync.SoDViolation
	if len(r.SoD) > 0 {
		// A review of one target checks the rules against what the
		// people of the others hold, as idsync recorded it.
		for _, name := range r.SoDOthers {
			hs, err := s.store.RoleHolders(ctx, name)
			if err != nil {
				return err
			}
			for _, h := range hs {
				all = append(all, sync.ReviewRow{Target: name, Role: h.Role, UserName: h.UserName, SourceID: h.SourceID, TargetID: h.TargetID})
			}
		}
		vs = sync.SoDViolations(r.SoD, all)
		if vs == nil {
			vs = []sync.SoDViolation{}
		}
		sync.MarkReviewSoD(rows, vs)
	}
	write := func(w io.Writer) error {
		switch format {
		case "csv":
			return sync.WriteReviewCSV(w, rows)
		case "html":
			return sync.WriteReviewHTML(w, rows, vs, at)
		case "json":
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			if rows == nil {
				rows = []sync.ReviewRow{}
			}
			return enc.Encode(rows)
		}
		if err := sync.WriteReviewText(w, rows); err != nil || vs == nil {
			return err
		}
		fmt.Fprintln(w)
		return sync.WriteSoDText(w, vs)
	}
	if *out == "" {
		return write(stdout)
	}
	return writeFileAtomic(*out, write)
}

// writeFileAtomic writes a file through write: a temporary file renamed
// into place, so that a reader never sees half of it.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".idsync-report-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
