package scimtest

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestEncodeIsMarshal: a stored resource's JSON is exactly what
// json.Marshal made of it before members were encoded one by one (so list
// pages without excludedAttributes are unchanged), and ends splits it into
// its members.
func TestEncodeIsMarshal(t *testing.T) {
	c := newCollection("User", SchemaUser, "/Users", "userName")
	for _, data := range []map[string]any{
		{"id": "1", "userName": "plain"},
		{"id": "2", "userName": "u<1>&\u2028é\"\\", "Zeta": json.Number("12.50"), "active": false, "a<b": nil,
			"name":   map[string]any{"givenName": "G", "x": []any{1.5, "y", map[string]any{}}},
			"emails": []any{map[string]any{"type": "work", "value": "w@x"}}, "": "empty key", "\xff": "bad utf-8"},
	} {
		r := &resource{id: data["id"].(string), data: data, created: time.Unix(0, 0), modified: time.Unix(1, 5), version: 3}
		if herr := c.encode(r); herr != nil {
			t.Fatal(herr)
		}
		want, err := json.Marshal(c.render(r))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(r.json, want) {
			t.Errorf("encode:\n got  %s\n want %s", r.json, want)
		}
		if len(r.ends) != len(data)+1 || int(r.ends[len(r.ends)-1]) != len(r.json)-1 {
			t.Fatalf("ends %v for %d members of %s", r.ends, len(data)+1, r.json)
		}
		var members []string
		start := 1
		for _, end := range r.ends {
			members = append(members, string(r.json[start:end]))
			start = int(end) + 1
		}
		if got := "{" + strings.Join(members, ",") + "}"; got != string(r.json) {
			t.Errorf("members joined: %s\nwant %s", got, r.json)
		}
		for _, m := range members {
			var one map[string]any
			if err := json.Unmarshal([]byte("{"+m+"}"), &one); err != nil || len(one) != 1 {
				t.Errorf("member %s: %v, %v", m, one, err)
			}
		}
	}
}

// TestExclusionKeys: keys are matched unescaped and case-insensitively;
// id and schemas are never excluded.
func TestExclusionKeys(t *testing.T) {
	e := parseExclusion("ID,Schemas, A<B ,urn:ietf:params:scim:schemas:core:2.0:user:Meta,,x.y", SchemaUser)
	for key, want := range map[string]bool{
		`"id":1`: false, `"schemas":1`: false, `"a\u003cb":1`: true, `"meta":1`: true, `"META":1`: true,
		`"x.y":1`: true, `"x":1`: false, `"a<b":1`: true, `"a\"b":1`: false,
	} {
		if got := e.excludes(memberKey([]byte(key))); got != want {
			t.Errorf("excludes %s = %v, want %v", key, got, want)
		}
	}
	if !parseExclusion(" , id,schemas", SchemaUser).none() {
		t.Error("only id and schemas: something excluded")
	}
}
