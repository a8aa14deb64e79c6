package main

import (
	"context"
	"errors"
	"fmt"
	gosync "sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/state"
)

// AuditConfig is the [audit] section: how long the audit keeps its
// records (docs/audit.md says what they hold).
type AuditConfig struct {
	// Retention is the age after which audit records are deleted or
	// anonymised at the end of every apply run: "730d", "17520h". Empty
	// (the default) keeps them.
	Retention string `toml:"retention"`
	// RetentionMode is "delete" (the default) or "anonymise" (keep the
	// records without their personal fields).
	RetentionMode string `toml:"retention_mode"`

	retention time.Duration
}

// validateAudit checks [audit] and keeps the parsed retention.
func (c *Config) validateAudit() []keyErr {
	var out []keyErr
	a := &c.Audit
	if a.Retention != "" {
		d, err := parseDays("retention", a.Retention)
		switch {
		case err != nil:
			out = append(out, keyErr{"audit.retention", fmt.Errorf("%q is not an age (730d, 17520h)", a.Retention)})
		case d < 24*time.Hour:
			out = append(out, keyErr{"audit.retention", fmt.Errorf("%s is less than a day: the audit is the evidence of what idsync did", a.Retention)})
		}
		a.retention = d
	}
	switch a.RetentionMode {
	case "", state.RetentionDelete, state.RetentionAnonymise:
	default:
		out = append(out, keyErr{"audit.retention_mode", fmt.Errorf("must be %q or %q, got %q", state.RetentionDelete, state.RetentionAnonymise, a.RetentionMode)})
	}
	return out
}

// retentionEvery is how often a daemon applies [audit] retention: at the
// end of its first apply run, then of the first one an hour or more
// later. A retention is counted in days, and applying it at every change
// would cost a look through the old records each time.
const retentionEvery = time.Hour

// auditRetention returns the hook run after an apply run: it applies
// [audit] retention (at most once every retentionEvery; never when the
// audit is kept forever) and makes the audit checkpoints due; for the
// daemon in the background (its next run does not wait for them: a
// change that comes meanwhile is applied at once), one at a time.
func auditRetention(cfg *Config, store *state.Store, log logrus.FieldLogger, background bool) func(ctx context.Context) error {
	a := cfg.Audit
	var retain func(ctx context.Context) error
	if a.retention != 0 {
		mode := a.RetentionMode
		if mode == "" {
			mode = state.RetentionDelete
		}
		retain = onceEvery(retentionEvery, time.Now, func(ctx context.Context) error {
			before := time.Now().Add(-a.retention)
			upTo, n, err := store.PruneAudit(ctx, before, mode)
			if err != nil {
				return err
			}
			if n > 0 {
				log.WithFields(logrus.Fields{"records": n, "up_to": upTo, "mode": mode, "older_than": stamp(before)}).Info("audit retention applied")
			}
			return nil
		})
	}
	upkeep := func(ctx context.Context) error {
		var err error
		if retain != nil {
			if err = retain(ctx); err != nil {
				err = fmt.Errorf("audit retention not applied: %w", err)
			}
		}
		n, cerr := store.Checkpoint(ctx)
		if cerr != nil {
			return errors.Join(err, fmt.Errorf("audit checkpoints not made: %w", cerr))
		}
		if n > 0 {
			log.WithField("checkpoints", n).Info("audit checkpoints made")
		}
		return err
	}
	return func(ctx context.Context) error {
		if !background {
			// A stop (ctx) still stops it.
			ctx, cancel := context.WithTimeout(ctx, upkeepTimeout)
			defer cancel()
			return upkeep(ctx)
		}
		store.Background(func(ctx context.Context) {
			if err := upkeep(ctx); err != nil && ctx.Err() == nil {
				log.WithError(err).Warn("audit upkeep not done; the next apply run tries again")
			}
		})
		return nil
	}
}

// upkeepTimeout bounds the audit's retention and checkpoints at the end of
// an apply run.
const upkeepTimeout = 10 * time.Minute

// onceEvery returns f run at its first call and then at the first call
// every or more after the last success; the other calls do nothing.
func onceEvery(every time.Duration, now func() time.Time, f func(ctx context.Context) error) func(ctx context.Context) error {
	var mu gosync.Mutex
	var last time.Time
	return func(ctx context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		t := now()
		if !last.IsZero() && t.Sub(last) < every {
			return nil
		}
		if err := f(ctx); err != nil {
			return err
		}
		last = t
		return nil
	}
}
