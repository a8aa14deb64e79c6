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
