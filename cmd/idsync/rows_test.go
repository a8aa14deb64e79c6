package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// TestTextBlocks: a text report aligns its rows a block at a time: every
// row is written, and within a block the columns line up.
func TestTextBlocks(t *testing.T) {
	f := rowFormats[int]{header: "N\tNAME", text: func(i int) string { return fmt.Sprintf("%d\t%s", i, strings.Repeat("x", i%7)) }}
	var out bytes.Buffer
	w, err := f.writer("text", &out)
	if err != nil {
		t.Fatal(err)
	}
	n := textBlock + 100
	for i := 0; i < n; i++ {
		if err := w.row(i); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != n+1 {
		t.Fatalf("%d lines, want %d", len(lines), n+1)
	}
	// The header and the first block: NAME at one offset.
	col := strings.Index(lines[0], "NAME")
	for i, l := range lines[1:textBlock] {
		want := fmt.Sprint(i)
		if name := strings.Repeat("x", i%7); name != "" {
			want += strings.Repeat(" ", col-len(want)) + name
		}
		if strings.TrimRight(l, " ") != want {
			t.Fatalf("line %d %q not aligned with the header's NAME at %d", i+1, l, col)
		}
	}
	if last := lines[n]; !strings.HasPrefix(last, fmt.Sprint(n-1)) {
		t.Errorf("last line %q", last)
	}
}
