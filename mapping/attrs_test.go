package mapping

import (
	"reflect"
	"testing"
)

func TestAttrs(t *testing.T) {
	base := func() Attrs {
		return Attrs{{Name: "cn", Values: []string{"Ann"}}, {Name: "mail", Values: []string{"a@x"}}}
	}
	tests := []struct {
		name string
		do   func(*Attrs)
		want Attrs
	}{
		{"set existing", func(a *Attrs) { a.Set("mail", []string{"b@x"}) },
			Attrs{{Name: "cn", Values: []string{"Ann"}}, {Name: "mail", Values: []string{"b@x"}}}},
		{"set new goes last", func(a *Attrs) { a.Set("sn", []string{"Lee"}) },
			Attrs{{Name: "cn", Values: []string{"Ann"}}, {Name: "mail", Values: []string{"a@x"}}, {Name: "sn", Values: []string{"Lee"}}}},
		{"add merges", func(a *Attrs) { a.Add("mail", "c@x", "d@x") },
			Attrs{{Name: "cn", Values: []string{"Ann"}}, {Name: "mail", Values: []string{"a@x", "c@x", "d@x"}}}},
		{"add new", func(a *Attrs) { a.Add("title") },
			Attrs{{Name: "cn", Values: []string{"Ann"}}, {Name: "mail", Values: []string{"a@x"}}, {Name: "title"}}},
		{"delete keeps order", func(a *Attrs) { a.Add("sn", "Lee"); a.Delete("cn") },
			Attrs{{Name: "mail", Values: []string{"a@x"}}, {Name: "sn", Values: []string{"Lee"}}}},
		{"delete missing", func(a *Attrs) { a.Delete("sn") }, base()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := base()
			tt.do(&a)
			if !reflect.DeepEqual(a, tt.want) {
				t.Errorf("got %v, want %v", a, tt.want)
			}
		})
	}
}

// Add must not write into a values slice that another attribute (or the
// caller) still uses: decoders hand out sub-slices of one array.
func TestAttrsAddDoesNotClobber(t *testing.T) {
	shared := []string{"a", "b", "c"}
	a := Attrs{{Name: "x", Values: shared[0:1:3]}, {Name: "y", Values: shared[1:2:3]}}
	a.Add("x", "z")
	if shared[1] != "b" {
		t.Errorf("Add wrote into the shared array: %q", shared)
	}
	if got := a.Get("x"); !reflect.DeepEqual(got, []string{"a", "z"}) {
		t.Errorf("x = %q", got)
	}
}

func TestAttrsOf(t *testing.T) {
	got := AttrsOf(map[string][]string{"Mail": {"a@x"}, "cn": {"Ann"}, "MAIL": {"b@x"}})
	if len(got) != 2 || got[0].Name != "cn" || got[1].Name != "mail" || len(got[1].Values) != 2 {
		t.Errorf("AttrsOf = %v", got)
	}
	if v, ok := got.Lookup("mail"); !ok || len(v) != 2 {
		t.Errorf("Get(mail) = %v, %v", v, ok)
	}
	if _, ok := got.Lookup("Mail"); ok {
		t.Error("Get is case-sensitive: names are lower-case")
	}
}
