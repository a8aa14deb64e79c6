#!/bin/sh
# After the files are gone. A removal keeps the state (/var/lib/idsync), the
# configuration and the idsync user, so that reinstalling carries on where it
# stopped. Only a purge (deb: apt-get purge) deletes them; rpm has no purge,
# so there they always stay.
set -e
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
fi
if [ "$1" = purge ]; then
	rm -rf /var/lib/idsync /etc/idsync
	if getent passwd idsync >/dev/null; then
		userdel idsync
	fi
	if getent group idsync >/dev/null; then
		groupdel idsync
	fi
fi
