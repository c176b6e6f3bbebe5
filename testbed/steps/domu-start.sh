# SPDX-License-Identifier: GPL-2.0
# domu-start.sh: create a PV domU and wait until its job channel answers.
# In: NT_OUT; NT_DOMU_NAME (default eval); NT_DOMU_KERNEL, NT_DOMU_IMAGE (paths
#     in dom0); NT_DOMU_MEM (MiB, default 192); NT_DOMU_CPUS (hard affinity,
#     e.g. 1; empty: any pCPU); NT_DOMU_PCI (BDF passed through, permissive;
#     empty: none); NT_DOMU_CTL_MAC, NT_DOMU_CTL_IP (ADDR/LEN), NT_DOM0_CTL_IP
#     (ADDR/LEN): the control link; NT_AGENT_PORT (default 7000);
#     NT_DOMU_TIMEOUT (s, default 120); NT_DOMU_EXTRA (more kernel arguments);
#     NT_AGENT (the nt-agent program, default nt-agent on PATH);
#     NT_DOMU_TEMPLATE: an xl config on this host to start from instead (a real
#     host's guest, with its own kernel, disk and network: the hosts testbed);
#     its name, vcpus, cpus, pci and tsc_mode lines (one line each) are
#     replaced, and NT_DOMU_KERNEL, NT_DOMU_IMAGE and the control link are not
#     used; NT_DOMU_READY: agent (default: wait for the agent on the control
#     link) or none (return once the domain runs; the caller waits for the
#     guest its own way, e.g. ssh).
# The domU runs with tsc_mode="native": its TSC is Xen's, so its stamps and
# Xen's are one clock.
# Out: domu.cfg, xl-create.log (xl -vv), domu.txt (name, domid, create_s,
#      ready_s), xl-list.txt, xl-vcpu-list.txt.
. "${NT_LIB:-/etc/nt/lib.sh}"
mkdir -p "$NT_OUT" || exit 1
fail() { echo "domu-start: $*" >&2; exit 1; }
name=${NT_DOMU_NAME:-eval}
port=${NT_AGENT_PORT:-7000}
tmo=${NT_DOMU_TIMEOUT:-120}
ctl_ip=${NT_DOMU_CTL_IP%/*}
ready=${NT_DOMU_READY:-agent}
here=$(cd "$(dirname "$0")" && pwd)
cfg=$NT_OUT/domu.cfg
# moreutils' ts is not on every dom0: then the lines go without their times
command -v ts >/dev/null 2>&1 || ts() { cat; }
if [ -n "${NT_DOMU_TEMPLATE:-}" ]; then
	[ -f "$NT_DOMU_TEMPLATE" ] || fail "no domU config template $NT_DOMU_TEMPLATE on this host"
	{
		grep -Ev '^[[:space:]]*(name|vcpus|cpus|pci|tsc_mode)[[:space:]]*=' "$NT_DOMU_TEMPLATE"
		echo "# added by domu-start.sh (natsume-harness)"
		echo "name = \"$name\""
		echo "vcpus = 1"
		[ -n "${NT_DOMU_CPUS:-}" ] && echo "cpus = \"$NT_DOMU_CPUS\""
		echo "tsc_mode = \"native\""
		[ -n "${NT_DOMU_PCI:-}" ] && echo "pci = [ '$NT_DOMU_PCI,permissive=1' ]"
	} >"$cfg"
else
	[ -f "$NT_DOMU_KERNEL" ] && [ -f "$NT_DOMU_IMAGE" ] || fail "no domU kernel or image ($NT_DOMU_KERNEL, $NT_DOMU_IMAGE)"
	echo "$NT_DOM0_CTL_IP" >/run/nt-vif-ip
	{
		echo "name = \"$name\""
		echo "type = \"pv\""
		echo "kernel = \"$NT_DOMU_KERNEL\""
		echo "ramdisk = \"$NT_DOMU_IMAGE\""
		echo "extra = \"console=hvc0 loglevel=4 nt.agent=$port nt.ip=$NT_DOMU_CTL_IP nt.mac=$NT_DOMU_CTL_MAC ${NT_DOMU_EXTRA:-}\""
		echo "memory = ${NT_DOMU_MEM:-192}"
		echo "vcpus = 1"
		[ -n "${NT_DOMU_CPUS:-}" ] && echo "cpus = \"$NT_DOMU_CPUS\""
		echo "tsc_mode = \"native\""
		[ -n "${NT_DOMU_PCI:-}" ] && echo "pci = [ '$NT_DOMU_PCI,permissive=1' ]"
		echo "vif = [ 'mac=$NT_DOMU_CTL_MAC,script=$here/vif-nt.sh' ]"
		echo "on_poweroff = \"destroy\""
		echo "on_crash = \"preserve\""
	} >"$cfg"
fi
xl list "$name" >/dev/null 2>&1 && fail "a domain named $name exists already"
t0=$(nt_uptime)
# every line of xl's log with the seconds since the start (busybox ts -s)
{ xl -vv create "$cfg" 2>&1; echo "xl-rc=$?"; } | ts -s '%.s' >"$NT_OUT/xl-create.log"
grep -q 'xl-rc=0$' "$NT_OUT/xl-create.log" ||
	fail "xl create failed: $(grep -v 'libxl: debug' "$NT_OUT/xl-create.log" | tail -n 3 | tr '\n' ' ')"
t1=$(nt_uptime)
ok=0 xl_failed=0
end=$(( ${t0%.*} + tmo ))
[ "$ready" = none ] && { ok=1; end=0; }
while [ "$(cut -d. -f1 /proc/uptime)" -lt $end ]; do
	if printf 'RUN true\n' | "${NT_AGENT:-nt-agent}" req "$ctl_ip" "$port" --timeout 10 2>/dev/null |
		grep -q '^nt-rc=0'; then
		ok=1
		break
	fi
	# xl itself sometimes aborts under emulation: only its own answer that
	# the domain is gone means the guest died
	if ! out=$(xl list "$name" 2>&1); then
		case "$out" in
		*"invalid domain"*) fail "the domU died while booting (console: domu-console.txt)" ;;
		esac
		xl_failed=$((xl_failed + 1))
		[ $xl_failed -lt 10 ] || fail "xl list failed 10 times: $(echo "$out" | tail -n 1)"
		sleep 0.5
		continue
	fi
	state=$(echo "$out" | awk 'NR == 2 { print $5 }')
	case "$state" in *c*) fail "the domU crashed while booting (console: domu-console.txt)" ;; esac
	sleep 0.5
done
t2=$(nt_uptime)
domid=$(xl domid "$name" 2>/dev/null)
[ -n "$domid" ] || fail "the domU is gone after xl create (console: domu-console.txt)"
xl list >"$NT_OUT/xl-list.txt" 2>&1
xl vcpu-list >"$NT_OUT/xl-vcpu-list.txt" 2>&1
{
	echo "name=$name"
	echo "domid=$domid"
	echo "create_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
	echo "ready_s=$(awk -v a="$t0" -v b="$t2" 'BEGIN { printf "%.1f", b - a }')"
	echo "xl_list_failed=$xl_failed"
} >"$NT_OUT/domu.txt"
[ $ok = 1 ] || fail "the domU's agent did not answer within $tmo s (console: /var/log/xen/console/guest-$name.log)"
exit 0
