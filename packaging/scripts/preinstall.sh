#!/bin/sh
# Before the files are unpacked (deb and rpm, install and upgrade): the idsync
# system user and group, so that the package's files get their owners.
# An existing user or group of that name is kept as it is.
set -e
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
