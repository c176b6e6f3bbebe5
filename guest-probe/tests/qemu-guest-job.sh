# SPDX-License-Identifier: GPL-2.0
# The guest's job in the guest-probe QEMU test (busybox sh; testbed/init runs
# it from the 9p share on /mnt/host once the image's modules are loaded).
# Talks to the host test (test-qemu-probe.sh) through files in the share: the
# guest creates ready-*/done-* files, the host creates sent-*/flooding-*.
# Every wait is bounded; when the job ends (at the end or on a failure) the
# guest powers off.
H=/mnt/host
. $H/config
echo "NTG: job up, kernel $(uname -r)"

log() { echo "NTG: $*"; echo "$*" >>$H/guest.log; }
bye() { log "$*"; dmesg >$H/dmesg.txt; sync; touch $H/all-done; sync; exit 0; }
wait_file() { # FILE SECONDS
	i=0
	while [ ! -e "$1" ]; do
		sleep 0.2
		i=$((i + 1))
		[ $i -ge $(($2 * 5)) ] && return 1
	done
	return 0
}
KO=/nt_guest_probe.ko

# ---- NICs: find them by MAC, bring them up, find their IRQs
for d in /sys/class/net/*; do
	case "$(cat $d/address)" in
	"$MAC_E") IFE=${d##*/} ;;
	"$MAC_A") IFA=${d##*/} ;;
	"$MAC_B") IFB=${d##*/} ;;
	esac
done
[ -n "$IFE" ] && [ -n "$IFA" ] && [ -n "$IFB" ] || bye "FAIL NICs not found (e1000e=$IFE e1000=$IFA,$IFB)"
for i in $IFE $IFA $IFB; do ip link set "$i" up; done
for i in $IFE $IFA $IFB; do
	n=0
	while [ "$(cat /sys/class/net/$i/carrier 2>/dev/null)" != 1 ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
done
RXIRQ=$(grep " $IFE-rx-0\$" /proc/interrupts | cut -d: -f1 | tr -d ' ')
TXIRQ=$(grep " $IFE-tx-0\$" /proc/interrupts | cut -d: -f1 | tr -d ' ')
SHA=$(cat /sys/class/net/$IFA/device/irq)
SHB=$(cat /sys/class/net/$IFB/device/irq)
cat /proc/interrupts >$H/interrupts-0.txt
cat >$H/info <<EOF
IFE=$IFE
IFA=$IFA
IFB=$IFB
RXIRQ=$RXIRQ
TXIRQ=$TXIRQ
SHA=$SHA
SHB=$SHB
EOF
log "NICs: e1000e $IFE (rx irq $RXIRQ), e1000 $IFA (irq $SHA), $IFB (irq $SHB)"
[ -n "$RXIRQ" ] || bye "FAIL no MSI-X rx vector for $IFE"

# ---- bad parameters are refused with a message
: >$H/badparams.txt
for p in irqs=abc irqs=5000 irqs=1,,2 names=this-name-is-far-too-long-for-a-handler \
	'names=a*b' buf_records=100 buf_records=8 buf_records=4194304 timer=pit \
	timer_period_us=5 timer_cpu=64 run_id=-3 port=70000 irq_exit=maybe; do
	dmesg -c >/dev/null
	insmod $KO "$p" 2>/dev/null
	rc=$?
	msg=$(dmesg | grep 'nt_guest_probe: ' | grep -v taint | head -n 1)
	loaded=$(grep -c '^nt_guest_probe ' /proc/modules)
	echo "$p|$rc|$loaded|$msg" >>$H/badparams.txt
	[ "$loaded" = 0 ] || rmmod nt_guest_probe
done

# ---- phase 0: blocking read and poll(); every allocation failing in turn
P=/sys/module/nt_guest_probe/parameters
: >$H/block.txt
insmod $KO rx=0 || bye "FAIL insmod phase 0 idle"
ntgp-block idle >>$H/block.txt 2>&1
echo "idle exit=$?" >>$H/block.txt
rmmod nt_guest_probe
insmod $KO rx=0 timer=hrtimer timer_period_us=1000000 || bye "FAIL insmod phase 0 wake"
ntgp-block wake >>$H/block.txt 2>&1
echo "wake exit=$?" >>$H/block.txt
rmmod nt_guest_probe
dmesg -c >/dev/null
: >$H/failalloc.txt
for n in $(seq 1 20); do
	insmod $KO rx=0 fail_alloc=$n 2>/dev/null
	rc=$?
	loaded=$(grep -c '^nt_guest_probe ' /proc/modules)
	echo "load fail_alloc=$n rc=$rc loaded=$loaded" >>$H/failalloc.txt
	[ "$loaded" = 0 ] || rmmod nt_guest_probe
done
insmod $KO rx=0 irqs=5 || bye "FAIL insmod phase 0 live"
echo 1 >$P/fail_alloc
echo 7 >$P/irqs 2>/dev/null
echo "live write with a failing allocation rc=$? irqs=$(cat $P/irqs)" >>$H/failalloc.txt
echo 7 >$P/irqs
echo "live write rc=$? irqs=$(cat $P/irqs)" >>$H/failalloc.txt
rmmod nt_guest_probe
dmesg -c >$H/failalloc-dmesg.txt

# ---- phase 1: seq ties on MSI-X and on the shared INTx line, a flood on it
dmesg -c >/dev/null
# run_id: only the periodic sender's packets (0x51) make guest_pkt records, not the flood's
insmod $KO names=$IFE-rx-0 irqs=$SHA buf_records=65536 run_id=81 irq_exit=1 || bye "FAIL insmod phase 1"
{
	echo abc >$P/irqs 2>/dev/null && echo "irqs=abc accepted" || echo "irqs=abc refused"
	echo "irqs now $(cat $P/irqs)"
	echo "$SHA,$SHB" >$P/irqs && echo "irqs=$SHA,$SHB accepted"
	echo "irqs now $(cat $P/irqs)"
	echo "$SHA-$((SHA + 2))" >$P/irqs && echo "range accepted: $(cat $P/irqs)"
	echo "$SHA" >$P/irqs
	echo "irqs now $(cat $P/irqs)"
	echo "names now $(cat $P/names)"
	dmesg | grep nt_guest_probe
} >$H/control.txt 2>&1
nt-guest-read -o $H/p1.csv --watch-irq "$RXIRQ" --watch-irq "$SHA" --stop-file /tmp/stop-p1 --ready-file $H/ready-p1 \
	>$H/p1.reader.txt 2>&1 &
RP=$!
wait_file $H/ready-p1 60
nt-guest-read -o /tmp/second.csv -d 1 >$H/second-reader.txt 2>&1
echo "exit=$?" >>$H/second-reader.txt
wait_file $H/sent-p1 300 || bye "FAIL timeout waiting for sent-p1"
sleep 1
touch /tmp/stop-p1
wait $RP
echo "exit=$?" >>$H/p1.reader.txt
cat /proc/nt_guest_probe >$H/p1.stats
cat /proc/interrupts >$H/interrupts-1.txt
rmmod nt_guest_probe || log "FAIL rmmod phase 1"
touch $H/done-p1

# ---- phase 2: a small ring overflows; losses are counted exactly
insmod $KO names=$IFE-rx-0 irqs=$SHA buf_records=16 || bye "FAIL insmod phase 2"
nt-guest-read -o $H/p2.csv --interval 4s --stop-file /tmp/stop-p2 --ready-file $H/ready-p2 >$H/p2.reader.txt 2>&1 &
RP=$!
wait_file $H/sent-p2 300 || bye "FAIL timeout waiting for sent-p2"
sleep 1
# stop stamping through the control files, so the counters are final
echo none >$P/irqs
echo none >$P/names
echo 4294967295 >$P/run_id
sleep 0.5
touch /tmp/stop-p2
wait $RP
echo "exit=$?" >>$H/p2.reader.txt
cat /proc/nt_guest_probe >$H/p2.stats
rmmod nt_guest_probe || log "FAIL rmmod phase 2"
touch $H/done-p2

# ---- phase 3: timer stamps (hrtimer 1 ms on CPU 1 with the busy loop there; APIC timer on CPU 0)
insmod $KO timer=hrtimer timer_period_us=1000 timer_cpu=1 rx=0 || bye "FAIL insmod phase 3"
nt-busyloop -c 1 -d 2 >$H/busyloop.txt 2>&1 &
BP=$!
nt-guest-read -o $H/p3.csv -d 2.5 >$H/p3.reader.txt 2>&1
echo "exit=$?" >>$H/p3.reader.txt
wait $BP
echo "exit=$?" >>$H/busyloop.txt
rmmod nt_guest_probe || log "FAIL rmmod phase 3a"
if [ "$MODE" = xen-dom0 ]; then
	# a PV kernel has no local APIC timer interrupt (Xen's timer is an event channel)
	echo "PV guest: no local APIC timer" >$H/p3b.skipped
	ARGS4="timer=hrtimer timer_cpu=1"
else
	insmod $KO timer=apic timer_cpu=0 rx=0 || bye "FAIL insmod phase 3b"
	nt-guest-read -o $H/p3b.csv -d 1.5 >$H/p3b.reader.txt 2>&1
	echo "exit=$?" >>$H/p3b.reader.txt
	rmmod nt_guest_probe || log "FAIL rmmod phase 3b"
	ARGS4="timer=apic"
fi
touch $H/done-p3

# ---- phase 4: unload and reload under an interrupt flood on all three NICs
dmesg -c >$H/dmesg-before-p4.txt
ARGS="names=$IFE-rx-0,$IFE-tx-0,$IFB irqs=$SHA $ARGS4 buf_records=64 irq_exit=1"
insmod $KO $ARGS || bye "FAIL insmod phase 4"
nt-guest-read -o /tmp/p4.csv --interval 50ms >$H/p4.reader.txt 2>&1 &
RP=$!
touch $H/ready-p4
wait_file $H/flooding-p4 120 || bye "FAIL timeout waiting for flooding-p4"
sleep 1
c0=$(grep " $IFB\$\| $IFA, $IFB\$" /proc/interrupts | head -n1)
# change the selection 160 times while stamping (RCU swap under load)
bad=0
for i in $(seq 1 40); do
	echo "$SHA,$RXIRQ" >$P/irqs || bad=$((bad + 1))
	echo "$IFE-rx-0,$IFB" >$P/names || bad=$((bad + 1))
	echo none >$P/irqs || bad=$((bad + 1))
	echo "$IFE*" >$P/names || bad=$((bad + 1))
done
echo "control churn 160 writes, failed $bad" >$H/p4.churn.txt
kill -INT $RP
wait $RP
echo "exit=$?" >>$H/p4.reader.txt
: >$H/p4.unload.txt
rmmod nt_guest_probe
echo "rmmod 0 rc=$?" >>$H/p4.unload.txt
for i in 1 2 3 4 5; do
	insmod $KO $ARGS
	echo "insmod $i rc=$?" >>$H/p4.unload.txt
	if [ $((i % 2)) = 1 ]; then
		nt-guest-read -o /tmp/p4-$i.csv -d 0.3 -q
		echo "reader $i rc=$?" >>$H/p4.unload.txt
	else
		sleep 0.3
	fi
	rmmod nt_guest_probe
	echo "rmmod $i rc=$?" >>$H/p4.unload.txt
done
c1=$(grep " $IFB\$\| $IFA, $IFB\$" /proc/interrupts | head -n1)
echo "shared line before: $c0" >>$H/p4.unload.txt
echo "shared line after:  $c1" >>$H/p4.unload.txt
touch $H/done-p4
sleep 1
bye "guest done"
