package scim

import (
	"bytes"
	"encoding/json"
	"fmt"
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

// userPage is a list page of n users as scimtest sends them, meta and all.
func userPage(n int) []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"Resources":[`)
	for i := range n {
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
	fmt.Fprintf(&buf, `],"itemsPerPage":%d,"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"startIndex":1,"totalResults":100000}`, n)
	return buf.Bytes()
}

// BenchmarkDecodeUserPage decodes a page of 1000 users and makes their
// accounts: the client's share of listing, without HTTP.
func BenchmarkDecodeUserPage(b *testing.B) {
	body := userPage(1000)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		lr, err := decodeList[user](body)
		if err != nil || len(lr.Resources) != 1000 {
			b.Fatal(err)
		}
		for i := range lr.Resources {
			if _, err := accountFromResource(&lr.Resources[i], true); err != nil {
				b.Fatal(err)
			}
		}
	}
}
