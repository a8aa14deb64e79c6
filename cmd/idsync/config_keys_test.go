package main

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/idsync/idsync/sync"
)

// TestPolicyKeysDocumented: config.example.toml shows every key of a
// [[target]] table, of [guards] (and so [target.guards]) and of protect,
// with an example value ("key =", set or commented out).
func TestPolicyKeysDocumented(t *testing.T) {
	b, err := os.ReadFile("../../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, k := range []string{"start_date =", "end_date ="} {
		if !strings.Contains(doc, k) {
			t.Errorf("config.example.toml does not show %s", k)
		}
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[TargetConfig](), reflect.TypeFor[GuardOverrides](),
		reflect.TypeFor[sync.Guards](), reflect.TypeFor[sync.Protect](), reflect.TypeFor[TargetMapping]()} {
		for name := range fieldsByName(typ) {
			if name == "mapping" || name == "attributes" {
				name = "[target.mapping.attributes]"
			} else if name == "guards" {
				name = "[target.guards]"
			} else {
				name += " ="
			}
			if !strings.Contains(doc, name) {
				t.Errorf("config.example.toml does not show %s (%s)", name, typ.Name())
			}
		}
	}
}
