package strpack

import (
	"strings"
	"testing"
	"unsafe"
)

func TestAdd(t *testing.T) {
	in := []string{"a", "", "bcd", strings.Repeat("x", 100)}
	var p Packer
	p.Grow(4) // too small: the packer grows, earlier copies stay valid
	var out []string
	for _, s := range in {
		out = append(out, p.Add(s))
	}
	for i := range in {
		if out[i] != in[i] {
			t.Errorf("copy %d = %q, want %q", i, out[i], in[i])
		}
	}
	// Copies made within the room of one Grow share one buffer.
	var q Packer
	q.Grow(6)
	x, y := q.Add("abc"), q.Add("def")
	if unsafe.StringData(y) != (*byte)(unsafe.Add(unsafe.Pointer(unsafe.StringData(x)), 3)) {
		t.Errorf("the copies are not adjacent in one buffer")
	}
}
