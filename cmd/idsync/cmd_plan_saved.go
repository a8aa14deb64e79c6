package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/idsync/idsync/internal/duration"
	"github.com/idsync/idsync/sync"
)

// PlansConfig is the [plans] section: how apply --plan treats saved plans.
type PlansConfig struct {
	// MaxAge is the age past which a saved plan is refused; 0: never.
	MaxAge duration.Duration `toml:"max_age"`
}

// defaultPlanMaxAge is plans.max_age when the file does not set it.
const defaultPlanMaxAge = 24 * time.Hour

// Validate checks the section.
func (c PlansConfig) Validate() error {
	if c.MaxAge.Duration < 0 {
		return fmt.Errorf("max_age: must not be negative, got %s", c.MaxAge.Duration)
	}
	return nil
}

// reportFormat returns the report format: the one given with the flag, else
// the one the file's extension names (.json, .csv, .html, .htm, .txt),
// else def.
func reportFormat(flagged, path, def string) string {
	if flagged != "" {
		return flagged
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		return "json"
	case ".csv":
		return "csv"
	case ".html", ".htm":
		return "html"
	case ".txt":
		return "text"
	}
	return def
}

// checkFormat refuses a format WriteReport does not know.
func checkFormat(format string) error {
	if !slices.Contains(sync.Formats, format) {
		return fmt.Errorf("--format must be one of %s, got %q", strings.Join(sync.Formats, ", "), format)
	}
	return nil
}

// loadSavedPlan reads the saved plan at path and checks its age.
func loadSavedPlan(path string, maxAge time.Duration, now time.Time, allOrNothing bool) (*sync.SavedPlan, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("saved plan: %w", err)
	}
	defer f.Close()
	sp, err := sync.ReadSavedPlan(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := sp.CheckAge(now, maxAge); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sp.AllOrNothing = allOrNothing
	return sp, nil
}

// onlySaved keeps the runner's targets that the saved plan has plans for:
// the one chosen with --target (which the saved plan must have), else
// every target of the saved plan, each of which must be configured.
func onlySaved(ts []sync.TargetSpec, sp *sync.SavedPlan, chosen string) ([]sync.TargetSpec, error) {
	if chosen != "" {
		if !slices.Contains(sp.TargetNames(), chosen) {
			return nil, fmt.Errorf("%w: it has no plan for target %q", sync.ErrSavedPlan, chosen)
		}
		return ts, nil
	}
	var out []sync.TargetSpec
	for _, name := range sp.TargetNames() {
		i := slices.IndexFunc(ts, func(t sync.TargetSpec) bool { return t.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("%w: its target %q is not in the configuration", sync.ErrSavedPlan, name)
		}
		out = append(out, ts[i])
	}
	return out, nil
}

// errRefusedSaved is returned by apply --plan when saved changes were
// refused: the others were applied, and the refused ones are listed.
var errRefusedSaved = errors.New("changes of the saved plan were refused")

// printSavedOutcomes lists, per target, what apply --plan did with the
// saved plan, and returns errRefusedSaved when any change was refused.
func printSavedOutcomes(w io.Writer, sp *sync.SavedPlan) error {
	refused := 0
	for _, o := range sp.Outcomes {
		fmt.Fprintf(w, "Saved plan for %s: %d of its %d changes applied as approved, %d refused, %d changes planned now that it does not have skipped.\n",
			text(o.Target), o.Kept, o.Approved, len(o.Refused), o.Skipped)
		for _, r := range o.Refused {
			fmt.Fprintf(w, "  refused: %s: %s\n", text(r.Change), text(r.Why))
		}
		refused += len(o.Refused)
	}
	if refused > 0 {
		return fmt.Errorf("%w: %d (listed above); make a new plan to review them", errRefusedSaved, refused)
	}
	return nil
}
