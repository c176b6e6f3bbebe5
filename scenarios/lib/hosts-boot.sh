# SPDX-License-Identifier: GPL-2.0
# The boot step of the hosts testbed (sourced by scenarios/testbeds/hosts.sh):
# bring the Xen host to a variant's boot entry and prove that it runs it.
# Needs S/scn (scenarios/lib/scn.sh), hosts-lib.sh, remote.sh, and the
# runner's logcmd.
#
#   hosts_boot VARIANT DIR
#     Reads `xl info` over ssh.  When the running hypervisor is ours (its
#     build_id is the image's) and its command line is the variant's
#     (hosts_cmdline_matches), nothing happens: variants with the same Xen
#     options share a boot.  Otherwise, if the inventory allows it
#     (xen.reboot = yes): `grub-reboot ENTRY` and `reboot` over ssh, or the
#     inventory's xen.reboot_hook run here with NT_BOOT_ENTRY and NT_XEN_ARGS;
#     then waits (xen.boot_timeout) until the host answers with a new
#     /proc/sys/kernel/random/boot_id, and checks `xl info` again.
#     Writes DIR/xl-info.txt (the boot it measures on) and sets HOSTS_BOOT
#     (kept | rebooted), HOSTS_BOOT_S (seconds), HOSTS_XEN_CMDLINE,
#     HOSTS_XEN_BUILD_ID; returns 1 with the reason in HOSTS_WHY.

HOSTS_WANT_BID=""

# hosts_want_build_id: the build id of the image the runner expects running.
hosts_want_build_id() {
	if [ -z "$HOSTS_WANT_BID" ]; then
		local img=${NT_XEN_IMAGE:-$top/build/xen/out/xen.gz}
		HOSTS_WANT_BID=$(xen_build_id "$img")
		[ -n "$HOSTS_WANT_BID" ] || { HOSTS_WHY="cannot read the build id of $img"; return 1; }
	fi
	printf '%s\n' "$HOSTS_WANT_BID"
}

# hosts_xl_info FILE: `xl info` of the Xen host into FILE; sets
# HOSTS_XEN_CMDLINE and HOSTS_XEN_BUILD_ID.
hosts_xl_info() {
	local rc
	rmt_run boot "$(scn hosts.xen)" 60 'xl info' >"$1" 2>&1
	rc=$?
	[ $rc = 0 ] || { HOSTS_WHY="xl info on $(scn hosts.xen) failed (exit $rc): $(tail -n 2 "$1" | tr '\n' ' ')"; return 1; }
	HOSTS_XEN_CMDLINE=$(sed -n 's/^xen_commandline *: *//p' "$1")
	HOSTS_XEN_BUILD_ID=$(sed -n 's/^build_id *: *//p' "$1")
}

# hosts_runs VARIANT: the running Xen (hosts_xl_info) is ours and the variant's
hosts_runs() {
	[ "$HOSTS_XEN_BUILD_ID" = "$(hosts_want_build_id)" ] &&
		hosts_cmdline_matches "$(hosts_xen_args "$1")" "$HOSTS_XEN_CMDLINE"
}

# hosts_not_running VARIANT: why the running Xen is not the variant's
hosts_not_running() {
	local want; want=$(hosts_want_build_id)
	if [ "$HOSTS_XEN_BUILD_ID" != "$want" ]; then
		printf 'the host runs Xen build id %s, not the patched image (%s; hv-probe/install-host.sh)' \
			"${HOSTS_XEN_BUILD_ID:-none}" "$want"
	else
		printf "the host's Xen command line '%s' is not entry %s's ('%s')" \
			"$HOSTS_XEN_CMDLINE" "$(hosts_entry_id "$1")" "$(hosts_xen_args "$1")"
	fi
}

hosts_boot_id() { rmt_run boot "$(scn hosts.xen)" 20 'cat /proc/sys/kernel/random/boot_id' 2>/dev/null; }

hosts_boot() {
	local v=$1 d=$2 xen id args before now t0 end hook rc
	xen=$(scn hosts.xen) id=$(hosts_entry_id "$v") args=$(hosts_xen_args "$v")
	HOSTS_WHY="" HOSTS_BOOT="" HOSTS_BOOT_S=0
	hosts_want_build_id >/dev/null || return 1
	hosts_xl_info "$d/xl-info.txt" || return 1
	if hosts_runs "$v"; then
		HOSTS_BOOT=kept
		return 0
	fi
	if [ "$(scn hosts.xen.reboot)" != 1 ]; then
		HOSTS_WHY="$(hosts_not_running "$v"), and the inventory does not allow a reboot (xen.reboot = no)"
		return 1
	fi
	t0=$(date +%s)
	before=$(hosts_boot_id)
	[ -n "$before" ] || { HOSTS_WHY="cannot read the boot id of $xen"; return 1; }
	mv "$d/xl-info.txt" "$d/xl-info-before-reboot.txt"
	hook=$(scn hosts.xen.reboot_hook)
	if [ -n "$hook" ]; then
		logcmd boot env NT_BOOT_ENTRY="$id" NT_XEN_ARGS="$args" "$hook"
		NT_BOOT_ENTRY=$id NT_XEN_ARGS=$args timeout -k 5 300 "$hook" >"$d/reboot-hook.log" 2>&1
		rc=$?
		[ $rc = 0 ] || { HOSTS_WHY="the reboot hook $hook failed (exit $rc, see reboot-hook.log)"; return 1; }
	else
		rmt_run boot "$xen" 60 "grub-reboot $id && grub-editenv list | grep -qx next_entry=$id" >"$d/grub-reboot.log" 2>&1 ||
			{ HOSTS_WHY="grub-reboot $id failed on $xen (is the entry installed? hv-probe/install-host.sh; see grub-reboot.log)"; return 1; }
		# the connection may drop as the host goes down: the new boot id says it came back
		rmt_run boot "$xen" 20 'nohup sh -c "sleep 1; reboot" >/dev/null 2>&1 &' >/dev/null 2>&1
	fi
	end=$(( t0 + $(scn hosts.xen.boot_timeout) / 1000000000 ))
	while :; do
		now=$(hosts_boot_id)
		[ -n "$now" ] && [ "$now" != "$before" ] && break
		if [ "$(date +%s)" -ge $end ]; then
			HOSTS_WHY="$xen did not come back with a new boot within $(( $(scn hosts.xen.boot_timeout) / 1000000000 )) s"
			return 1
		fi
		sleep 3
	done
	hosts_xl_info "$d/xl-info.txt" || return 1
	HOSTS_BOOT_S=$(( $(date +%s) - t0 ))
	hosts_runs "$v" || { HOSTS_WHY="after the reboot to $id $(hosts_not_running "$v")"; return 1; }
	HOSTS_BOOT=rebooted
}
