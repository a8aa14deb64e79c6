#!/bin/sh
# After the files are in place (deb: configure; rpm: install and upgrade):
# systemd learns of the new or changed units. Nothing is enabled or started:
# /etc/idsync/config.toml must be edited first (see the README). The owners
# of /etc/idsync and /var/lib/idsync come from the package, since preinstall
# made the user before the files were unpacked.
set -e
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
fi
