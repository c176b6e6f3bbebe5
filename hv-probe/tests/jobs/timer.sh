# dom0 job of tests/test-xen-timer.sh (testbed/init runs it from the share):
# one variant of the timer experiment.  Creates the real-time PV domU "rt"
# (vCPU pinned to pCPU 1, dom0 on pCPU 0), makes it the handler of
# VIRQ_NATSUME_PIT when the variant is natsume, traces TRC_HW_NATSUME while
# the domU stamps its timer and the host floods dom0's e1000, then leaves in
# the share: trace.bin, hv.csv (+ .meta), xl-dmesg.txt, dom0-dmesg.txt,
# dom0-clocksource.txt,
# xl-info.txt, domu-console.txt (the guest's records, gzip + base64: the host
# decodes them) and the dom0 clock marks (t-ready, t-done: /proc/uptime).
# The share holds timer.env (MODE=virq|hrtimer, SECS, the image sizes), vmlinuz, domu.cpio.gz
# (the domU image with tests/jobs/domu-timer.sh as /etc/nt/job.sh) and tools/.
H=/mnt/host
. $H/timer.env
log() { echo "timer-job: $*"; }
xl vcpu-pin 0 all 0
# the domU's kernel and image into dom0's memory, checked against the host's
# sizes (a short read over 9p under a loaded host once broke xl create)
for f in vmlinuz:$KERNEL_SIZE domu.cpio.gz:$IMAGE_SIZE; do
	n=${f%%:*} want=${f#*:} i=0
	while [ $i -lt 3 ]; do
		cp $H/$n /tmp/$n && [ "$(wc -c </tmp/$n)" = "$want" ] && break
		i=$((i + 1)); log "copy of $n: $(wc -c </tmp/$n 2>/dev/null) bytes, want $want (try $i)"
	done
	[ $i -lt 3 ] || { log "cannot copy $n from the share"; exit 1; }
done
xl info >$H/xl-info.txt
ifc=$(ls /sys/class/net | grep -v lo | head -n1)
ip link set "$ifc" up && log "load NIC $ifc up"
cat >/tmp/rt.cfg <<CFG
name = "rt"
type = "pv"
kernel = "/tmp/vmlinuz"
ramdisk = "/tmp/domu.cpio.gz"
extra = "console=hvc0 loglevel=5 nt.job=/etc/nt/job.sh nt.timer=$MODE nt.secs=$SECS"
memory = 256
vcpus = 1
cpus = "1"
tsc_mode = "native"
on_poweroff = "destroy"
CFG
$H/tools/nt-hvcollect live -e natsume --probe-cost -o /tmp/hv.csv --raw /tmp/trace.bin \
	--summary /tmp/hv-summary.txt -d $((SECS + 600)) &
T=$!
sleep 1
xl create /tmp/rt.cfg || { log "xl create failed"; kill -INT $T; exit 1; }
domid=$(xl domid rt)
log "domU rt is d$domid"
if [ "$MODE" = virq ]; then
	$H/tools/nt-virq-handler "$domid" || { kill -INT $T; exit 1; }
fi
con=/var/log/xen/console/guest-rt.log
i=0
while ! grep -q "nt-domu: measuring" $con 2>/dev/null && [ $i -lt 300 ]; do
	sleep 1; i=$((i + 1))
done
grep -q "nt-domu: measuring" $con || { log "the domU never started measuring"; tail -n 30 $con; kill -INT $T; exit 1; }
cut -d' ' -f1 /proc/uptime >$H/t-ready
touch $H/ready
log "domU measuring after $i s"
i=0
while ! grep -q "nt-domu: records end" $con 2>/dev/null && [ $i -lt $((SECS * 4 + 300)) ]; do
	sleep 1; i=$((i + 1))
done
kill -INT $T
wait $T
log "tracer exit $?"
cp /tmp/trace.bin /tmp/hv.csv /tmp/hv.csv.meta /tmp/hv-summary.txt $H/ 2>/dev/null
xl debug-keys i
xl debug-keys z
xl dmesg >$H/xl-dmesg.txt
dmesg >$H/dom0-dmesg.txt
grep "$ifc" /proc/interrupts >$H/dom0-load-irqs.txt
sleep 2
xl destroy rt 2>/dev/null
tr -d '\r' <$con >$H/domu-console.txt
cat /sys/devices/system/clocksource/clocksource0/current_clocksource >$H/dom0-clocksource.txt
cut -d' ' -f1 /proc/uptime >$H/t-done
touch $H/done
