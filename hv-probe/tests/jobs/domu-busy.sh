# domU job of tests/test-xen-passthrough.sh (/etc/nt/job.sh in the domU image):
# loads e1000e for the passed-through NIC and brings it up, says ready, keeps
# its vCPU busy with a bounded low-priority loop (Natsume-CPU: never idle),
# prints its interrupts.
. /etc/nt/lib.sh
nt_modload e1000e || echo "nt-domu: cannot load e1000e"
ip link set eth0 up 2>/dev/null || { echo "nt-domu: no eth0"; ls /sys/class/net; }
sleep 2
grep -E "CPU|eth0" /proc/interrupts
echo "nt-domu: ready"
end=$(( $(cut -d. -f1 /proc/uptime) + ${NT_DOMU_SECONDS:-90} ))
nice -n 19 sh -c "while [ \$(cut -d. -f1 /proc/uptime) -lt $end ]; do :; done" &
busy=$!
i=0
while [ $i -lt 9 ]; do sleep 10; grep eth0 /proc/interrupts; i=$((i + 1)); done
kill $busy 2>/dev/null
echo "nt-domu: done"
