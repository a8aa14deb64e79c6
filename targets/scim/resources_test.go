package scim

import (
	"encoding/json"
	"testing"
)

// pageSeeds are list pages for the fuzz targets: well-formed, odd shapes
// and broken envelopes.
var pageSeeds = []string{
	`{"totalResults":2,"Resources":[{"id":"a","userName":"a","active":true,"name":{"givenName":"A"},` +
		`"emails":[{"type":"work","value":"a@x"}],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"D"}},` +
		`{"id":"b","userName":"b","members":[{"value":"a"}]}]}`,
	`{"Resources":[{"id":7,"name":"x","emails":{},"active":"False","displayName":{"a":1}}]}`,
	`{"Resources":[null,{"id":"c"}]}`,
	`{"Resources":{"id":"a"}}`, `{"totalResults":"3"}`, `[]`, `null`, `{"Resources":[]} {}`,
}

// fuzzPage checks that decoding a page never panics, fails on invalid
// JSON, and gives resources whose IDs the reader of the page can use.
func fuzzPage[T any](t *testing.T, body []byte, read func(*T) error) {
	lr, err := decodeList[T](body)
	if err != nil {
		return
	}
	if !json.Valid(body) {
		t.Fatalf("decodeList accepted invalid JSON %q", body)
	}
	for i := range lr.Resources {
		_ = read(&lr.Resources[i])
	}
}

func FuzzDecodeUserPage(f *testing.F) {
	for _, s := range pageSeeds {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, enterprise bool) {
		fuzzPage(t, body, func(u *user) error {
			a, err := accountFromResource(u, enterprise)
			if err == nil && (a.ID == "" || !a.Attrs.Sorted()) {
				t.Fatalf("account %+v from %q: no id or unsorted attributes", a, body)
			}
			return err
		})
	})
}

func FuzzDecodeGroupPage(f *testing.F) {
	for _, s := range pageSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzPage(t, body, func(g *group) error { _ = g.id(); return nil })
		if r, err := decodeResource[user](body); err == nil && r == nil {
			t.Fatalf("decodeResource(%q) = nil, nil", body)
		}
	})
}
