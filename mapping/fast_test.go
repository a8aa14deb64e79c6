package mapping

import (
	"reflect"
	"testing"

	"github.com/expr-lang/expr/parser"
)

// TestFastPathsAgree maps the sample organisation with the fast paths and
// with every rule on the VM, and requires the same people.
func TestFastPathsAgree(t *testing.T) {
	in := struct{ Mapping Config }{sampleRules(t)}
	// Exercise every fast shape, and a few that must stay on the VM.
	in.Mapping.Attributes["nickName"] = `upper(default(attr("displayName"), dn))`
	in.Mapping.Attributes["profileUrl"] = `"https://people.example.org/" + lower(attr("uid"))`
	in.Mapping.Attributes["locale"] = `default(attr("preferredLanguage"), "en-GB")`
	in.Mapping.Scope = `has("mail")`
	compile := func(fast bool) *Mapper {
		disableFastPaths = !fast
		defer func() { disableFastPaths = false }()
		m, err := Compile(in.Mapping)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	fast, slow := compile(true), compile(false)
	if fast.scope.boolean == nil || fast.attrs[0].str == nil {
		t.Fatal("the fast paths were not used; the test would prove nothing")
	}
	for _, day := range []string{"day1.ldif", "day2.ldif"} {
		a, b := mapSample(t, fast, day), mapSample(t, slow, day)
		if !reflect.DeepEqual(a, b) {
			for id := range a {
				if !reflect.DeepEqual(a[id], b[id]) {
					t.Errorf("%s %s: fast %+v, VM %+v", day, id, a[id], b[id])
				}
			}
		}
	}
}

func TestFastShapes(t *testing.T) {
	tests := []struct {
		src  string
		fast bool
	}{
		{`attr("mail")`, true},
		{`lower(attr("mail"))`, true},
		{`default(attr("displayName"), attr("cn"))`, true},
		{`upper(id)`, true},
		{`"x"`, true},
		{`attr("mail") + "x"`, false},
		{`lower(attr(dn))`, false},
		{`trim(attr("cn"))`, false},
	}
	for _, tt := range tests {
		tree, err := parser.Parse(tt.src)
		if err != nil {
			t.Fatal(err)
		}
		if got := fastString(tree.Node) != nil; got != tt.fast {
			t.Errorf("%s: fast = %v, want %v", tt.src, got, tt.fast)
		}
	}
}
