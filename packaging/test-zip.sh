#!/usr/bin/env bash
# Checks the Windows zip that `make windows-zip` built: it holds idsync.exe
# (a Windows executable), config.example.toml and README-windows.txt.
#
#   make windows-zip && packaging/test-zip.sh [dist/idsync_VERSION_windows_amd64.zip]
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "test-zip: $*" >&2; exit 1; }

zip=${1:-}
if [ -z "$zip" ]; then
	zips=(dist/idsync_*_windows_amd64.zip)
	[ ${#zips[@]} -eq 1 ] && [ -f "${zips[0]}" ] || die "want one dist/idsync_*_windows_amd64.zip (run make windows-zip), found: ${zips[*]}"
	zip=${zips[0]}
fi
listing=$(unzip -l "$zip")
echo "$listing"
for f in idsync.exe config.example.toml README-windows.txt; do
	grep -q "/$f\$" <<<"$listing" || die "$zip has no $f"
done
magic=$(set +o pipefail; unzip -p "$zip" '*/idsync.exe' | head -c 2)
[ "$magic" = MZ ] || die "idsync.exe is not a Windows executable (starts with $magic)"
echo "test-zip: $zip holds idsync.exe, config.example.toml and README-windows.txt"
