# Helpers shared by the runner tests (sourced).
top=${NT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${NT_BIN:-$top/build/san/bin}
run=$top/scenarios/run
fail=0
bad() { echo "FAIL: $*"; fail=1; }
# need_native: skip (77) unless root with network namespaces.
need_native() {
	if [ "$(id -u)" -ne 0 ]; then echo "SKIP: the native testbed needs root"; exit 77; fi
	if ! ip netns add "nt-scenarios-$$-probe" 2>/dev/null; then
		echo "SKIP: cannot create network namespaces here"; exit 77
	fi
	ip netns del "nt-scenarios-$$-probe"
}
# need_progs P...: the programs must be built; a missing one is a failure
# (make test builds every component), reported by name.
need_progs() {
	local p miss=()
	for p in "$@"; do [ -x "$bin/$p" ] || miss+=("$p"); done
	if [ ${#miss[@]} -gt 0 ]; then
		echo "FAIL: not built in $bin: ${miss[*]} (make SAN=1)"; exit 1
	fi
}
# leftover_netns PID: namespaces a runner with that pid left behind.
leftover_netns() { ip netns list 2>/dev/null | awk '{print $1}' | grep "^nt-scenarios-$1-" || true; }
# meta_get FILE KEY
meta_get() { sed -n "s/^$2=//p" "$1" | tail -n1; }
# emu_hosts WORK STATE: for the tests against the emulated Xen host
# (testbed/emu-host.sh, its state folder STATE): WORK/reboot-hook (a "reboot"
# restarts its QEMU with the runner's Xen options) and WORK/emu.hosts, an
# inventory whose Xen host is that machine (reboots allowed, through the hook;
# eval NIC 0000:00:03.0, eval CPU 1); the caller appends the rest ([hosts] keys).
emu_hosts() {
	printf '#!/bin/sh\nexec "%s" reboot "%s"\n' "$top/testbed/emu-host.sh" "$2" >"$1/reboot-hook" &&
		chmod +x "$1/reboot-hook" || return 1
	cat >"$1/emu.hosts" <<E
[hosts]
xen = nt-emu-xen
xen.reboot = yes
xen.reboot_hook = $1/reboot-hook
xen.boot_timeout = 300 s
xen.args = iommu=1
xen.eval_cpu = 1
xen.eval_nic = 0000:00:03.0
ssh.options = -F $2/ssh_config
E
}

# ---- the tail the quick tests on the emulated Xen share (test-xen-*-quick.sh)
# variant_failed DIR V: the reason V of the run in DIR failed, from its
# meta.txt (failure=, else step_failed=), else the first fail/error lines of
# its logs
variant_failed() {
	local why
	why=$(meta_get "$1/$2/meta.txt" failure 2>/dev/null)
	[ -n "$why" ] || why=$(meta_get "$1/$2/meta.txt" step_failed 2>/dev/null)
	[ -n "$why" ] || why=$(grep -h -m3 -i 'fail\|error' "$1/$2"/*.log 2>/dev/null | head -n3 | tr '\n' ' ')
	echo "$why"
}
# retry_failed DIR LOG CMD...: the variants of the run in DIR whose meta.txt
# status is not ok (a variant that never ran has none) are measured once more:
# CMD --resume DIR (CMD is the runner with its options and environment, e.g.
# env NT_QX_HV_RAW=1 "$run" --bin "$bin"), its output in LOG; their first
# attempt stays as VARIANT.attempt-1 and is named here with its reason
# (variant_failed).  The emulated machine sometimes loses a program or a file
# (docs/scenarios.md, "Damaged rows in dom0's hv.csv"); a second failure stays
# a failure.  Reads rc (the runner's exit), sets it to CMD's and appends the
# variants to retried; with no failed variant it runs nothing and returns 1
# (rc unchanged).
retry_failed() {
	local d=$1 log=$2 v failed="" t1=$SECONDS
	shift 2
	for v in $(meta_get "$d/meta.txt" variants); do
		[ "$(meta_get "$d/$v/meta.txt" status 2>/dev/null)" = ok ] || failed+=" $v"
	done
	[ -n "$failed" ] || return 1
	echo "== RETRY: the runner exited $rc; failed variants:$failed; measuring them again with --resume"
	for v in $failed; do
		echo "== RETRY: first attempt of $v: $(variant_failed "$d" "$v")"
	done
	retried+=$failed
	"$@" --resume "$d" >"$log" 2>&1
	rc=$?
	echo "== RETRY: resume exit $rc after $((SECONDS - t1)) s"
	tr '\r' '\n' <"$log" | grep -v '^\[' | tail -n 15 | sed 's/^/   /'
	return 0
}
# skip_unfetched RC LOG: a run that failed because Debian's Xen source or the
# guest's kernel headers could not be had is a skip (exit 77), not a failure
skip_unfetched() {
	if [ "$1" != 0 ] && grep -q "cannot fetch Debian's Xen source\|kernel headers for the guest module" "$2"; then
		echo "SKIP: $(grep -m1 "cannot fetch\|kernel headers" "$2")"
		exit 77
	fi
}
# variant_times DIR: each variant's boot-to-ready, measurement and teardown
# times (the runner's meta.txt keys)
variant_times() {
	local v
	for v in $(meta_get "$1/meta.txt" variants); do
		echo "== $v: boot to ready $(meta_get "$1/$v/meta.txt" boot_to_ready_s) s, measurement" \
			"$(meta_get "$1/$v/meta.txt" measure_s) s, collection and teardown $(meta_get "$1/$v/meta.txt" teardown_s) s"
	done
}
# no_qemu_left DIR: a failure for every QEMU process whose command line names DIR
no_qemu_left() {
	local left
	left=$(ps -eo args | grep -F "$1" | grep -v grep | grep -c qemu-system)
	[ "$left" = 0 ] || bad "$left QEMU process(es) left running"
}
