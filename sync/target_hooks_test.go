package sync

import (
	"context"
	"strings"
	"testing"

	"github.com/idsync/idsync/targets"
)

// upperTarget stores every userName upper-cased, as a target whose server
// rewrites names does, and says so with RewriteUserName.
type upperTarget struct{ *fakeTarget }

func (u upperTarget) RewriteUserName(name string) string { return strings.ToUpper(name) }

func (u upperTarget) Create(ctx context.Context, a targets.Account) (string, error) {
	a.UserName = strings.ToUpper(a.UserName)
	return u.fakeTarget.Create(ctx, a)
}

func (u upperTarget) Update(ctx context.Context, id string, a targets.Account) error {
	a.UserName = strings.ToUpper(a.UserName)
	return u.fakeTarget.Update(ctx, id, a)
}

// TestRewrittenUserNamesConverge: a target that stores userNames
// rewritten converges (no update of the name on every run), and an
// account it already holds is correlated through the rewrite.
func TestRewrittenUserNamesConverge(t *testing.T) {
	tgt := upperTarget{newFakeTarget()}
	if _, err := tgt.fakeTarget.Create(context.Background(), targets.Account{UserName: "BA", Active: true}); err != nil {
		t.Fatal(err)
	}
	r, _ := newTestRunner(t, &sliceSource{entries: people(3)}, tgt)
	out, err := r.Run(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s := out.Plans[0].Summary; s.Creates != 2 || s.Adopted != 1 {
		t.Errorf("first run: %+v; want 2 creates and 1 adopted (ba as BA)", s)
	}
	assertConverged(t, r)
}

// describedTarget says what its actions mean, as the SCIM profiles do.
type describedTarget struct{ *fakeTarget }

func (describedTarget) Meaning(action string) string {
	if action == "disable" {
		return "suspends the user (reversible)"
	}
	return ""
}

// TestPlanSaysWhatActionsMean: a leaver's disable on a target that
// describes its actions carries that description as a reason.
func TestPlanSaysWhatActionsMean(t *testing.T) {
	tgt := describedTarget{newFakeTarget()}
	src := &sliceSource{entries: people(2)}
	r, _ := newTestRunner(t, src, tgt)
	if _, err := r.Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	src.entries = src.entries[:1]
	p, err := r.planOnly(t)
	if err != nil {
		t.Fatal(err)
	}
	var leaver *Change
	for i := range p.Changes {
		if p.Changes[i].Kind == Leaver {
			leaver = &p.Changes[i]
		}
	}
	if leaver == nil || leaver.Action != Disable {
		t.Fatalf("no leaver disable in %+v", p.Changes)
	}
	if got := strings.Join(leaver.Reasons, " | "); !strings.Contains(got, "disable on this target suspends the user (reversible)") {
		t.Errorf("leaver reasons %q do not say what disable means", got)
	}
}
