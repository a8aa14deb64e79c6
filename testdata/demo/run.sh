#!/usr/bin/env bash
# make demo: run idsync on the bundled sample organisation, day 1 then day 2,
# against a local in-memory SCIM server. Everything lands in demo-out/.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=demo-out
rm -rf "$out" && mkdir -p "$out" bin
go build -o bin/idsync ./cmd/idsync
go build -o bin/scimd ./targets/scim/scimtest/scimd
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$out/scim.token"
chmod 600 "$out/scim.token"
bin/scimd -listen 127.0.0.1:0 -token-file "$out/scim.token" -addr-file "$out/scim.addr" 2>"$out/scimd.log" &
scimd=$!
trap 'kill $scimd 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$out/scim.addr" ] && break; sleep 0.05; done
[ -s "$out/scim.addr" ] || { echo "demo: the SCIM server did not start:" >&2; cat "$out/scimd.log" >&2; exit 1; }
sed "s#@SCIM_URL@#$(cat "$out/scim.addr")#" testdata/demo/config.toml > "$out/config.toml"
idsync() { bin/idsync "$@"; }
cfg=(-c "$out/config.toml")

banner() { printf '\n\033[1m==== %s\033[0m\n' "$*"; }

banner "idsync config check"
idsync config check "${cfg[@]}"

cp testdata/sample/day1.ldif "$out/directory.ldif"
banner "Day 1: idsync plan (dry run: everyone is a joiner)"
idsync plan "${cfg[@]}"
banner "Day 1: idsync apply"
idsync apply -q "${cfg[@]}" --report "$out/day1-applied.json"

cp testdata/sample/day2.ldif "$out/directory.ldif"
# Someone creates an account in the SaaS by hand: idsync reports it as an
# orphan and never touches it (orphans = "report").
go run ./testdata/demo/adduser "$(cat "$out/scim.addr")" "$out/scim.token" testdata/demo/handmade-user.json
banner "Day 2: idsync plan (a joiner, movers, leavers, an orphan)"
idsync plan "${cfg[@]}" --format json --out "$out/day2-plan.json"
set +e
idsync plan "${cfg[@]}" --exit-code
code=$?
set -e
echo "(plan --exit-code returned $code: 2 means changes are pending)"
banner "Day 2: idsync apply"
idsync apply -q "${cfg[@]}" --report "$out/day2-applied.json"

cp testdata/sample/day3.ldif "$out/directory.ldif"
banner "Day 3: idsync plan (Ben Carter, who left on day 2, is hired back: a rehire)"
idsync plan "${cfg[@]}" --out "$out/day3-plan.txt"
grep -A8 '^Rehires' "$out/day3-plan.txt"
banner "Day 3: idsync apply"
idsync apply -q "${cfg[@]}" --report "$out/day3-applied.json"

banner "After day 3: idsync plan (nothing left to do)"
idsync plan "${cfg[@]}" --exit-code
banner "idsync audit (last 15 rows)"
idsync audit "${cfg[@]}" | tail -n 15
banner "idsync runs"
idsync runs "${cfg[@]}"

cat <<TXT

Done.
  JSON plan of day 2:        $out/day2-plan.json
  JSON report of day 2:      $out/day2-applied.json
  text plan of day 3:        $out/day3-plan.txt
  state database (SQLite):   $out/state.db
  configuration used:        $out/config.toml
TXT
