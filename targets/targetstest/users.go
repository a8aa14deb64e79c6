package targetstest

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/idsync/idsync/targets"
)

func (s *suite) createListRoundTrip(t *testing.T) {
	tg := s.newTarget(t)
	p := s.prefix(t)
	active := s.account(p+"-active", "a")
	inactive := s.account(p+"-inactive", "b")
	inactive.Active = false
	bare := targets.Account{UserName: p + "-bare", Active: true}
	ids := map[string]targets.Account{}
	for _, a := range []targets.Account{active, inactive, bare} {
		a = s.complete(a)
		ids[s.mustCreate(t, tg, a)] = a
	}
	all := listAll(t, tg)
	for id, want := range ids {
		got, ok := all[id]
		if !ok {
			t.Errorf("created %s (%s) is not listed", want.UserName, id)
			continue
		}
		s.checkAccount(t, got, want, s.caps.Attrs)
	}
}

func (s *suite) duplicateUserName(t *testing.T) {
	tg := s.newTarget(t)
	name := s.prefix(t)
	s.mustCreate(t, tg, targets.Account{UserName: name, Active: true})
	_, err := tg.Create(t.Context(), s.complete(targets.Account{UserName: name, Active: true}))
	if !errors.Is(err, targets.ErrConflict) {
		t.Errorf("second Create(%s) = %v, want ErrConflict", name, err)
	}
	checkFinder(t, tg, name, s.caps.CaseInsensitiveUserName)
	if !s.caps.CaseInsensitiveUserName {
		t.Logf("the target compares userName case-sensitively; not checking %q", strings.ToUpper(name))
		return
	}
	_, err = tg.Create(t.Context(), s.complete(targets.Account{UserName: strings.ToUpper(name), Active: true}))
	if !errors.Is(err, targets.ErrConflict) {
		t.Errorf("Create(%s) after %s = %v, want ErrConflict", strings.ToUpper(name), name, err)
	}
	n := 0
	for _, a := range listAll(t, tg) {
		if strings.EqualFold(a.UserName, name) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d accounts named %q in any case, want 1", n, name)
	}
}

// updateChangesAndClears changes some attributes, clears others and
// leaves one out of Attrs: that one must keep its value.
func (s *suite) updateChangesAndClears(t *testing.T) {
	tg := s.newTarget(t)
	p := s.prefix(t)
	before := s.account(p, "a")
	id := s.mustCreate(t, tg, before)

	after := targets.Account{UserName: p + "-renamed", ExternalID: "ext2-" + p, Active: false, Attrs: targets.Attrs{}}
	want := after.Clone()
	attrs := s.caps.Attrs
	for i, path := range attrs {
		switch {
		case i == len(attrs)-1: // not managed in this update: untouched
			want.Attrs.Set(path, before.Attrs.Get(path))
		case i%2 == 0:
			after.Attrs.Set(path, sample(path, "b"))
			want.Attrs.Set(path, sample(path, "b"))
		case s.required(path): // never cleared: changed instead
			after.Attrs.Set(path, sample(path, "b"))
			want.Attrs.Set(path, sample(path, "b"))
		default:
			after.Attrs.Set(path, "")
		}
	}
	if err := tg.Update(t.Context(), id, after); err != nil {
		t.Fatalf("Update: %v", err)
	}
	s.checkAccount(t, mustGet(t, tg, id), want, attrs)

	// And back: values for everything, active again.
	again := s.account(p+"-again", "a")
	if err := tg.Update(t.Context(), id, again); err != nil {
		t.Fatalf("second Update: %v", err)
	}
	s.checkAccount(t, mustGet(t, tg, id), again, attrs)

	gone := s.mustCreate(t, tg, targets.Account{UserName: p + "-gone", Active: true})
	if err := tg.Delete(t.Context(), gone); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if s.caps.DeleteDeactivates {
		return
	}
	if err := tg.Update(t.Context(), gone, s.complete(targets.Account{UserName: p + "-gone", Active: true})); !errors.Is(err, targets.ErrNotFound) {
		t.Errorf("Update of a deleted account = %v, want ErrNotFound", err)
	}
}

func (s *suite) deactivate(t *testing.T) {
	tg := s.newTarget(t)
	d, ok := tg.(targets.Deactivator)
	if !ok {
		t.Log("the target is not a Deactivator")
		return
	}
	p := s.prefix(t)
	a := s.account(p, "a")
	id := s.mustCreate(t, tg, a)
	if err := d.Deactivate(t.Context(), id); err != nil {
		t.Fatalf("Deactivate: %v", err)
	}
	want := a.Clone()
	want.Active = false
	s.checkAccount(t, mustGet(t, tg, id), want, s.caps.Attrs)
	if err := d.Deactivate(t.Context(), id); err != nil {
		t.Errorf("Deactivate of an inactive account: %v", err)
	}
	if err := tg.Delete(t.Context(), id); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if s.caps.DeleteDeactivates {
		return
	}
	if err := d.Deactivate(t.Context(), id); !errors.Is(err, targets.ErrNotFound) {
		t.Errorf("Deactivate of a deleted account = %v, want ErrNotFound", err)
	}
}

