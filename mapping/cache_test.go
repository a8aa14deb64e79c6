package mapping

import "testing"

func TestPutBounded(t *testing.T) {
	var m map[string]int
	putBounded(&m, 2, "a", 1)
	putBounded(&m, 2, "b", 2)
	putBounded(&m, 2, "b", 3) // full: starts afresh
	if len(m) != 1 || m["b"] != 3 {
		t.Errorf("after a put into a full cache: %v, want only b=3", m)
	}
}
