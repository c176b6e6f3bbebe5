#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The guest probe's stamping fast path (guest-probe/common/ntgp_ring.h, the
# code the kernel module runs) timed on this host's CPU, next to the module's
# own self-measurement in a guest under QEMU TCG when a previous test run left
# one in build/test-logs/.  Not a test: it asserts nothing about timing.
#
#   guest-probe/bench/bench-stamp.sh [bench-stamp options]   (see --help)
#
# Uses the optimised build (build/rel/bin/bench-stamp; builds it if missing):
# the sanitised variant's figures would measure the sanitizer.
set -euo pipefail
top=${NT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
bench=$top/build/rel/bin/bench-stamp
for a in "$@"; do
	case $a in -h|--help) [ -x "$bench" ] || make -s -C "$top/guest-probe" SAN=0 bench >&2
		exec "$bench" --help ;; esac
done
if [ ! -x "$bench" ] || [ "$top/guest-probe/bench/bench-stamp.c" -nt "$bench" ] ||
   [ "$top/guest-probe/common/ntgp_ring.h" -nt "$bench" ]; then
	make -s -C "$top/guest-probe" SAN=0 bench >&2
fi

echo "host: $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPUs," \
     "load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%Y-%m-%d %H:%M UTC')"
rc=0
out=$("$bench" "$@") || rc=$?
[ "$rc" = 2 ] && exit 2
echo "$out"

# Side by side with the module's self-measurement (calibrated in the guest).
echo
echo "side by side (cycles per stamp, TSC; host = this run, guest = the module's calibration):"
host_cal=$(sed -n 's/^result mode=cal median_cycles=\([0-9.]*\) .*raw_median_cycles=\([0-9.]*\) .*/\2/p' <<<"$out")
host_drain=$(sed -n 's/^result mode=drain median_cycles=\([0-9.]*\) .*raw_median_cycles=\([0-9.]*\) .*/\2/p' <<<"$out")
host_full=$(sed -n 's/^result mode=full median_cycles=\([0-9.]*\) .*raw_median_cycles=\([0-9.]*\) .*/\2/p' <<<"$out")
printf '  %-58s %s\n' "host CPU, module's calibration method (cal), raw median" "${host_cal:-n/a}"
printf '  %-58s %s\n' "host CPU, consumer draining (drain), raw median" "${host_drain:-n/a}"
printf '  %-58s %s\n' "host CPU, ring full / lost path (full), raw median" "${host_full:-n/a}"
found=0
for t in test-qemu-probe test-qemu-xen-dom0; do
	log=$top/build/test-logs/guest-probe_tests_$t.sh.log
	[ -f "$log" ] || continue
	line=$(grep -m1 'nt-guest-read: probe cost' "$log" || true)
	[ -n "$line" ] || continue
	cyc=$(sed -n 's/.*probe cost \([0-9.]*\) cycles\/stamp.*/\1/p' <<<"$line")
	printf '  %-58s %s\n' "guest under QEMU TCG ($t, log of $(date -u -r "$log" '+%Y-%m-%d %H:%M UTC'))" "${cyc:-?}"
	found=1
done
if [ "$found" = 0 ]; then
	echo "  guest under QEMU TCG: no previous run log; get it with"
	echo "    make SAN=1 lib guest-probe && make SAN=1 test-bins && tests/run-tests.sh test-qemu-probe"
	echo "  then rerun this script (it reads build/test-logs/guest-probe_tests_test-qemu-probe.sh.log)"
fi
echo "  (raw = the batch loop's time per stamp with the loop and call included, as the module's"
echo "   calibration reports it; under TCG rdtsc is emulated host time, so the guest figure says"
echo "   nothing about hardware)"
exit $rc
