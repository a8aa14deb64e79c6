#!/bin/sh
# Before the files go, on removal only (deb: "remove"; rpm: 0 packages left),
# not on upgrade: stop and disable the daemon. A stop lets the run in flight
# finish (daemon.stop_grace).
set -e
case "$1" in
remove | 0)
	[ ! -d /run/systemd/system ] || systemctl stop idsync.service >/dev/null 2>&1 || true
	systemctl disable idsync.service >/dev/null 2>&1 || true
	;;
esac
