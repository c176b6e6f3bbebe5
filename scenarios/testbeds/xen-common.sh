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
	# The patched hypervisor (hv-probe's build script) and the guest module.
	local xen=${NT_XEN_IMAGE:-$top/build/xen/xen.gz}
	[ -f "$xen" ] || { echo "  - the patched Xen 4.17 image $xen (hv-probe's build script; or set NT_XEN_IMAGE)"; miss=1; }
	local ko
	ko=$(ls "$top"/build/guest-probe/*.ko "$top"/guest-probe/*.ko 2>/dev/null | head -n1)
	[ -n "$ko" ] || { echo "  - the guest-probe kernel module (build/guest-probe/*.ko or guest-probe/*.ko)"; miss=1; }
	return $miss
}
