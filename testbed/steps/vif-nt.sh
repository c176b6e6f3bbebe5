#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# vif-nt.sh online|offline: libxl's hotplug script for the control vif of a
# domU (xl: vif=['...,script=/mnt/tools/steps/vif-nt.sh']).  libxl gives the
# back end's name in $vif and its xenstore folder in $XENBUS_PATH; netback
# connects once hotplug-status says connected.  dom0's address on the link
# comes from /run/nt-vif-ip (ADDR/LEN, written by domu-start.sh).
case "$1" in
online|add)
	ip link set "$vif" up
	[ -f /run/nt-vif-ip ] && ip addr add "$(cat /run/nt-vif-ip)" dev "$vif" 2>/dev/null
	xenstore-write "$XENBUS_PATH/hotplug-status" connected
	;;
offline|remove)
	ip link set "$vif" down 2>/dev/null
	;;
esac
exit 0
