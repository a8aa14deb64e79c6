package ldapsource

import (
	"slices"
	"testing"
	"unsafe"

	"github.com/idsync/idsync/mapping"
)

// pageBuf is the memory one page of search results is decoded into, reused
// page after page: the messages' bytes, the slices of attribute values and
// attributes the entries are carved from, and the entries' group
// memberships. An entry's strings are views
// of data, so a page's entries are valid only until the buffer is reused;
// Source.Read's contract says the same to its caller.
//
// When a slab is too small it is replaced, not grown in place: entries
// carved earlier keep the old array, which nothing writes again.
type pageBuf struct {
	entries []mapping.Entry
	data    []byte
	strs    []string
	attrs   []mapping.Attr
	members []mapping.Membership
}

// reset makes the buffer's memory available for a new page. Everything
// handed out from it before is dead by then.
func (b *pageBuf) reset() {
	b.entries, b.data, b.strs, b.attrs = b.entries[:0], b.data[:0], b.strs[:0], b.attrs[:0]
	b.members = b.members[:0]
}

// poisonReused makes tests fail loudly when anything keeps a string or
// slice of a page after the page was handed back: in a test binary every
// released page is overwritten.
var poisonReused = testing.Testing()

// release is called once the page's entries are no longer used.
func (b *pageBuf) release() {
	if !poisonReused {
		return
	}
	for i := range b.data {
		b.data[i] = '#'
	}
	for i := range b.strs {
		b.strs[i] = "(reused)"
	}
	clear(b.attrs)
	clear(b.entries)
	for i := range b.members {
		b.members[i] = mapping.Membership{DN: "(reused)", Name: "(reused)", Via: []string{"(reused)"}}
	}
}

// message appends n bytes read by fill to data and returns them as a
// string that shares data's memory.
func (b *pageBuf) message(n int, fill func([]byte) error) (string, error) {
	if n == 0 {
		return "", fill(nil)
	}
	start := len(b.data)
	b.data = slices.Grow(b.data, n)[:start+n]
	if err := fill(b.data[start:]); err != nil {
		b.data = b.data[:start]
		return "", err
	}
	return unsafe.String(&b.data[start], n), nil
}

// take returns n elements carved from *slab, with no room to append into
// the next element.
func take[T any](slab *[]T, n int) []T {
	if cap(*slab)-len(*slab) < n {
		*slab = make([]T, 0, max(2*cap(*slab), n, 256))
	}
	l := len(*slab)
	*slab = (*slab)[:l+n]
	return (*slab)[l : l+n : l+n]
}
