#!/bin/sh
# After the files are in place (deb: configure; rpm: install and upgrade).
# First install: idsync.service is enabled (it starts at the next boot) but
# not started: /etc/idsync/config.toml must be edited first (see the
# README), then `systemctl start idsync`. Upgrade: the enablement stays as
# the administrator left it, and a running daemon is restarted on the new
# binary. The owners of /etc/idsync and /var/lib/idsync come from the
# package, since preinstall made the user before the files were unpacked.
set -e
first=
case "$1" in
1) first=yes ;;                             # rpm: first install
configure) [ -n "$2" ] || first=yes ;;      # deb: no previous version
esac
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
fi
if [ -n "$first" ]; then
	systemctl enable idsync.service >/dev/null 2>&1 || true
elif [ -d /run/systemd/system ]; then
	systemctl try-restart idsync.service >/dev/null 2>&1 || true
fi
