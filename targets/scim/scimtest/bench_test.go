package scimtest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// discard is a ResponseWriter that throws the body away.
type discard struct {
	h      http.Header
	status int
	n      int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(status int)      { d.status = status }
func (d *discard) Write(p []byte) (int, error) { d.n += len(p); return io.Discard.Write(p) }

// BenchmarkServeList100k is the server's share of listing 100,000 users in
// pages of 1000: every page rendered into a discarding writer, no network.
func BenchmarkServeList100k(b *testing.B) {
	const n, pageSize = 100_000, 1000
	srv := scimtest.NewServer(scimtest.Options{Token: "t"})
	for i := range n {
		a := targets.Account{UserName: fmt.Sprintf("user%06d", i), ExternalID: fmt.Sprint("g", i), Active: true,
			Attrs: targets.AttrsOf(map[string]string{
				"displayName": fmt.Sprint("Given Family ", i), "name.givenName": "Given", "name.familyName": fmt.Sprint("Family", i),
				"emails.work": fmt.Sprintf("user%06d@example.test", i), "title": "Engineer",
				"department": fmt.Sprint("Dept ", i%40), "employeeNumber": fmt.Sprint(100000 + i),
			})}
		if _, err := srv.SeedUser(a); err != nil {
			b.Fatal(err)
		}
	}
	reqs := make([]*http.Request, 0, n/pageSize+1)
	for start := 1; start <= n+1; start += pageSize {
		r := httptest.NewRequest(http.MethodGet, fmt.Sprintf("/Users?startIndex=%d&count=%d", start, pageSize), nil)
		r.Header.Set("Authorization", "Bearer t")
		reqs = append(reqs, r)
	}
	b.ReportAllocs()
	bytes := 0
	for b.Loop() {
		bytes = 0
		for _, r := range reqs {
			w := &discard{h: http.Header{}}
			srv.ServeHTTP(w, r)
			if w.status != 0 && w.status != http.StatusOK {
				b.Fatalf("status %d", w.status)
			}
			bytes += w.n
		}
	}
	b.ReportMetric(float64(bytes)/1e6, "MB/list")
}
