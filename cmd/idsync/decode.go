package main

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// decoder decodes a parsed configuration strictly, one key at a time, so
// that a value of the wrong type is one problem among the others instead of
// the end of decoding. Every problem is collected as a keyErr with the full
// key ("target[0].scim.timeout").
type decoder struct {
	md       toml.MetaData
	problems []keyErr
	// skipped are keys whose sub-keys are not reported as unknown: the key
	// itself was reported (a wrong type, an unknown table) or ignored.
	skipped []string
}

// problem records err for key and keeps its sub-keys from being reported
// again.
func (d *decoder) problem(key string, err error) {
	d.problems = append(d.problems, keyErr{key, err})
	d.skip(key)
}

func (d *decoder) skip(key string) { d.skipped = append(d.skipped, key) }

// unknown reports key as an unknown key.
func (d *decoder) unknown(key string) { d.problem(key, errors.New("unknown key")) }

// failed reports whether a problem was recorded for key or a key above it.
func (d *decoder) failed(key string) bool {
	for _, p := range d.problems {
		if p.key == key || under(key, p.key) {
			return true
		}
	}
	return false
}

// under reports whether key is below parent ("a.b.c" or "a[0].b" under "a").
func under(key, parent string) bool {
	return strings.HasPrefix(key, parent) && len(key) > len(parent) && (key[len(parent)] == '.' || key[len(parent)] == '[')
}

// decode decodes prim, the value of key, into dst (a pointer) as a whole.
func (d *decoder) decode(prim toml.Primitive, key string, dst any) bool {
	if err := d.md.PrimitiveDecode(prim, dst); err != nil {
		d.problem(key, decodeErr(err))
		return false
	}
	return true
}

// table decodes prim, the value of key, as a table of undecoded values.
func (d *decoder) table(prim toml.Primitive, key string) (map[string]toml.Primitive, bool) {
	var tbl map[string]toml.Primitive
	ok := d.decode(prim, key, &tbl)
	return tbl, ok
}

// decodeStruct decodes the table prim, the value of key, into the struct
// dst points to, key by key (see decodeFields), and reports the keys no
// field takes as unknown.
func (d *decoder) decodeStruct(prim toml.Primitive, key string, dst any) {
	if tbl, ok := d.table(prim, key); ok {
		d.unknownAll(key, d.decodeFields(tbl, key, dst))
	}
}

// decodeFields decodes each value of tbl into the field of the struct dst
// points to whose toml tag names it, descending into nested structs and
// arrays of structs, so that each wrong value is its own problem. It
// returns the keys no field takes, for the caller to place or report.
func (d *decoder) decodeFields(tbl map[string]toml.Primitive, key string, dst any) map[string]toml.Primitive {
	rv := reflect.ValueOf(dst).Elem()
	fields := fieldsByName(rv.Type())
	extra := map[string]toml.Primitive{}
	for _, k := range sortedKeys(tbl) {
		i, ok := fields[k]
		if !ok {
			extra[k] = tbl[k]
			continue
		}
		d.decodeValue(tbl[k], join(key, k), rv.Field(i))
	}
	return extra
}

// decodeValue decodes prim into the settable v: a plain struct (or pointer
// to one) field by field, a slice of plain structs element by element, and
// anything else as a whole.
func (d *decoder) decodeValue(prim toml.Primitive, key string, v reflect.Value) {
	t := v.Type()
	switch {
	case plainStruct(t):
		d.decodeStruct(prim, key, v.Addr().Interface())
	case t.Kind() == reflect.Pointer && plainStruct(t.Elem()):
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.decodeValue(prim, key, v.Elem())
	case t.Kind() == reflect.Slice && plainStruct(t.Elem()):
		var elems []toml.Primitive
		if !d.decode(prim, key, &elems) {
			return
		}
		s := reflect.MakeSlice(t, len(elems), len(elems))
		for i, e := range elems {
			d.decodeValue(e, fmt.Sprintf("%s[%d]", key, i), s.Index(i))
		}
		v.Set(s)
	default:
		d.decode(prim, key, v.Addr().Interface())
	}
}

// unknownAll reports every key of extra, under key, as unknown.
func (d *decoder) unknownAll(key string, extra map[string]toml.Primitive) {
	for _, k := range sortedKeys(extra) {
		d.unknown(join(key, k))
	}
}

// undecoded reports the keys the decoder never reached (none, normally: a
// safety net for values inside arrays and tables decoded as a whole).
func (d *decoder) undecoded() {
	for _, k := range d.md.Undecoded() {
		key := k.String()
		skip := false
		for _, s := range d.skipped {
			if key == s || under(key, s) || under(key, stripIndex(s)) || key == stripIndex(s) {
				skip = true
				break
			}
		}
		if !skip {
			d.unknown(key)
		}
	}
}

var (
	unmarshalerType     = reflect.TypeFor[toml.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// plainStruct reports whether t is a struct that decodes field by field
// (not one with its own UnmarshalTOML or UnmarshalText).
func plainStruct(t reflect.Type) bool {
	if t.Kind() != reflect.Struct {
		return false
	}
	p := reflect.PointerTo(t)
	return !p.Implements(unmarshalerType) && !p.Implements(textUnmarshalerType) && t.PkgPath() != "time"
}

// fieldsByName maps the toml names of t's exported fields to their index.
func fieldsByName(t reflect.Type) map[string]int {
	out := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = i
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// tomlPrefix is what the toml decoder puts before its messages: "toml: line
// 5 (last key "guards.max_deletes"): ".
var tomlPrefix = regexp.MustCompile(`^toml: (line \d+ )?(\(last key "[^"]*"\): )?`)

// decodeErr turns a decoding error into its message alone: the key and line
// are added where the problem is reported.
func decodeErr(err error) error {
	var perr toml.ParseError
	if errors.As(err, &perr) {
		return errors.New(strings.TrimPrefix(perr.Message, "toml: "))
	}
	return errors.New(tomlPrefix.ReplaceAllString(err.Error(), ""))
}
