#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 120
# The passthrough-cost driver's host-side reading of a cell, without QEMU:
# the results it derives from the tools' own output (coreutils dd's seconds,
# iperf3's receiver Mbit/s, interrupt counts per second), a repetition whose
# tool failed, the hypervisor records it keeps (the measured devices' Xen
# IRQs only, lost records always), and nt-analyze's tables of them.
set -uo pipefail
top=${NT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
A=${NT_BIN:-$top/build/san/bin}/nt-analyze
work=$(mktemp -d "${TMPDIR:-/tmp}/nt-io-parse.XXXXXX")
trap 'rm -rf "$work"' EXIT
fails=0
ok() { echo "ok    $*"; }
bad() { echo "FAIL  $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

# the [io] keys: the scenario files parse; a missing key or a bad size is refused
for f in xen-io xen-io-quick; do
	check "$f.scn parses" bash -c '"$0" --parse "$1" >/dev/null' "$top/scenarios/run" "$top/scenarios/$f.scn"
done
check "dd.size 8 MiB is 8388608 bytes" grep -qx "dd.size=8388608" <("$top/scenarios/run" --parse "$top/scenarios/xen-io-quick.scn")
mk() { printf '[scenario]\ntestbed = qemu-xen\nexperiment = io\n[io]\n%s\n[variant a]\n%s\n' "$1" "$2" >"$work/t.scn"; }
refused() { # WHAT PATTERN: --parse exits 2 and says PATTERN
	local out rc
	out=$("$top/scenarios/run" --parse "$work/t.scn" 2>&1); rc=$?
	check "$1 is refused (exit $rc): $(printf '%s' "$out" | grep -m1 -o "$2")" test $rc = 2 -a -n "$(printf '%s' "$out" | grep -o "$2")"
}
mk $'dd.size = 8 MiB\niperf.time = 2 s' $'io.config = native\nio.load = none'
refused "a missing io.reps" "missing 'io.reps'"
mk $'io.reps = 2\ndd.size = 8 MB\niperf.time = 2 s' $'io.config = native\nio.load = none'
refused "dd.size in MB (not MiB)" "dd.size must be a size"
mk $'io.reps = 2\ndd.size = 8 MiB\niperf.time = 2 s' $'io.load = none'
refused "a variant without io.config" "variant 'a' has no 'io.config'"
mk $'io.reps = 2\ndd.size = 8 MiB\niperf.time = 2 s' $'io.config = sriov\nio.load = none'
refused "an unknown io.config" "io.config"
mk $'io.reps = 2\ndd.size = 8 MiB\niperf.time = 2 s' $'io.config = native\nio.load = io'
refused "the I/O load without a flood.rate" "io.load = io but no flood"

# the guest probe's names: a device's queues folded into one prefix, so that
# dom0's paravirtual lines (9 here) fit the module's 8 names
cat >"$work/interrupts" <<'EOF'
           CPU0       CPU1
 40:          1          0  xen-pirq    -msi-x     eth1-rx-0
 41:          1          0  xen-pirq    -msi-x     eth1-tx-0
 42:          1          0  xen-pirq    -msi-x     eth1
 43:          1          0  xen-pirq    -msi-x     nvme0q0
 44:          1          0  xen-pirq    -msi-x     nvme0q1
 45:          1          0  xen-pirq    -msi-x     nvme0q2
 46:          1          0  xen-dyn     -event     vif3.1-q0-tx
 47:          1          0  xen-dyn     -event     vif3.1-q0-rx
 48:          1          0  xen-dyn     -event     blkif-backend
 49:          1          0  xen-dyn     -event     vif3.0-q0-rx
EOF
pn=$(bash -c '. "$1" 2>/dev/null; io_probe_names "$2" "$3"' _ "$top/scenarios/testbeds/io/io-guest.sh" \
	'^(nvme0q[0-9]+|eth1|eth1-rx-0|eth1-tx-0|vif3\.1-q[0-9]+(-tx|-rx)?|blkif-backend)$' "$work/interrupts")
check "probe names folded ($pn)" test "$pn" = "eth1-rx-0,eth1-tx-0,eth1,nvme0q*,vif3.1-q*,blkif-backend"

# the runner's context the driver expects
here=$top/scenarios
declare -A S=([experiment]=io [io.reps]=2 [iperf.direction]=receive [span.0]=hv_deliver [span.1]=guest_irq_exit)
scn_or() { local v=${S[variant.${3-}.$1]-${S[$1]-}}; printf '%s' "${v:-$2}"; }
scn() { scn_or "$1" "" "${2-}"; }
. "$top/scenarios/testbeds/qemu-xen-io.sh"

d=$work/run/pv-none
mkdir -p "$d/raw"
# repetition 1: every tool worked; repetition 2: iperf3 failed (rc 1)
cat >"$d/raw/rep-1-dd-write.txt" <<'EOF'
8+0 records in
8+0 records out
8388608 bytes (8.4 MB, 8.0 MiB) copied, 2.5 s, 3.4 MB/s
nt-io: domain=domu irqs_before=100 irqs_after=600 rc=0
nt-io: domain=dom0 irqs_before=1000 irqs_after=2000 rc=0
EOF
cat >"$d/raw/rep-1-dd-read.txt" <<'EOF'
8388608 bytes (8.4 MB, 8.0 MiB) copied, 0.5 s, 16.8 MB/s
nt-io: domain=domu irqs_before=600 irqs_after=700 rc=0
nt-io: domain=dom0 irqs_before=2000 irqs_after=2100 rc=0
EOF
cat >"$d/raw/rep-1-iperf3.txt" <<'EOF'
[ ID] Interval           Transfer     Bitrate         Retr
[  5]   0.00-2.04   sec  9.00 MBytes  37.0 Mbits/sec   12             sender
[  5]   0.00-2.00   sec  8.75 MBytes  36.7 Mbits/sec                  receiver

iperf Done.
nt-io: domain=domu irqs_before=700 irqs_after=1700 rc=0
nt-io: domain=dom0 irqs_before=2100 irqs_after=6100 rc=0
EOF
cat >"$d/raw/rep-2-dd-write.txt" <<'EOF'
8388608 bytes (8.4 MB, 8.0 MiB) copied, 3.5 s, 2.4 MB/s
nt-io: domain=domu irqs_before=0 irqs_after=700 rc=0
nt-io: domain=dom0 irqs_before=0 irqs_after=1400 rc=0
EOF
cat >"$d/raw/rep-2-dd-read.txt" <<'EOF'
8388608 bytes (8.4 MB, 8.0 MiB) copied, 0.7 s, 12.0 MB/s
nt-io: domain=domu irqs_before=0 irqs_after=70 rc=0
nt-io: domain=dom0 irqs_before=0 irqs_after=140 rc=0
EOF
cat >"$d/raw/rep-2-iperf3.txt" <<'EOF'
iperf3: error - unable to connect to server: Connection refused
nt-io: domain=domu irqs_before=0 irqs_after=3 rc=1
nt-io: domain=dom0 irqs_before=0 irqs_after=3 rc=0
EOF
printf 'variant=pv-none\ngrid.row=paravirtual\ngrid.col=none\nspan.0=hv_deliver\nstatus=ok\n' >"$d/meta.txt"
io_results "$d" 2 >>"$d/meta.txt"
g() { sed -n "s/^$1=//p" "$d/meta.txt" | tail -n 1; }
check "dd write seconds as dd reports them ($(g 'result\.dd_write\.1'), $(g 'result\.dd_write\.2'))" \
	test "$(g 'result\.dd_write\.1')" = 2.5 -a "$(g 'result\.dd_write\.2')" = 3.5
check "dd read seconds ($(g 'result\.dd_read\.1'))" test "$(g 'result\.dd_read\.1')" = 0.5
check "iperf3: the receiver line's Mbit/s ($(g 'result\.iperf3\.1'))" test "$(g 'result\.iperf3\.1')" = 36.7
check "iperf3 that failed is 'failed', not a number ($(g 'result\.iperf3\.2'))" test "$(g 'result\.iperf3\.2')" = failed
check "interrupts per second: domU dd write 500 / 2.5 s = 200 ($(g 'result\.irqs_dd_write_domu\.1'))" \
	test "$(g 'result\.irqs_dd_write_domu\.1')" = 200
check "interrupts per second: dom0 iperf3 4000 / 2.00 s (the receiver's interval) = 2000 ($(g 'result\.irqs_iperf3_dom0\.1'))" \
	test "$(g 'result\.irqs_iperf3_dom0\.1')" = 2000
check "planned repetitions recorded" test "$(g 'result\.dd_write\.reps')" = 2
check "every result says what it is" grep -q "^result.dd_write.what=seconds dd took" "$d/meta.txt"

# the hypervisor records: only the measured devices' Xen IRQs (and lost)
cat >"$d/raw/xen-msi.txt" <<'EOF'
(XEN) 0000:00:04.0 - d0 - node -1  - MSIs < 30 31 32 >
(XEN) 0000:00:03.0 - d0 - node -1  - MSIs < 25 26 27 >
EOF
cat >"$d/raw/hv-all.csv" <<'EOF'
source,event,cpu,tsc,irq,vector,seq,dom,aux,flags
hv,hv_entry,0,1000,25,49,,,,
hv,hv_deliver,0,1300,25,49,,0,1000,
hv,hv_entry,0,2000,28,57,,,,
hv,hv_deliver,0,2200,28,57,,0,2000,
hv,lost,1,2500,,,,,7,
hv,hv_entry,1,3000,31,65,,,,
hv,hv_deliver,1,3500,31,65,,0,3000,
hv,hv_entry,1,4000,3,33,,,,
EOF
io_hv_filter "$d"
check "hv.csv keeps the devices' IRQs 25-27, 30-32 and the lost record ($(tail -n +2 "$d/hv.csv" | cut -d, -f2,5 | tr '\n' ' '))" \
	test "$(tail -n +2 "$d/hv.csv" | cut -d, -f5 | tr '\n' ' ')" = "25 25  31 31 "
check "the unfiltered file stays in raw/" test -f "$d/raw/hv-all.csv"
check "the device IRQs are recorded in the variant's meta" grep -q "^hv_device_irqs=30 31 32 25 26 27" "$d/meta.txt"

# the record files a cell brought back: checksums from the domains, rows
# checked with the analyzer's parser (a damaged row is skipped and counted)
say() { echo "$*"; }
bindir=$(dirname "$A") PROG=test VLABEL=pv-none
c=$work/check
mkdir -p "$c/raw"
printf 'source,event,cpu,tsc,irq,vector,seq,dom,aux,flags\nguest,guest_irq,0,100,41,,,,,\n' >"$c/raw/guest-dom0.csv"
{
	printf 'source,event,cpu,tsc,irq,vector,seq,dom,aux,flags\nguest,guest_irq,0,100,41,,,,,\n'
	printf '\0\0\0e\315\275\0\0guest,guest_irq_exit,0,200,41,,,,100,\n'
	printf 'guest,guest_irq_exit,0,300,41,,,,250,\n'
} >"$c/raw/guest-domu.csv"
printf 'tsc_hz=1000000000\n' >"$c/raw/guest-domu.csv.meta"
(cd "$c/raw" && md5sum guest-domu.csv guest-domu.csv.meta) >"$c/raw/sums.txt"
echo "0123456789abcdef0123456789abcdef  guest-dom0.csv" >>"$c/raw/sums.txt"
: >"$c/meta.txt"
if [ -x "$A" ]; then
	io_check_records "$c" >"$work/check.log" 2>&1
	cm() { sed -n "s/^$1=//p" "$c/meta.txt"; }
	check "a file copied unchanged says so ($(cm 'records_copy\.guest-domu\.csv'))" \
		test "$(cm 'records_copy\.guest-domu\.csv')" = "same as written"
	check "a file that changed on the way says so" grep -q "^records_copy.guest-dom0.csv=CHANGED" "$c/meta.txt"
	check "and the runner says it" grep -q "guest-dom0.csv changed on its way" "$work/check.log"
	check "a file of good rows says so" grep -q "^records_check.guest-dom0.csv=every row a record" "$c/meta.txt"
	check "the damaged row is skipped and counted ($(cm 'records_check\.guest-domu\.csv' | cut -c1-40))" \
		grep -q "^records_check.guest-domu.csv=1 damaged row(s) skipped" "$c/meta.txt"
	check "the good rows stay (2: the damaged row's record is lost)" test "$(tail -n +2 "$c/raw/guest-domu.csv" | grep -c "^guest,")" = 2
	check "the file as written is kept" cmp -s "$c/raw/guest-domu.csv.damaged" <(
		printf 'source,event,cpu,tsc,irq,vector,seq,dom,aux,flags\nguest,guest_irq,0,100,41,,,,,\n'
		printf '\0\0\0e\315\275\0\0guest,guest_irq_exit,0,200,41,,,,100,\n'
		printf 'guest,guest_irq_exit,0,300,41,,,,250,\n')
	check "its meta stays with it" grep -q "^tsc_hz=1000000000" "$c/raw/guest-domu.csv.meta"
fi

# nt-analyze tabulates it
printf 'variants=pv-none\ngrid.rows=native passthrough paravirtual\ngrid.cols=none cpu io\nemulated=%s\ntsc_hz=1000000000\n' \
	"$IO_EMULATED" >"$work/run/meta.txt"
if [ -x "$A" ]; then
	"$A" run --no-plots "$work/run" >"$work/analyze.log" 2>&1
	rc=$?
	check "nt-analyze run: exit 0 ($rc)" test $rc = 0
	check "the grid shows the paravirtual/none cell with n=2 for dd" grep -q "| paravirtual | 3 \[" "$work/run/report.md"
	check "the failed iperf3 repetition is counted" grep -q "36.7 (n=1 of 2, 1 failed)" "$work/run/report.md"
	check "cells never run say so" grep -q "| native | not run | not run | not run |" "$work/run/report.md"
	check "span of hv_deliver: 2 samples (300 and 500 cycles)" \
		grep -q "span.0,hv_deliver,exact,2,300,500" "$work/run/summary.csv"
	check "the emulated label on the tables" grep -q "^### dd_write (s), emulated (QEMU TCG)" "$work/run/report.md"
else
	echo "note: $A not built; the analyzer checks are skipped"
fi
[ $fails = 0 ] && echo "all checks passed" || echo "$fails check(s) failed"
[ $fails = 0 ]
