# SPDX-License-Identifier: GPL-2.0
# Shared by the qemu-xen and hosts testbeds (sourced by scenarios/run): the
# check that says exactly what is missing before anything is started.  The
# runner does not fake a Xen run: when a piece is absent it refuses.

# xen_missing: prints one line per missing piece; returns 1 if any.
xen_missing() {
	local miss=0 v
	for v in "${variants[@]}"; do
		if [ -z "$(scn natsume "$v")" ]; then
			echo "  - variant '$v' does not say which path it measures (natsume = off|cpu|vector|all)"
			miss=1
		fi
	done
	# Programs of the pipeline (built by `make` when their components exist).
	local p
	for p in nt-hvcollect nt-flood nt-send nt-analyze nt-stallmon nt-hostinfo; do
		[ -x "$bindir/$p" ] || { echo "  - program $bindir/$p (run \`make\`)"; miss=1; }
	done
	# The patched hypervisor (hv-probe/build-xen.sh) and the guest module
	# (guest-probe: build/<variant>/modules/<kver>/nt_guest_probe.ko).
	local xen=${NT_XEN_IMAGE:-$top/build/xen/out/xen.gz}
	[ -f "$xen" ] || { echo "  - the patched Xen 4.17 image $xen (hv-probe/build-xen.sh; or set NT_XEN_IMAGE)"; miss=1; }
	local ko
	ko=$(ls "$top"/build/*/modules/*/nt_guest_probe.ko 2>/dev/null | head -n1)
	[ -n "$ko" ] || { echo "  - the guest-probe kernel module build/*/modules/<kver>/nt_guest_probe.ko (make -C guest-probe)"; miss=1; }
	[ "$testbed" != qemu-xen ] || [ -x "$top/testbed/qemu.sh" ] ||
		{ echo "  - testbed/qemu.sh (boots the patched Xen under QEMU)"; miss=1; }
	return $miss
}
