package targets

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestAttrsSet(t *testing.T) {
	tests := []struct {
		name string
		do   func(*Attrs)
		want Attrs
	}{
		{"into empty", func(a *Attrs) { *a = nil; a.Set("title", "T") }, Attrs{{"title", "T"}}},
		{"first", func(a *Attrs) { a.Set("department", "D") },
			Attrs{{"department", "D"}, {"displayName", "Ann"}, {"emails.work", "a@x"}, {"title", ""}}},
		{"middle", func(a *Attrs) { a.Set("name.givenName", "Ann") },
			Attrs{{"displayName", "Ann"}, {"emails.work", "a@x"}, {"name.givenName", "Ann"}, {"title", ""}}},
		{"last", func(a *Attrs) { a.Set("userType", "Employee") },
			Attrs{{"displayName", "Ann"}, {"emails.work", "a@x"}, {"title", ""}, {"userType", "Employee"}}},
		{"replace", func(a *Attrs) { a.Set("emails.work", "b@x") },
			Attrs{{"displayName", "Ann"}, {"emails.work", "b@x"}, {"title", ""}}},
		{"delete", func(a *Attrs) { a.Delete("emails.work") }, Attrs{{"displayName", "Ann"}, {"title", ""}}},
		{"delete missing", func(a *Attrs) { a.Delete("nickName") },
			Attrs{{"displayName", "Ann"}, {"emails.work", "a@x"}, {"title", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := AttrsOf(map[string]string{"title": "", "emails.work": "a@x", "displayName": "Ann"})
			tt.do(&a)
			if !reflect.DeepEqual(a, tt.want) || !a.Sorted() {
				t.Errorf("got %v, want %v", a, tt.want)
			}
		})
	}
}

func TestAttrsLookup(t *testing.T) {
	a := AttrsOf(map[string]string{"title": "", "department": "D"})
	if v, ok := a.Lookup("title"); v != "" || !ok {
		t.Errorf("Lookup(title) = %q, %v: an empty value is present", v, ok)
	}
	if v, ok := a.Lookup("nickName"); v != "" || ok {
		t.Errorf("Lookup(nickName) = %q, %v", v, ok)
	}
	if a.Get("department") != "D" || (Account{Attrs: a}).Attr("department") != "D" {
		t.Error("Get(department)")
	}
	if (Attrs{{"b", ""}, {"a", ""}}).Sorted() || (Attrs{{"a", ""}, {"a", ""}}).Sorted() {
		t.Error("Sorted accepts unsorted or repeated paths")
	}
	unsorted := Attrs{{"b", "2"}, {"a", "1"}}
	if got := unsorted.InOrder(); !reflect.DeepEqual(got, Attrs{{"a", "1"}, {"b", "2"}}) || unsorted[0].Path != "b" {
		t.Errorf("InOrder = %v, and the original is %v", got, unsorted)
	}
}

func TestAttrsCloneIsIndependent(t *testing.T) {
	orig := Account{UserName: "ann", Attrs: AttrsOf(map[string]string{"title": "T", "department": "D"})}
	c := orig.Clone()
	c.Attrs.Set("title", "X")
	c.Attrs.Set("nickName", "N")
	if orig.Attrs.Get("title") != "T" || len(orig.Attrs) != 2 {
		t.Errorf("the original changed: %v", orig.Attrs)
	}
	if (Account{}).Clone().Attrs != nil {
		t.Error("Clone made nil attributes non-nil")
	}
}

// The JSON form is the one a map gives: plans and audit rows keep their
// format.
func TestAttrsJSON(t *testing.T) {
	m := map[string]string{"title": "Boss \"B\"", "emails.work": "a@x", "displayName": "Zoë", "department": ""}
	got, err := json.Marshal(AttrsOf(m))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(m)
	if string(got) != string(want) {
		t.Errorf("Marshal = %s, want %s", got, want)
	}
	var back Attrs
	if err := json.Unmarshal(got, &back); err != nil || !reflect.DeepEqual(back, AttrsOf(m)) {
		t.Errorf("Unmarshal = %v, %v", back, err)
	}
	b, _ := json.Marshal(Account{UserName: "a"})
	if string(b) != `{"userName":"a","active":false}` {
		t.Errorf("an account without attributes = %s", b)
	}
	if err := json.Unmarshal([]byte(`{"title": 3}`), &back); err == nil {
		t.Error("Unmarshal accepted a number")
	}
}
