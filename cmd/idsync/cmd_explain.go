package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/targets"
)

// explanation is everything `idsync explain` says about one person: the
// source entry and what the rules made of it, and per target what it holds
// and what would change.
type explanation struct {
	Query string `json:"query"`
	// Entry is the source entry, nil when the source has no such person.
	Entry *mapping.Entry `json:"entry,omitempty"`
	// Person is what the rules made of Entry; MapError why they could not.
	Person   *mapping.Person     `json:"person,omitempty"`
	MapError string              `json:"mapError,omitempty"`
	Targets  []targetExplanation `json:"targets"`
}

// targetExplanation is what one target holds of the person and what the
// plan would change.
type targetExplanation struct {
	Target  string           `json:"target"`
	Link    *explainedLink   `json:"link,omitempty"`
	Account *targets.Account `json:"account,omitempty"`
	// Groups are the display names of the target groups the account is in.
	Groups []string     `json:"groups,omitempty"`
	Change *sync.Change `json:"change,omitempty"`
}

// explainedLink is the state's link of the person in one target.
type explainedLink struct {
	SourceID string `json:"source_id"`
	TargetID string `json:"target_id"`
	UserName string `json:"user_name"` // when idsync last wrote the account
	DN       string `json:"dn"`        // when idsync last wrote the account
	Active   bool   `json:"active"`    // false once idsync disabled the account
}

// captureSource is a source that keeps a copy of the entries that may be
// the person asked about (the ID, the DN or any value equal to the query,
// ignoring case) while the run reads them.
type captureSource struct {
	sync.Source
	query string
	found []mapping.Entry
}

func (c *captureSource) Read(ctx context.Context, fn func(mapping.Entry) error) error {
	return c.Source.Read(ctx, func(e mapping.Entry) error {
		if entryMayBe(&e, c.query) {
			c.found = append(c.found, e.Clone())
		}
		return fn(e)
	})
}

func entryMayBe(e *mapping.Entry, q string) bool {
	if strings.EqualFold(e.ID, q) || mapping.NormalizeDN(e.DN) == mapping.NormalizeDN(q) {
		return true
	}
	for _, a := range e.Attrs {
		for _, v := range a.Values {
			if strings.EqualFold(v, q) {
				return true
			}
		}
	}
	return false
}

// isPerson reports whether the mapped person p is the one asked about: by
// source ID, DN or userName.
func isPerson(p *mapping.Person, q string) bool {
	return p.SourceID == q || mapping.NormalizeDN(p.DN) == mapping.NormalizeDN(q) || strings.EqualFold(p.Account.UserName, q)
}

// explainTarget fills ex (its entry and person, on the first target) and
// returns what target p holds of the person, from the plan's inputs.
func explainTarget(ex *explanation, found []mapping.Entry, p *sync.Plan, in *sync.PlanInputs) targetExplanation {
	te := targetExplanation{Target: p.Target}
	var sourceID string
	for i := range found {
		if person := in.Person(found[i].ID); person != nil && isPerson(person, ex.Query) {
			sourceID = person.SourceID
			if ex.Entry == nil {
				ex.Entry, ex.Person = &found[i], person
			}
			break
		}
	}
	for i := range p.Changes {
		c := &p.Changes[i]
		if sourceID != "" && c.SourceID == sourceID || sourceID == "" && (strings.EqualFold(c.UserName, ex.Query) || c.SourceID == ex.Query) {
			te.Change = c
			sourceID = c.SourceID
			break
		}
	}
	if l := in.Link(sourceID); l != nil {
		te.Link = &explainedLink{SourceID: l.SourceID, TargetID: l.TargetID, UserName: l.UserName, DN: l.DN, Active: l.Active}
	}
	targetID := ""
	switch {
	case te.Link != nil:
		targetID = te.Link.TargetID
	case te.Change != nil:
		targetID = te.Change.TargetID
	}
	if targetID != "" {
		te.Account = in.Account(targetID)
		for _, rg := range in.RoleGroups() {
			for _, m := range rg.Members {
				if m.ID == targetID && rg.Group != nil {
					te.Groups = append(te.Groups, rg.Group.DisplayName)
				}
			}
		}
	}
	return te
}

func cmdExplain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("explain", stderr)
	var c common
	c.register(fs)
	format := fs.String("format", "text", "text or json")
	var query string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		query, args = args[0], args[1:]
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return errHelp
	} else if err != nil {
		return errUsage
	}
	if query == "" && fs.NArg() > 0 { // the person after the flags; flags may follow
		query = fs.Arg(0)
		if err := parseFlags(fs, fs.Args()[1:]); err != nil {
			return err
		}
	} else if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	if query == "" {
		fmt.Fprintln(stderr, "explain needs a person: a userName, a source ID or a DN")
		return errUsage
	}
	if *format != "text" && *format != "json" {
		return fmt.Errorf("--format must be text or json, got %q", *format)
	}
	s, err := openSession(ctx, c, stderr, false)
	if err != nil {
		return err
	}
	defer s.store.Close()
	r, err := newRunner(s.cfg, s.store, c.target, s.log)
	if err != nil {
		return err
	}
	src := &captureSource{Source: r.Source, query: query}
	r.Source = src
	ex := &explanation{Query: query, Targets: []targetExplanation{}}
	_, err = r.Run(ctx, sync.Options{DryRun: true, Inspect: func(p *sync.Plan, in *sync.PlanInputs) error {
		ex.Targets = append(ex.Targets, explainTarget(ex, src.found, p, in))
		return nil
	}})
	if err != nil {
		return err
	}
	if ex.Entry == nil {
		ex.mapError(s.cfg.mapper, src.found)
	}
	if ex.Entry == nil && !ex.anyTarget() {
		return fmt.Errorf("explain: no person %q in the source or the targets (give a userName, a source ID or a DN)", query)
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(ex)
	}
	return writeExplanation(stdout, ex, s.cfg.mapper)
}

// mapError finds, among the entries read, the person asked about whom the
// rules could not map, and says why.
func (ex *explanation) mapError(m sync.Mapper, found []mapping.Entry) {
	for i := range found {
		if found[i].ID == ex.Query || mapping.NormalizeDN(found[i].DN) == mapping.NormalizeDN(ex.Query) {
			if _, err := m.Map(found[i], timeNow()); err != nil {
				ex.Entry, ex.MapError = &found[i], err.Error()
			}
			return
		}
	}
}

func (ex *explanation) anyTarget() bool {
	for _, t := range ex.Targets {
		if t.Change != nil || t.Link != nil || t.Account != nil {
			return true
		}
	}
	return false
}
