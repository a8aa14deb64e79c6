package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/idsync/idsync/targets"
)

// The list decoder (jsonReader, resources.go) is checked against the way
// pages were read before it: encoding/json into generic maps with keys
// lower-cased (lowerKeys), then converted. That reader is kept here as the
// reference.

// refPage is what the reference makes of one list page: the accounts (or
// groups) fn would have seen, or that the page fails.
type refPage struct {
	total  int
	users  []targets.Account
	groups []targets.Group
	failed bool
}

// refListResponse is the envelope as the reference decoded it.
type refListResponse struct {
	TotalResults int               `json:"totalResults"`
	Resources    []json.RawMessage `json:"Resources"`
}

func refDecodePage(body []byte, groups, enterprise bool) refPage {
	var lr refListResponse
	if err := json.Unmarshal(body, &lr); err != nil {
		return refPage{failed: true}
	}
	out := refPage{total: lr.TotalResults}
	for _, raw := range lr.Resources {
		r, err := decodeObject(raw)
		if err != nil || str(getCI(r, "id")) == "" {
			return refPage{failed: true}
		}
		if groups {
			out.groups = append(out.groups, refGroup(r))
			continue
		}
		a, err := refAccount(r, enterprise)
		if err != nil {
			return refPage{failed: true}
		}
		out.users = append(out.users, a)
	}
	return out
}

func refGroup(r map[string]any) targets.Group {
	g := targets.Group{ID: str(getCI(r, "id")), DisplayName: str(getCI(r, "displayName"))}
	members, _ := getCI(r, "members").([]any)
	seen := map[string]bool{}
	for _, m := range members {
		mo, _ := m.(map[string]any)
		if v := str(getCI(mo, "value")); v != "" && !seen[v] {
			seen[v] = true
			g.Members = append(g.Members, v)
		}
	}
	return g
}

func refAccount(r map[string]any, enterprise bool) (targets.Account, error) {
	v := refLowerKeys(r)
	a := targets.Account{ID: str(v["id"]), UserName: str(v["username"]), ExternalID: str(v["externalid"]),
		Active: true, Attrs: targets.Attrs{}}
	if a.ID == "" {
		return a, errors.New("no id")
	}
	if x := v["active"]; x != nil {
		b, ok := refBool(x)
		if !ok {
			return a, fmt.Errorf("active is %v", x)
		}
		a.Active = b
	}
	name, _ := v["name"].(map[string]any)
	ext, _ := v[strings.ToLower(schemaEnterprise)].(map[string]any)
	name, ext = refLowerKeys(name), refLowerKeys(ext)
	for _, p := range allPaths {
		key := strings.ToLower(p.def.attr)
		var val string
		switch p.def.kind {
		case kindTop:
			val = str(v[key])
		case kindName:
			val = str(name[key])
		case kindEnterprise:
			if enterprise {
				val = str(ext[key])
			}
		case kindTyped:
			items, _ := v[key].([]any)
			for _, item := range items {
				m, _ := item.(map[string]any)
				if strings.EqualFold(str(getCI(m, "type")), p.def.typ) {
					val = str(getCI(m, "value"))
					break
				}
			}
		}
		if val != "" {
			a.Attrs.Set(p.path, val)
		}
	}
	return a, nil
}

func refLowerKeys(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}

func refBool(v any) (bool, bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case string:
		switch strings.ToLower(v) {
		case "1", "t", "true":
			return true, true
		case "0", "f", "false":
			return false, true
		}
	}
	return false, false
}

// newDecodePage is the same with the list decoder.
func newDecodePage(body []byte, groups, enterprise bool) refPage {
	out := refPage{}
	if groups {
		var p listPage[groupResource]
		if err := p.decodeBody(body); err != nil {
			return refPage{failed: true}
		}
		out.total = p.TotalResults
		for i := range p.Resources {
			r := &p.Resources[i]
			if r.id() == "" {
				return refPage{failed: true}
			}
			g := targets.Group{ID: string(r.ID), DisplayName: string(r.DisplayName)}
			seen := map[jsonScalar]bool{}
			for _, v := range r.Members {
				if v != "" && !seen[v] {
					seen[v] = true
					g.Members = append(g.Members, string(v))
				}
			}
			out.groups = append(out.groups, g)
		}
		return out
	}
	var p listPage[userResource]
	if err := p.decodeBody(body); err != nil {
		return refPage{failed: true}
	}
	out.total = p.TotalResults
	for i := range p.Resources {
		if p.Resources[i].id() == "" {
			return refPage{failed: true}
		}
		a, err := accountFromResource(&p.Resources[i], enterprise)
		if err != nil {
			return refPage{failed: true}
		}
		out.users = append(out.users, a)
	}
	return out
}

