#!/usr/bin/env bash
# timeout: 1200
# The Natsume path for a passthrough device: the patched Xen under QEMU TCG
# with an emulated VT-d (interrupt remapping, iommu=1) and
# natsume=0000:00:03.0,cpu=1; dom0 passes the e1000e (MSI-X) through to a PV
# domU pinned to pCPU 1 (busy, never idle: Natsume-ALL), the host sends
# frames, dom0 traces.  Checks: the device's MSI-X is bound to the dedicated
# vector, the fast handler delivers to the domU (DELIVER records with the
# NATSUME and DIRECT flags and the domU's domid), TSCs monotonic, the domU
# saw the interrupts.  Skips (77) without QEMU or the Xen source.
set -uo pipefail
top=${NT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
frames=${NT_XEN_FRAMES:-150}
work=$(mktemp -d "${TMPDIR:-/tmp}/nt-hvprobe-$$-XXXXXX")
. "$top/testbed/emu.sh"
trap 'emu_kill; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
fail() { echo "FAIL: $*"; [ -n "${NT_XEN_KEEP:-}" ] && cp -r "$work/share" "$NT_XEN_KEEP"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed"
if ! emu_xen_patched; then
	case "$EMU_WHY" in *fetch*) skip "$EMU_WHY" ;; *) fail "$EMU_WHY" ;; esac
fi
xen=$EMU_XEN
cc -std=c11 -O1 -Wall -o "$work/trace-check" "$top/hv-probe/tests/trace-check.c" || fail "cannot build trace-check"

share=$work/share
mkdir -p "$share" "$work/domu/etc/nt"
cp "$top/hv-probe/tests/jobs/passthrough.sh" "$share/job.sh"
# the domU image: the testbed's minimal domU image plus its job
emu_image domu || fail "testbed/mkimage.sh domu failed"
cp "$top/hv-probe/tests/jobs/domu-busy.sh" "$work/domu/etc/nt/job.sh"
emu_overlay "$EMU_IMAGE" "$work/domu" "$share/domu.cpio.gz" || fail "cannot pack the domU image"
cp "$EMU_KERNEL" "$share/vmlinuz"
emu_image dom0 || fail "testbed/mkimage.sh dom0 failed"
if [ "${NT_XEN_NO_COLLECTOR:-0}" != 1 ] &&
   make -s -C "$top/hv-probe" collector-dom0 >"$work/collector.log" 2>&1 &&
   [ -x "$top/build/dom0/nt-hvcollect" ]; then
	mkdir -p "$share/collector"
	cp "$top/build/dom0/nt-hvcollect" "$share/collector/"
fi

port=$(emu_ports 1) || fail "no free UDP port"
mac=52:54:00:12:34:03
t0=$SECONDS
emu_boot "$share" --xen "$xen" --iommu --xen-args "natsume=0000:00:03.0,cpu=1" \
	--kernel "$EMU_KERNEL" --initrd "$EMU_IMAGE" --nic "model=e1000e,port=$port,addr=0x3,mac=$mac" --timeout 900
if emu_wait "$share/ready" 600; then
	ready=$((SECONDS - t0))
	"$top/testbed/frames.py" periodic --to "$port,$mac,0" --count "$frames" --interval-ms 10 \
		--run-id 0x71 >/dev/null
	touch "$share/sent"
fi
emu_poweroff 300
echo "== QEMU exit $EMU_QRC after $((SECONDS - t0)) s (domU ready after ${ready:-never} s)"
[ -f "$share/job.rc" ] || { tail -n 40 "$share/serial.log"; fail "dom0 did not run its job"; }
sed 's/^/   dom0: /' "$share/job.log" | tail -n 25
[ -f "$share/domu-console.txt" ] && grep -E "nt-|eth0" "$share/domu-console.txt" | sed 's/^/   domU: /' | tail -n 6
[ "$(cat "$share/job.rc")" = 0 ] || fail "dom0 job failed"
grep -q "natsume: IRQ[0-9]* of 0000:00:03.0: vector 0x[0-9a-f]* on pCPU1" "$share/xl-dmesg.txt" ||
	{ grep -i natsume "$share/xl-dmesg.txt"; fail "MSI-X not bound to the Natsume vector"; }
grep -q "natsume: IRQ[0-9]* owned by d[1-9]" "$share/xl-dmesg.txt" ||
	{ grep -i natsume "$share/xl-dmesg.txt"; fail "fast path not armed for the domU"; }
grep -i natsume "$share/xl-dmesg.txt" | sed 's/^/   /'
domid=$(sed -n 's/^eval *\([0-9][0-9]*\) .*/\1/p' "$share/job.log" | head -n1)
[ -n "$domid" ] || fail "no domid for the domU in xl list"
"$work/trace-check" --natsume on --fast --fast-dom "$domid" --min $((frames / 2)) "$share/trace.bin" ||
	fail "trace check"
grep -q "eth0" "$share/domu-console.txt" || fail "the domU saw no eth0 interrupts"
echo "PASS"
