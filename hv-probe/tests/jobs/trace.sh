# dom0 job of tests/test-xen-qemu.sh (testbed/init runs it from the 9p share).
# Brings the e1000e up, starts tracing the TRC_HW_NATSUME records (with
# nt-hvcollect when the share has it, else Debian's xentrace), tells the host
# to send its frames (ready), waits for it (sent), stops tracing and leaves
# trace.bin (xentrace file format), xl-dmesg.txt and, with the collector,
# hv.csv and hv-summary.txt in the share.
H=/mnt/host
. /etc/nt/lib.sh
nt_modload e1000e || echo "cannot load e1000e"
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
ip link set eth0 up
ip addr add 192.0.2.2/24 dev eth0
sleep 2
xl dmesg >$H/xl-dmesg.txt
if [ -x $H/collector/nt-hvcollect ]; then
	echo "tracing with nt-hvcollect"
	$H/collector/nt-hvcollect live --events natsume --probe-cost \
		-o /tmp/hv.csv --raw /tmp/trace.bin --summary /tmp/hv-summary.txt &
else
	echo "tracing with xentrace"
	xentrace -D -e 0x00804000 -S 64 /tmp/trace.bin &
fi
T=$!
sleep 2
touch $H/ready
i=0
while [ ! -f $H/sent ] && [ $i -lt 300 ]; do sleep 1; i=$((i + 1)); done
sleep 2
kill -INT $T
wait $T
echo "tracer exit $?"
cp /tmp/trace.bin $H/
[ -f /tmp/hv.csv ] && cp /tmp/hv.csv /tmp/hv-summary.txt $H/
grep -E "CPU|eth0" /proc/interrupts
xl dmesg >$H/xl-dmesg.txt
