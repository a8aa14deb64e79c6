#!/usr/bin/env bash
# Inspects the idsync .rpm without installing it (this is a Debian machine):
# its files with their modes and owners, the configuration file flagged
# %config(noreplace), the scripts that make the user, and the dependencies.
# Needs the rpm tool (apt-get install rpm); without it, says so and passes.
#
#   make package && packaging/test-rpm.sh [dist/idsync-VERSION-1.x86_64.rpm]
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "test-rpm: $*" >&2; exit 1; }

if ! command -v rpm >/dev/null; then
	echo "test-rpm: skip: the rpm tool is not installed (apt-get install rpm); the .rpm is only built"
	exit 0
fi
pkg=${1:-}
if [ -z "$pkg" ]; then
	rpms=(dist/idsync-*.x86_64.rpm)
	[ ${#rpms[@]} -eq 1 ] && [ -f "${rpms[0]}" ] || die "want one dist/idsync-*.x86_64.rpm (run make package), found: ${rpms[*]}"
	pkg=${rpms[0]}
fi

checks=0 failed=0
check() { # check DESCRIPTION COMMAND...: runs the command, counts and reports
	checks=$((checks + 1))
	if "${@:2}"; then echo "ok   $1"; else echo "FAIL $1"; failed=$((failed + 1)); fi
}
same() { # same GOT WANT: equal, or both shown
	[ "$1" = "$2" ] || { printf '     got:\n%s\n     want:\n%s\n' "$1" "$2"; return 1; }
}

echo "test-rpm: $pkg"
rpm -qlp "$pkg"
files=$(rpm -qp --qf '[%{FILEMODES:perms} %{FILEUSERNAME} %{FILEGROUPNAME} %{FILENAMES}\n]' "$pkg" | sort -k4)
check "files, modes and owners" same "$files" "drwxr-x--- root idsync /etc/idsync
-rw-r----- root idsync /etc/idsync/config.toml
-rwxr-xr-x root root /usr/bin/idsync
-rw-r--r-- root root /usr/lib/systemd/system/idsync.service
drwxr-x--- idsync idsync /var/lib/idsync"
check "config.toml is %config(noreplace)" same \
	"$(rpm -qp --qf '[%{FILEFLAGS:fflags}|%{FILENAMES}\n]' "$pkg" | grep -v '^|')" \
	"cn|/etc/idsync/config.toml"
scripts=$(rpm -qp --scripts "$pkg")
check "preinstall makes the idsync system user" grep -q 'useradd --system' <<<"$scripts"
check "postinstall enables idsync.service on a first install" grep -q 'systemctl enable idsync.service' <<<"$scripts"
check "preuninstall stops and disables it" grep -q 'systemctl disable idsync.service' <<<"$scripts"
check "postuninstall deletes nothing but on a purge" grep -q '"$1" = purge' <<<"$scripts"
check "requires glibc and shadow-utils" same \
	"$(rpm -qp --requires "$pkg" | grep -v '^rpmlib(' | sort | tr '\n' ' ')" "glibc shadow-utils "

if [ "$failed" -gt 0 ]; then
	die "$failed of $checks checks failed"
fi
echo "test-rpm: all $checks checks ok"
