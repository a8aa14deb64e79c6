package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/targets"
)

// cmdOrphansAdopt links an orphan account to a source person after a
// human reviewed the plan: the next apply updates it to the rules, as it
// would an account idsync created.
func cmdOrphansAdopt(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("orphans adopt", stderr)
	var c common
	c.register(fs)
	account := fs.String("account", "", "the orphan account's `userName`")
	person := fs.String("person", "", "the source person: their `ID` (entryUUID, objectGUID) or DN")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if c.target == "" || *account == "" || *person == "" {
		return errors.New("orphans adopt needs --target, --account and --person")
	}
	s, err := openSession(ctx, c, stderr, true) // the writer's lock: not during an apply
	if err != nil {
		return err
	}
	defer s.store.Close()
	tc, err := targetConfig(s.cfg, c.target)
	if err != nil {
		return err
	}
	p, err := findPerson(ctx, s, tc, *person)
	if err != nil {
		return err
	}
	tgt, err := tc.section.build(s.log.WithField("target", tc.Name), nil)
	if err != nil {
		return fmt.Errorf("target %s: %w", tc.Name, err)
	}
	a, err := findOrphan(ctx, s.store, tc.Name, tgt, *account)
	if err != nil {
		return err
	}
	if links, err := s.store.LinksOf(ctx, tc.Name, []string{p.SourceID}); err != nil {
		return err
	} else if len(links) > 0 {
		return fmt.Errorf("%s is already linked to account %s in %s; nothing was changed", p.DN, links[0].TargetID, tc.Name)
	}
	before := a
	err = s.store.Commit(ctx, state.Op{
		Audit: state.Audit{Time: time.Now(), Target: tc.Name, Kind: string(sync.Orphan), Action: "adopt",
			SourceID: p.SourceID, TargetID: a.ID, UserName: a.UserName, Before: &before,
			Reasons: []string{"adopted after review (idsync orphans adopt): linked to " + p.DN}},
		Link: &state.Link{Target: tc.Name, SourceID: p.SourceID, TargetID: a.ID, UserName: a.UserName, DN: p.DN, Active: true},
	})
	if err != nil {
		return fmt.Errorf("adopt: %w", err)
	}
	fmt.Fprintf(stdout, "Linked account %s (%s) in %s to %s; the next apply updates it to the rules.\n", a.ID, a.UserName, tc.Name, p.DN)
	return nil
}

func targetConfig(cfg *Config, name string) (*TargetConfig, error) {
	for i := range cfg.Targets {
		if cfg.Targets[i].Name == name {
			return &cfg.Targets[i], nil
		}
	}
	return nil, fmt.Errorf("no target named %q in the configuration", name)
}

// findPerson reads the source and maps, with the target's rules, the
// person whose ID or DN is who; they must be in the target's scope and
// not disabled.
func findPerson(ctx context.Context, s *session, tc *TargetConfig, who string) (mapping.Person, error) {
	src, err := s.cfg.Source.section.build(s.log, nil)
	if err != nil {
		return mapping.Person{}, fmt.Errorf("source %s: %w", s.cfg.Source.Kind, err)
	}
	var m sync.Mapper = s.cfg.mapper
	if tc.mapper != nil {
		m = tc.mapper
	}
	var found *mapping.Entry
	norm := mapping.NormalizeDN(who)
	err = src.Read(ctx, func(e mapping.Entry) error {
		if found == nil && (e.ID == who || mapping.NormalizeDN(e.DN) == norm) {
			c := e.Clone()
			found = &c
		}
		return nil
	})
	if err != nil {
		return mapping.Person{}, fmt.Errorf("read source: %w", err)
	}
	if found == nil {
		return mapping.Person{}, fmt.Errorf("no person with the ID or DN %q in the source", who)
	}
	p, err := m.Map(*found, time.Now())
	switch {
	case err != nil:
		return mapping.Person{}, err
	case !p.InScope:
		return mapping.Person{}, fmt.Errorf("%s is not in the scope of target %s; nothing was changed", p.DN, tc.Name)
	case p.Disabled:
		return mapping.Person{}, fmt.Errorf("%s is disabled in the source; nothing was changed", p.DN)
	}
	return p, nil
}

// findOrphan finds the account userName in tgt and checks that no link
// holds it.
func findOrphan(ctx context.Context, st *state.Store, target string, tgt targets.Target, userName string) (targets.Account, error) {
	var a targets.Account
	var err error
	if f, ok := tgt.(targets.Finder); ok {
		a, err = f.FindByUserName(ctx, userName)
	} else {
		err = targets.ErrNotFound
		lerr := tgt.List(ctx, func(acc targets.Account) error {
			if strings.EqualFold(acc.UserName, userName) {
				a, err = acc, nil
			}
			return nil
		})
		if lerr != nil {
			err = lerr
		}
	}
	if errors.Is(err, targets.ErrNotFound) {
		return a, fmt.Errorf("no account %q in target %s", userName, target)
	}
	if err != nil {
		return a, fmt.Errorf("look up %q in %s: %w", userName, target, err)
	}
	l, err := st.LinkOf(ctx, target, a.ID)
	switch {
	case err == nil:
		return a, fmt.Errorf("account %s (%s) is not an orphan: it is linked to %s; nothing was changed", a.ID, a.UserName, l.SourceID)
	case !errors.Is(err, state.ErrNotFound):
		return a, err
	}
	return a, nil
}
