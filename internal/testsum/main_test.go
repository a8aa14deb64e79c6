package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestSummary feeds recorded `go test -json` events: a passing test, a
// failing one with its log, a skipped one with its reason, a subtest, a
// package that did not build, and a line that is no event.
func TestSummary(t *testing.T) {
	in := strings.Join([]string{
		`{"Action":"start","Package":"a"}`,
		`{"Action":"run","Package":"a","Test":"TestOK"}`,
		`{"Action":"output","Package":"a","Test":"TestOK","Output":"=== RUN   TestOK\n"}`,
		`{"Action":"pass","Package":"a","Test":"TestOK"}`,
		`{"Action":"run","Package":"a","Test":"TestBad"}`,
		`{"Action":"output","Package":"a","Test":"TestBad","Output":"=== RUN   TestBad\n"}`,
		`{"Action":"output","Package":"a","Test":"TestBad","Output":"    a_test.go:9: got 1, want 2\n"}`,
		`{"Action":"output","Package":"a","Test":"TestBad","Output":"--- FAIL: TestBad (0.00s)\n"}`,
		`{"Action":"fail","Package":"a","Test":"TestBad"}`,
		`{"Action":"output","Package":"a","Test":"TestSlapd","Output":"    env.go:3: slapd not installed (apt-get install slapd)\n"}`,
		`{"Action":"output","Package":"a","Test":"TestSlapd","Output":"--- SKIP: TestSlapd (0.00s)\n"}`,
		`{"Action":"skip","Package":"a","Test":"TestSlapd"}`,
		`{"Action":"pass","Package":"a","Test":"TestOK/sub"}`,
		`{"Action":"output","Package":"a","Output":"FAIL\ta\t0.01s\n"}`,
		`{"Action":"fail","Package":"a"}`,
		`{"Action":"build-output","ImportPath":"b [b.test]","Output":"b/x.go:1:1: syntax error\n"}`,
		`{"Action":"build-fail","ImportPath":"b [b.test]"}`,
		`{"Action":"output","Package":"c","Output":"ok  \tc\t0.02s\n"}`,
		`{"Action":"pass","Package":"c"}`,
		`go: warning: not an event`,
	}, "\n")
	s := newSummary()
	var out bytes.Buffer
	if err := s.read(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	s.report(&out)
	got := out.String()
	for _, want := range []string{
		"FAIL\ta\t0.01s\n", "ok  \tc\t0.02s\n", "go: warning: not an event\n",
		"--- FAIL: TestBad (a)\n    a_test.go:9: got 1, want 2\n",
		"--- FAIL: package b [b.test]\nb/x.go:1:1: syntax error\n",
		"Skipped:\n  TestSlapd (a): env.go:3: slapd not installed (apt-get install slapd)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	if last := got[strings.LastIndex(strings.TrimRight(got, "\n"), "\n")+1:]; last != "2 passed, 2 failed, 1 skipped\n" {
		t.Errorf("last line %q", last)
	}
	if strings.Contains(got, "got 1, want 2") && strings.Count(got, "got 1, want 2") != 1 {
		t.Error("a failure's log is printed more than once")
	}
}
