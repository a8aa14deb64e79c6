package sync

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// goldenInput has one change of every kind and a group change.
func goldenInput() Input {
	moved := mkPerson("s2", "bob", "Sales", "sales")
	moved.DN = "uid=bob,ou=sales,dc=example,dc=org"
	gone := mkPerson("s4", "dan", "Eng")
	gone.Disabled = true
	return Input{
		Target: "demo", Now: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC), Managed: managed,
		Rule: func(key string) string {
			return map[string]string{"attributes.department": `attr("departmentNumber")`, "disabled": `attr("employeeType") == "disabled"`}[key]
		},
		People: []mapping.Person{mkPerson("s1", "ann", "Eng", "eng"), moved, mkPerson("s3", "cat", "Eng", "eng"), gone,
			mkPerson("s6", "fay", "Eng", "eng")},
		Unmapped: []Unmapped{{SourceID: "s9", DN: "uid=ivy,ou=people,dc=example,dc=org", Err: "attributes.userName: empty"}},
		Links:    []state.PlanLink{link("s2", "a2", "bob"), link("s3", "a3", "cat"), link("s4", "a4", "dan"), link("s5", "a5", "eve")},
		Accounts: []targets.Account{
			withExt(account("a2", "bob", "Eng", true), "s2"), withExt(account("a3", "cat", "Eng", true), "s3"),
			withExt(account("a4", "dan", "Eng", true), "s4"), withExt(account("a5", "eve", "Eng", true), "s5"),
			account("a7", "FAY", "Eng", true), account("a8", "handmade", "", true),
		},
		Groups:   []targets.Group{{ID: "g1", DisplayName: "eng", Members: []string{"a2", "a3", "a4", "a5"}}},
		GroupIDs: map[string]string{"eng": "g1"},
	}
}

// controlInput is a directory whose values hold control characters: a
// display name that would forge a joiner's line, ANSI escapes, C1
// controls, U+2028, a bidirectional override, bytes that are not UTF-8.
func controlInput() Input {
	forger := mkPerson("s1", "bob", "Eng", "eng\x1b]0;owned\x07")
	forger.Account.Attrs.Set("displayName", "Bob\n+ evil  Eve  [create]")
	forger.DN = "uid=bob\r\n,ou=people,dc=example,dc=org"
	ansi := mkPerson("s2", "\x1b[31mcat\x1b[0m", "Eng\u2028Sales")
	ansi.Account.Attrs.Set("displayName", "Cat \u202egnp.exe\u2069 \u009b2J \xff\xfe")
	moved := mkPerson("s3", "dan", "Sales")
	moved.DN = "uid=dan\u2029,ou=sales,dc=example,dc=org"
	return Input{
		Target: "demo\n", Now: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC), Managed: managed,
		People:   []mapping.Person{forger, ansi, moved},
		Unmapped: []Unmapped{{SourceID: "s9", DN: "uid=ivy\n! fake warning,dc=org", Err: "attributes.userName: empty"}},
		Links:    []state.PlanLink{link("s3", "a3", "dan")},
		Accounts: []targets.Account{withExt(account("a3", "dan", "Eng\tOps", true), "s3"),
			account("a9\x00", "orphan\x7f\u0085", "", true)},
		Groups: []targets.Group{},
	}
}

var goldenCases = []struct {
	name string
	in   func() Input
}{{"plan", goldenInput}, {"control", controlInput}}

// goldenExt is the golden file extension of each format.
var goldenExt = map[string]string{"text": "txt", "json": "json", "csv": "csv", "html": "html"}

func TestReportGolden(t *testing.T) {
	for _, gc := range goldenCases {
		p := BuildPlan(gc.in())
		for _, format := range Formats {
			t.Run(gc.name+"/"+format, func(t *testing.T) {
				var buf bytes.Buffer
				if err := WriteReport(&buf, format, []*Plan{p}); err != nil {
					t.Fatal(err)
				}
				path := filepath.Join("testdata", gc.name+"."+goldenExt[format])
				if *update {
					if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./sync -run TestReportGolden -update)", err)
				}
				if !bytes.Equal(buf.Bytes(), want) {
					t.Errorf("%s report differs from %s (rerun with -update and review the diff):\n%s", format, path, buf.String())
				}
			})
		}
	}
}

