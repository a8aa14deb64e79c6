package ldapsource

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// BenchmarkADChangeLatency measures the time from
// a change on a Samba DC (the modify acknowledged) to the end of the
// incremental run that applied it to the SCIM target (the Go test server),
// through change notification, DirSync and RunChanges, over 100 changes
// made one after the other; it reports p50, p95 and the worst. Run it with
// -benchtime 1x (make bench-ad).
func BenchmarkADChangeLatency(b *testing.B) {
	t := b
	p := startADPipeline(t)
	p.follow(nil)
	p.next("the first event (full)")
	var lat []time.Duration
	for i := range 100 {
		dn := staffDN(50 + i%100)
		start := time.Now()
		p.modify(dn, func(r *ldap.ModifyRequest) { r.Replace("title", []string{fmt.Sprintf("Title %d", i)}) })
		p.incremental("change")
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	t.Logf("100 changes: p50 %v, p95 %v, max %v", lat[49].Round(time.Millisecond),
		lat[94].Round(time.Millisecond), lat[99].Round(time.Millisecond))
	b.ReportMetric(float64(lat[49].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(lat[94].Milliseconds()), "p95-ms")
	b.ReportMetric(float64(lat[99].Milliseconds()), "max-ms")
}
