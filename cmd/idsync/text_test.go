package main

import "testing"

// TestTextEscapes: a value from the directory or the target cannot forge a
// line of a text report or drive the terminal: the runs and audit reports,
// apply's results and the errors idsync prints escape what the plan
// report escapes.
func TestTextEscapes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"jdoe", "jdoe"},
		{"b\tx\ny", `b\tx\ny`},
		{"\x1b[31mred", `\x1b[31mred`},
		{"csi \u009b2J", `csi \u009b2J`},
		{"evil\u202egnp.exe", `evil\u202egnp.exe`},
		{"line\u2028sep", `line\u2028sep`},
		{"bad \xff byte", `bad \xff byte`},
		{"Zoë 山田", "Zoë 山田"},
	} {
		if got := text(tc.in); got != tc.want {
			t.Errorf("text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestTextLines: errors and results are escaped line by line, so the
// lines idsync itself writes stay lines.
func TestTextLines(t *testing.T) {
	in := "2 steps were not applied:\n  create \"a\": 400 \x1b[2J\n  create \"b\": ok\u202e"
	want := "2 steps were not applied:\n  create \"a\": 400 \\x1b[2J\n  create \"b\": ok\\u202e"
	if got := textLines(in); got != want {
		t.Errorf("textLines = %q, want %q", got, want)
	}
}
