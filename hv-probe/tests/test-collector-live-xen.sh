#!/usr/bin/env bash
# timeout: 900
# nt-hvcollect live in dom0 of Debian's stock Xen 4.17 under QEMU TCG (the
# emulated testbed, testbed/): the static build (make collector-dom0) runs
# from the 9p share.  Stock Xen has no Natsume probes, so this checks the live
# machinery with the stock TRC_HW_IRQ_HANDLED records (--stock): tracing
# enabled through libxenctrl, 1-page buffers mapped from DOMID_XEN, VIRQ_TBUF
# wake-ups, wrap padding, lost records while the collector is stopped
# (SIGSTOP), SIGINT -> exit 130 with data and summary, --count, and that the
# raw copy (--raw) and a file of Debian's own xentrace decode to the same
# records; --decode-after (windows only copied while tracing, decoded at the
# stop) writes what decode of its raw file writes.  The patched Xen (Natsume records) is tested by test-xen-*.sh.
# Skips (77) without qemu-system-x86_64 or when Debian's archive is unreachable.
set -uo pipefail
top=${NT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=$top/build/dom0/nt-hvcollect
dec=${NT_BIN:-$top/build/san/bin}/nt-hvcollect
command -v qemu-system-x86_64 >/dev/null || { echo "skip: qemu-system-x86_64 is not installed"; exit 77; }
[ -x "$bin" ] || make -s -C "$top/hv-probe" collector-dom0 >/dev/null || { echo "FAIL: make collector-dom0"; exit 1; }
. "$top/testbed/emu.sh"
emu_xen_stock || { echo "skip: $EMU_WHY"; exit 77; }
xen=$EMU_XEN
emu_image dom0 || { echo "FAIL: testbed/mkimage.sh dom0"; exit 1; }

share=$(mktemp -d /tmp/nt-hvcollect-live.XXXXXX)
trap 'emu_kill; rm -rf "$share"' EXIT
trap 'exit 130' INT TERM
cp "$bin" "$share/nt-hvcollect"
cat >"$share/job.sh" <<'JOB'
H=/mnt/host
load() { i=0; while [ $i -lt $1 ]; do dd if=$H/nt-hvcollect of=/dev/null bs=4k 2>/dev/null; i=$((i+1)); done; }
# 1-page buffers (the first enable of this boot sets the size); 9p reads make interrupts
$H/nt-hvcollect live --stock --pages 1 --poll 3s -o $H/v.csv --raw $H/v.xt >$H/sum1.txt 2>&1 &
p=$!
sleep 1
load 10
kill -STOP $p
load 30
kill -CONT $p
load 10
sleep 1
kill -INT $p
wait $p
echo "rc1=$?"
load 40 &
$H/nt-hvcollect live --stock --events irq --cpu 0-1 --count 5 --duration 60 -o $H/c.csv >$H/sum2.txt 2>&1
echo "rc2=$?"
wait
$H/nt-hvcollect live --stock --decode-after --raw $H/d.xt -o $H/d.csv >$H/sum4.txt 2>&1 &
p=$!
sleep 1
load 20
sleep 1
kill -INT $p
wait $p
echo "rc4=$?"
xentrace -D -e 0x00802000 /tmp/x.xt &
x=$!
sleep 1
load 20
sleep 1
kill -INT $x
wait $x
echo "rc3=$?"
cp /tmp/x.xt $H/x.xt
JOB
echo "booting stock Xen ($xen) under QEMU TCG"
emu_boot "$share" --xen "$xen" --kernel "$EMU_KERNEL" --initrd "$EMU_IMAGE" --timeout 600
emu_wait "$share/job.rc" 600
emu_poweroff 60
rc=$EMU_QRC
fail=0
bad() { echo "FAIL: $*"; fail=1; }
if [ $rc != 0 ] || [ ! -f "$share/job.log" ]; then
	echo "FAIL: the testbed did not run the job (QEMU exit $rc); serial log tail:"
	tail -n 40 "$share/serial.log" 2>/dev/null
	exit 1
fi
cat "$share/job.log"
echo "--- summary of run 1"; cat "$share/sum1.txt"
echo "--- summary of run 2"; cat "$share/sum2.txt"
meta() { sed -n "s/^$2=//p" "$share/$1.meta" | tail -n1; }
grep -q '^rc1=130$' "$share/job.log" || bad "SIGINT should end live mode with 130"
grep -q '^rc2=0$' "$share/job.log" || bad "--count run should exit 0"
n=$(meta v.csv records_hv_entry)
[ "${n:-0}" -gt 100 ] || bad "run 1 wrote ${n:-no} hv_entry records (want > 100)"
[ "$(meta v.csv anomalies)" = 0 ] || bad "run 1 anomalies: $(meta v.csv first_anomaly)"
[ "$(meta v.csv cpu0.tsc_monotonic)" = yes ] || bad "cpu0 TSC not monotonic"
[ "$(meta v.csv lost_trace_records)" -gt 0 ] 2>/dev/null || bad "no lost records while the collector was stopped"
[ "$(meta v.csv wakeups_virq)" -gt 0 ] 2>/dev/null || bad "no VIRQ_TBUF wake-ups with 1-page buffers"
case "$(meta v.csv xen_version)" in 4.17*) ;; *) bad "xen_version $(meta v.csv xen_version)" ;; esac
hz=$(meta v.csv tsc_hz)
[ "${hz:-0}" -gt 100000000 ] 2>/dev/null || bad "tsc_hz from Xen: ${hz:-none}"
grep -q "lost trace records (reported by Xen): [1-9]" "$share/sum1.txt" || bad "summary does not show the lost records"
grep -q "irq_handled .* us$" "$share/sum1.txt" || bad "summary lacks the stock interval in us"
[ "$(meta c.csv records_hv_entry)" = 5 ] || bad "--count 5 wrote $(meta c.csv records_hv_entry)"
[ "$(meta c.csv evt_mask)" = 0x00802000 ] || bad "--events irq mask $(meta c.csv evt_mask)"
"$dec" decode --stock --strict -q -o "$share/v-off.csv" "$share/v.xt" || bad "strict decode of --raw"
cmp -s "$share/v.csv" "$share/v-off.csv" || bad "--raw copy decodes to other records than live mode wrote"
grep -q '^rc4=130$' "$share/job.log" || bad "--decode-after: SIGINT should end live mode with 130"
[ "$(meta d.csv records_hv_entry)" -gt 50 ] 2>/dev/null || bad "--decode-after wrote $(meta d.csv records_hv_entry) hv_entry records"
case "$(meta d.csv decoded)" in after*) ;; *) bad "--decode-after: meta decoded=$(meta d.csv decoded)" ;; esac
"$dec" decode --stock --strict -q -o "$share/d-off.csv" "$share/d.xt" || bad "strict decode of --decode-after's raw file"
cmp -s "$share/d.csv" "$share/d-off.csv" || bad "--decode-after wrote other records than decode of its raw file"
grep -q '^rc3=0$' "$share/job.log" || bad "xentrace failed"
"$dec" decode --stock --strict -o "$share/x.csv" "$share/x.xt" >"$share/sumx.txt" || bad "strict decode of xentrace's file"
[ "$(meta x.csv records_hv_entry)" -gt 100 ] 2>/dev/null || bad "xentrace file: $(meta x.csv records_hv_entry) records"
[ $fail = 0 ] && echo "test-collector-live-xen: all checks passed"
exit $fail
