#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 120
# Command-line behaviour of nt-guest-read and nt-busyloop on the host (the
# module itself is exercised by test-qemu-probe.sh): usage errors exit 2,
# a missing device is a clear runtime error, the busy loop pins itself, runs
# at SCHED_IDLE, is bounded, and a SIGINT stops it with a summary and 130.
set -uo pipefail
top=${NT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${NT_BIN:-$top/build/san/bin}
R=$bin/nt-guest-read B=$bin/nt-busyloop
[ -x "$R" ] && [ -x "$B" ] || { echo "FAIL: programs not built in $bin"; exit 1; }
fail=0
t() { # DESCRIPTION EXPECTED_RC CMD...
	local what=$1 want=$2 rc out
	shift 2
	out=$("$@" 2>&1 </dev/null)
	rc=$?
	if [ "$rc" = "$want" ]; then echo "ok    $what (exit $rc)"; else
		echo "FAIL  $what: exit $rc, wanted $want"; echo "$out" | tail -n 5; fail=1; fi
	LAST=$out
}
work=$(mktemp -d)
trap 'rm -rf "$work"; [ -n "${bp:-}" ] && kill "$bp" 2>/dev/null' EXIT

t "nt-guest-read --help" 0 "$R" --help
t "nt-guest-read without -o" 2 "$R"
t "nt-guest-read bad option" 2 "$R" --bogus -o x.csv
t "nt-guest-read --interval -1" 2 "$R" -o x.csv --interval -1
t "nt-guest-read --duration abc" 2 "$R" -o x.csv -d abc
t "nt-guest-read --watch-irq -1" 2 "$R" -o x.csv --watch-irq -1
t "nt-guest-read extra argument" 2 "$R" -o x.csv extra
t "nt-guest-read with no device" 1 "$R" -o "$work/x.csv" --dev "$work/nodev"
case "$LAST" in *"cannot open $work/nodev"*"nt_guest_probe.ko"*) echo "ok    clear message: $LAST" ;;
*) echo "FAIL  message for a missing device: $LAST"; fail=1 ;; esac

# The drain loop sleeps in ppoll() on the device: a FIFO stands in for it here
# (non-blocking reads give EAGAIN when it is empty, like the module's rings;
# the module's own blocking read and poll are tested in the QEMU guest).
mkfifo "$work/dev"
exec 7<>"$work/dev" # a writer that stays, so the FIFO never reads as EOF
printf 'version=1\nkernel=test\ntsc_khz=1000000\ncpu=0 stamps=3 lost=0\ncpu=1 stamps=0 lost=0\n' >"$work/stats"
RD=(--dev "$work/dev" --stats "$work/stats" --cal-ms 10)
meta() { sed -n "s/^$1=//p" "$2"; }
t0=$(date +%s%N)
t "nt-guest-read idle for 1.5 s" 0 "$R" -o "$work/idle.csv" -d 1.5 "${RD[@]}"
el=$((($(date +%s%N) - t0) / 1000000))
wk=$(meta guest.reader_wakeups "$work/idle.csv.meta")
# a reader polling every 10 ms would wake ~150 times
if [ -n "$wk" ] && [ "$wk" -le 3 ] && [ $el -ge 1400 ] && [ $el -lt 4000 ]; then
	echo "ok    idle reader slept: $wk wakeups in $el ms"
else echo "FAIL  idle reader: $wk wakeups in $el ms"; fail=1; fi
# the end of the recording window: the TSC just before the final drain, inside
# the reader's run; no module here, so no start (the module's stamp_tsc_start)
m=$work/idle.csv.meta
ts=$(meta guest.tsc_start "$m") te=$(meta guest.tsc_end "$m") se=$(meta guest.stamp_tsc_end "$m")
if [ -n "$se" ] && [ -n "$ts" ] && [ -n "$te" ] && [ "$ts" -le "$se" ] && [ "$se" -le "$te" ] &&
	! grep -q '^guest.stamp_tsc_start=' "$m"; then
	echo "ok    guest.stamp_tsc_end $se within the reader's run [$ts, $te]; no stamp_tsc_start without the module"
