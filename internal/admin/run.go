package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/sirupsen/logrus"
)

// Runner performs the runs that POST /run asks for.
type Runner interface {
	// Run asks for a run of req.Mode ("full" or "incremental"). With
	// req.Wait it returns once the run that serves the request has ended
	// (a run that failed is a result with Status RunFailed and a nil
	// error), or with ctx's error when ctx ends first; without it, once
	// the run is queued (Status RunQueued). An error means the request was
	// not served (the daemon is stopping, ctx ended, a bad mode).
	Run(ctx context.Context, req RunRequest) (RunResult, error)
}

// RunnerFunc adapts a function to Runner.
type RunnerFunc func(ctx context.Context, req RunRequest) (RunResult, error)

// Run calls f.
func (f RunnerFunc) Run(ctx context.Context, req RunRequest) (RunResult, error) { return f(ctx, req) }

var _ Runner = RunnerFunc(nil)

// Run modes a RunRequest may name.
const (
	ModeFull        = "full"
	ModeIncremental = "incremental"
)

// RunRequest is the body of POST /run. Every field is optional: an empty
// body asks for a full run and waits for it.
type RunRequest struct {
	Mode   string `json:"mode"`    // "full" (default) or "incremental"
	DryRun bool   `json:"dry_run"` // stop after the plan
	Wait   bool   `json:"wait"`    // answer when the run has ended (default true)
}

// The values of RunResult.Status.
const (
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
	RunQueued    = "queued"
)

// RunResult is the answer of POST /run.
type RunResult struct {
	Status  string `json:"status"`          // RunSucceeded, RunFailed or RunQueued
	Summary string `json:"summary"`         // one line for a person
	Error   string `json:"error,omitempty"` // why the run failed
}

// maxRunBody bounds the body of POST /run.
const maxRunBody = 4 << 10

// runHandler serves POST /run with runner.
func runHandler(runner Runner, log logrus.FieldLogger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req, err := decodeRunRequest(http.MaxBytesReader(w, r.Body, maxRunBody))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, errorDoc{Error: err.Error()}, log)
			return
		}
		if req.Wait {
			// A run may outlast the server's write timeout; the request's
			// context (the client going away, the shutdown) bounds it.
			_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
		}
		log.WithFields(logrus.Fields{"remote": r.RemoteAddr, "mode": req.Mode, "dry_run": req.DryRun, "wait": req.Wait}).
			Info("admin: run requested")
		res, err := runner.Run(r.Context(), req)
		if err != nil {
			log.WithError(err).Error("admin: run")
			writeJSON(w, http.StatusInternalServerError, errorDoc{Error: err.Error()}, log)
			return
		}
		code := http.StatusOK
		if !req.Wait {
			code = http.StatusAccepted
		}
		writeJSON(w, code, res, log)
	}
}

// decodeRunRequest reads a RunRequest, with the defaults for the fields
// the body leaves out. Unknown fields and modes are refused.
func decodeRunRequest(body io.Reader) (RunRequest, error) {
	req := RunRequest{Mode: ModeFull, Wait: true}
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		return RunRequest{}, fmt.Errorf("run: bad request body: %w", err)
	}
	if dec.More() {
		return RunRequest{}, errors.New("run: bad request body: more than one JSON value")
	}
	if req.Mode != ModeFull && req.Mode != ModeIncremental {
		return RunRequest{}, fmt.Errorf("run: mode must be %q or %q, got %q", ModeFull, ModeIncremental, req.Mode)
	}
	return req, nil
}
