package mapping

import (
	"reflect"
	"testing"
	"unsafe"
)

// TestEntryClone clones an entry whose strings all live in one buffer,
// overwrites the buffer, and checks that the clone kept the values.
func TestEntryClone(t *testing.T) {
	buf := []byte("id-1|uid=a,ou=people|uid|a|cn=g,ou=groups|g|cn=parent,ou=groups")
	view := func(from, to int) string { return unsafe.String(&buf[from], to-from) }
	e := Entry{
		ID: view(0, 4), DN: view(5, 20),
		Attrs:  Attrs{{Name: view(21, 24), Values: []string{view(25, 26)}}},
		Groups: []Membership{{DN: view(27, 41), Name: view(42, 43), Via: []string{view(44, 63)}}},
	}
	want := Entry{
		ID: "id-1", DN: "uid=a,ou=people",
		Attrs:  Attrs{{Name: "uid", Values: []string{"a"}}},
		Groups: []Membership{{DN: "cn=g,ou=groups", Name: "g", Via: []string{"cn=parent,ou=groups"}}},
	}
	if !reflect.DeepEqual(e, want) {
		t.Fatalf("test entry = %+v, want %+v", e, want)
	}
	c := e.Clone()
	for i := range buf {
		buf[i] = 'X'
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("clone changed with the original's buffer: %+v", c)
	}
	if z := (Entry{}).Clone(); !reflect.DeepEqual(z, Entry{}) {
		t.Errorf("clone of the zero entry = %+v", z)
	}
}
