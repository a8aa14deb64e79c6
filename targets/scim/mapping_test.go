package scim

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/idsync/idsync/targets"
)

func mustObject(t *testing.T, s string) map[string]any {
	t.Helper()
	r, err := decodeObject([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// mustUser decodes one SCIM User the way a list page is decoded.
func mustUser(t *testing.T, s string) *user {
	t.Helper()
	p, err := decodeList[user]([]byte(`{"totalResults":1,"Resources":[` + s + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Resources) != 1 {
		t.Fatalf("decoded %d resources", len(p.Resources))
	}
	return &p.Resources[0]
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAccountFromResource(t *testing.T) {
	full := `{
	  "id": "u1", "userName": "alice", "externalId": "guid-1", "active": false,
	  "displayName": "Alice A", "nickName": "Al", "title": "Engineer", "userType": "Employee",
	  "preferredLanguage": "en-GB", "locale": "en-GB", "timezone": "Europe/London", "profileUrl": "https://x/alice",
	  "name": {"formatted": "Dr Alice B Smith III", "givenName": "Alice", "familyName": "Smith", "middleName": "B",
	           "honorificPrefix": "Dr", "honorificSuffix": "III"},
	  "emails": [{"type": "home", "value": "a@home"}, {"type": "Work", "value": "a@work", "primary": true}, {"type": "other", "value": "a@other"}],
	  "phoneNumbers": [{"type": "mobile", "value": "+2"}, {"type": "work", "value": "+1"}, {"type": "fax", "value": "+3"}],
	  "addresses": [{"type": "work", "locality": "London"}],
	  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": 42, "costCenter": "CC", "organization": "Org",
	    "division": "Div", "department": "Dept", "manager": {"value": "m1"}}
	}`
	fullAttrs := map[string]string{
		"displayName": "Alice A", "nickName": "Al", "title": "Engineer", "userType": "Employee",
		"preferredLanguage": "en-GB", "locale": "en-GB", "timezone": "Europe/London", "profileUrl": "https://x/alice",
		"name.formatted": "Dr Alice B Smith III", "name.givenName": "Alice", "name.familyName": "Smith",
		"name.middleName": "B", "name.honorificPrefix": "Dr", "name.honorificSuffix": "III",
		"emails.work": "a@work", "emails.home": "a@home", "emails.other": "a@other",
		"phoneNumbers.work": "+1", "phoneNumbers.mobile": "+2",
		"employeeNumber": "42", "costCenter": "CC", "organization": "Org", "division": "Div", "department": "Dept",
		"manager": "m1",
	}
	noExt := map[string]string{}
	for k, v := range fullAttrs {
		if d, _ := targets.LookupAttribute(k); d.Kind != targets.KindEnterprise {
			noExt[k] = v
		}
	}
	tests := []struct {
		name       string
		in         string
		enterprise bool
		want       targets.Account
		wantErr    string
	}{
		{"full", full, true, targets.Account{ID: "u1", UserName: "alice", ExternalID: "guid-1", Active: false, Attrs: targets.AttrsOf(fullAttrs)}, ""},
		{"extension off", full, false, targets.Account{ID: "u1", UserName: "alice", ExternalID: "guid-1", Active: false, Attrs: targets.AttrsOf(noExt)}, ""},
		{"minimal, active absent means true", `{"id":"u2","userName":"bob"}`, true,
			targets.Account{ID: "u2", UserName: "bob", Active: true, Attrs: targets.Attrs{}}, ""},
		{"attribute names in any case, string boolean", `{"ID":"u3","USERNAME":"c","Active":"False","name":{"GivenName":"C"}}`, true,
			targets.Account{ID: "u3", UserName: "c", Active: false, Attrs: targets.AttrsOf(map[string]string{"name.givenName": "C"})}, ""},
		{"untyped email is not emails.work", `{"id":"u4","userName":"d","emails":[{"value":"d@x","primary":true}]}`, true,
			targets.Account{ID: "u4", UserName: "d", Active: true, Attrs: targets.Attrs{}}, ""},
		{"unexpected shapes are ignored", `{"id":7,"userName":"g","active":null,"displayName":{"x":1},"title":["t"],"nickName":null,
		  "name":"Full Name","emails":{"type":"work","value":"no@list"},"phoneNumbers":["+9",{"type":"work","value":"+1"},null],
		  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":"dept"}`, true,
			targets.Account{ID: "7", UserName: "g", Active: true, Attrs: targets.AttrsOf(map[string]string{"phoneNumbers.work": "+1"})}, ""},
		{"escapes, numbers and booleans as strings", `{"id":"u6","userName":"h\u00e9\"\\","externalId":-1.5e3,"active":"TRUE",
		  "title":true,"urn:ietf:params:scim:schemas:extension:enterprise:2.0:user":{"EMPLOYEENUMBER":"0042","department":"\u00c9tudes"}}`, true,
			targets.Account{ID: "u6", UserName: "hé\"\\", ExternalID: "-1.5e3", Active: true,
				Attrs: targets.AttrsOf(map[string]string{"title": "true", "employeeNumber": "0042", "department": "Études"})}, ""},
		{"no id", `{"userName":"e"}`, true, targets.Account{}, "has no id"},
		{"bad active", `{"id":"u5","userName":"f","active":"maybe"}`, true, targets.Account{}, "active is maybe, not a boolean"},
		{"numeric active", `{"id":"u5","userName":"f","active":1}`, true, targets.Account{}, "active is 1, not a boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := accountFromResource(mustUser(t, tt.in), tt.enterprise)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestResourceFromAccount(t *testing.T) {
	a := targets.Account{UserName: "alice", ExternalID: "g1", Active: true, Attrs: targets.AttrsOf(map[string]string{
		"displayName": "Alice", "name.givenName": "Alice", "name.familyName": "", "emails.work": "a@work",
		"emails.home": "a@home", "phoneNumbers.mobile": "+2", "department": "Dept", "nickName": "",
		"manager": "m7",
	})}
	tests := []struct {
		name       string
		enterprise bool
		want       string
	}{
		{"with extension", true, `{"active":true,"displayName":"Alice",` +
			`"emails":[{"type":"home","value":"a@home"},{"primary":true,"type":"work","value":"a@work"}],` +
			`"externalId":"g1","name":{"givenName":"Alice"},"phoneNumbers":[{"type":"mobile","value":"+2"}],` +
			`"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],` +
			`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Dept","manager":{"value":"m7"}},"userName":"alice"}`},
		{"without extension", false, `{"active":true,"displayName":"Alice",` +
			`"emails":[{"type":"home","value":"a@home"},{"primary":true,"type":"work","value":"a@work"}],` +
			`"externalId":"g1","name":{"givenName":"Alice"},"phoneNumbers":[{"type":"mobile","value":"+2"}],` +
			`"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"alice"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := resourceFromAccount(a, tt.enterprise)
			if err != nil {
				t.Fatal(err)
			}
			if got := toJSON(t, r); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
	if _, err := resourceFromAccount(targets.Account{UserName: "x", Attrs: targets.AttrsOf(map[string]string{"manager.value": "m"})}, true); err == nil ||
		!strings.Contains(err.Error(), `"manager.value" is not supported`) {
		t.Errorf("unknown path: err = %v", err)
	}
}

// TestApplyAccountKeepsUnmanaged is what a PUT relies on.
func TestApplyAccountKeepsUnmanaged(t *testing.T) {
	r := mustObject(t, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u1","UserName":"old",
	  "meta":{"version":"W/\"1\""},"groups":[{"value":"g1"}],"addresses":[{"type":"work","locality":"London"}],
	  "nickName":"keep","name":{"givenName":"Old","familyName":"Keep"},"active":true,
	  "emails":[{"type":"home","value":"h@x","primary":true},{"type":"work","value":"old@x"}],
	  "urn:example:custom":{"badge":7}}`)
	a := targets.Account{UserName: "new", Active: false, Attrs: targets.AttrsOf(map[string]string{
		"name.givenName": "New", "emails.work": "new@x", "department": "D", "displayName": "",
	})}
	if err := applyAccount(r, a, true); err != nil {
		t.Fatal(err)
	}
	want := `{"UserName":"new","active":false,"addresses":[{"locality":"London","type":"work"}],` +
		`"emails":[{"type":"home","value":"h@x"},{"primary":true,"type":"work","value":"new@x"}],"id":"u1",` +
		`"name":{"familyName":"Keep","givenName":"New"},"nickName":"keep",` +
		`"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],` +
		`"urn:example:custom":{"badge":7},"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"D"}}`
	if got := toJSON(t, r); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestUserPatchOps(t *testing.T) {
	tests := []struct {
		name       string
		a          targets.Account
		enterprise bool
		want       string
	}{
		{"fixed fields only", targets.Account{UserName: "a", ExternalID: "g", Active: true}, true,
			`[{"op":"replace","path":"userName","value":"a"},{"op":"replace","path":"externalId","value":"g"},` +
				`{"op":"replace","path":"active","value":true}]`},
		{"inactive without externalId: boolean false is sent, externalId removed", targets.Account{UserName: "a"}, true,
			`[{"op":"replace","path":"userName","value":"a"},{"op":"remove","path":"externalId"},` +
				`{"op":"replace","path":"active","value":false}]`},
		{"set and clear", targets.Account{UserName: "a", ExternalID: "g", Active: true, Attrs: targets.AttrsOf(map[string]string{
			"displayName": "A", "title": "", "name.givenName": "G", "name.familyName": "",
			"emails.work": "w@x", "phoneNumbers.mobile": "", "department": "D", "costCenter": "",
		})}, true,
			`[{"op":"replace","path":"userName","value":"a"},{"op":"replace","path":"externalId","value":"g"},` +
				`{"op":"replace","path":"active","value":true},` +
				`{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter"},` +
				`{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"D"},` +
				`{"op":"replace","path":"displayName","value":"A"},` +
				`{"op":"remove","path":"emails[type eq \"work\"]"},` +
				`{"op":"add","path":"emails","value":[{"primary":true,"type":"work","value":"w@x"}]},` +
				`{"op":"remove","path":"name.familyName"},{"op":"replace","path":"name.givenName","value":"G"},` +
				`{"op":"remove","path":"phoneNumbers[type eq \"mobile\"]"},{"op":"remove","path":"title"}]`},
		{"extension off drops its attributes", targets.Account{UserName: "a", ExternalID: "g", Active: true,
			Attrs: targets.AttrsOf(map[string]string{"department": "D"})}, false,
			`[{"op":"replace","path":"userName","value":"a"},{"op":"replace","path":"externalId","value":"g"},` +
				`{"op":"replace","path":"active","value":true}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops, err := userPatchOps(tt.a, tt.enterprise)
			if err != nil {
				t.Fatal(err)
			}
			if got := toJSON(t, ops); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestUserFieldsCoverTable: every path of the table but the fixed
// fields is read from a listed user, from the field the table says.
func TestUserFieldsCoverTable(t *testing.T) {
	n := 0
	for _, d := range targets.AttributeTable {
		if d.Kind != targets.KindFixed {
			n++
		}
	}
	if len(userFields) != n {
		t.Errorf("%d user fields for %d table paths", len(userFields), n)
	}
	a := targets.Account{UserName: "u", Attrs: targets.Attrs{}}
	for i, f := range userFields {
		a.Attrs.Set(f.Path, fmt.Sprint("v", i))
	}
	r, err := resourceFromAccount(a, true)
	if err != nil {
		t.Fatal(err)
	}
	r["id"] = "u1"
	got, err := accountFromResource(mustUser(t, toJSON(t, r)), true)
	if err != nil || !reflect.DeepEqual(got.Attrs, a.Attrs) {
		t.Errorf("round trip = %v, %v; want %v", got.Attrs, err, a.Attrs)
	}
	if _, err := managedAttrs(targets.Account{Attrs: targets.AttrsOf(map[string]string{"userName": "x"})}, true); err == nil {
		t.Error("managedAttrs accepts the fixed field userName as an attribute")
	}
}

// TestListPageErrors: a malformed page, or one whose envelope has the
// wrong shape, is an error.
func TestListPageErrors(t *testing.T) {
	for _, bad := range []string{`{"Resources":[{"id":"a"}`, `{"Resources":{"id":"a"}}`, `{"Resources":["a"]}`,
		`{"totalResults":"3","Resources":[]}`, `{"totalResults":2.5}`, `[]`, `null`, `{"Resources":[]} {}`} {
		if _, err := decodeList[user]([]byte(bad)); err == nil {
			t.Errorf("decodeList(%s) succeeded", bad)
		}
	}
}

func TestQuote(t *testing.T) {
	if got := quote(`a"b\c`); got != `"a\"b\\c"` {
		t.Errorf("quote = %s", got)
	}
}
