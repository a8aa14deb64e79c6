package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/sync"
)

// common holds the flags every command that runs the flow shares.
type common struct {
	config string
	target string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.config, "c", defaultConfigPath(), "configuration `file`")
	fs.StringVar(&c.config, "config", defaultConfigPath(), "configuration `file`")
	fs.StringVar(&c.target, "target", "", "only this target (default: all)")
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("idsync "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	verbUsage(fs, name)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return errHelp
	} else if err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	return nil
}

// session is a loaded configuration with its logger and open state store.
type session struct {
	cfg   *Config
	log   *logrus.Logger
	store *state.Store
}

// openSession loads the configuration and opens the state database: for
// the one writer (apply), or shared beside it (plan, runs, audit).
func openSession(ctx context.Context, c common, stderr io.Writer, writer bool) (*session, error) {
	cfg, err := loadConfig(c.config)
	if err != nil {
		return nil, err
	}
	log := newLogger(cfg.Log, stderr)
	open := state.OpenShared
	if writer {
		open = state.Open
	}
	store, err := open(ctx, cfg.State.Path)
	if err != nil {
		return nil, err
	}
	return &session{cfg: cfg, log: log, store: store}, nil
}

func cmdPlan(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("plan", stderr)
	var c common
	c.register(fs)
	formatFlag := fs.String("format", "", "report format: text, json, csv or html (default: from the --out file's extension, else text)")
	out := fs.String("out", "", "write the report to `file` instead of standard output (a .json file is a saved plan for apply --plan)")
	exitCode := fs.Bool("exit-code", false, "exit 2 when changes are pending")
	if err := parseFlags(fs, args); err != nil {
		return exitError, err
	}
	format := reportFormat(*formatFlag, *out, "text")
	if err := checkFormat(format); err != nil {
		return exitError, err
	}
	s, err := openSession(ctx, c, stderr, false)
	if err != nil {
		return exitError, err
	}
	defer s.store.Close()
	r, err := newRunner(s.cfg, s.store, c.target, s.log)
	if err != nil {
		return exitError, err
	}
	opts := sync.Options{DryRun: true}
	if format == "json" {
		// A JSON plan is a saved plan: each change records what it was
		// computed from, for apply --plan.
		opts.Inspect = func(p *sync.Plan, in *sync.PlanInputs) error {
			in.Fingerprint(p)
			return nil
		}
	}
	res, err := r.Run(ctx, opts)
	if err != nil {
		return exitError, err
	}
	if err := writeReport(stdout, *out, format, res.Plans, nil, false); err != nil {
		return exitError, err
	}
	for _, p := range res.Plans {
		if *exitCode && p.Pending() {
			return exitChanges, nil
		}
	}
	return exitOK, nil
}

