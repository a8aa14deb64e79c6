package mapping

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/map")

// goldenInput is one testdata/map/NAME.json file: rules, the directory's
// groups and the entries to map. NAME.golden.json holds the result.
type goldenInput struct {
	Now     time.Time     `json:"now"`
	Mapping Config        `json:"mapping"`
	Groups  []goldenGroup `json:"groups"`
	Entries []goldenEntry `json:"entries"`
}

type goldenGroup struct {
	DN      string   `json:"dn"`
	Name    string   `json:"name"`
	Members []string `json:"members"`
}

type goldenEntry struct {
	ID    string              `json:"id"`
	DN    string              `json:"dn"`
	Attrs map[string][]string `json:"attrs"`
	// MemberOf lists memberOf back links, as AD and OpenLDAP's memberof
	// overlay return them.
	MemberOf []string `json:"memberOf,omitempty"`
}

type goldenResult struct {
	DN     string  `json:"dn"`
	Person *Person `json:"person,omitempty"`
	Hash   string  `json:"hash,omitempty"`
	Error  string  `json:"error,omitempty"`
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "map", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, file := range files {
		if strings.HasSuffix(file, ".golden.json") {
			continue
		}
		n++
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			got := runGolden(t, file)
			golden := strings.TrimSuffix(file, ".json") + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./mapping -run TestGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the mapping result (rerun with -update and review the diff):\n%s", golden, got)
			}
		})
	}
	if n == 0 {
		t.Fatal("no golden inputs in testdata/map")
	}
}

func runGolden(t *testing.T, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var in goldenInput
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	m, err := Compile(in.Mapping)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	groups := NewGroups()
	for _, g := range in.Groups {
		groups.Add(g.DN, g.Name, g.Members)
	}
	var out []goldenResult
	for _, ge := range in.Entries {
		attrs := map[string][]string{}
		for k, v := range ge.Attrs {
			attrs[strings.ToLower(k)] = v
		}
		e := Entry{ID: ge.ID, DN: ge.DN, Attrs: AttrsOf(attrs), Groups: groups.Of(ge.DN, ge.MemberOf)}
		r := goldenResult{DN: ge.DN}
		if p, err := m.Map(e, in.Now); err != nil {
			r.Error = err.Error()
		} else {
			r.Person, r.Hash = &p, p.Hash()
		}
		out = append(out, r)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
