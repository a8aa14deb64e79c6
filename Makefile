# idsync — common tasks. `make demo` and `make test` are the two to know.
GO      ?= go
PKGS    := ./...
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
SCIMMY  := targets/scim/testdata/scimmy

.PHONY: all build demo test unit lint fmt-check vet layout scimmy-deps bench fuzz windows clean

all: build

## build: the idsync binary in bin/
build:
	CGO_ENABLED=1 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/idsync ./cmd/idsync

## demo: run idsync on the bundled sample organisation against a local SCIM server
demo:
	bash testdata/demo/run.sh

## test: everything CI runs — format, vet, layout rules, all tests against the real servers;
## ends with the failures, why tests were skipped, and "N passed, N failed, N skipped"
test: lint scimmy-deps
	$(GO) build -o bin/testsum ./internal/testsum
	bash -o pipefail -c '$(GO) test -json -count=1 -timeout 20m $(PKGS) | bin/testsum'

## unit: the quick tests of the packages that need no server
unit:
	$(GO) test -count=1 ./mapping/... ./sync/ ./sync/ldif/ ./state/... ./internal/...

lint: fmt-check vet layout

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS) ./testdata/demo/adduser
	GOOS=windows CGO_ENABLED=0 $(GO) vet ./state/
	GOOS=windows CGO_ENABLED=0 $(GO) build -o /dev/null ./cmd/idsync

## layout: targets, mapping and state never import sync; nothing imports cmd
layout:
	@bad=0; for p in targets mapping state; do \
	  if $(GO) list -deps ./$$p/... | grep -q 'github.com/idsync/idsync/sync$$\|github.com/idsync/idsync/sync/'; then \
	    echo "layout: $$p must not import sync"; bad=1; fi; done; \
	if $(GO) list -f '{{join .Imports "\n"}}' $(PKGS) | grep -q 'github.com/idsync/idsync/cmd'; then \
	  echo "layout: nothing may import cmd"; bad=1; fi; exit $$bad

## scimmy-deps: the SCIM server the integration tests run against (npm)
scimmy-deps:
	@if [ ! -d $(SCIMMY)/node_modules ]; then npm ci --prefix $(SCIMMY) --no-audit --no-fund; fi

## bench: SIZE people (default 100,000) in slapd: ldapsearch vs idsync plan, the
## report formats, apply and the linked plan (wall, CPU, peak RSS; not run in CI)
SIZE ?= 100000
bench: build
	$(GO) build -o bin/scimd ./targets/scim/scimtest/scimd
	$(GO) run ./cmd/idsync-bench -idsync bin/idsync -scimd bin/scimd -size $(SIZE)

## fuzz: a short run (FUZZTIME each) of every fuzz target in the module, found with go test -list
FUZZTIME ?= 20s
fuzz:
	@set -e; targets=$$($(GO) test -list '^Fuzz' $(PKGS) | \
	  awk '/^Fuzz/ { f[n++] = $$1 } /^ok / { for (i = 0; i < n; i++) print $$2 " " f[i]; n = 0 }'); \
	[ -n "$$targets" ] || { echo "no fuzz targets found"; exit 1; }; \
	echo "$$targets" | while read pkg f; do \
	  echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
	  $(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) $$pkg </dev/null || exit 1; \
	done; echo "$$(echo "$$targets" | wc -l) fuzz targets run"

## windows: cross-compile the Windows service binary (needs gcc-mingw-w64-x86-64)
windows:
	CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc \
	  $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/idsync.exe ./cmd/idsync

clean:
	rm -rf bin demo-out bench-out
