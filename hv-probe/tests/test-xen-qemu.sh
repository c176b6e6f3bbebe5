#!/usr/bin/env bash
# timeout: 1500
# The patched Xen under QEMU TCG, end to end: boots it twice with a PV dom0
# (natsume= on, then off), sends frames from the host to an emulated e1000e
# (MSI-X) owned by dom0, traces the probe records in dom0 (nt-hvcollect when
# the collector is built, else xentrace) and checks them: ENTRY and DELIVER
# records present, TSCs monotonic, notify after entry, the NATSUME flag
# present with the option and absent without; `xl dmesg` shows the option
# accepted.  Also boots with a malformed option: Xen must warn and boot.
# Skips (77) when QEMU is missing or the Xen source cannot be fetched.
# NT_XEN_IMAGE=FILE uses that hypervisor instead of build-xen.sh's output;
# NT_XEN_FAST="" then for an image without the fast handler (patch 5).
# NT_XEN_KEEP=DIR keeps the shares (traces, logs) there.
# A boot whose dom0 never runs its job (a TCG stall under heavy load) is
# retried once, and says so.
set -uo pipefail
top=${NT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
frames=${NT_XEN_FRAMES:-150}
fast=${NT_XEN_FAST---fast}
work=$(mktemp -d "${TMPDIR:-/tmp}/nt-hvprobe-$$-XXXXXX")
. "$top/testbed/emu.sh"
cleanup() {
	emu_kill
	if [ -n "${NT_XEN_KEEP:-}" ]; then
		mkdir -p "$NT_XEN_KEEP" && cp -r "$work"/* "$NT_XEN_KEEP"/ 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed"
if ! emu_xen_patched; then
	case "$EMU_WHY" in *fetch*) skip "$EMU_WHY" ;; *) fail "$EMU_WHY" ;; esac
fi
xen=$EMU_XEN
emu_image dom0 || fail "testbed/mkimage.sh dom0 failed"
cc -std=c11 -O1 -Wall -o "$work/trace-check" "$top/hv-probe/tests/trace-check.c" || fail "cannot build trace-check"

# The collector: its static dom0 build (hv-probe Makefile, collector-dom0),
# when it builds; else dom0 traces with Debian's xentrace.
collector=
if [ "${NT_XEN_NO_COLLECTOR:-0}" != 1 ] &&
   make -s -C "$top/hv-probe" collector-dom0 >"$work/collector.log" 2>&1 &&
   [ -x "$top/build/dom0/nt-hvcollect" ]; then
	collector=$top/build/dom0/nt-hvcollect
else
	echo "note: no static nt-hvcollect (make -C hv-probe collector-dom0); using xentrace"
fi

# run NAME XEN_ARGS: boot, run the job, send frames when dom0 is ready.
run() {
	local try
	for try in 1 2; do
		boot_once "$@" && return 0
		echo "== $1: dom0 never ran its job (try $try); serial log tail:"
		tail -n 15 "$work/$1/serial.log" | sed 's/^/   /'
		mv "$work/$1" "$work/$1.try$try"
	done
	fail "$1: dom0 did not run its job (twice)"
}

boot_once() {
	local name=$1 args=$2 share=$work/$1 port mac=52:54:00:12:34:03
	mkdir -p "$share"
	port=$(emu_ports 1) || fail "no free UDP port"
	cp "$top/hv-probe/tests/jobs/trace.sh" "$share/job.sh"
	echo "$frames" >"$share/frames"
	if [ -n "$collector" ]; then
		mkdir -p "$share/collector"
		cp "$collector" "$share/collector/"
	fi
	local t0=$SECONDS
	emu_boot "$share" --xen "$xen" --xen-args "$args" --kernel "$EMU_KERNEL" --initrd "$EMU_IMAGE" \
		--nic "model=e1000e,port=$port,addr=0x3,mac=$mac" --timeout 420
	local i=$SECONDS
	if emu_wait "$share/ready" 300; then
		"$top/testbed/frames.py" periodic --to "$port,$mac,0" --count "$frames" --interval-ms 10 \
			--run-id 0x71 >/dev/null
		touch "$share/sent"
	fi
	i=$((SECONDS - i))
	emu_poweroff 120
	echo "== $name: QEMU exit $EMU_QRC after $((SECONDS - t0)) s (dom0 ready after $i s)"
	[ -f "$share/job.rc" ] || return 1
	sed 's/^/   /' "$share/job.log" | tail -n 15
	[ -f "$share/hv-summary.txt" ] && sed 's/^/   collector: /' "$share/hv-summary.txt" | head -n 40
	return 0
}

# check_collector NAME on|off: the collector's records (when it traced).
check_collector() {
	local csv=$work/$1/hv.csv n_e n_d n_nat
	[ -f "$csv" ] || return 0
	n_e=$(grep -c '^hv,hv_entry,' "$csv")
	n_d=$(grep -c '^hv,hv_deliver,' "$csv")
	n_nat=$(grep '^hv,hv_\(entry\|deliver\),' "$csv" | grep -c 'natsume')
	echo "$1: collector wrote $n_e hv_entry, $n_d hv_deliver ($n_nat natsume) records"
	[ "$n_e" -ge $((frames / 2)) ] && [ "$n_d" -ge $((frames / 2)) ] ||
		fail "$1: too few records from the collector"
	if [ "$2" = on ]; then
		[ "$n_nat" -gt 0 ] || fail "$1: collector records lack the natsume flag"
	else
		[ "$n_nat" -eq 0 ] || fail "$1: collector records have the natsume flag"
	fi
	# entries stamped in the entry stub (patch 2) carry the cycles from there
	# to do_IRQ in aux; only the first interrupt of a CPU after tracing was
	# enabled is stamped late, in do_IRQ
	local stub late
	stub=$(awk -F, '$2 == "hv_entry" && $9 != "" { print $9 }' "$csv" | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) printf "%d %d %d %d", NR, v[1], v[int((NR + 1) / 2)], v[NR] }')
	late=$(grep '^hv,hv_entry,' "$csv" | grep -c 'late')
	echo "$1: entry stub -> do_IRQ (n, min, median, max cycles, TSC under TCG: emulated): ${stub:-none}; stamped late: $late"
	[ "${stub%% *}" -ge $((n_e - late)) ] 2>/dev/null && [ "$late" -le 8 ] ||
		fail "$1: hv_entry records not stamped in the entry stub (stub ${stub:-none}, late $late of $n_e)"
}

check_dmesg() { # NAME PATTERN
	grep -q -- "$2" "$work/$1/xl-dmesg.txt" ||
		{ grep -i natsume "$work/$1/xl-dmesg.txt"; fail "$1: xl dmesg lacks '$2'"; }
}

# 1. natsume= on: the e1000e (0000:00:03.0), pCPU 1.
run on "natsume=0000:00:03.0,cpu=1"
check_dmesg on "natsume: device 0000:00:03.0, pCPU1, vector 0x[0-9a-f]*: armed"
check_dmesg on "natsume: IRQ[0-9]* of 0000:00:03.0: vector 0x[0-9a-f]* on pCPU1"
[ -n "$fast" ] && check_dmesg on "natsume: IRQ[0-9]*: fast path to the guest"
"$work/trace-check" --natsume on $fast --min $((frames / 2)) "$work/on/trace.bin" ||
	fail "on: trace check"
check_collector on on

# 2. natsume= off.
run off ""
grep -qi natsume "$work/off/xl-dmesg.txt" && fail "off: natsume in xl dmesg"
"$work/trace-check" --natsume off --min $((frames / 2)) "$work/off/trace.bin" ||
	fail "off: trace check"
check_collector off off

# 3. A malformed option and an absent device: warnings, Xen boots normally.
if [ "${NT_XEN_QUICK:-0}" != 1 ]; then
	frames=20
	run bad "natsume=0000:00:1e.0,cpu=1 natsume=zz"
	check_dmesg bad 'parameter "natsume" has invalid value "zz"'
	run absent "natsume=0000:00:1e.0,cpu=1"
	check_dmesg absent "natsume: no device at 0000:00:1e.0, option ignored"
	"$work/trace-check" --natsume off --min 5 "$work/absent/trace.bin" ||
		fail "absent: trace check"
fi
echo "PASS"
