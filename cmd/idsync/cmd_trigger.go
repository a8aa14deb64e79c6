package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/idsync/idsync/internal/admin"
	"github.com/idsync/idsync/sync"
)

// reasonManual is the reason of the runs `idsync trigger` asks for.
const reasonManual = "manual (idsync trigger)"

// runNow is the daemon's admin.Runner (POST /run): a full run, or with
// mode incremental a poll (an incremental run over what changed since the
// last full run or poll, see runOnce). With req.Wait it waits for the run
// that serves the request, which may be a run already queued that the
// request was merged into.
func (d *daemon) runNow(ctx context.Context, req admin.RunRequest) (admin.RunResult, error) {
	sr := sync.Request{Kind: sync.RunFull, Reason: reasonManual, DryRun: req.DryRun}
	if req.Mode == admin.ModeIncremental {
		sr.Kind = sync.RunIncremental
	}
	what := string(sr.Kind) + " run"
	if req.DryRun {
		what = string(sr.Kind) + " dry run"
	}
	if !req.Wait {
		if err := d.engine.Trigger(sr); err != nil {
			return admin.RunResult{}, fmt.Errorf("trigger: %w", err)
		}
		return admin.RunResult{Status: admin.RunQueued, Summary: what + " queued"}, nil
	}
	start := time.Now()
	err := d.engine.Do(ctx, sr)
	took := time.Since(start).Round(time.Millisecond)
	switch {
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return admin.RunResult{}, fmt.Errorf("trigger: %w", err)
	case errors.Is(err, sync.ErrStopped):
		return admin.RunResult{}, fmt.Errorf("trigger: %w", err)
	case err != nil:
		return admin.RunResult{Status: admin.RunFailed, Summary: fmt.Sprintf("%s failed after %s", what, took),
			Error: err.Error()}, nil
	}
	return admin.RunResult{Status: admin.RunSucceeded, Summary: fmt.Sprintf("%s succeeded in %s", what, took)}, nil
}

// cmdTrigger asks the running daemon for a full (or incremental) run now
// and prints the outcome. It fails when no daemon answers or the run
// failed.
func cmdTrigger(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("trigger", stderr)
	path := configFlag(fs)
	dryRun := fs.Bool("dry-run", false, "stop the run after the plan: change no target")
	noWait := fs.Bool("no-wait", false, "return once the run is queued, without waiting for it")
	incremental := fs.Bool("incremental", false, "an incremental run over what changed since the last full run or poll, instead of a full run")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c, addr, err := daemonClient(*path)
	if err != nil {
		return err
	}
	mode := admin.ModeFull
	if *incremental {
		mode = admin.ModeIncremental
	}
	res, err := c.Run(ctx, admin.RunRequest{Mode: mode, DryRun: *dryRun, Wait: !*noWait})
	if err != nil {
		return noDaemon("trigger: no run", addr, err)
	}
	if res.Status == admin.RunFailed {
		return fmt.Errorf("trigger: %s: %s", res.Summary, res.Error)
	}
	fmt.Fprintln(stdout, res.Summary)
	return nil
}