// comparable reports whether the two readers are expected to agree on
// body: the reference's result is random when an object has two keys
// that differ only in case, it folds a few non-ASCII letters (the Kelvin
// sign, the long s) where lowerKeys does not, and it reads a top-level
// null as an empty page, which the list decoder refuses.
func comparable(body []byte) bool {
	if bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
		return false
	}
	lower := bytes.ToLower(body)
	for _, s := range []string{"\u017f", "\u212a", `\u017f`, `\u212a`} {
		if bytes.Contains(lower, []byte(s)) {
			return false
		}
	}
	return !hasFoldedDuplicateKeys(body)
}

// hasFoldedDuplicateKeys reports whether an object in the JSON text has
// two keys equal under strings.ToLower or strings.EqualFold.
func hasFoldedDuplicateKeys(body []byte) bool {
	d := json.NewDecoder(bytes.NewReader(body))
	type frame struct {
		object bool
		keys   []string
		key    bool // the next string token is a key
	}
	var stack []*frame
	for {
		tok, err := d.Token()
		if err == io.EOF || err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.key {
			if k, ok := tok.(string); ok {
				for _, o := range top.keys {
					if strings.ToLower(o) == strings.ToLower(k) || strings.EqualFold(o, k) {
						return true
					}
				}
				top.keys = append(top.keys, k)
				top.key = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if top != nil && top.object {
				top.key = true
			}
			stack = append(stack, &frame{object: tok == json.Delim('{'), key: true})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		default:
			if top != nil && top.object {
				top.key = true
			}
		}
	}
}

var decodeSeeds = []string{
	`{"totalResults":2,"itemsPerPage":2,"startIndex":1,"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"Resources":[
	  {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
	   "id":"u1","userName":"alice","externalId":"g1","active":true,"displayName":"Alice A","title":"Eng",
	   "name":{"givenName":"Alice","familyName":"A"},"emails":[{"type":"work","value":"a@x","primary":true}],
	   "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"D","employeeNumber":7},
	   "meta":{"resourceType":"User","version":"W/\"1\""}},
	  {"id":"u2","userName":"b\u00e9\"","active":"False","phoneNumbers":[{"type":"Mobile","value":"+1"},"x",null]}]}`,
	`{"Resources":[{"id":"g1","displayName":"G","members":[{"value":"u1"},{"value":"u1"},{"value":""},"u3",{"$ref":"x","value":"u2"}]}]}`,
	`{"resources":[{"ID":"u3","USERNAME":"c","Active":"False","name":{"GivenName":"C"}}],"TOTALRESULTS":-4}`,
	`{"Resources":[{"id":7,"userName":"g","active":null,"displayName":{"x":1},"title":["t"],"name":"N","emails":{"type":"work"}}]}`,
	`{"Resources":[{"id":"u5","active":"maybe"}]}`,
	`{"Resources":[{"id":"u5","active":1}]}`,
	`{"Resources":[{"userName":"no id"}]}`,
	`{"Resources":[null]}`,
	`{"Resources":["x"]}`,
	`{"Resources":{}}`,
	`{"Resources":null,"totalResults":null}`,
	`{"totalResults":1.5}`,
	`{"totalResults":"3"}`,
	`{"totalResults":99999999999999999999}`,
	`{}`,
	` {"Resources":[]} `,
	`{"Resources":[]} x`,
	`{"Resources":[{"id":"a\ud800b","userName":"\xff\xfe"}]}`,
	`{"Resources":[{"id":"a","title":"\u00"}]}`,
	`{"Resources":[{"id":"a","title":"tab	in string"}]}`,
	`{"Resources":[{"id":"a","title":01}]}`,
	`{"Resources":[{"id":"a","title":-}]}`,
	`{"Resources":[{"id":"a","title":1.e5}]}`,
	`{"Resources":[{"id":"a","title":1E+5,"nickName":-0.0e-0,"locale":tru}]}`,
	`{"Resources":[{"id":"a",}]}`,
	`{"Resources":[{"id":"a"},]}`,
	`{"Resources":[{"id":"a"}`,
	`{"Resources":[{"id":"a","us\u0065rName":"escaped key"}]}`,
	`[]`,
	`null`,
	``,
}

func FuzzDecodeUserPage(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, enterprise bool) {
		got := newDecodePage(body, false, enterprise)
		if !comparable(body) {
			return
		}
		if want := refDecodePage(body, false, enterprise); !reflect.DeepEqual(got, want) {
			t.Errorf("page %q:\n got  %+v\n want %+v", body, got, want)
		}
	})
}