func (s *suite) deleteTwice(t *testing.T) {
	tg := s.newTarget(t)
	p := s.prefix(t)
	id := s.mustCreate(t, tg, targets.Account{UserName: p, Active: true})
	keep := s.mustCreate(t, tg, targets.Account{UserName: p + "-keep", Active: true})
	if err := tg.Delete(t.Context(), id); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if s.caps.DeleteDeactivates {
		if a, ok := listAll(t, tg)[id]; !ok || a.Active {
			t.Errorf("deleted account %s on a target whose delete deactivates: listed %v, %+v; want listed inactive", id, ok, a)
		}
		return
	}
	if err := tg.Delete(t.Context(), id); !errors.Is(err, targets.ErrNotFound) {
		t.Errorf("second Delete = %v, want ErrNotFound", err)
	}
	all := listAll(t, tg)
	if _, ok := all[id]; ok {
		t.Errorf("deleted account %s is still listed", id)
	}
	if _, ok := all[keep]; !ok {
		t.Errorf("account %s was not deleted but is not listed", keep)
	}
}

func (s *suite) listPaging(t *testing.T) {
	tg := s.newTarget(t)
	p := s.prefix(t)
	ids := s.createMany(t, tg, p, s.caps.PagingUsers)
	calls := map[string]int{}
	err := tg.List(t.Context(), func(a targets.Account) error {
		calls[a.ID]++
		return nil
	})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	for id, n := range calls {
		if n != 1 {
			t.Errorf("fn called %d times for %s", n, id)
		}
	}
	missing := 0
	for _, id := range ids {
		if calls[id] == 0 {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d created accounts not listed (listed %d in all)", missing, len(ids), len(calls))
	}
}

func (s *suite) listStopsAtCallbackError(t *testing.T) {
	tg := s.newTarget(t)
	s.createMany(t, tg, s.prefix(t), 5)
	stop := errors.New("stop here")
	calls := 0
	err := tg.List(t.Context(), func(targets.Account) error {
		calls++
		if calls == 3 {
			return fmt.Errorf("wrapped: %w", stop)
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Errorf("List = %v, want the callback's error", err)
	}
	if calls != 3 {
		t.Errorf("fn called %d times after returning an error at call 3", calls)
	}
}

// checkFinder looks the account up by name (and in upper case) when the
// target is a Finder, and a missing name gives ErrNotFound.
func checkFinder(t *testing.T, tg targets.Target, name string, caseInsensitive bool) {
	t.Helper()
	f, ok := tg.(targets.Finder)
	if !ok {
		return
	}
	names := []string{name}
	if caseInsensitive {
		names = append(names, strings.ToUpper(name))
	}
	for _, n := range names {
		a, err := f.FindByUserName(t.Context(), n)
		if err != nil || a.UserName != name || a.ID == "" {
			t.Errorf("FindByUserName(%q) = %+v, %v; want the account %q", n, a, err, name)
		}
	}
	if _, err := f.FindByUserName(t.Context(), name+"-nobody"); !errors.Is(err, targets.ErrNotFound) {
		t.Errorf("FindByUserName of a missing name = %v, want ErrNotFound", err)
	}
}

// get reads accounts back by ID when the target is a Getter: the same
// account List gives, and ErrNotFound once it is deleted.
func (s *suite) get(t *testing.T) {
	tg := s.newTarget(t)
	g, ok := tg.(targets.Getter)
	if !ok {
		t.Log("the target is not a Getter")
		return
	}
	p := s.prefix(t)
	full := s.account(p, "a")
	full.Active = false
	bare := s.complete(targets.Account{UserName: p + "-bare", Active: true})
	for _, want := range []targets.Account{full, bare} {
		id := s.mustCreate(t, tg, want)
		got, err := g.Get(t.Context(), id)
		if err != nil {
			t.Fatalf("Get(%s): %v", id, err)
		}
		if got.ID != id {
			t.Errorf("Get(%s) returned the account %q", id, got.ID)
		}
		s.checkAccount(t, got, want, s.caps.Attrs)
		if listed := mustGet(t, tg, id); !reflect.DeepEqual(listed, got) {
			t.Errorf("Get(%s) = %+v\nList gives %+v", id, got, listed)
		}
		if err := tg.Delete(t.Context(), id); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if a, err := g.Get(t.Context(), id); s.caps.DeleteDeactivates {
			if err != nil || a.Active {
				t.Errorf("Get of a deleted (deactivated) account = %+v, %v; want it inactive", a, err)
			}
		} else if !errors.Is(err, targets.ErrNotFound) {
			t.Errorf("Get of a deleted account = %v, want ErrNotFound", err)
		}
	}
}
