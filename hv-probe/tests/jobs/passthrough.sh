# dom0 job of tests/test-xen-passthrough.sh (testbed/init runs it from the
# share): passes the e1000e (0000:00:03.0) through to a PV domU whose vCPU is pinned to pCPU 1 (dom0 stays on pCPU 0),
# traces the TRC_HW_NATSUME records while the host sends frames to it, and
# leaves trace.bin, xl-dmesg.txt, domu-console.txt and domu-irqs.txt in the
# share.  The share holds vmlinuz and domu.cpio.gz (the domU image with its
# job, tests/jobs/domu-busy.sh, as /etc/nt/job.sh).
H=/mnt/host
BDF=0000:00:03.0
xl vcpu-pin 0 all 0
xl pci-assignable-add $BDF || { echo "pci-assignable-add failed"; exit 1; }
xl pci-assignable-list
cat >/tmp/eval.cfg <<CFG
name = "eval"
type = "pv"
kernel = "$H/vmlinuz"
ramdisk = "$H/domu.cpio.gz"
extra = "console=hvc0 loglevel=5 nt.job=/etc/nt/job.sh"
memory = 256
vcpus = 1
cpus = "1"
tsc_mode = "native"
pci = [ '$BDF,permissive=1' ]
on_poweroff = "destroy"
CFG
if [ -x $H/collector/nt-hvcollect ]; then
	echo "tracing with nt-hvcollect"
	$H/collector/nt-hvcollect live --events natsume --probe-cost \
		-o /tmp/hv.csv --raw /tmp/trace.bin --summary /tmp/hv-summary.txt &
else
	echo "tracing with xentrace"
	xentrace -D -e 0x00804000 -S 64 /tmp/trace.bin &
fi
T=$!
sleep 1
xl create /tmp/eval.cfg || { echo "xl create failed"; kill -INT $T; exit 1; }
# the domU says "nt-domu: ready" on its console once eth0 is up
i=0
while ! grep -q "nt-domu: ready" /var/log/xen/console/guest-eval.log 2>/dev/null && [ $i -lt 240 ]; do
	sleep 1; i=$((i + 1))
done
echo "domU ready after $i s"
xl list
touch $H/ready
i=0
while [ ! -f $H/sent ] && [ $i -lt 300 ]; do sleep 1; i=$((i + 1)); done
sleep 3
kill -INT $T
wait $T
echo "tracer exit $?"
cp /tmp/trace.bin $H/
[ -f /tmp/hv.csv ] && cp /tmp/hv.csv /tmp/hv-summary.txt $H/
xl dmesg >$H/xl-dmesg.txt
xl shutdown -w eval >/dev/null 2>&1 &
sleep 10
xl destroy eval 2>/dev/null
cp /var/log/xen/console/guest-eval.log $H/domu-console.txt
