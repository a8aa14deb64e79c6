package sync

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/targets"
)

// hidingTarget leaves the accounts whose userName is in hide out of its
// listing, as an account created in the target between the listing and
// the apply: the plan does not know it, the create conflicts with it.
type hidingTarget struct {
	*fakeTarget
	hide map[string]bool
}

func (h *hidingTarget) List(ctx context.Context, fn func(targets.Account) error) error {
	return h.fakeTarget.List(ctx, func(a targets.Account) error {
		if h.hide[a.UserName] {
			return nil
		}
		return fn(a)
	})
}

// TestConflictNeverAdoptsProtected: a create that conflicts on its userName
// with an account the plan did not see is not adopted when that account is
// protected, by its userName or by a protected group: the account keeps
// its attributes and stays unlinked, and the create stays refused.
func TestConflictNeverAdoptsProtected(t *testing.T) {
	for _, tt := range []struct {
		name    string
		protect Protect
		want    string
	}{
		{"user name", Protect{UserNames: []string{"r*t"}}, `protect.user_names "r*t"`},
		{"group", Protect{Groups: []string{"break-glass"}}, `protect.groups "break-glass": member of Break-Glass`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeTarget()
			id, err := fake.Create(context.Background(), targets.Account{UserName: "root", Active: true,
				Attrs: targets.AttrsOf(map[string]string{"department": "Ops"})})
			if err != nil {
				t.Fatal(err)
			}
			fake.groups["g900"] = &targets.Group{ID: "g900", DisplayName: "Break-Glass", Members: []string{id}}
			tgt := &hidingTarget{fakeTarget: fake, hide: map[string]bool{"root": true}}
			src := &sliceSource{entries: []mapping.Entry{entry("1", "ann", "Eng"), entry("2", "root", "Eng")}}
			r, store := newTestRunner(t, src, tgt)
			r.Targets[0].Policy.Protect = tt.protect
			_, err = r.Run(context.Background(), Options{})
			if !errors.Is(err, ErrPartial) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want the create refused naming %s", err, tt.want)
			}
			if a := fake.accounts[id]; a.Attrs.Get("department") != "Ops" || !a.Active {
				t.Errorf("protected account changed: %+v", a)
			}
			if _, err := store.LinkOf(context.Background(), "t", id); err == nil {
				t.Errorf("protected account %s was linked", id)
			}
			if countUsers(fake, "ann") != 1 {
				t.Errorf("ann was not created beside the refusal")
			}
		})
	}
}
