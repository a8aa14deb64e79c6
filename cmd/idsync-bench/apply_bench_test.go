//go:build linux

package main

// The apply throughput benchmarks of issue 14 (make bench runs them):
//
//	go test -run '^$' -bench 'Apply' -benchtime 1x ./cmd/idsync-bench
//
// Both run idsync's applier (the code behind `idsync apply`: a pending
// audit row committed before each write, its outcome and link after, in
// the SQLite state on disk with synchronous=FULL) against the in-memory
// SCIM test server, in this process. CPU-seconds are the process's (user
// + system), server included.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	gosync "sync"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/internal/secret"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// benchWrites is the number of creates each measured apply makes.
const benchWrites = 2000

// createPlan is a plan of n joiners to create.
func createPlan(n int) *sync.Plan {
	p := &sync.Plan{Target: "bench"}
	for i := range n {
		name := fmt.Sprintf("u%06d", i)
		p.Changes = append(p.Changes, sync.Change{Kind: sync.Joiner, Action: sync.Create, SourceID: "s" + name,
			UserName: name, DN: "uid=" + name + ",ou=people,dc=example,dc=org",
			After: &targets.Account{UserName: name, ExternalID: "s" + name, Active: true,
				Attrs: targets.AttrsOf(map[string]string{"displayName": "User " + name})}})
	}
	return p
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// applyOnce applies a plan of n creates at concurrency c through a SCIM
// client made by cfg (URL and token filled in) against a fresh server, and
// returns the wall and CPU time of the apply alone.
func applyOnce(b *testing.B, n, c int, latency time.Duration, cfg scim.Config) (wall, cpu time.Duration) {
	b.Helper()
	url, token, srv := scimtest.Start(b, scimtest.Options{})
	srv.Latency(latency)
	dir := b.TempDir()
	tokenFile := filepath.Join(dir, "token")
	writeFile(b, tokenFile, token)
	cfg.URL, cfg.Token, cfg.Concurrency = url, secret.Ref{File: tokenFile}, c
	client, err := scim.New(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	store, err := state.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	run, err := store.StartRun(ctx, "bench", "apply")
	if err != nil {
		b.Fatal(err)
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	ap := &sync.Applier{Name: "bench", Target: client, Store: store, RunID: run.ID, Log: log, Now: time.Now, Concurrency: c}
	p := createPlan(n)
	cpu0, start := cpuTime(b), time.Now()
	res, err := ap.Apply(ctx, p)
	wall, cpu = time.Since(start), cpuTime(b)-cpu0
	if err != nil || res.Applied != n {
		b.Fatalf("apply: %d applied, err %v", res.Applied, err)
	}
	if got := srv.Stats().Writes; got != n {
		b.Fatalf("the server took %d writes, want %d", got, n)
	}
	return wall, cpu
}

// rawOnce makes n creates with a bare net/http client, c at a time,
// against a fresh server answering each request after latency: the most
// the server and the machine allow.
func rawOnce(b *testing.B, n, c int, latency time.Duration) (wall, cpu time.Duration) {
	b.Helper()
	url, token, srv := scimtest.Start(b, scimtest.Options{})
	srv.Latency(latency)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c}}
	jobs := make(chan int)
	var wg gosync.WaitGroup
	var failed error
	var mu gosync.Mutex
	cpu0, start := cpuTime(b), time.Now()
	for range c {
		wg.Go(func() {
			for i := range jobs {
				name := fmt.Sprintf("u%06d", i)
				body := fmt.Sprintf(`{"schemas":["%s"],"userName":%q,"externalId":"s%s","active":true,"displayName":"User %s"}`,
					scimtest.SchemaUser, name, name, name)
				req, _ := http.NewRequest(http.MethodPost, url+"/Users", bytes.NewBufferString(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/scim+json")
				resp, err := client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusCreated {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				if err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	wall, cpu = time.Since(start), cpuTime(b)-cpu0
	if failed != nil {
		b.Fatal(failed)
	}
	if got := srv.Stats().Writes; got != n {
		b.Fatalf("the server took %d writes, want %d", got, n)
	}
	return wall, cpu
}

func medianOf(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// BenchmarkApplyVsRawHTTP: without a rate limit, idsync's apply at
// concurrency 8 against a bare net/http client making the same creates
// at the same concurrency, alternating, three rounds each; the medians
// are compared (the issue asks for at least 80%). The test server runs in
// the process and answers at once ("0ms"), which measures idsync's own
// cost per write (its state's sync to disk and SQL, the client), or after
// 10 ms, still faster than any SaaS API, which measures whether idsync
// keeps a real target busy.
func BenchmarkApplyVsRawHTTP(b *testing.B) {
	const c, rounds = 8, 3
	zero := 0.0
	for _, latency := range []time.Duration{0, 10 * time.Millisecond} {
		b.Run(fmt.Sprintf("%dms", latency.Milliseconds()), func(b *testing.B) {
			for b.Loop() {
				var rawW, rawC, idW, idC []time.Duration
				for range rounds {
					w, cpu := rawOnce(b, benchWrites, c, latency)
					rawW, rawC = append(rawW, w), append(rawC, cpu)
					w, cpu = applyOnce(b, benchWrites, c, latency, scim.Config{RateLimit: &zero})
					idW, idC = append(idW, w), append(idC, cpu)
				}
				raw, id := float64(benchWrites)/medianOf(rawW).Seconds(), float64(benchWrites)/medianOf(idW).Seconds()
				b.ReportMetric(raw, "raw-writes/s")
				b.ReportMetric(id, "idsync-writes/s")
				b.ReportMetric(100*id/raw, "%-of-raw")
				b.ReportMetric(medianOf(rawC).Seconds(), "raw-cpu-s")
				b.ReportMetric(medianOf(idC).Seconds(), "idsync-cpu-s")
				b.ReportMetric(medianOf(rawW).Seconds(), "raw-wall-s")
				b.ReportMetric(medianOf(idW).Seconds(), "idsync-wall-s")
			}
		})
	}
}

// BenchmarkApplyUnderRateLimit: with write_rate_limit L writes a minute
// (burst 1), an apply of N creates at concurrency 8 should take N/L; the
// issue asks for at most 1.1 × N/L. Two cases: Slack's org-wide limit
// (600 a minute, N 200: 20 s) and ten times that (N 1,000: 10 s), which
// on a loaded machine comes close to what the state's disk allows.
func BenchmarkApplyUnderRateLimit(b *testing.B) {
	for _, tc := range []struct {
		name        string
		n           int
		perMinute   float64
		concurrency int
	}{
		{"slack-600-per-min", 200, 600, 8},
		{"6000-per-min", 1000, 6000, 8},
	} {
		b.Run(tc.name, func(b *testing.B) {
			zero, perSecond := 0.0, tc.perMinute/60
			for b.Loop() {
				wall, cpu := applyOnce(b, tc.n, tc.concurrency, 0, scim.Config{RateLimit: &zero, WriteRateLimit: &perSecond, WriteBurst: 1})
				ideal := time.Duration(float64(tc.n) / tc.perMinute * float64(time.Minute))
				b.ReportMetric(wall.Seconds(), "wall-s")
				b.ReportMetric(ideal.Seconds(), "ideal-s")
				b.ReportMetric(wall.Seconds()/ideal.Seconds(), "x-ideal")
				b.ReportMetric(cpu.Seconds(), "cpu-s")
			}
		})
	}
}

func writeFile(b *testing.B, path, content string) {
	b.Helper()
	if err := os.WriteFile(path, []byte(content+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
}
