# idsync — common tasks. `make demo` and `make test` are the two to know.
GO      ?= go
PKGS    := ./...
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
SCIMMY  := targets/scim/testdata/scimmy
# Packages: version from git describe (packaging/version.sh), nfpm run at a
# pinned version and kept out of go.mod.
PKG_VERSION ?= $(shell sh packaging/version.sh)
PKG_LDFLAGS  = -s -w -X main.version=$(PKG_VERSION)
NFPM        ?= $(GO) run github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2
WINZIP       = dist/idsync_$(PKG_VERSION)_windows_amd64

.PHONY: all build demo test unit lint fmt-check vet layout scimmy-deps bench bench-apply bench-incremental bench-ad bench-audit fuzz windows clean \
	package windows-zip windows-service-test

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

## bench: the apply throughput benchmarks (bench-apply), then SIZE people (default
## 100,000) in slapd: ldapsearch vs idsync plan, the report formats, apply and the
## linked plan (wall, CPU, peak RSS; not run in CI); then bench-incremental and
## bench-audit
SIZE ?= 100000
bench: build bench-apply
	$(GO) build -o bin/scimd ./targets/scim/scimtest/scimd
	$(GO) run ./cmd/idsync-bench -idsync bin/idsync -scimd bin/scimd -size $(SIZE)
	$(MAKE) bench-incremental
	$(MAKE) bench-audit

## bench-audit: audit verify, report access at three dates and the next checkpoint
## over AUDIT_RECORDS records (the database is built once, about 10 minutes, and
## kept at AUDIT_DB for the next run)
AUDIT_RECORDS ?= 1000000
AUDIT_DB ?= bench-out/audit-$(AUDIT_RECORDS).db
bench-audit:
	mkdir -p $(dir $(AUDIT_DB))
	$(GO) test -run '^$$' -bench '^Benchmark(VerifyAudit|AccessAt|CheckpointNext)$$' -benchtime 1x -timeout 0 ./state/ \
		-args -audit-records=$(AUDIT_RECORDS) -audit-db=$(abspath $(AUDIT_DB))

## bench-incremental: the incremental pass over one changed person among SIZE
## linked people (state and target seeded, no servers): CPU and allocations per change
bench-incremental:
	IDSYNC_BENCH_PEOPLE=$(SIZE) $(GO) test -run '^$$' -bench 'RunChanges' -benchtime 200x ./sync/

## bench-ad: Active Directory on a Samba DC (as root): a full plan of 10,000 people
## against ldapsearch, and 100 changes through DirSync to a SCIM target (minutes)
bench-ad:
	$(GO) test -run '^$$' -bench 'BenchmarkAD' -benchtime 1x -timeout 0 -v ./sync/ldapsource/

## bench-apply: apply throughput at concurrency 8 against a raw net/http client,
## and under a write rate limit against its ideal time (Go benchmarks, a minute or two)
bench-apply:
	$(GO) test -run '^$$' -bench 'ApplyVsRawHTTP|ApplyUnderRateLimit' -benchtime 1x ./cmd/idsync-bench

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

## package: dist/idsync_VERSION-1_amd64.deb and dist/idsync-VERSION-1.x86_64.rpm (nfpm,
## packaging/nfpm.yaml); packaging/test-deb.sh installs and checks the .deb
package:
	rm -rf dist/linux_amd64 dist/idsync*.deb dist/idsync*.rpm
	CGO_ENABLED=1 GOOS=linux GOARCH=amd64 \
	  $(GO) build -trimpath -ldflags '$(PKG_LDFLAGS)' -o dist/linux_amd64/idsync ./cmd/idsync
	for f in deb rpm; do \
	  IDSYNC_VERSION='$(PKG_VERSION)' $(NFPM) package -f packaging/nfpm.yaml -p $$f -t dist/ || exit 1; \
	done

## windows-zip: dist/idsync_VERSION_windows_amd64.zip: idsync.exe, config.example.toml and
## README-windows.txt (needs gcc-mingw-w64-x86-64 and zip)
windows-zip:
	rm -rf $(WINZIP) $(WINZIP).zip
	mkdir -p $(WINZIP)
	CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc \
	  $(GO) build -trimpath -ldflags '$(PKG_LDFLAGS)' -o $(WINZIP)/idsync.exe ./cmd/idsync
	cp config.example.toml packaging/windows/README-windows.txt $(WINZIP)/
	cd dist && zip -q -r $(notdir $(WINZIP)).zip $(notdir $(WINZIP))
	rm -rf $(WINZIP)

## windows-service-test: the Windows service under Wine, on the zip's idsync.exe when
## there is one (else bin/idsync.exe): install, start, status, admin endpoint, a run
## against a local SCIM server, stop, uninstall (needs wine64 and mingw)
windows-service-test:
	@set -e; zips=$$(ls dist/idsync_*_windows_amd64.zip 2>/dev/null || true); \
	if [ "$$(echo "$$zips" | wc -w)" -eq 1 ]; then \
	  tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; unzip -q -j "$$zips" '*/idsync.exe' -d "$$tmp"; \
	  bash packaging/test-windows-service.sh "$$tmp/idsync.exe"; \
	else $(MAKE) windows && bash packaging/test-windows-service.sh bin/idsync.exe; fi

clean:
	rm -rf bin demo-out bench-out dist
