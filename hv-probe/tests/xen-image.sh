# Sourced by the QEMU Xen tests (not a test itself): sets $xen to the
# hypervisor image to boot.  NT_XEN_IMAGE names one; otherwise the patched Xen
# is built (or taken from build-xen.sh's cache).  Uses the caller's $top,
# $work, fail and skip; skips when Debian's Xen source cannot be fetched.
xen_image() {
	if [ -n "${NT_XEN_IMAGE:-}" ]; then
		xen=$NT_XEN_IMAGE
		return
	fi
	if ! "$top/hv-probe/build-xen.sh" >"$work/build.log" 2>&1; then
		tail -n 20 "$work/build.log"
		grep -q "apt-get source\|apt-get update" "$work/build.log" &&
			skip "cannot fetch Debian's Xen source package"
		fail "build-xen.sh failed"
	fi
	xen=$top/build/xen/out/xen
}
