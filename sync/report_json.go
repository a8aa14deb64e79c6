package sync

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"strings"
)

// JSONVersion is the version of the JSON plan document. It changes only
// when a field is removed or changes meaning; new fields may appear.
const JSONVersion = 1

// jsonReport is the JSON plan document; docs/plan-json.md describes it.
// WriteJSON streams the document json.MarshalIndent(jsonReport, "", "  ")
// would give.
type jsonReport struct {
	Version int     `json:"version"`
	Plans   []*Plan `json:"plans"`
	// Results are an apply's, one per plan; absent from a plan's report.
	Results []Result `json:"results,omitempty"`
}

// WriteJSON writes the plans as one indented JSON document. It is written
// a change at a time: the report holds one change's encoding in memory,
// never the whole document, which for a first plan of a large directory
// is a hundred times the size of the plan's own data.
func WriteJSON(w io.Writer, plans []*Plan) error { return writeJSON(w, plans, nil) }

// writeJSON writes the plans, and an apply's results when there are any.
func writeJSON(w io.Writer, plans []*Plan, results []Result) error {
	j := &jsonWriter{w: bufio.NewWriterSize(w, 64<<10)}
	j.enc = json.NewEncoder(&j.buf)
	j.raw("{")
	j.key(1, "version", true)
	j.value(1, JSONVersion)
	j.key(1, "plans", false)
	j.array(1, len(plans), func(i int) { j.plan(2, plans[i]) })
	if len(results) > 0 {
		j.key(1, "results", false)
		j.value(1, results)
	}
	j.raw("\n}\n")
	if j.err != nil {
		return j.err
	}
	return j.w.Flush()
}

// jsonWriter writes a JSON document in pieces, each indented as
// json.MarshalIndent(doc, "", "  ") indents it at its depth. After an
// error it writes nothing more and keeps the first error.
type jsonWriter struct {
	w   *bufio.Writer
	buf bytes.Buffer  // one value's encoding
	enc *json.Encoder // encodes into buf
	err error
}

// indent is the indentation of the deepest level a plan document reaches,
// sliced for the others.
var indent = strings.Repeat("  ", 16)

func (j *jsonWriter) raw(s string) {
	if j.err == nil {
		_, j.err = j.w.WriteString(s)
	}
}

// newline starts a line at depth.
func (j *jsonWriter) newline(depth int) {
	j.raw("\n")
	j.raw(indent[:2*depth])
}

// key starts the member name of an object at depth (first: the object's
// first member).
func (j *jsonWriter) key(depth int, name string, first bool) {
	if !first {
		j.raw(",")
	}
	j.newline(depth)
	j.raw(`"` + name + `": `)
}

// encode returns v encoded for depth (its first line not indented: the
// caller wrote what precedes it), valid until the next encode; nil after
// an error.
func (j *jsonWriter) encode(depth int, v any) []byte {
	if j.err != nil {
		return nil
	}
	j.buf.Reset()
	j.enc.SetIndent(indent[:2*depth], "  ")
	if j.err = j.enc.Encode(v); j.err != nil {
		return nil
	}
	return bytes.TrimSuffix(j.buf.Bytes(), []byte("\n"))
}

// value writes v at depth.
func (j *jsonWriter) value(depth int, v any) {
	if b := j.encode(depth, v); j.err == nil {
		_, j.err = j.w.Write(b)
	}
}

// array writes an array at depth of n elements, each written by elem at
// depth+1: "[]" when n is 0.
func (j *jsonWriter) array(depth, n int, elem func(i int)) {
	if n == 0 {
		j.raw("[]")
		return
	}
	j.raw("[")
	for i := 0; i < n && j.err == nil; i++ {
		if i > 0 {
			j.raw(",")
		}
		j.newline(depth + 1)
		elem(i)
	}
	j.newline(depth)
	j.raw("]")
}

// plan writes p at depth, its changes one at a time. The members are
// Plan's fields in order, with their tags' omitempty
// (TestWriteJSONIsMarshal keeps the two in step).
func (j *jsonWriter) plan(depth int, p *Plan) {
	j.raw("{")
	in := depth + 1
	j.key(in, "target", true)
	j.value(in, p.Target)
	j.key(in, "created", false)
	j.value(in, p.Created)
	j.key(in, "changes", false)
	if p.Changes == nil {
		j.raw("null")
	} else {
		j.array(in, len(p.Changes), func(i int) { j.value(in+1, &p.Changes[i]) })
	}
	if len(p.Groups) > 0 {
		j.key(in, "groups", false)
		j.array(in, len(p.Groups), func(i int) { j.group(in+1, &p.Groups[i]) })
	}
	j.key(in, "summary", false)
	j.value(in, &p.Summary)
	if p.Incremental != nil {
		j.key(in, "incremental", false)
		j.value(in, p.Incremental)
	}
	if len(p.Warnings) > 0 {
		j.key(in, "warnings", false)
		j.value(in, p.Warnings)
	}
	if p.Digest != "" {
		j.key(in, "digest", false)
		j.value(in, p.Digest)
	}
	j.newline(depth)
	j.raw("}")
}

// group writes g at depth, its members one at a time: the fields before
// Add and Remove (the last two) are encoded together, then the members
// are written into the object before its closing brace.
func (j *jsonWriter) group(depth int, g *GroupChange) {
	head := *g
	head.Add, head.Remove = nil, nil
	b := j.encode(depth, &head)
	end := "\n" + indent[:2*depth] + "}"
	if j.err != nil || !bytes.HasSuffix(b, []byte(end)) {
		j.value(depth, g) // an object without members: cannot happen, Role is always there
		return
	}
	_, j.err = j.w.Write(b[:len(b)-len(end)])
	for _, m := range []struct {
		name string
		list []Member
	}{{"add", g.Add}, {"remove", g.Remove}} {
		if len(m.list) > 0 {
			j.key(depth+1, m.name, false)
			j.array(depth+1, len(m.list), func(i int) { j.value(depth+2, &m.list[i]) })
		}
	}
	j.raw(end)
}
