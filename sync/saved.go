package sync

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// ErrSavedPlan is wrapped by every error about a saved plan that cannot be
// applied as a whole: not a saved plan, edited after it was written, too
// old, or with refused changes under SavedPlan.AllOrNothing.
var ErrSavedPlan = errors.New("saved plan refused")

// SavedPlan is a plan document written by `idsync plan --out FILE` with
// fingerprints, read back by ReadSavedPlan to be applied exactly: its
// Filter, set as Options.Inspect, keeps of a fresh plan only the changes
// the saved plan has with the same fingerprint.
type SavedPlan struct {
	// Targets are the document's plans, in its order.
	Targets []*SavedTarget
	// AllOrNothing refuses a target's whole plan when any of its saved
	// changes is refused (instead of applying the others).
	AllOrNothing bool
	// Outcomes are what Filter did, one per target filtered.
	Outcomes []*SavedOutcome
}

// SavedTarget is the saved plan of one target.
type SavedTarget struct {
	Target  string
	Created time.Time
	Digest  string
	// Changes counts the saved changes.
	Changes int
	changes map[string]*savedChange // by changeKey
	order   []string                // keys in document order
	groups  map[string]savedGroup   // by role
}

// savedGroup is a saved group change without its members, and how many
// members it adds.
type savedGroup struct {
	head GroupChange
	adds int
}

// savedChange is what a saved change is checked and named by.
type savedChange struct {
	label string
	fp    Fingerprint
}

// ReadSavedPlan reads a JSON plan document written with fingerprints (see
// docs/reports.md) as a stream: it keeps each change's key, label and
// fingerprint, not the change. It refuses a document that is not such a
// plan, a change whose content is not what its fingerprint says, and a
// plan whose digest is not that of its content (edited, changes removed or
// added).
func ReadSavedPlan(r io.Reader) (*SavedPlan, error) {
	dec := json.NewDecoder(r)
	sp := &SavedPlan{}
	version := 0
	err := readObject(dec, func(key string) error {
		switch key {
		case "version":
			return dec.Decode(&version)
		case "plans":
			return readArray(dec, func() error {
				t, err := readSavedTarget(dec)
				if err == nil {
					sp.Targets = append(sp.Targets, t)
				}
				return err
			})
		}
		return skipValue(dec)
	})
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("data after the document")
		}
	}
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: not a plan document: %w", ErrSavedPlan, err)
	case version != JSONVersion:
		return nil, fmt.Errorf("%w: plan document version %d, this idsync reads %d", ErrSavedPlan, version, JSONVersion)
	case len(sp.Targets) == 0:
		return nil, fmt.Errorf("%w: the document has no plan", ErrSavedPlan)
	}
	seen := map[string]bool{}
	for _, t := range sp.Targets {
		if seen[t.Target] {
			return nil, fmt.Errorf("%w: target %q has two plans", ErrSavedPlan, t.Target)
		}
		seen[t.Target] = true
	}
	return sp, nil
}

// readSavedTarget reads one plan of the document's "plans" and checks it.
func readSavedTarget(dec *json.Decoder) (*SavedTarget, error) {
	t := &SavedTarget{changes: map[string]*savedChange{}, groups: map[string]savedGroup{}}
	h := newPlanHasher()
	var problems []error
	err := readObject(dec, func(key string) error {
		switch key {
		case "target":
			return dec.Decode(&t.Target)
		case "created":
			return dec.Decode(&t.Created)
		case "digest":
			return dec.Decode(&t.Digest)
		case "changes":
			return readArray(dec, func() error {
				var c Change
				if err := dec.Decode(&c); err != nil {
					return err
				}
				h.change(&c)
				if err := t.addChange(&c); err != nil {
					problems = append(problems, err)
				}
				return nil
			})
		case "groups":
			return readArray(dec, func() error {
				var g GroupChange
				if err := dec.Decode(&g); err != nil {
					return err
				}
				h.group(&g)
				adds := len(g.Add)
				g.Add, g.Remove = nil, nil
				t.groups[g.Role] = savedGroup{head: g, adds: adds}
				return nil
			})
		}
		return skipValue(dec)
	})
	switch {
	case err != nil:
		return nil, err
	case t.Digest == "":
		return nil, fmt.Errorf("plan of target %q has no digest: write it with idsync plan --format json --out FILE", t.Target)
	case t.Created.IsZero():
		return nil, fmt.Errorf("plan of target %q has no creation time", t.Target)
	case len(problems) > 0:
		return nil, fmt.Errorf("plan of target %q: %w", t.Target, errors.Join(problems...))
	case h.sum(t.Target, t.Created) != t.Digest:
		return nil, fmt.Errorf("plan of target %q was edited after it was written (its digest does not match its content)", t.Target)
	}
	return t, nil
}

