# SPDX-License-Identifier: GPL-2.0
# dom0-clock.sh: dom0's view of time, for the check that Xen's timekeeping
# still works (the timer experiment takes the PIT away from Xen): dom0's
# uptime (the caller brackets this step with its own clock), its clocksource
# and the clock warnings of its kernel log.
# In: NT_OUT; NT_TAG (before, after).
# Out: dom0-clock-TAG.txt (uptime_s, clocksource, clock_warnings and the
#      lines themselves as warning=).
. "${NT_LIB:-/etc/nt/lib.sh}"
mkdir -p "$NT_OUT" || exit 1
f=$NT_OUT/dom0-clock-${NT_TAG:-now}.txt
{
	echo "uptime_s=$(nt_uptime)"
	echo "clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)"
	dmesg | grep -iE "time went backwards|timekeeping watchdog|clocksource.*unstable|clock.*(skew|warp)" |
		tail -n 5 >/tmp/nt-clockwarn
	echo "clock_warnings=$(wc -l </tmp/nt-clockwarn)"
	sed 's/^/warning=/' /tmp/nt-clockwarn
} >"$f"
rm -f /tmp/nt-clockwarn
exit 0
