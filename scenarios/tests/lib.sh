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
