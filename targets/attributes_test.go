package targets

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestAttributeTable: the table is sorted, each path once, and every
// kind has the shape of path it describes.
func TestAttributeTable(t *testing.T) {
	names := AttributeNames()
	if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Errorf("AttributeTable is not sorted and unique: %v", names)
	}
	for _, d := range AttributeTable {
		dotted := strings.Contains(d.Path, ".")
		if want := d.Kind == KindSub || d.Kind == KindTyped; dotted != want {
			t.Errorf("%s: kind %d with a dotted path = %v", d.Path, d.Kind, dotted)
		}
		if d.Description == "" {
			t.Errorf("%s has no description", d.Path)
		}
		if got, ok := LookupAttribute(d.Path); !ok || got != d {
			t.Errorf("LookupAttribute(%s) = %v, %v", d.Path, got, ok)
		}
		if Attributes[d.Path] != d.Description {
			t.Errorf("Attributes[%s] = %q", d.Path, Attributes[d.Path])
		}
	}
	for _, fixed := range []string{"userName", "externalId", "active"} {
		if d, _ := LookupAttribute(fixed); d.Kind != KindFixed {
			t.Errorf("%s is not KindFixed", fixed)
		}
	}
	if d, ok := LookupAttribute("manager"); !ok || d.Kind != KindEnterprise || !d.Ref {
		t.Errorf("LookupAttribute(manager) = %+v, %v", d, ok)
	}
	if _, ok := LookupAttribute("manager.value"); ok {
		t.Error("LookupAttribute(manager.value) succeeded")
	}
	d, _ := LookupAttribute("emails.work")
	if d.Parent() != "emails" || d.Sub() != "work" || !d.Primary {
		t.Errorf("emails.work: parent %q, sub %q, primary %v", d.Parent(), d.Sub(), d.Primary)
	}
}

// TestAttributesDocumented: the mapping section of config.example.toml
// names every path of the table, so the documentation cannot drift from it.
func TestAttributesDocumented(t *testing.T) {
	b, err := os.ReadFile("../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, d := range AttributeTable {
		if d.Path != "active" && !strings.Contains(doc, " "+d.Path+",") && !strings.Contains(doc, " "+d.Path+".") {
			t.Errorf("config.example.toml does not list the attribute path %s", d.Path)
		}
	}
}