// addChange records a saved change, after checking its fingerprint.
func (t *SavedTarget) addChange(c *Change) error {
	label := changeLabel(c)
	switch {
	case c.Fingerprint == nil:
		return fmt.Errorf("%s has no fingerprint", label)
	case c.Fingerprint.Change != changeDigest(c):
		return fmt.Errorf("%s was edited after the plan was written", label)
	}
	key := changeKey(c)
	if _, dup := t.changes[key]; dup {
		return fmt.Errorf("%s is in the plan twice", label)
	}
	t.changes[key] = &savedChange{label: label, fp: *c.Fingerprint}
	t.order = append(t.order, key)
	t.Changes++
	return nil
}

// changeLabel names a change in messages: its mark, userName, action and
// IDs, escaped.
func changeLabel(c *Change) string {
	id := c.SourceID
	if id == "" {
		id = "target ID " + c.TargetID
	} else {
		id = "source ID " + id
	}
	return Escape(fmt.Sprintf("%s %s [%s] (%s)", kindMark[c.Kind], c.UserName, c.Action, id))
}

// CheckAge refuses a saved plan made more than maxAge before now (or more
// than a minute after it: a clock that disagrees). maxAge 0 checks nothing.
func (sp *SavedPlan) CheckAge(now time.Time, maxAge time.Duration) error {
	if maxAge <= 0 {
		return nil
	}
	for _, t := range sp.Targets {
		age := now.Sub(t.Created)
		if age > maxAge {
			return fmt.Errorf("%w: the plan of target %q was made %s ago, at %s; plans older than %s are refused: make a new one",
				ErrSavedPlan, t.Target, age.Round(time.Second), t.Created.UTC().Format(time.RFC3339), maxAge)
		}
		if age < -time.Minute {
			return fmt.Errorf("%w: the plan of target %q is dated %s, in the future", ErrSavedPlan, t.Target, t.Created.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

// TargetNames returns the names of the targets the saved plan has plans for.
func (sp *SavedPlan) TargetNames() []string {
	names := make([]string, len(sp.Targets))
	for i, t := range sp.Targets {
		names[i] = t.Target
	}
	return names
}

// readObject reads a JSON object, calling member for each key with the
// decoder before the key's value, which member must consume.
func readObject(dec *json.Decoder, member func(key string) error) error {
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("object key expected, got %v", tok)
		}
		if err := member(key); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	return expectDelim(dec, '}')
}

// readArray reads a JSON array, calling elem for each element, which elem
// must consume. null is read as an empty array.
func readArray(dec *json.Decoder, elem func() error) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fmt.Errorf("array expected, got %v", tok)
	}
	for i := 0; dec.More(); i++ {
		if err := elem(); err != nil {
			return fmt.Errorf("element %d: %w", i, err)
		}
	}
	return expectDelim(dec, ']')
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("%q expected, got %v", want, tok)
	}
	return nil
}

// skipValue reads and drops one value.
func skipValue(dec *json.Decoder) error {
	var v json.RawMessage
	return dec.Decode(&v)
}