// TestTextReportHasNoControls: whatever the directory holds, the text
// report's lines are the report's own: no control character but the
// newline ending each line, and every change's first line is one of its
// own (a forged "+ evil" line would be a second joiner line).
func TestTextReportHasNoControls(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteReport(&buf, "text", []*Plan{BuildPlan(controlInput())}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for i, r := range out {
		if r != '\n' && mustEscape(r) || r == utf8.RuneError {
			t.Errorf("character %U at byte %d of the report:\n%s", r, i, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "+ evil") || strings.HasPrefix(line, "! fake") {
			t.Errorf("forged line %q in the report:\n%s", line, out)
		}
	}
}

func TestAppendEscaped(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"Jane Doe", "Jane Doe"},
		{`cn=Doe\, Jane,dc=org`, `cn=Doe\, Jane,dc=org`},             // backslashes stay
		{"Zoë Ñúñez 山田 Ελένη", "Zoë Ñúñez 山田 Ελένη"},                 // other scripts stay
		{"علی\u200cرضا", "علی\u200cرضا"},                             // ZWNJ, part of Persian names, stays
		{"Bob\n+ evil  Eve  [create]", `Bob\n+ evil  Eve  [create]`}, // a forged line
		{"a\r\tb", `a\r\tb`},
		{"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},     // ANSI colour
		{"\x1b]0;title\x07", `\x1b]0;title\a`},           // OSC, BEL
		{"nul\x00 del\x7f", `nul\x00 del\x7f`},           // NUL, DEL
		{"c1 \u0085 \u009b2J", `c1 \u0085 \u009b2J`},     // NEL, CSI
		{"line\u2028para\u2029", `line\u2028para\u2029`}, // separators
		{"\u202egnp.exe\u2069", `\u202egnp.exe\u2069`},   // bidi override, isolate
		{"lrm\u200e rlm\u200f alm\u061c", `lrm\u200e rlm\u200f alm\u061c`},
		{"bad \xff\xfe utf-8", `bad \xff\xfe utf-8`}, // not UTF-8
		{"ok \ufffd", "ok \ufffd"},                   // a real U+FFFD stays
	} {
		if got := string(appendEscaped([]byte("> "), tc.in)); got != "> "+tc.want {
			t.Errorf("appendEscaped(%q) = %q, want %q", tc.in, got, "> "+tc.want)
		}
	}
}

// TestWriteJSONIsMarshal: the streamed document is, byte for byte, the
// document json.MarshalIndent makes of the whole report at once.
func TestWriteJSONIsMarshal(t *testing.T) {
	// The streamer writes Plan's members by name and GroupChange's
	// members after Add and Remove: a new field must be added there.
	if n := reflect.TypeFor[Plan]().NumField(); n != 8 {
		t.Fatalf("Plan has %d fields, not 8: stream the new one in jsonWriter.plan", n)
	}
	if g := reflect.TypeFor[GroupChange](); g.Field(g.NumField()-2).Name != "Add" || g.Field(g.NumField()-1).Name != "Remove" {
		t.Fatal("GroupChange's last fields are no longer Add and Remove: update jsonWriter.group")
	}
	golden := BuildPlan(goldenInput())
	noChanges := *golden
	noChanges.Changes, noChanges.Groups, noChanges.Warnings = nil, nil, nil
	empty := &Plan{Target: "empty", Changes: []Change{}}
	incremental := *golden
	incremental.Incremental = &Incremental{People: 3, Linked: 120}
	for name, plans := range map[string][]*Plan{
		"golden":      {golden},
		"incremental": {&incremental},
		"control":     {BuildPlan(controlInput())},
		"mixed":       {BuildPlan(mixedInput())},
		"two":         {golden, empty},
		"nil":         nil,
		"none":        {},
		"bare":        {&noChanges},
	} {
		t.Run(name, func(t *testing.T) {
			var got bytes.Buffer
			if err := WriteJSON(&got, plans); err != nil {
				t.Fatal(err)
			}
			doc := jsonReport{Version: JSONVersion, Plans: plans}
			if doc.Plans == nil {
				doc.Plans = []*Plan{}
			}
			want, err := json.MarshalIndent(doc, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			if want = append(want, '\n'); !bytes.Equal(got.Bytes(), want) {
				t.Errorf("streamed document differs from json.MarshalIndent:\n%s\nwant\n%s", got.Bytes(), want)
			}
		})
	}
}

func TestWriteReportUnknownFormat(t *testing.T) {
	err := WriteReport(&bytes.Buffer{}, "xml", nil)
	if err == nil || err.Error() != `unknown report format "xml" (known: text, json, csv, html)` {
		t.Errorf("err = %v", err)
	}
}

// failAfter accepts n bytes, then fails every write.
type failAfter struct{ n int }

var errDiskFull = errors.New("disk full")

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		n := f.n
		f.n = 0
		return n, errDiskFull
	}
	f.n -= len(p)
	return len(p), nil
}

// TestWriteReportFails: a writer that fails, at the start or after a large
// part of a plan, fails the report with its error.
func TestWriteReportFails(t *testing.T) {
	p := BuildPlan(benchInput(2000, false))
	for _, format := range Formats {
		for _, n := range []int{0, 100 << 10} {
			if err := WriteReport(&failAfter{n: n}, format, []*Plan{p}); !errors.Is(err, errDiskFull) {
				t.Errorf("%s, failing after %d bytes: err = %v, want %v", format, n, err, errDiskFull)
			}
		}
	}
}

// A section header counts as the summary does: a leaver's report-only
// line (protected, or awaiting its staged deletion) is not a change.
func TestTextSectionCounts(t *testing.T) {
	leaver := func(name string, a Action) Change { return Change{Kind: Leaver, Action: a, UserName: name} }
	tests := []struct {
		changes []Change
		want    string
	}{
		{[]Change{leaver("a", Disable), leaver("b", Delete)}, "\nLeavers (2)\n"},
		{[]Change{leaver("a", Report)}, "\nLeavers (1 report only)\n"},
		{[]Change{leaver("a", Disable), leaver("b", Report), leaver("c", Report)}, "\nLeavers (1 to change, 2 report only)\n"},
		{[]Change{{Kind: Orphan, Action: Report, UserName: "o"}}, "\nOrphans (1)\n"},
	}
	for _, tt := range tests {
		var b strings.Builder
		if err := WriteText(&b, &Plan{Target: "t", Changes: tt.changes}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), tt.want) {
			t.Errorf("text plan of %v lacks %q:\n%s", tt.changes, tt.want, b.String())
		}
	}
}
