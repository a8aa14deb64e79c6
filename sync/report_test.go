package sync

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

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
		Links:    []state.Link{link("s2", "a2", "bob"), link("s3", "a3", "cat"), link("s4", "a4", "dan"), link("s5", "a5", "eve")},
		Accounts: []targets.Account{
			withExt(account("a2", "bob", "Eng", true), "s2"), withExt(account("a3", "cat", "Eng", true), "s3"),
			withExt(account("a4", "dan", "Eng", true), "s4"), withExt(account("a5", "eve", "Eng", true), "s5"),
			account("a7", "FAY", "Eng", true), account("a8", "handmade", "", true),
		},
		Groups:   []targets.Group{{ID: "g1", DisplayName: "eng", Members: []string{"a2", "a3", "a4", "a5"}}},
		GroupIDs: map[string]string{"eng": "g1"},
	}
}

func TestReportGolden(t *testing.T) {
	p := BuildPlan(goldenInput())
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteReport(&buf, format, []*Plan{p}); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "plan."+map[string]string{"text": "txt", "json": "json"}[format])
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

func TestWriteReportUnknownFormat(t *testing.T) {
	err := WriteReport(&bytes.Buffer{}, "xml", nil)
	if err == nil || err.Error() != `unknown report format "xml" (known: text, json)` {
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
	for _, format := range []string{"text", "json"} {
		for _, n := range []int{0, 100 << 10} {
			if err := WriteReport(&failAfter{n: n}, format, []*Plan{p}); !errors.Is(err, errDiskFull) {
				t.Errorf("%s, failing after %d bytes: err = %v, want %v", format, n, err, errDiskFull)
			}
		}
	}
}
