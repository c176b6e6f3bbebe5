# SPDX-License-Identifier: GPL-2.0
# guest-probe-stop.sh: stop the busy loop and the reader (it drains the module
# and writes its records and meta), keep the guest's view, unload the module.
# In: NT_OUT.  Out: guest.csv and guest.csv.meta (final), guest-read.rc,
#     busyloop.txt, interrupts-after.txt, probe-stats.txt (/proc/nt_guest_probe),
#     guest-dmesg.txt.
. "${NT_LIB:-/etc/nt/lib.sh}"
mkdir -p "$NT_OUT" || exit 1
busy=$(nt_bg_stop nt-busyloop TERM 30)
touch /run/nt-guest.stop
rc=$(nt_bg_stop nt-guest-read - 30)
echo "$rc" >"$NT_OUT/guest-read.rc"
echo "busyloop_exit=$busy" >>"$NT_OUT/busyloop.txt"
cat /proc/interrupts >"$NT_OUT/interrupts-after.txt"
cat /proc/nt_guest_probe >"$NT_OUT/probe-stats.txt" 2>/dev/null
rmmod nt_guest_probe 2>/dev/null
dmesg | tail -n 200 >"$NT_OUT/guest-dmesg.txt"
[ "$rc" = 0 ] || { echo "guest-probe-stop: nt-guest-read exited $rc (see guest-read.log)" >&2; exit 1; }
exit 0
