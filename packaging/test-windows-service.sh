#!/usr/bin/env bash
# The Windows service, for real, under Wine: installs idsync.exe as a
# service with a configuration on the bundled sample directory (LDIF) and a
# SCIM server on loopback (scimd), starts it, checks that it runs, answers
# on its admin listener and applied the directory, stops it while a run may
# be in flight (every run must end applied, the service with exit code 0),
# starts it with its admin address taken (the service fails with exit code
# 1 and the Event Log says why), and uninstalls it. CI runs it on the zip's idsync.exe; by hand:
#
#   make windows && packaging/test-windows-service.sh [bin/idsync.exe]
#
# Needs wine64 (Debian: apt-get install wine64) and x86_64-w64-mingw32-gcc.
# Everything happens in a throwaway WINEPREFIX, removed at the end.
# Two Wine quirks (design notes, "Windows under Wine"): Wine 8 has no
# bcryptprimitives.dll, whose ProcessPrng Go >= 1.24 needs, so a stand-in
# is built from packaging/windows/wine/bcryptprimitives.c; and Wine's
# services are not recognised by svc.IsWindowsService, which is why the
# installed command line says `run --service`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

die() { echo "test-windows-service: FAIL: $*" >&2; exit 1; }
say() { echo "test-windows-service: $*"; }

exe=$(realpath "${1:-bin/idsync.exe}")
[ -f "$exe" ] || die "no $exe (make windows)"
wine=$(command -v wine64 || echo /usr/lib/wine/wine64)
wineserver=$(command -v wineserver || echo /usr/lib/wine/wineserver)
[ -x "$wine" ] && [ -x "$wineserver" ] || die "wine64 is not installed (apt-get install wine64)"
command -v x86_64-w64-mingw32-gcc >/dev/null || die "x86_64-w64-mingw32-gcc is not installed (apt-get install gcc-mingw-w64-x86-64)"

tmp=$(mktemp -d /tmp/idsync-winsvc.XXXXXX)
export WINEPREFIX=$tmp/prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
scimd_pid=
cleanup() {
	local rc=$?
	if [ -d "$WINEPREFIX/drive_c" ]; then
		timeout 60 "$wine" "$tmp/idsync.exe" service uninstall >/dev/null 2>&1 </dev/null || true
		timeout 30 "$wineserver" -k >/dev/null 2>&1 </dev/null || true
	fi
	[ -z "$scimd_pid" ] || kill "$scimd_pid" 2>/dev/null || true
	[ "$rc" -eq 0 ] || { echo "--- scimd log:"; cat "$tmp/scimd.log" 2>/dev/null || true; }
	rm -rf "$tmp"
}
trap cleanup EXIT

# idsync runs a command under Wine (bounded), with its output in $out and
# its exit status in $rc; want STATUS PATTERN DESCRIPTION checks both.
out= rc=
# (Through a file: Wine's helper processes inherit the output and would
# keep a pipe open.)
idsync() {
	set +e
	timeout 120 "$wine" "$tmp/idsync.exe" "$@" >"$tmp/out" 2>&1 </dev/null
	rc=$? out=$(cat "$tmp/out")
	set -e
}
# winecmd runs another Wine program the same way, and fails the test when it fails.
winecmd() {
	timeout 60 "$wine" "$@" >"$tmp/out" 2>&1 </dev/null || die "$*: $(cat "$tmp/out")"
	cat "$tmp/out"
}
want() {
	if [ "$rc" -ne "$1" ] || ! grep -q -- "$2" <<<"$out"; then
		die "$3: exit $rc (want $1), output lacks \"$2\":
$out"
	fi
	say "ok   $3"
}

say "preparing a throwaway Wine prefix ($WINEPREFIX)"
t=$SECONDS
cp "$exe" "$tmp/idsync.exe"
x86_64-w64-mingw32-gcc -shared -O2 -o "$tmp/bcryptprimitives.dll" \
	packaging/windows/wine/bcryptprimitives.c -ladvapi32
timeout 300 "$wine" wineboot --init >/dev/null 2>&1 </dev/null || die "wineboot failed"
timeout 60 "$wineserver" -w </dev/null
cp "$tmp/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"
# One wineserver (and service manager) for the whole test: otherwise each
# command may start a new one, which starts the automatic services again.
"$wineserver" -p >/dev/null 2>&1 </dev/null
# The first Wine program starts the service manager, whose services inherit
# its output and WINEDEBUG: Wine writes what a program reports to the Event
# Log on its debug channel "eventlog", so the service's events land here.
WINEDEBUG=-all,trace+eventlog,warn+eventlog,err+eventlog \
	timeout 60 "$wine" sc query idsync >>"$tmp/eventlog.txt" 2>&1 </dev/null || true
say "prefix ready in $((SECONDS - t))s"

# The SCIM target (Linux, loopback) and the configuration: the demo's, on
# the sample directory, with the admin listener on a loopback port.
go build -o "$tmp/scimd" ./targets/scim/scimtest/scimd
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/scim.token"
"$tmp/scimd" -listen 127.0.0.1:0 -token-file "$tmp/scim.token" -addr-file "$tmp/scim.addr" >/dev/null 2>"$tmp/scimd.log" &
scimd_pid=$!
for _ in $(seq 100); do [ -s "$tmp/scim.addr" ] && break; sleep 0.1; done
[ -s "$tmp/scim.addr" ] || die "scimd did not start"
admin=127.0.0.1:$((20000 + RANDOM % 20000))
cp testdata/sample/day1.ldif "$tmp/directory.ldif"
sed -e "s#@SCIM_URL@#$(cat "$tmp/scim.addr")#" -e 's/^level = "warn"/level = "info"/' \
	testdata/demo/config.toml >"$tmp/config.toml"
