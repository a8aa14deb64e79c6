package admin

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// timeLayout is how Render prints instants.
const timeLayout = "2006-01-02 15:04:05 MST"

// Render writes s as a text summary for people, with times in loc, as
// `idsync status` prints it.
func Render(w io.Writer, s Status, loc *time.Location) error {
	r := &renderer{loc: loc}
	r.line("idsync: started %s (up %s), status at %s", r.time(s.Started), r.dur(s.Generated.Sub(s.Started)), r.time(s.Generated))
	if s.Watcher != nil {
		r.watcher(*s.Watcher)
	}
	if len(s.Targets) == 0 {
		r.line("\nNo targets.")
	}
	for _, t := range s.Targets {
		r.target(t, s.Generated)
	}
	if s.LastError != nil {
		r.line("\nLast error: %s", r.errorInfo(*s.LastError))
	}
	_, err := io.WriteString(w, r.b.String())
	return err
}

type renderer struct {
	b   strings.Builder
	loc *time.Location
}

func (r *renderer) line(format string, args ...any) { fmt.Fprintf(&r.b, format+"\n", args...) }

func (r *renderer) time(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.In(r.loc).Format(timeLayout)
}

// dur rounds d for reading: milliseconds under a minute, seconds above.
func (r *renderer) dur(d time.Duration) string {
	if d < time.Minute {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func (r *renderer) watcher(w WatcherStatus) {
	last := "no event yet"
	if w.LastEvent != nil {
		last = "last event " + r.time(*w.LastEvent)
	}
	lag := time.Duration(w.LagSeconds * float64(time.Second))
	r.line("\nWatcher (%s): %s since %s; %s; %d pending, lag %s", w.Kind, w.State, r.time(w.Since), last, w.Pending, r.dur(lag))
	if w.Error != "" {
		r.line("  error: %s", w.Error)
	}
}

func (r *renderer) target(t TargetStatus, now time.Time) {
	state := "idle"
	if t.Running {
		state = "running"
	}
	last := "never"
	if t.LastSuccess != nil {
		last = r.time(*t.LastSuccess)
	}
	r.line("\nTarget %s: %s; last success %s; %d consecutive failed runs", t.Name, state, last, t.ConsecutiveFailures)
	if len(t.NextRuns) > 0 {
		r.line("  Next runs:")
		tw := tabwriter.NewWriter(&r.b, 0, 0, 2, ' ', 0)
		for _, n := range t.NextRuns {
			fmt.Fprintf(tw, "    %s\t(in %s)\t%s\t%s\t%s\n", r.time(n.At), r.dur(n.At.Sub(now)), n.Schedule, n.Mode, n.Spec)
		}
		_ = tw.Flush() // writes to a strings.Builder
	}
	if len(t.LastRuns) == 0 {
		r.line("  No runs yet.")
	} else {
		r.runs(t.LastRuns, now)
	}
	if t.LastError != nil {
		r.line("  Last error: %s", r.errorInfo(*t.LastError))
	}
	if t.PendingDeletions != nil {
		r.pendingDeletions(*t.PendingDeletions, now)
	}
}

// pendingDeletions lists the disabled accounts waiting for their deletion.
func (r *renderer) pendingDeletions(p PendingDeletions, now time.Time) {
	if p.Count == 0 {
		r.line("  Pending deletions (delete_after = %s): none", p.DeleteAfter)
		return
	}
	due := ""
	if p.Due > 0 {
		due = fmt.Sprintf(", %d due (the next full run deletes them)", p.Due)
	}
	r.line("  Pending deletions (delete_after = %s): %d%s", p.DeleteAfter, p.Count, due)
	tw := tabwriter.NewWriter(&r.b, 0, 0, 2, ' ', 0)
	for _, d := range p.Next {
		when := "due now"
		if d.DeleteOn.After(now) {
			when = "in " + r.days(d.DeleteOn.Sub(now))
		}
		fmt.Fprintf(tw, "    %s\twill be deleted on %s\t(%s)\tdisabled %s\tsource %s\n", d.UserName, r.time(d.DeleteOn), when, r.time(d.Disabled), d.SourceID)
	}
	_ = tw.Flush() // writes to a strings.Builder
	if more := p.Count - len(p.Next); more > 0 {
		r.line("    and %d more", more)
	}
}

// days writes d in whole days, or as dur does under a day.
func (r *renderer) days(d time.Duration) string {
	if d < 24*time.Hour {
		return r.dur(d)
	}
	return fmt.Sprintf("%dd", d/(24*time.Hour))
}

func (r *renderer) runs(runs []RunInfo, now time.Time) {
	r.line("  Last runs:")
	tw := tabwriter.NewWriter(&r.b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "    STARTED\tMODE\tTRIGGER\tSTATUS\tDURATION\tREAD\tCHANGES\tAPPLIED\tFAILED")
	for _, run := range runs {
		end := now
		if run.Finished != nil {
			end = *run.Finished
		}
		mode := run.Mode
		if run.DryRun {
			mode += " (dry run)"
		}
		c := run.Counts
		fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\n", r.time(run.Started), mode, run.Trigger, run.Status,
			r.dur(end.Sub(run.Started)), c.Read, c.Changes, c.Applied, c.Failed)
	}
	_ = tw.Flush() // writes to a strings.Builder
	for _, run := range runs {
		if run.Error != "" {
			r.line("    run %s at %s: %s", idOrDash(run.ID), r.time(run.Started), run.Error)
		}
	}
}

func idOrDash(id int64) string {
	if id == 0 {
		return "-"
	}
	return strconv.FormatInt(id, 10)
}

func (r *renderer) errorInfo(e ErrorInfo) string {
	where := ""
	if e.Target != "" {
		where = "target " + e.Target + ": "
	}
	return r.time(e.Time) + ": " + where + e.Message
}
