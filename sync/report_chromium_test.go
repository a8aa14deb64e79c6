package sync

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/idsync/idsync/internal/testenv"
)

// chromiumDOM opens the page in a real headless Chromium and returns the
// document as Chromium has it after loading, scripts run, parsed.
func chromiumDOM(t *testing.T, page string) *html.Node {
	return chromiumURL(t, "file://"+page)
}

// chromiumURL is chromiumDOM of a URL.
func chromiumURL(t *testing.T, url string) *html.Node {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		testenv.Missing(t, "chromium is not installed (apt-get install chromium)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=" + t.TempDir(),
		"--dump-dom"}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	doc, err := html.Parse(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// walk calls fn for every element of the document, in order.
type htmlNode = html.Node

func walk(n *html.Node, fn func(*html.Node)) {
	if n.Type == html.ElementNode {
		fn(n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, fn)
	}
}

func attr(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var rec func(*html.Node)
	rec = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			rec(c)
		}
	}
	rec(n)
	return b.String()
}

// TestHTMLReportInChromium renders the golden plan's apply report in
// Chromium, with and without scripts: the counts it shows are the plan's,
// every change is on the page, a known change shows its attribute before
// and after and its reason, and the filter is there only with scripts.
func TestHTMLReportInChromium(t *testing.T) {
	p := BuildPlan(goldenInput())
	var buf bytes.Buffer
	if err := WriteHTML(&buf, []*Plan{p}, []Result{{Status: "applied", Applied: 9}}); err != nil {
		t.Fatal(err)
	}
	// Chromium's --dump-dom needs scripts: the page as a browser without
	// them reads it is the page without its script.
	pages := map[bool]string{false: buf.String()}
	i, j := strings.Index(buf.String(), "<script>"), strings.Index(buf.String(), "</script>")
	pages[true] = buf.String()[:i] + buf.String()[j+len("</script>"):]
	want := map[string]int{"joiners": p.Summary.Joiners, "movers": p.Summary.Movers, "leavers": p.Summary.Leavers,
		"adopted": p.Summary.Adopted, "orphans": p.Summary.Orphans, "creates": p.Summary.Creates, "updates": p.Summary.Updates,
		"disables": p.Summary.Disables, "membersAdded": p.Summary.MembersAdded, "membersRemoved": p.Summary.MembersRemoved,
		"groupsCreated": p.Summary.GroupsCreated, "applied": 9, "leaver": 2, "joiner": 1}
	for _, noScript := range []bool{false, true} {
		t.Run(fmt.Sprintf("scripts=%v", !noScript), func(t *testing.T) {
			page := filepath.Join(t.TempDir(), "report.html")
			if err := os.WriteFile(page, []byte(pages[noScript]), 0o644); err != nil {
				t.Fatal(err)
			}
			doc := chromiumDOM(t, page)
			got := map[string]int{}
			changes, hidden := 0, 0
			var bob, form, shown *html.Node
			walk(doc, func(n *html.Node) {
				if k, ok := attr(n, "data-count"); ok {
					v, err := strconv.Atoi(strings.TrimSpace(textOf(n)))
					if err != nil {
						t.Errorf("count %s: %v", k, err)
					}
					got[k] = v
				}
				if n.Data == "article" && strings.Contains(" "+mustAttr(n, "class")+" ", " change ") {
					changes++
					if _, ok := attr(n, "hidden"); ok {
						hidden++
					}
					if u, _ := attr(n, "data-user"); u == "bob" {
						bob = n
					}
				}
				switch id, _ := attr(n, "id"); id {
				case "filter":
					form = n
				case "shown":
					shown = n
				}
			})
			for k, v := range want {
				if got[k] != v {
					t.Errorf("the page shows %s = %d, the plan has %d", k, got[k], v)
				}
			}
			if changes != len(p.Changes) || hidden != 0 {
				t.Errorf("%d changes on the page (%d hidden), the plan has %d", changes, hidden, len(p.Changes))
			}
			if bob == nil {
				t.Fatal("bob's change is not on the page")
			}
			bt := textOf(bob)
			for _, s := range []string{"department", "Eng", "Sales", `attr("departmentNumber")`, "because: renamed or moved in the source (same ID s2)", "role -eng"} {
				if !strings.Contains(bt, s) {
					t.Errorf("bob's change lacks %q: %q", s, bt)
				}
			}
			_, formHidden := attr(form, "hidden")
			if formHidden != noScript {
				t.Errorf("filter form hidden = %v with scripts %v", formHidden, !noScript)
			}
			if wantShown := fmt.Sprintf("%d of %d shown", len(p.Changes), len(p.Changes)); !noScript && textOf(shown) != wantShown {
				t.Errorf("the filter says %q, want %q", textOf(shown), wantShown)
			}
		})
	}
}

// TestHTMLReportFilters: with scripts, the page opened at #q=WORDS shows
// only the changes with every word.
func TestHTMLReportFilters(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteHTML(&buf, []*Plan{BuildPlan(goldenInput())}, nil); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(t.TempDir(), "plan.html")
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	doc := chromiumURL(t, "file://"+page+"#q=role%20-eng")
	var shown []string
	var counter string
	walk(doc, func(n *html.Node) {
		if n.Data == "article" && mustAttr(n, "class") == "change" {
			if _, hidden := attr(n, "hidden"); !hidden {
				shown = append(shown, mustAttr(n, "data-user"))
			}
		}
		if mustAttr(n, "id") == "shown" {
			counter = textOf(n)
		}
	})
	if strings.Join(shown, ",") != "bob,dan,eve" || counter != "3 of 6 shown" {
		t.Errorf("filtered on \"role -eng\": %v shown, the page says %q", shown, counter)
	}
}

func mustAttr(n *html.Node, name string) string {
	v, _ := attr(n, name)
	return v
}

var (
	htmlLarge    = flag.Int("html-large", 2000, "changes in the large plan TestHTMLLargeInChromium opens (10000, 100000 to measure)")
	htmlLargeOut = flag.String("html-large-out", "", "also keep the large plan's page at this path")
)

// TestHTMLLargeInChromium opens the HTML plan of -html-large joiners in
// headless Chromium and logs how long it took: every change is on the
// page (the first ones in full, the rest folded), the counts are the
// plan's, and the last change is there with its reason.
func TestHTMLLargeInChromium(t *testing.T) {
	n := *htmlLarge
	p := BuildPlan(benchInput(n, false))
	page := filepath.Join(t.TempDir(), "plan.html")
	if *htmlLargeOut != "" {
		page = *htmlLargeOut
	}
	f, err := os.Create(page)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(f, []*Plan{p}, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(page)
	start := time.Now()
	doc := chromiumDOM(t, page)
	t.Logf("%d changes, %d MB: opened in Chromium in %s", n, st.Size()>>20, time.Since(start).Round(10*time.Millisecond))
	changes, joiners := 0, -1
	var last *html.Node
	walk(doc, func(n *html.Node) {
		if n.Data == "article" && strings.HasPrefix(mustAttr(n, "class"), "change") {
			changes++
			last = n
		}
		if mustAttr(n, "data-count") == "joiners" {
			joiners, _ = strconv.Atoi(strings.TrimSpace(textOf(n)))
		}
	})
	if changes != n || joiners != n {
		t.Errorf("%d changes on the page, the summary says %d joiners; the plan has %d", changes, joiners, n)
	}
	want := fmt.Sprintf("user%06d", n-1)
	if last == nil || mustAttr(last, "data-user") != want || !strings.Contains(textOf(last), "in scope and no account linked yet") {
		t.Errorf("the last change is not %s with its reason", want)
	}
}