printf '\n[admin]\nlisten = "%s"\n\n[daemon]\nstop_grace = "20s"\n' "$admin" >>"$tmp/config.toml"
config="Z:${tmp//\//\\}\\config.toml" # the Windows path of the same file

idsync service status
want 1 "not installed" "service status before install: not installed"
idsync service start
want 1 "not installed" "service start before install: refused, not installed"
printf '[state]\nbogus = 1\n' >"$tmp/bad.toml"
idsync service install --config "Z:${tmp//\//\\}\\bad.toml"
want 1 "bad.toml" "service install of a configuration that does not load: refused"
idsync service status
want 1 "not installed" "service status after the refused install: not installed"
idsync service install --config "$config"
want 0 "service installed" "service install --config $config"
idsync service status
want 1 "stopped" "service status after install: stopped (installed, not started)"
reg=$(winecmd reg query 'HKLM\System\CurrentControlSet\Services\idsync')
grep -qF -- "idsync.exe run --service --config $config" <<<"$reg" &&
	grep -Eq "Start +REG_DWORD +0x2" <<<"$reg" || die "the service is not registered as idsync.exe run --service --config ..., started automatically:
$reg"
say "ok   registered as idsync.exe run --service --config ..., started automatically"

idsync service start
want 0 "service started" "service start"
idsync service status
want 0 "running" "service status: running"
ready=
for _ in $(seq 150); do
	if curl -sf "http://$admin/readyz" >/dev/null; then ready=1 && break; fi
	sleep 0.2
done
[ -n "$ready" ] || die "the admin listener on $admin never became ready: $(curl -s "http://$admin/readyz")"
curl -sf "http://$admin/healthz" >/dev/null || die "/healthz on $admin did not answer 200"
say "ok   /healthz and /readyz answer on $admin"
idsync status --config "$config"
want 0 "startup  applied" "idsync status: the startup run applied"
users=$(curl -sf -H "Authorization: Bearer $(cat "$tmp/scim.token")" \
	"$(cat "$tmp/scim.addr")/Users?count=1" | grep -o '"totalResults": *[0-9]*' | grep -o '[0-9]*$')
[ "${users:-0}" -gt 100 ] || die "the SCIM server has ${users:-no} users after the run, want the sample's 124"
say "ok   the SCIM server has $users users"

# Stop right after asking for a run: the run in flight may finish (stop
# grace), then the service stops with exit code 0.
idsync trigger --no-wait --config "$config"
want 0 "queued" "idsync trigger --no-wait"
idsync service stop
want 0 "service stopped" "service stop"
idsync service status
want 1 "stopped" "service status after stop: stopped"
sc=$(winecmd sc query idsync)
grep -Eq "WIN32_EXIT_CODE +: 0 " <<<"$sc" && grep -Eq "SERVICE_EXIT_CODE +: 0 " <<<"$sc" ||
	die "the service did not stop cleanly:
$sc"
say "ok   the service stopped with exit code 0"
for line in "daemon: started" "service: stop requested" "daemon: stopped" "service: stopped cleanly"; do
	grep -q -- "$line" "$tmp/eventlog.txt" || die "the Event Log lacks \"$line\":
$(cat "$tmp/eventlog.txt")"
done
say "ok   the Event Log has the daemon's start and the clean stop"
curl -s -m 2 "http://$admin/healthz" >/dev/null && die "the admin listener still answers after the stop"
idsync runs --config "$config"
want 0 "applied" "idsync runs"
bad=$(awk 'NR > 1 && $5 != "applied"' <<<"$out")
[ -z "$bad" ] || die "a run did not end applied:
$out"
say "ok   every run ended applied"
idsync apply -q --config "$config"
want 0 "" "idsync apply after the stop: the daemon released the state database"

# A daemon that cannot start (its admin address is taken) makes the
# service fail with exit code 1, which the recovery actions act on, and
# says why in the Event Log.
"$tmp/scimd" -listen "$admin" -token-file "$tmp/scim.token" -addr-file "$tmp/taken.addr" >/dev/null 2>&1 &
taker=$!
for _ in $(seq 100); do [ -s "$tmp/taken.addr" ] && break; sleep 0.1; done
[ -s "$tmp/taken.addr" ] || die "could not take $admin for the failure check"
idsync service start
want 0 "service started" "service start with the admin address taken"
for _ in $(seq 60); do
	idsync service status
	[ "$rc" -eq 0 ] || break
	sleep 0.5
done
want 1 "stopped" "service status: stopped, the daemon failed"
kill "$taker"
sc=$(winecmd sc query idsync)
grep -Eq "SERVICE_EXIT_CODE +: 1 " <<<"$sc" || die "the failed service did not stop with exit code 1:
$sc"
grep -q "service: .*$admin" "$tmp/eventlog.txt" || die "the Event Log does not say why the service failed:
$(cat "$tmp/eventlog.txt")"
say "ok   a daemon that fails stops the service with exit code 1 and says why in the Event Log"

idsync service uninstall
want 0 "service uninstalled" "service uninstall"
idsync service status
want 1 "not installed" "service status after uninstall: not installed"
say "all checks ok"
