package main

import (
	"strings"
	"testing"
)

// TestHelpVerb: "idsync help VERB" (standard output) and "idsync VERB
// --help" (standard error) print the verb's usage line, description and
// flags, and exit 0.
func TestHelpVerb(t *testing.T) {
	flags := map[string][]string{
		"plan":             {"-format", "-out file", "-exit-code", "-target"},
		"apply":            {"-allow-deletes N", "-allow-role-removals N", "-allow-shrink", "-allow-missing", "-report file", "-plan file", "-all-or-nothing", "-q"},
		"config check":     {"-c file"},
		"audit":            {"-format", "-run ID", "-user"},
		"runs":             {"-format", "-limit N"},
		"run":              {"-c file"},
		"status":           {"-c file"},
		"trigger":          {"-c file", "-dry-run", "-no-wait"},
		"service":          {"-c file"},
		"explain":          {"-format", "-target"},
		"review":           {"-format", "-role", "-out file"},
		"audit verify":     {"-head SEQ:HASH", "-checkpoints"},
		"audit checkpoint": {"-c file"},
		"audit export":     {"-since DATE", "-format"},
		"audit redact":     {"-reason"},
		"audit prune":      {"-older-than AGE", "-anonymise"},
		"report access":    {"-at DATE", "-role ROLE", "-person PERSON", "-format"},
		"report leavers":   {"-since DATE", "-threshold AGE", "-format"},
		"orphans adopt":    {"-account userName", "-person ID", "-target"},
	}
	if len(flags) != len(verbs) {
		t.Fatalf("test covers %d verbs, idsync has %d", len(flags), len(verbs))
	}
	for _, v := range verbs {
		want := append([]string{"Usage: idsync " + v.name + " [-c config.toml]", v.about, "Flags:\n"}, flags[v.name]...)
		e := &env{t: t}
		code, out, errs := e.run(append([]string{"help"}, strings.Fields(v.name)...)...)
		check(t, "help "+v.name, code, out, errs, want)
		code, out, errs = e.run(append(strings.Fields(v.name), "--help")...)
		check(t, v.name+" --help", code, errs, out, want)
	}
}

func check(t *testing.T, what string, code int, out, other string, want []string) {
	t.Helper()
	if code != exitOK || other != "" {
		t.Errorf("%s: exit %d, other stream %q", what, code, other)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, out)
		}
	}
}

func TestHelp(t *testing.T) {
	e := &env{t: t}
	code, out, _ := e.run("help")
	if code != exitOK {
		t.Fatalf("help: exit %d", code)
	}
	for _, v := range verbs {
		if !strings.Contains(out, "idsync "+v.name) {
			t.Errorf("help does not list %s:\n%s", v.name, out)
		}
	}
	if code, _, errs := e.run("help", "frobnicate"); code != exitError || !strings.Contains(errs, `no command "frobnicate"`) {
		t.Errorf("help of an unknown verb: exit %d, %q", code, errs)
	}
	if code, out, _ := e.run("help", "config"); code != exitOK || !strings.Contains(out, "Usage: idsync config check") {
		t.Errorf("help config: exit %d, %q", code, out)
	}
}
