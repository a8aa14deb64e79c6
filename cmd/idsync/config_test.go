package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected error files")

// TestLoadBadConfigs loads every testdata/invalid-*.toml and compares the
// whole error with testdata/invalid-*.err.
func TestLoadBadConfigs(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid-*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no invalid configs: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, err := loadConfig(f)
			if err == nil {
				t.Fatal("loaded without error")
			}
			golden := strings.TrimSuffix(f, ".toml") + ".err"
			if *update {
				if werr := os.WriteFile(golden, []byte(err.Error()+"\n"), 0o644); werr != nil {
					t.Fatal(werr)
				}
			}
			want, rerr := os.ReadFile(golden)
			if rerr != nil {
				t.Fatalf("%v (run go test ./cmd/idsync -run TestLoadBadConfigs -update)", rerr)
			}
			if got := err.Error() + "\n"; got != string(want) {
				t.Errorf("error:\n%s\nwant:\n%s", got, want)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Error("the error shows the secret")
			}
		})
	}
}

func TestLoadGoodConfigs(t *testing.T) {
	for _, f := range []string{"testdata/valid-minimal.toml", "testdata/valid-policy.toml", "../../config.example.toml"} {
		cfg, err := loadConfig(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if !filepath.IsAbs(cfg.State.Path) {
			t.Errorf("%s: state.path %q not made absolute", f, cfg.State.Path)
		}
		if cfg.mapper == nil {
			t.Errorf("%s: mapping not compiled", f)
		}
	}
}

func TestKeyLines(t *testing.T) {
	src := []byte(`# comment
[state]
path = "x"

[mapping.attributes]
"name.givenName" = 'attr("givenName")'
desc = """
multi = line
"""
title = 'x'

[[target]]
name = "a"
[target.scim]
url = "u"

[[target]]
name = "b"
[target.scim]
url = "v"
`)
	lines := keyLines(src)
	for key, want := range map[string]int{
		"state.path": 3, "mapping.attributes.name.givenName": 6, "mapping.attributes.title": 10,
		"target[0].name": 13, "target[0].scim.url": 15, "target[1].name": 18, "target[1].scim.url": 20,
		"target.scim.url": 15, "mapping.attributes": 5,
	} {
		if got := lines[key]; got != want {
			t.Errorf("line of %s = %d, want %d", key, got, want)
		}
	}
	if _, ok := lines["mapping.attributes.multi"]; ok {
		t.Error("a line inside a multi-line string was taken for a key")
	}
	if got := lineOf(lines, "target[1].scim.ca_file"); got != 19 {
		t.Errorf("lineOf falls back to the table: got %d, want 19", got)
	}
}

func FuzzConfig(f *testing.F) {
	for _, name := range []string{"testdata/valid-minimal.toml", "testdata/invalid-many.toml", "testdata/invalid-mixed.toml", "../../config.example.toml"} {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, err := parseConfig("fuzz.toml", src)
		if err == nil && cfg == nil {
			t.Fatal("nil config without error")
		}
		if err != nil && !strings.HasPrefix(err.Error(), "fuzz.toml") {
			t.Fatalf("error %q does not start with the file name", err)
		}
		_ = keyLines(src)
	})
}
