# domU job of tests/test-xen-timer.sh (/etc/nt/job.sh in the domU image): the
# real-time guest.  Loads the guest module in the timer mode of its kernel
# line (nt.timer=virq: VIRQ_NATSUME_PIT, the PIT that Xen hands over;
# nt.timer=hrtimer: a 1 ms hrtimer through Xen's virtual timer), drains the
# stamps for nt.secs seconds, and prints the records on its console (gzip +
# base64 between markers: a PV domU has no share) for dom0 to pick up.
. /etc/nt/lib.sh
arg() { sed -n "s/.*nt\.$1=\([a-z0-9]*\).*/\1/p" /proc/cmdline; }
mode=$(arg timer) secs=$(arg secs)
case "$mode" in
virq) p="timer=virq timer_virq=17" ;;
hrtimer) p="timer=hrtimer timer_period_us=1000 timer_cpu=0" ;;
*) echo "nt-domu: bad nt.timer='$mode'"; exit 1 ;;
esac
insmod /etc/nt/nt_guest_probe.ko $p rx=0 buf_records=16384 || { echo "nt-domu: insmod failed"; exit 1; }
echo "nt-domu: measuring ($p, $secs s)"
/etc/nt/nt-guest-read -o /tmp/guest.csv -d "$secs" -q
grep -E "^timer|virq_ticks|hr_ticks" /proc/nt_guest_probe | head -n 8
rmmod nt_guest_probe
for f in guest.csv guest.csv.meta; do
	echo "nt-domu: begin $f"
	gzip -c /tmp/$f | base64
	echo "nt-domu: end $f"
done
echo "nt-domu: records end"
