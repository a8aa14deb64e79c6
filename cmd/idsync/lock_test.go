package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idsync/idsync/state"
)

// TestReadersWhileApplyHoldsTheLock holds the state's writer lock as an
// apply does, reaching the database through a symbolic link: plan, runs and
// audit still work (plan records its run), and a second apply is refused
// with the holder's pid and since when it holds the database.
func TestReadersWhileApplyHoldsTheLock(t *testing.T) {
	e, _ := generated(t, 20)
	e.mustIdsync(exitOK, "apply")

	ctx := context.Background()
	link := filepath.Join(t.TempDir(), "link.db")
	if err := os.Symlink(filepath.Join(e.dir, "state.db"), link); err != nil {
		t.Fatal(err)
	}
	w, err := state.Open(ctx, link)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	live, err := w.StartRun(ctx, "scim", state.ModeApply)
	if err != nil {
		t.Fatal(err)
	}

	if out := e.mustIdsync(exitOK, "plan"); !strings.Contains(out, "No changes") {
		t.Errorf("plan beside the apply:\n%s", tail(out))
	}
	out := e.mustIdsync(exitOK, "runs", "--format", "csv")
	for _, want := range []string{fmt.Sprintf("\n%d,scim,apply,", live.ID), ",running,", ",plan,", ",planned,"} {
		if !strings.Contains(out, want) {
			t.Errorf("runs beside the apply lacks %q:\n%s", want, out)
		}
	}
	if out := e.mustIdsync(exitOK, "audit"); strings.Count(out, "joiner") != 20 {
		t.Errorf("audit beside the apply:\n%s", tail(out))
	}

	code, _, errs := e.idsync("apply")
	want := fmt.Sprintf("is already open for writing in this idsync process (pid %d) since ", os.Getpid())
	if code != exitError || !strings.Contains(errs, want) {
		t.Errorf("second apply: exit %d, want %d and %q in:\n%s", code, exitError, want, errs)
	}
}
