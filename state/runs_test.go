package state

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestRunLifecycle(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	r1, err := s.StartRun(ctx, "okta", ModeApply)
	if err != nil {
		t.Fatal(err)
	}
	if r1.ID == 0 || r1.Status != StatusRunning || r1.Started.IsZero() || !r1.Finished.IsZero() {
		t.Fatalf("StartRun = %+v", r1)
	}
	r1.Status, r1.SourceCount, r1.Summary = StatusApplied, 42, "1 joiner"
	if err := s.FinishRun(ctx, r1); err != nil {
		t.Fatal(err)
	}
	r2, _ := s.StartRun(ctx, "okta", ModePlan)
	if _, err := s.StartRun(ctx, "slack", ModePlan); err != nil {
		t.Fatal(err)
	}

	runs, err := s.Runs(ctx, "okta", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].ID != r2.ID || runs[1].ID != r1.ID {
		t.Fatalf("Runs(okta) = %+v, want newest first", runs)
	}
	got := runs[1]
	if got.Status != StatusApplied || got.SourceCount != 42 || got.Summary != "1 joiner" ||
		got.Mode != ModeApply || got.Target != "okta" || got.Finished.Before(got.Started) ||
		!got.Started.Equal(r1.Started) {
		t.Errorf("finished run = %+v", got)
	}
	if runs, _ := s.Runs(ctx, "okta", 1); len(runs) != 1 || runs[0].ID != r2.ID {
		t.Errorf("Runs limit 1 = %+v", runs)
	}
	if runs, _ := s.Runs(ctx, "", 0); len(runs) != 3 {
		t.Errorf("Runs of every target = %d runs, want 3", len(runs))
	}
}

func TestRunErrors(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	done, _ := s.StartRun(ctx, "t", ModeApply)
	done.Status = StatusFailed
	if err := s.FinishRun(ctx, done); err != nil {
		t.Fatal(err)
	}
	running, _ := s.StartRun(ctx, "t", ModeApply)

	tests := []struct {
		name  string
		call  func() error
		want  string
		isErr error
	}{
		{"bad mode", func() error { _, err := s.StartRun(ctx, "t", "dry"); return err }, `mode "dry"`, nil},
		{"no target", func() error { _, err := s.StartRun(ctx, "", ModePlan); return err }, "empty target", nil},
		{"running is not final", func() error { return s.FinishRun(ctx, Run{ID: running.ID, Status: StatusRunning}) }, "not a final status", nil},
		{"unknown run", func() error { return s.FinishRun(ctx, Run{ID: 999, Status: StatusApplied}) }, "finish run 999: no such run", ErrNotFound},
		{"already finished", func() error { return s.FinishRun(ctx, Run{ID: done.ID, Status: StatusApplied}) }, "already finished (failed)", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil || !strings.HasPrefix(err.Error(), "state: ") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if tt.isErr != nil && !errors.Is(err, tt.isErr) {
				t.Errorf("error %v is not %v", err, tt.isErr)
			}
		})
	}
}

func TestLastSourceCount(t *testing.T) {
	type run struct {
		target, mode, status string
		count                int
	}
	tests := []struct {
		name   string
		runs   []run
		want   int
		wantOK bool
	}{
		{"no runs", nil, 0, false},
		{"only a plan", []run{{"t", ModePlan, StatusPlanned, 10}}, 0, false},
		{"applied", []run{{"t", ModeApply, StatusApplied, 10}}, 10, true},
		{"newest applied wins", []run{{"t", ModeApply, StatusApplied, 10}, {"t", ModeApply, StatusApplied, 12}}, 12, true},
		{"later plan, failed, refused and running ignored", []run{
			{"t", ModeApply, StatusApplied, 10},
			{"t", ModePlan, StatusPlanned, 3},
			{"t", ModeApply, StatusFailed, 2},
			{"t", ModeApply, StatusRefused, 1},
			{"t", ModeApply, StatusRunning, 0},
		}, 10, true},
		{"newest partial wins", []run{{"t", ModeApply, StatusApplied, 10}, {"t", ModeApply, StatusPartial, 11}}, 11, true},
		{"newest applied after a partial wins", []run{{"t", ModeApply, StatusPartial, 11}, {"t", ModeApply, StatusApplied, 13},
			{"t", ModeApply, StatusFailed, 2}}, 13, true},
		{"other target ignored", []run{{"t", ModeApply, StatusApplied, 10}, {"u", ModeApply, StatusApplied, 99}}, 10, true},
		{"applied with zero people", []run{{"t", ModeApply, StatusApplied, 0}}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			ctx := context.Background()
			for _, r := range tt.runs {
				got, err := s.StartRun(ctx, r.target, r.mode)
				if err != nil {
					t.Fatal(err)
				}
				if r.status == StatusRunning {
					continue
				}
				got.Status, got.SourceCount = r.status, r.count
				if err := s.FinishRun(ctx, got); err != nil {
					t.Fatal(err)
				}
			}
			n, ok, err := s.LastSourceCount(ctx, "t")
			if err != nil || n != tt.want || ok != tt.wantOK {
				t.Errorf("LastSourceCount = %d, %v, %v; want %d, %v", n, ok, err, tt.want, tt.wantOK)
			}
		})
	}
}