else echo "FAIL  recording window in the meta: start '$(meta guest.stamp_tsc_start "$m")' end '$se' reader [$ts, $te]"; fail=1; fi
# records arriving while it sleeps are read; the stop file ends it at once
(sleep 0.3; /usr/bin/python3 -c '
import struct, sys
with open(sys.argv[1], "wb") as f:
    for i in range(3):  # guest_irq on cpu 0, irq 24
        f.write(struct.pack("<QQQIIHHHBB", 1000 + i, 2**64 - 1, 2**64 - 1, 24, 0, 0xffff, 0xffff, 0, 2, 6))
' "$work/dev"; sleep 0.5; touch "$work/stop") &
t0=$(date +%s%N)
t "nt-guest-read until a stop file" 0 "$R" -o "$work/rec.csv" --stop-file "$work/stop" "${RD[@]}"
el=$((($(date +%s%N) - t0) / 1000000))
n=$(grep -c '^guest,guest_irq,0,100[012],24,' "$work/rec.csv")
if [ "$n" = 3 ] && [ $el -lt 3000 ]; then echo "ok    3 records read, stopped by the stop file after $el ms"
else echo "FAIL  records $n (want 3), stop after $el ms"; fail=1; fi
# a signal while it sleeps: exit 130 at once
"$R" -o "$work/sig.csv" "${RD[@]}" >"$work/sig.out" 2>&1 &
rp=$!
sleep 0.5
t0=$(date +%s%N)
kill -INT $rp
wait $rp
rc=$?
el=$((($(date +%s%N) - t0) / 1000000))
if [ $rc = 130 ] && [ $el -lt 2000 ]; then echo "ok    SIGINT while sleeping: exit 130 after $el ms"
else echo "FAIL  SIGINT while sleeping: exit $rc after $el ms"; fail=1; fi
exec 7>&-

t "nt-busyloop --help" 0 "$B" --help
t "nt-busyloop without arguments" 2 "$B"
t "nt-busyloop --duration 0" 2 "$B" -c 0 -d 0
t "nt-busyloop --duration too long" 2 "$B" -c 0 -d 1e9
t "nt-busyloop --cpu x" 2 "$B" -c x -d 1
t "nt-busyloop --policy rt" 2 "$B" -c 0 -d 1 --policy rt
t "nt-busyloop on a CPU that does not exist" 2 "$B" -c 4000 -d 0.1
t "nt-busyloop 0.3 s on CPU 0" 0 "$B" -c 0 -d 0.3
case "$LAST" in *"cpu 0 (ended on 0), SCHED_IDLE,"*"s wall (CLOCK_MONOTONIC)"*) echo "ok    summary: $LAST" ;;
*) echo "FAIL  summary: $LAST"; fail=1 ;; esac
t "nt-busyloop --policy nice" 0 "$B" -c 0 -d 0.1 --policy nice
case "$LAST" in *"nice 19"*) ;; *) echo "FAIL  nice summary: $LAST"; fail=1 ;; esac

# while it runs: policy SCHED_IDLE (5) in /proc/PID/stat field 41, pinned; then SIGINT -> 130
"$B" -c 0 -d 60 >"$work/bl.out" 2>&1 &
bp=$!
sleep 0.5
pol=$(awk '{print $41}' /proc/$bp/stat 2>/dev/null)
aff=$(awk '/^Cpus_allowed_list/ {print $2}' /proc/$bp/status 2>/dev/null)
kill -INT $bp
wait $bp
rc=$?
bp=
if [ "$pol" = 5 ] && [ "$aff" = 0 ] && [ $rc = 130 ] && grep -q "SCHED_IDLE" "$work/bl.out"; then
	echo "ok    running busy loop: policy $pol (SCHED_IDLE), CPUs $aff, SIGINT -> exit $rc with summary"
else
	echo "FAIL  running busy loop: policy '$pol' CPUs '$aff' exit $rc: $(cat "$work/bl.out")"; fail=1
fi
exit $fail
