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
tb=$top/hv-probe/testbed
frames=${NT_XEN_FRAMES:-150}
work=$(mktemp -d "${TMPDIR:-/tmp}/nt-hvprobe-$$-XXXXXX")
qpid=
trap '[ -n "$qpid" ] && kill "$qpid" 2>/dev/null; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
fail() { echo "FAIL: $*"; [ -n "${NT_XEN_KEEP:-}" ] && cp -r "$work/share" "$NT_XEN_KEEP"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed"
. "$top/hv-probe/tests/xen-image.sh"
xen_image
mapfile -t img < <("$tb/mkinitramfs.sh") || fail "mkinitramfs.sh failed"
[ ${#img[@]} -eq 2 ] || fail "mkinitramfs.sh failed"
cc -std=c11 -O1 -Wall -o "$work/trace-check" "$tb/trace-check.c" || fail "cannot build trace-check"

share=$work/share
mkdir -p "$share/jobroot/etc/nt"
cp "$tb/job-passthrough.sh" "$share/job.sh"
cp "${img[1]}" "$share/vmlinuz"
cp "$tb/domu-job.sh" "$share/jobroot/etc/nt/job.sh"
# the domU image: the testbed image plus a second cpio with its job
{ gzip -dc "${img[0]}"; (cd "$share/jobroot" && find . | cpio -o -H newc --quiet); } | gzip -1 \
	>"$share/domu.cpio.gz"
rm -rf "$share/jobroot"
if [ "${NT_XEN_NO_COLLECTOR:-0}" != 1 ] &&
   make -s -C "$top/hv-probe" collector-dom0 >"$work/collector.log" 2>&1 &&
   [ -x "$top/build/dom0/nt-hvcollect" ]; then
	mkdir -p "$share/collector"
	cp "$top/build/dom0/nt-hvcollect" "$share/collector/"
fi

port=$((20000 + ($$ * 13) % 40000))
t0=$SECONDS
"$tb/boot.sh" --xen "$xen" --iommu --xen-args "natsume=0000:00:03.0,cpu=1" --share "$share" \
	--nic-port "$port" --log "$share/serial.log" --timeout 900 &
qpid=$!
i=0
while [ ! -f "$share/ready" ] && [ $i -lt 600 ] && kill -0 "$qpid" 2>/dev/null; do
	sleep 1; i=$((i + 1))
done
if [ -f "$share/ready" ]; then
	"$tb/send-frames.sh" "$port" "$frames" 10 >/dev/null
	touch "$share/sent"
fi
wait "$qpid"
rc=$?
qpid=
echo "== QEMU exit $rc after $((SECONDS - t0)) s (domU ready after $i s)"
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
