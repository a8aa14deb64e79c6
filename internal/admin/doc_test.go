package admin

import (
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

const docPath = "../../docs/status-json.md"

// docExample returns the JSON block under "## Example" in the document.
func docExample(t *testing.T) (doc, example string) {
	t.Helper()
	b, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	doc = string(b)
	_, rest, ok := strings.Cut(doc, "## Example")
	if ok {
		_, rest, ok = strings.Cut(rest, "```json\n")
	}
	if ok {
		example, _, ok = strings.Cut(rest, "```")
	}
	if !ok {
		t.Fatalf("%s: no ```json block under ## Example", docPath)
	}
	return doc, example
}

func TestDocExampleIsServed(t *testing.T) {
	_, example := docExample(t)
	r := start(t, Config{Listen: "127.0.0.1:0"}, fixedOptions(true, ""))
	code, body := get(t, r.base, "/status", "")
	if code != http.StatusOK {
		t.Fatalf("/status: %d", code)
	}
	if body != example {
		t.Errorf("%s's example differs from what /status serves for the same data; served:\n%s", docPath, body)
	}
}

// TestDocListsEveryField checks that every JSON field of the document has
// a row in one of the tables.
func TestDocListsEveryField(t *testing.T) {
	doc, _ := docExample(t)
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(ty reflect.Type) {
		for ty.Kind() == reflect.Pointer || ty.Kind() == reflect.Slice {
			ty = ty.Elem()
		}
		if ty.Kind() != reflect.Struct || ty == reflect.TypeFor[time.Time]() || seen[ty] {
			return
		}
		seen[ty] = true
		for f := range ty.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !strings.Contains(doc, "| `"+name+"` |") {
				t.Errorf("%s.%s (%q) has no row in %s", ty.Name(), f.Name, name, docPath)
			}
			walk(f.Type)
		}
	}
	walk(reflect.TypeFor[Status]())
}