func cmdApply(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("apply", stderr)
	var c common
	c.register(fs)
	var o sync.Overrides
	fs.IntVar(&o.AllowDeletes, "allow-deletes", 0, "let up to `N` disables and deletes through the guards, this run only")
	fs.IntVar(&o.AllowRoleRemovals, "allow-role-removals", 0, "let up to `N` role removals through guards.max_role_removals, this run only")
	fs.BoolVar(&o.AllowShrink, "allow-shrink", false, "let a source that shrank past guards.max_source_shrink_percent through, this run only")
	fs.BoolVar(&o.AllowMissing, "allow-missing", false, "let a target listing that misses more linked accounts than guards.max_missing_linked_percent through, this run only (each is read by ID)")
	planFile := fs.String("plan", "", "apply only the changes of the saved plan `file` (idsync plan --out FILE.json) whose inputs did not move since")
	allOrNothing := fs.Bool("all-or-nothing", false, "with --plan: refuse a target's whole plan when any of its saved changes moved")
	report := fs.String("report", "", "also write the applied plan and its result to `file`")
	reportFmt := fs.String("report-format", "", "format of the --report file: json, html, csv or text (default: from its extension, else json)")
	quiet := fs.Bool("q", false, "do not print the plan, only the summary")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	rformat := reportFormat(*reportFmt, *report, "json")
	if err := checkFormat(rformat); err != nil {
		return err
	}
	if *allOrNothing && *planFile == "" {
		return fmt.Errorf("--all-or-nothing needs --plan")
	}
	s, err := openSession(ctx, c, stderr, true)
	if err != nil {
		return err
	}
	defer s.store.Close()
	r, err := newRunner(s.cfg, s.store, c.target, s.log)
	if err != nil {
		return err
	}
	r.Progress = newProgressView(stderr, s.log)
	opts := sync.Options{Overrides: o}
	var saved *sync.SavedPlan
	if *planFile != "" {
		if saved, err = loadSavedPlan(*planFile, s.cfg.Plans.MaxAge.Duration, time.Now(), *allOrNothing); err != nil {
			return err
		}
		if r.Targets, err = onlySaved(r.Targets, saved, c.target); err != nil {
			return err
		}
		opts.Saved = saved
	}
	res, runErr := r.Run(ctx, opts)
	if res != nil {
		printApplied(stdout, res, *quiet)
		if saved != nil {
			runErr = errors.Join(runErr, printSavedOutcomes(stdout, saved))
		}
		if *report != "" {
			if err := writeReport(stdout, *report, rformat, res.Plans, res.Results, true); err != nil {
				return errors.Join(runErr, err)
			}
		}
	}
	return runErr
}

// printApplied prints, per target, the plan applied (unless quiet) and
// what became of it.
func printApplied(stdout io.Writer, res *sync.Outcome, quiet bool) {
	for i, p := range res.Plans {
		if !quiet {
			if err := sync.WriteReport(stdout, "text", []*sync.Plan{p}); err != nil {
				return
			}
		}
		rs := res.Results[i]
		switch rs.Status {
		case "refused":
			fmt.Fprintf(stdout, "Refused: nothing was changed in %s.\n", p.Target)
			continue
		case "failed":
			fmt.Fprintf(stdout, "Stopped after %d changes to %s; the next run carries on.\n", rs.Applied, p.Target)
			continue
		}
		fmt.Fprintf(stdout, "Applied %d changes to %s", rs.Applied, p.Target)
		if rs.Failed > 0 {
			fmt.Fprintf(stdout, "; %d not applied, %d of them refused by the target (the next run tries them again):", rs.Failed, rs.Refused)
			for _, e := range rs.Errors {
				fmt.Fprintf(stdout, "\n  %s", text(e))
			}
		}
		fmt.Fprintln(stdout, ".")
	}
}

// writeReport writes the report to path (atomically: a temporary file
// renamed into place, so a reader never sees half a report) or to stdout
// when path is empty. durable also forces the file to disk before the
// rename, for apply's record of what it did. A dry run's plan is remade by
// the next run; flushing one of a large directory (40 MB at 100,000
// joiners) would only slow the run down.
func writeReport(stdout io.Writer, path, format string, plans []*sync.Plan, results []sync.Result, durable bool) error {
	if path == "" {
		return sync.WriteApplyReport(stdout, format, plans, results)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".idsync-report-*")
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	defer os.Remove(f.Name())
	if err := sync.WriteApplyReport(f, format, plans, results); err != nil {
		f.Close()
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if durable {
		if err := f.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("write report %s: %w", path, err)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// cmdConfigCheck loads the configuration and resolves every secret
// reference it holds, printing neither the secrets nor their values.
func cmdConfigCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("config check", stderr)
	var c common
	c.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(c.config)
	if err != nil {
		return err
	}
	if err := cfg.checkSecrets(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: OK (source %s, %d target(s), %d attribute rules, %d role rules, %d secret(s) found)\n",
		c.config, cfg.Source.Kind, len(cfg.Targets), len(cfg.Mapping.Attributes),
		len(cfg.Mapping.Roles)+len(cfg.Mapping.GroupRoles), len(cfg.secretRefs()))
	return nil
}
