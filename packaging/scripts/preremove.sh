#!/bin/sh
# Before the files go, on removal only (deb: "remove"; rpm: 0 packages left),
# not on upgrade: stop and disable the timer and the service.
set -e
case "$1" in
remove | 0)
	if [ -d /run/systemd/system ]; then
		systemctl disable --now idsync.timer idsync.service >/dev/null 2>&1 || true
	fi
	;;
esac
