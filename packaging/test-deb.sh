#!/usr/bin/env bash
# Installs the idsync .deb on this machine, checks what it put there, then
# removes and purges it. Needs root on Debian or Ubuntu; CI runs it after
# `make package`, and so can a developer:
#
#   make package && sudo packaging/test-deb.sh [dist/idsync_VERSION-1_amd64.deb]
#
# It refuses to run where an idsync package or user already exists, since the
# purge at the end deletes both.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "test-deb: $*" >&2; exit 1; }

deb=${1:-}
if [ -z "$deb" ]; then
	debs=(dist/idsync_*_amd64.deb)
	[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || die "want one dist/idsync_*_amd64.deb (run make package), found: ${debs[*]}"
	deb=${debs[0]}
fi
deb=$(realpath "$deb")
[ "$(id -u)" -eq 0 ] || die "run as root: it installs and purges the package"
status=$(dpkg-query -W -f='${db:Status-Status}' idsync 2>/dev/null || true)
[ -z "$status" ] || [ "$status" = not-installed ] || die "package idsync is here ($status); purge it first"
! getent passwd idsync >/dev/null || die "a user idsync exists; the purge at the end would delete it"

apt_quiet() { DEBIAN_FRONTEND=noninteractive apt-get "$@" -y -qq --no-install-recommends >/dev/null; }
trap 'dpkg-query -W idsync >/dev/null 2>&1 && apt_quiet purge idsync || true' EXIT

checks=0 failed=0
check() { # check DESCRIPTION COMMAND...: runs the command, counts and reports
	checks=$((checks + 1))
	if "${@:2}"; then echo "ok   $1"; else echo "FAIL $1"; failed=$((failed + 1)); fi
}
owned() { # owned PATH "MODE USER GROUP"
	local got
	got=$(stat -c '%a %U %G' "$1" 2>&1) || { echo "     $1: $got"; return 1; }
	[ "$got" = "$2" ] || { echo "     $1: $got, want $2"; return 1; }
}
as() { runuser -u "$1" -- "${@:2}"; }
verify() { # systemd-analyze verify, which may say what it dislikes with exit status 0
	local out
	out=$(systemd-analyze verify "$1" 2>&1) && [ -z "$out" ] || { echo "$out"; return 1; }
}
field() { getent passwd idsync | cut -d: -f"$1"; }

echo "test-deb: installing $deb"
apt_quiet install "$deb"
version=$(dpkg-query -W -f='${Version}' idsync)

check "binary /usr/bin/idsync 0755 root:root" owned /usr/bin/idsync "755 root root"
check "unit idsync.service 0644" owned /usr/lib/systemd/system/idsync.service "644 root root"
check "the unit runs the daemon (idsync run, Restart=on-failure)" grep -qx -e 'ExecStart=/usr/bin/idsync run' \
	/usr/lib/systemd/system/idsync.service
check "the unit restarts it on failure" grep -qx 'Restart=on-failure' /usr/lib/systemd/system/idsync.service
check "no idsync.timer any more" test ! -e /usr/lib/systemd/system/idsync.timer
wants=/etc/systemd/system/multi-user.target.wants/idsync.service
check "install enables idsync.service" test -L "$wants"
check "/etc/idsync 0750 root:idsync" owned /etc/idsync "750 root idsync"
check "/etc/idsync/config.toml 0640 root:idsync" owned /etc/idsync/config.toml "640 root idsync"
check "/var/lib/idsync 0750 idsync:idsync" owned /var/lib/idsync "750 idsync idsync"

sys_uid_max=$(awk '$1 == "SYS_UID_MAX" { print $2 }' /etc/login.defs 2>/dev/null)
check "idsync is a system user (uid $(field 3) <= ${sys_uid_max:-999})" test "$(field 3)" -le "${sys_uid_max:-999}"
check "idsync has no login shell ($(field 7))" grep -qx -e /usr/sbin/nologin -e /sbin/nologin -e /bin/false <<<"$(field 7)"
check "idsync's home is /var/lib/idsync" test "$(field 6)" = /var/lib/idsync
check "idsync's group is idsync" test "$(id -gn idsync)" = idsync
check "config.toml is a conffile" grep -qx /etc/idsync/config.toml \
	<<<"$(dpkg-query -W -f='${Conffiles}\n' idsync | awk '{ print $1 }')"
check "idsync version says ${version%-*}" test "$(idsync version)" = "idsync ${version%-*}"
check "idsync reads its configuration" as idsync test -r /etc/idsync/config.toml
check "idsync cannot change its configuration" as idsync test ! -w /etc/idsync/config.toml
check "others cannot read the configuration" as nobody test ! -r /etc/idsync/config.toml
check "idsync writes its state directory" as idsync touch /var/lib/idsync/state.db
if command -v systemd-analyze >/dev/null; then
	check "systemd-analyze verify of the unit" verify /usr/lib/systemd/system/idsync.service
else
	echo "skip systemd-analyze verify: systemd-analyze is not installed (apt-get install systemd)"
fi

echo "# edited" >>/etc/idsync/config.toml
DEBIAN_FRONTEND=noninteractive dpkg -i --force-confold "$deb" >/dev/null
check "a reinstall keeps the edited config.toml" grep -qx "# edited" /etc/idsync/config.toml

apt_quiet remove idsync
check "remove: the binary is gone" test ! -e /usr/bin/idsync
check "remove: the unit is gone" test ! -e /usr/lib/systemd/system/idsync.service
check "remove: the unit is disabled" test ! -e "$wants"
check "remove: the state is kept" test -f /var/lib/idsync/state.db
check "remove: the configuration is kept" grep -qx "# edited" /etc/idsync/config.toml
check "remove: the user is kept" getent passwd idsync >/dev/null

apt_quiet purge idsync
check "purge: the state is gone" test ! -e /var/lib/idsync
check "purge: the configuration is gone" test ! -e /etc/idsync
check "purge: the user is gone" test -z "$(getent passwd idsync)"
check "purge: the group is gone" test -z "$(getent group idsync)"

if [ "$failed" -gt 0 ]; then
	die "$failed of $checks checks failed"
fi
echo "test-deb: all $checks checks ok"
