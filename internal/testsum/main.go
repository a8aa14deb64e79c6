// Command testsum reads `go test -json` from standard input and writes a
// short report to standard output: each package's result line as go test
// prints it, the output of every failed test (and of a package that failed
// without a failed test, such as a build error), why each skipped test was
// skipped, and a last line "N passed, N failed, N skipped". It exits 0 when
// it could read its input: `make test` keeps go test's exit status.
//
// Usage: go test -json ./... | go run ./internal/testsum
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

func main() {
	s := newSummary()
	if err := s.read(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "testsum: %v\n", err)
		os.Exit(1)
	}
	s.report(os.Stdout)
}

// event is one line of `go test -json` (see `go doc test2json`).
type event struct {
	Action     string
	Package    string
	ImportPath string // build-output and build-fail events
	Test       string
	Output     string
}

// key names a test of a package; Test is "" for the package itself.
type key struct{ pkg, test string }

// summary collects a run's results.
type summary struct {
	output                 map[key][]string // lines kept until the test ends
	passed, failed, skipps int
	failedTests            map[string]int // failed tests per package
	failures               []string       // "--- FAIL ..." blocks, in order
	skips                  []string       // "TestX (pkg): reason"
}

func newSummary() *summary {
	return &summary{output: map[key][]string{}, failedTests: map[string]int{}}
}

// read consumes the events of r, echoing package results to w as they come.
func (s *summary) read(r io.Reader, w io.Writer) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Action == "" {
			fmt.Fprintln(w, sc.Text()) // not an event: go test's own complaint
			continue
		}
		s.add(e, w)
	}
	return sc.Err()
}

// add takes one event.
func (s *summary) add(e event, w io.Writer) {
	if e.Package == "" {
		e.Package = e.ImportPath
	}
	k := key{e.Package, e.Test}
	switch e.Action {
	case "output", "build-output":
		s.output[k] = append(s.output[k], e.Output)
		if e.Test == "" && isResultLine(e.Output) {
			fmt.Fprint(w, e.Output)
		}
		return
	case "pass":
		if e.Test != "" {
			s.passed++
		}
	case "skip":
		if e.Test != "" {
			s.skipps++
			s.skips = append(s.skips, fmt.Sprintf("%s (%s): %s", e.Test, e.Package, skipReason(s.output[k])))
		}
	case "fail", "build-fail":
		s.fail(k)
	default:
		return
	}
	delete(s.output, k)
}

// fail records a failed test, or a failed package none of whose tests
// failed (a build error, a crash in TestMain): counted as one failure.
func (s *summary) fail(k key) {
	if k.test != "" {
		s.failed++
		s.failedTests[k.pkg]++
		s.failures = append(s.failures, fmt.Sprintf("--- FAIL: %s (%s)\n%s", k.test, k.pkg, testLog(s.output[k])))
		return
	}
	if s.failedTests[k.pkg] == 0 {
		s.failed++
		s.failures = append(s.failures, fmt.Sprintf("--- FAIL: package %s\n%s", k.pkg, strings.Join(s.output[k], "")))
	}
}

// testLog is a test's output without go test's own "=== RUN" and "--- FAIL"
// lines (each subtest has its own entry).
func testLog(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- FAIL") || strings.HasPrefix(t, "--- PASS") {
			continue
		}
		b.WriteString(l)
	}
	return b.String()
}

// isResultLine reports whether a package's output line is its result: "ok",
// "FAIL", "?" (no test files) or a panic.
func isResultLine(line string) bool {
	for _, p := range []string{"ok  \t", "FAIL\t", "?   \t", "panic:"} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

// skipReason is what a skipped test logged, without go test's own lines.
func skipReason(lines []string) string {
	var out []string
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- SKIP") {
			continue
		}
		out = append(out, l)
	}
	if len(out) == 0 {
		return "(no reason given)"
	}
	return strings.Join(out, " / ")
}

// report writes the failures, the skip reasons and the closing counts.
func (s *summary) report(w io.Writer) {
	if len(s.failures) > 0 {
		fmt.Fprintln(w, "\nFailures:")
		for _, f := range s.failures {
			fmt.Fprintln(w, strings.TrimRight(f, "\n"))
		}
	}
	if len(s.skips) > 0 {
		sort.Strings(s.skips)
		fmt.Fprintln(w, "\nSkipped:")
		for _, sk := range s.skips {
			fmt.Fprintln(w, "  "+sk)
		}
	}
	fmt.Fprintf(w, "\n%d passed, %d failed, %d skipped\n", s.passed, s.failed, s.skipps)
}
