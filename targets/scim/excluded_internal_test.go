package scim

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/idsync/idsync/targets"
)

// TestExclusionGuardMatchesDecoding takes a user with every attribute
// idsync maps, plus meta, groups and attributes idsync ignores, and
// leaves out one attribute path at a time, as a server honouring
// excludedAttributes would. Whenever that changes the account List
// reports, excluded_attributes must refuse the path; when it does not,
// the path must be allowed. Both with enterprise_extension on and off.
func TestExclusionGuardMatchesDecoding(t *testing.T) {
	for _, enterprise := range []bool{true, false} {
		t.Run(fmt.Sprintf("enterprise=%v", enterprise), func(t *testing.T) { testExclusionGuard(t, enterprise) })
	}
}

func testExclusionGuard(t *testing.T, enterprise bool) {
	a := targets.Account{UserName: "full", ExternalID: "ext-full", Active: false, Attrs: targets.Attrs{}}
	for i, p := range userFields {
		a.Attrs.Set(p.Path, fmt.Sprint("value ", i))
	}
	full, err := resourceFromAccount(a, true)
	if err != nil {
		t.Fatal(err)
	}
	full["id"] = "u1"
	full["meta"] = map[string]any{"resourceType": "User", "version": `W/"1"`}
	full["groups"] = []any{map[string]any{"value": "g1", "display": "Staff"}}
	full["x509Certificates"] = []any{map[string]any{"value": "MIIC"}}
	emails := full["emails"].([]any)
	emails[0].(map[string]any)["display"] = "shown"
	want, err := listed(full, enterprise)
	if err != nil {
		t.Fatal(err)
	}

	paths := attrPaths(full)
	if len(paths) < len(userFields)+6 {
		t.Fatalf("only %d paths in the test user: %v", len(paths), paths)
	}
	for _, path := range paths {
		got, err := listed(without(t, full, path), enterprise)
		changed := err != nil || !reflect.DeepEqual(got, want)
		if refused := validateExcluded([]string{path}, enterprise) != nil; refused != changed {
			t.Errorf("leaving out %s changes the account: %v; excluded_attributes refuses it: %v", path, changed, refused)
		}
		// Case and the core schema URN do not matter.
		for _, variant := range []string{strings.ToUpper(path), schemaUser + ":" + path} {
			if refused := validateExcluded([]string{variant}, enterprise) != nil; refused != changed {
				t.Errorf("excluded_attributes refuses %s: %v, want %v", variant, refused, changed)
			}
		}
	}
}

// listed is the account List makes of resource r.
func listed(r map[string]any, enterprise bool) (targets.Account, error) {
	b, err := json.Marshal(map[string]any{"Resources": []any{r}})
	if err != nil {
		return targets.Account{}, err
	}
	p, err := decodeList[user](b)
	if err != nil {
		return targets.Account{}, err
	}
	return accountFromResource(&p.Resources[0], enterprise)
}

// attrPaths lists the attribute paths in r: top-level names, and below
// them "parent.sub" (objects and arrays of objects) or "urn:...:attr"
// (extension objects). schemas is not an attribute.
func attrPaths(r map[string]any) []string {
	set := map[string]bool{}
	for k, v := range r {
		if k == "schemas" {
			continue
		}
		set[k] = true
		sep := "."
		if strings.HasPrefix(k, "urn:") {
			sep = ":"
		}
		objs := []any{v}
		if list, ok := v.([]any); ok {
			objs = list
		}
		for _, o := range objs {
			if m, ok := o.(map[string]any); ok {
				for sub := range m {
					set[k+sep+sub] = true
				}
			}
		}
	}
	var out []string
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// without returns a deep copy of r without path (see attrPaths).
func without(t *testing.T, r map[string]any, path string) map[string]any {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if _, ok := c[path]; ok {
		delete(c, path)
		return c
	}
	i := strings.LastIndexAny(path, ".:")
	parent, sub := path[:i], path[i+1:]
	objs := []any{c[parent]}
	if list, ok := c[parent].([]any); ok {
		objs = list
	}
	for _, o := range objs {
		if m, ok := o.(map[string]any); ok {
			delete(m, sub)
		}
	}
	return c
}
