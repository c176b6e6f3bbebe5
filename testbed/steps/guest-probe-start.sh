# SPDX-License-Identifier: GPL-2.0
# guest-probe-start.sh: start stamping in the guest: the module on the
# evaluation NIC's handler, nt-guest-read draining it, and (Natsume-CPU) the
# busy loop that keeps the vCPU out of idle at the lowest priority.
# In: NT_OUT; NT_IRQ_NAME, NT_IRQ (from guest-nic.sh); NT_RUN_ID, NT_PROBE_PORT
#     (only these probes make guest_pkt records); NT_BUFREC (records per CPU,
#     default 262144); NT_BUSY (1: busy loop), NT_BUSY_CPU (default 0);
#     NT_SECONDS (bound of the reader and the busy loop); NT_MOD_ARGS (more
#     module parameters, e.g. the timer experiment's timer=virq timer_virq=17).
# Out: guest.csv (+ .meta) as nt-guest-read writes it, interrupts-before.txt,
#      busyloop.txt.
. "${NT_LIB:-/etc/nt/lib.sh}"
mkdir -p "$NT_OUT" || exit 1
fail() { echo "guest-probe-start: $*" >&2; exit 1; }
ko=${NT_GUEST_KO:-/lib/nt/nt_guest_probe.ko}
grep -q '^nt_guest_probe ' /proc/modules && rmmod nt_guest_probe
insmod "$ko" names="$NT_IRQ_NAME" run_id="$NT_RUN_ID" port="${NT_PROBE_PORT:-0}" \
	buf_records="${NT_BUFREC:-262144}" ${NT_MOD_ARGS:-} || fail "insmod $ko failed: $(dmesg | grep nt_guest_probe | tail -n 1)"
cat /proc/interrupts >"$NT_OUT/interrupts-before.txt"
rm -f /run/nt-guest.stop /run/nt-guest.ready
nt_bg nt-guest-read "$NT_OUT/guest-read.log" nt-guest-read --out "$NT_OUT/guest.csv" --watch-irq "$NT_IRQ" \
	--stop-file /run/nt-guest.stop --ready-file /run/nt-guest.ready --duration "${NT_SECONDS:-600}"
nt_wait_file /run/nt-guest.ready 20 || fail "nt-guest-read did not start: $(tail -n 2 "$NT_OUT/guest-read.log")"
if [ "${NT_BUSY:-0}" = 1 ]; then
	nt_bg nt-busyloop "$NT_OUT/busyloop.txt" nt-busyloop --cpu "${NT_BUSY_CPU:-0}" --duration "${NT_SECONDS:-600}" \
		--policy idle
	sleep 0.5
	nt_bg_alive nt-busyloop || fail "nt-busyloop ended at once: $(cat "$NT_OUT/busyloop.txt")"
fi
exit 0