func FuzzDecodeGroupPage(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got := newDecodePage(body, true, true)
		if !comparable(body) {
			return
		}
		if want := refDecodePage(body, true, true); !reflect.DeepEqual(got, want) {
			t.Errorf("page %q:\n got  %+v\n want %+v", body, got, want)
		}
	})
}

// TestDecodeDeepNesting: the nesting limit is encoding/json's.
func TestDecodeDeepNesting(t *testing.T) {
	for _, depth := range []int{9998, 10001} {
		body := `{"Resources":[{"id":"a","x":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}]}`
		got, want := newDecodePage([]byte(body), false, true), refDecodePage([]byte(body), false, true)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("depth %d: got %+v, want %+v", depth, got.failed, want.failed)
		}
	}
}

// TestDecodeReusesMemory: decoding into a page that held resources keeps
// nothing of them.
func TestDecodeReusesMemory(t *testing.T) {
	var p listPage[userResource]
	first := `{"totalResults":9,"Resources":[{"id":"a","displayName":"A","active":false,"name":{"givenName":"G"},
	  "emails":[{"type":"work","value":"a@x"}],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"D"}},
	  {"id":"b","title":"T","phoneNumbers":[{"type":"work","value":"1"}]}]}`
	if err := p.decodeBody([]byte(first)); err != nil {
		t.Fatal(err)
	}
	if p.TotalResults != 9 || len(p.Resources) != 2 {
		t.Fatalf("page = %+v", p)
	}
	if err := p.decodeBody([]byte(`{"resources":[{"ID":"c"},{"id":"d","emails":[{"type":"home","value":"h"}]},{"id":"e"}]}`)); err != nil {
		t.Fatal(err)
	}
	var got []targets.Account
	for i := range p.Resources {
		a, err := accountFromResource(&p.Resources[i], true)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, a)
	}
	want := []targets.Account{
		{ID: "c", Active: true, Attrs: targets.Attrs{}},
		{ID: "d", Active: true, Attrs: targets.AttrsOf(map[string]string{"emails.home": "h"})},
		{ID: "e", Active: true, Attrs: targets.Attrs{}},
	}
	if p.TotalResults != 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("reused page: total %d, %+v\nwant %+v", p.TotalResults, got, want)
	}
}

func BenchmarkDecodeUserPage(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString(`{"Resources":[`)
	for i := range 1000 {
		if i > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, `{"active":true,"displayName":"Given%d Family%d","emails":[{"primary":true,"type":"work","value":"user%06d@example.test"}],`+
			`"externalId":"5f0c%04x-9a1b-4c2d-8e3f-%012x","id":"%08x-1111-4222-8333-444455556666",`+
			`"meta":{"created":"2025-01-02T03:04:05.123456789Z","lastModified":"2025-01-02T03:04:05.123456789Z","location":"/Users/%08x-1111-4222-8333-444455556666","resourceType":"User","version":"W/\"1\""},`+
			`"name":{"familyName":"Family%d","givenName":"Given%d"},"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],`+
			`"title":"Senior Software Engineer","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Department %d","employeeNumber":"%d"},"userName":"user%06d"}`,
			i, i, i, i, i, i, i, i, i, i%40, 100000+i, i)
	}
	buf.WriteString(`],"itemsPerPage":1000,"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"startIndex":1,"totalResults":100000}`)
	body := buf.Bytes()
	b.Run("listPage", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		var p listPage[userResource]
		for b.Loop() {
			if err := p.decodeBody(body); err != nil || len(p.Resources) != 1000 {
				b.Fatal(err, len(p.Resources))
			}
		}
	})
	b.Run("reference", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if p := refDecodePage(body, false, true); p.failed {
				b.Fatal("failed")
			}
		}
	})
}

func TestLowerKey(t *testing.T) {
	long := strings.Repeat("A", 64)
	tests := []struct {
		key, want string
		ok        bool
	}{
		{"userName", "username", true},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user", true},
		{"", "", true},
		{"Ünïcode", "ünïcode", true},
		{long, strings.ToLower(long), true},
		{long + "B", "", false},                         // too long to be an attribute idsync reads
		{long + "Ö", strings.ToLower(long + "Ö"), true}, // non-ASCII of any length: strings.ToLower
	}
	for _, tt := range tests {
		var buf [64]byte
		got, ok := lowerKey(&buf, []byte(tt.key))
		if string(got) != tt.want || ok != tt.ok {
			t.Errorf("lowerKey(%q) = %q, %v; want %q, %v", tt.key, got, ok, tt.want, tt.ok)
		}
	}
}
