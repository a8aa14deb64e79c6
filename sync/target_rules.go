package sync

import (
	"time"

	"github.com/idsync/idsync/mapping"
)

// A run reads the source once. Targets with rules of their own (a scope,
// attribute overrides, a choice of roles: TargetSpec.Mapper) each get the
// people mapped with their rules from that one read; the others share the
// people mapped with Runner.Mapper.

// ruleKeyer is a Mapper that names the configuration key of each rule
// (*mapping.Mapper is one): a target's own rules say "target.NAME.".
type ruleKeyer interface {
	// RuleKey returns the full configuration key of the rule with key
	// path key (as for Mapper.Rule).
	RuleKey(key string) string
}

var _ ruleKeyer = (*mapping.Mapper)(nil)

// mapperOf returns the mapper of target t: its own, or the runner's.
func (r *Runner) mapperOf(t TargetSpec) Mapper {
	if t.Mapper != nil {
		return t.Mapper
	}
	return r.Mapper
}

// mapped is the people one target mapper made of a read.
type mapped struct {
	mapper   Mapper
	people   []mapping.Person
	unmapped []Unmapped
	index    *PeopleIndex
}

// targetMappers returns the targets' own mappers, each once, in target
// order. (Mappers are compared as interface values: a target's own
// mapper is a pointer.)
func (r *Runner) targetMappers() []*mapped {
	var out []*mapped
	for _, t := range r.Targets {
		m := t.Mapper
		if m == nil {
			continue
		}
		dup := false
		for _, o := range out {
			dup = dup || o.mapper == m
		}
		if !dup {
			out = append(out, &mapped{mapper: m})
		}
	}
	return out
}

// mapEntry maps e with the runner's mapper into src.people (or
// src.unmapped) and with every target mapper into src.others.
func (r *Runner) mapEntry(src *source, e mapping.Entry, now time.Time) {
	mapOne(r.Mapper, e, now, &src.people, &src.unmapped)
	for _, o := range src.others {
		mapOne(o.mapper, e, now, &o.people, &o.unmapped)
	}
}

func mapOne(m Mapper, e mapping.Entry, now time.Time, people *[]mapping.Person, unmapped *[]Unmapped) {
	p, err := m.Map(e, now)
	if err != nil {
		*unmapped = append(*unmapped, Unmapped{SourceID: e.ID, DN: e.DN, Err: err.Error()})
		return
	}
	*people = append(*people, p)
}

// indexOthers indexes the people of every target mapper (src.people are
// indexed by the caller, and a duplicate ID is reported there).
func (src *source) indexOthers() {
	for _, o := range src.others {
		o.index = NewPeopleIndex(len(o.people))
		o.index.add(o.people)
	}
}

// forTarget returns src as target t's mapper mapped it: src itself for a
// target without a mapper of its own.
func (src source) forTarget(t TargetSpec) source {
	if t.Mapper == nil {
		return src
	}
	for _, o := range src.others {
		if o.mapper == t.Mapper {
			out := src
			out.people, out.unmapped, out.index, out.others = o.people, o.unmapped, o.index, nil
			return out
		}
	}
	return src
}

// ruleKeyOf returns m's RuleKey, or nil when m has none (the keys are
// then "mapping." and the key path).
func ruleKeyOf(m Mapper) func(string) string {
	if k, ok := m.(ruleKeyer); ok {
		return k.RuleKey
	}
	return nil
}
