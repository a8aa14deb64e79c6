#!/bin/sh
# Before the files are unpacked (deb and rpm, install and upgrade): the idsync
# system user and group, so that the package's files get their owners.
# An existing user or group of that name is kept as it is. An upgrade from a
# version that ran idsync from idsync.timer stops and disables that timer,
# which the new version no longer has (the daemon schedules its own runs).
set -e
if [ -e /usr/lib/systemd/system/idsync.timer ]; then
	[ ! -d /run/systemd/system ] || systemctl stop idsync.timer >/dev/null 2>&1 || true
	systemctl disable idsync.timer >/dev/null 2>&1 || true
fi
if ! getent group idsync >/dev/null; then
	groupadd --system idsync
fi
if ! getent passwd idsync >/dev/null; then
	shell=/usr/sbin/nologin
	[ -x "$shell" ] || shell=/sbin/nologin
	[ -x "$shell" ] || shell=/bin/false
	useradd --system --gid idsync --home-dir /var/lib/idsync --no-create-home \
		--shell "$shell" --comment "idsync sync daemon" idsync
fi
