package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/idsync/idsync/state"
)

// leaverColumns are the columns of report leavers --format csv, in order.
var leaverColumns = []string{"target", "user_name", "source_id", "account_id", "detected", "revoked", "delay_seconds",
	"action", "record", "attempts", "over_threshold", "detected_by"}

// leaverJSON is one leaver in report leavers --format json.
type leaverJSON struct {
	Target        string  `json:"target"`
	UserName      string  `json:"user_name"`
	SourceID      string  `json:"source_id"`
	AccountID     string  `json:"account_id"`
	Detected      string  `json:"detected"`
	Revoked       string  `json:"revoked,omitempty"`
	DelaySeconds  float64 `json:"delay_seconds"`
	Action        string  `json:"action"`
	Record        int64   `json:"record"`
	Attempts      int     `json:"attempts"`
	OverThreshold bool    `json:"over_threshold"`
	// DetectedBy says what Detected is: "end date", "modifyTimestamp or
	// whenChanged" or "delete notification" (the directory's word), else
	// "run start".
	DetectedBy string `json:"detected_by"`
}

// leaverReport is report leavers --format json: the leavers and the
// figures.
type leaverReport struct {
	Since            string       `json:"since"`
	ThresholdSeconds float64      `json:"threshold_seconds"`
	Leavers          []leaverJSON `json:"leavers"`
	Revoked          int          `json:"revoked"`
	NotRevoked       int          `json:"not_revoked"`
	P50Seconds       float64      `json:"p50_seconds"`
	P95Seconds       float64      `json:"p95_seconds"`
	MaxSeconds       float64      `json:"max_seconds"`
	OverThreshold    int          `json:"over_threshold"`
}

// cmdReportLeavers prints, for each leaver since a date, when idsync saw
// them leave and when each target's access was revoked, with p50/p95.
func cmdReportLeavers(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("report leavers", stderr)
	var c common
	c.register(fs)
	since := fs.String("since", "", "leavers seen at or after `DATE` (required)")
	threshold := fs.String("threshold", "24h", "list the revocations that took longer than `AGE` (30m, 24h, 2d)")
	format := fs.String("format", "text", "text, json or csv")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	from, err := parseDate("--since", *since)
	if err != nil {
		return err
	}
	limit, err := parseDays("--threshold", *threshold)
	if err != nil {
		return err
	}
	if *format != "text" && *format != "json" && *format != "csv" {
		return fmt.Errorf("--format must be text, json or csv, got %q", *format)
	}
	s, err := openSession(ctx, c, stderr, false)
	if err != nil {
		return err
	}
	defer s.store.Close()
	if res, err := s.store.VerifyAudit(ctx, state.VerifyOptions{}); err != nil {
		return err
	} else if !res.OK() {
		return fmt.Errorf("report leavers: %w: %s (run idsync audit verify)", state.ErrChainBroken, res.Problems[0])
	}
	ls, err := s.store.Leavers(ctx, from, c.target)
	if err != nil {
		return err
	}
	rep := leaverFigures(ls, from, limit, nowFunc())
	switch *format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case "csv":
		return leaversCSV(stdout, rep)
	}
	return leaversText(stdout, rep, limit)
}

// leaverFigures builds the report: each leaver's delay, the percentiles
// (nearest rank) of the revoked ones, and those over the threshold (a
// leaver not revoked yet counts from now).
func leaverFigures(ls []state.Leaver, since time.Time, limit time.Duration, now time.Time) leaverReport {
	rep := leaverReport{Since: stamp(since), ThresholdSeconds: limit.Seconds(), Leavers: []leaverJSON{}}
	var delays []float64
	for _, l := range ls {
		d := l.Delay(now)
		over := d > limit
		rep.Leavers = append(rep.Leavers, leaverJSON{Target: l.Target, UserName: l.UserName, SourceID: l.SourceID, AccountID: l.TargetID,
			Detected: stamp(l.Detected), Revoked: stamp(l.Revoked), DelaySeconds: d.Seconds(), Action: l.Action, Record: l.Record,
			Attempts: l.Attempts, OverThreshold: over, DetectedBy: l.DetectedBy})
		if over {
			rep.OverThreshold++
		}
		if l.Revoked.IsZero() {
			rep.NotRevoked++
			continue
		}
		rep.Revoked++
		delays = append(delays, d.Seconds())
	}
	slices.Sort(delays)
	rep.P50Seconds, rep.P95Seconds = rank(delays, 0.50), rank(delays, 0.95)
	if len(delays) > 0 {
		rep.MaxSeconds = delays[len(delays)-1]
	}
	return rep
}

// rank returns the nearest-rank percentile p of sorted values; 0 for none.
func rank(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

func leaversCSV(w io.Writer, rep leaverReport) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(leaverColumns); err != nil {
		return err
	}
	for _, l := range rep.Leavers {
		if err := cw.Write([]string{l.Target, l.UserName, l.SourceID, l.AccountID, l.Detected, l.Revoked,
			strconv.FormatFloat(l.DelaySeconds, 'f', 3, 64), l.Action, strconv.FormatInt(l.Record, 10), strconv.Itoa(l.Attempts),
			strconv.FormatBool(l.OverThreshold), l.DetectedBy}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func leaversText(w io.Writer, rep leaverReport, limit time.Duration) error {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tUSER\tACCOUNT\tDETECTED\tBY\tREVOKED\tDELAY\tRECORD\tNOTE")
	for _, l := range rep.Leavers {
		revoked, mark := l.Revoked, ""
		if revoked == "" {
			revoked = "NOT YET"
		}
		if l.OverThreshold {
			mark = "OVER " + limit.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", l.Target, text(l.UserName), text(l.AccountID), l.Detected, l.DetectedBy, revoked,
			seconds(l.DelaySeconds), l.Record, mark)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d leavers since %s: %d revoked (p50 %s, p95 %s, max %s), %d not revoked yet; %d over the threshold of %s.\n",
		len(rep.Leavers), rep.Since, rep.Revoked, seconds(rep.P50Seconds), seconds(rep.P95Seconds), seconds(rep.MaxSeconds),
		rep.NotRevoked, rep.OverThreshold, limit)
	return err
}

// seconds formats a delay for people, to the second.
func seconds(s float64) string {
	return (time.Duration(s * float64(time.Second))).Round(time.Second).String()
}
