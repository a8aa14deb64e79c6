package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/idsync/idsync/targets"
)

// fakeTarget is an in-memory target for unit tests and fault injection.
type fakeTarget struct {
	accounts   map[string]targets.Account
	groups     map[string]*targets.Group
	next       int
	writes     int
	failAfter  int   // fail every write after this many (0: never)
	failWith   error // the error to fail with
	rejectUser string
	// rejectGroups refuses every group create with a 400.
	rejectGroups bool
	// rejectRemovals refuses every deactivate and delete with a 400.
	rejectRemovals bool
	// listLimit, when set, cuts List short after that many accounts, as a
	// server capping its pages would; repeatFirst lists the first account
	// again at the end, as a server ignoring startIndex would.
	listLimit   int
	repeatFirst bool
	// lists and gets count List and GetWithGroups calls; hideGroups makes
	// GetWithGroups leave an account's groups unreported.
	lists, gets int
	hideGroups  bool
}

func newFakeTarget() *fakeTarget {
	return &fakeTarget{accounts: map[string]targets.Account{}, groups: map[string]*targets.Group{}}
}

var errDown = errors.New("503 service unavailable")

func (f *fakeTarget) write() error {
	if f.failAfter > 0 && f.writes >= f.failAfter {
		return f.failWith
	}
	f.writes++
	return nil
}

func (f *fakeTarget) List(_ context.Context, fn func(targets.Account) error) error {
	f.lists++
	ids := make([]string, 0, len(f.accounts))
	for id := range f.accounts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	if f.listLimit > 0 && len(ids) > f.listLimit {
		ids = ids[:f.listLimit]
	}
	if f.repeatFirst && len(ids) > 0 {
		ids = append(ids, ids[0])
	}
	for _, id := range ids {
		if err := fn(f.accounts[id].Clone()); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeTarget) Get(_ context.Context, id string) (targets.Account, error) {
	a, ok := f.accounts[id]
	if !ok {
		return targets.Account{}, fmt.Errorf("get %s: %w", id, targets.ErrNotFound)
	}
	return a.Clone(), nil
}

func (f *fakeTarget) GetWithGroups(ctx context.Context, id string) (targets.Account, []string, bool, error) {
	f.gets++
	a, err := f.Get(ctx, id)
	if err != nil || f.hideGroups {
		return a, nil, false, err
	}
	groups := []string{}
	for gid, g := range f.groups {
		if slices.Contains(g.Members, id) {
			groups = append(groups, gid)
		}
	}
	return a, groups, true, nil
}

func (f *fakeTarget) Create(_ context.Context, a targets.Account) (string, error) {
	for _, x := range f.accounts {
		if strings.EqualFold(x.UserName, a.UserName) {
			return "", fmt.Errorf("create %s: %w", a.UserName, targets.ErrConflict)
		}
	}
	if a.UserName == f.rejectUser {
		return "", fmt.Errorf("create %s: 400 bad: %w", a.UserName, targets.ErrRejected)
	}
	if err := f.write(); err != nil {
		return "", err
	}
	f.next++
	a.ID = fmt.Sprintf("u%03d", f.next)
	f.accounts[a.ID] = a.Clone()
	return a.ID, nil
}

func (f *fakeTarget) Update(_ context.Context, id string, a targets.Account) error {
	if _, ok := f.accounts[id]; !ok {
		return targets.ErrNotFound
	}
	if err := f.write(); err != nil {
		return err
	}
	a.ID = id
	f.accounts[id] = a.Clone()
	return nil
}

func (f *fakeTarget) Deactivate(_ context.Context, id string) error {
	a, ok := f.accounts[id]
	if !ok {
		return targets.ErrNotFound
	}
	if f.rejectRemovals {
		return fmt.Errorf("deactivate %s: 400 bad: %w", id, targets.ErrRejected)
	}
	if err := f.write(); err != nil {
		return err
	}
	a.Active = false
	f.accounts[id] = a
	return nil
}

func (f *fakeTarget) Delete(_ context.Context, id string) error {
	if _, ok := f.accounts[id]; !ok {
		return targets.ErrNotFound
	}
	if f.rejectRemovals {
		return fmt.Errorf("delete %s: 400 bad: %w", id, targets.ErrRejected)
	}
	if err := f.write(); err != nil {
		return err
	}
	delete(f.accounts, id)
	return nil
}

func (f *fakeTarget) FindByUserName(_ context.Context, name string) (targets.Account, error) {
	for _, a := range f.accounts {
		if strings.EqualFold(a.UserName, name) {
			return a.Clone(), nil
		}
	}
	return targets.Account{}, targets.ErrNotFound
}

func (f *fakeTarget) ListGroups(_ context.Context, fn func(targets.Group) error) error {
	for _, g := range f.groups {
		c := *g
		c.Members = append([]string(nil), g.Members...)
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeTarget) CreateGroup(_ context.Context, name string) (string, error) {
	if f.rejectGroups {
		return "", fmt.Errorf("create group %s: 400 invalidValue: groups are managed elsewhere: %w", name, targets.ErrRejected)
	}
	for _, g := range f.groups {
		if strings.EqualFold(g.DisplayName, name) {
			return "", targets.ErrConflict
		}
	}
	if err := f.write(); err != nil {
		return "", err
	}
	f.next++
	id := fmt.Sprintf("g%03d", f.next)
	f.groups[id] = &targets.Group{ID: id, DisplayName: name}
	return id, nil
}

func (f *fakeTarget) ModifyMembers(_ context.Context, id string, add, remove []string) error {
	g, ok := f.groups[id]
	if !ok {
		return targets.ErrNotFound
	}
	if err := f.write(); err != nil {
		return err
	}
	set := map[string]bool{}
	for _, m := range g.Members {
		set[m] = true
	}
	for _, m := range add {
		set[m] = true
	}
	for _, m := range remove {
		delete(set, m)
	}
	g.Members = g.Members[:0]
	for m := range set {
		g.Members = append(g.Members, m)
	}
	sort.Strings(g.Members)
	return nil
}

var (
	_ targets.Target       = (*fakeTarget)(nil)
	_ targets.Deactivator  = (*fakeTarget)(nil)
	_ targets.GroupManager = (*fakeTarget)(nil)
	_ targets.Finder       = (*fakeTarget)(nil)
	_ targets.Getter       = (*fakeTarget)(nil)
	_ targets.MemberGetter = (*fakeTarget)(nil)
)
