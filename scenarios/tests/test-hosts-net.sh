#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 1500
# The hosts testbed end to end against the emulated Xen host over ssh (issue
# 14's "Done when"): testbed/emu-host.sh plays the remote Xen host (the
# patched Xen under QEMU TCG, reached only by ssh through QEMU's forwarded
# port; its evaluation guest reached by ssh through dom0; the evaluation and
# load NICs on tap devices of a network namespace this test creates, where
# the runner, QEMU and the senders run).  A hosts-net-style scenario with
# two variants (xen, natsume-vector: natsume= needs another boot, so the
# runner reboots the host between them through the inventory's reboot hook):
#   1. the ssh connection of a remote step of the first variant is killed
#      mid-variant: that variant fails with its logs and what could be
#      fetched, the run goes on, the second variant completes;
#   2. `scenarios/run --resume` measures the failed variant again (another
#      reboot) and analyzes the run: check_xen_run.py checks the run folder
#      as for the qemu-xen testbed (joins, natsume flags, the shared line,
#      the load, figures, report labelled emulated); every remote file was
#      fetched with its sha256 checked; every ssh command in commands.log,
#      in batch mode, to the inventory's hosts only; three boots in all.
#      The resume must succeed at once: a program that crashed in the
#      emulated dom0 fails the test (docs/hosts.md: gone with eager-fpu).
# Prints the wall time of each part.  Leaves no QEMU, namespace or file.
# Skips (77) without QEMU, root with namespaces, kernel headers or the
# patched Xen.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: qemu-system-x86_64 is missing"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 is missing"; exit 77; }
command -v ssh >/dev/null || { echo "FAIL: ssh is missing (openssh-client)"; exit 1; }
need_native
need_progs nt-send nt-flood nt-stallmon nt-hostinfo nt-analyze
"$top/guest-probe/scripts/kver.sh" --installed >/dev/null 2>&1 ||
	{ echo "SKIP: no kernel headers for the guest module (guest-probe/scripts/get-kernel.sh)"; exit 77; }
. "$top/testbed/emu.sh"
emu_xen_patched || { echo "SKIP: $EMU_WHY"; exit 77; }
export NT_XEN_IMAGE=$EMU_XEN
work=$(mktemp -d /tmp/nt-hosts-net.XXXXXX)
st=$work/host res=$work/results N=nt-hosts-net-$$
watcher=""
cleanup() {
	[ -n "$watcher" ] && kill "$watcher" 2>/dev/null
	ip netns exec "$N" "$top/testbed/emu-host.sh" stop "$st" >/dev/null 2>&1
	ip netns del "$N" 2>/dev/null
	if [ $fail = 0 ] && [ -z "${NT_KEEP:-}" ]; then rm -rf "$work"; else echo "kept $work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ok() { echo "ok: $*"; }
t0=$(date +%s)
make -s -C "$top/guest-probe" SAN=0 module >"$work/module.log" 2>&1 || { bad "cannot build the guest module: $(tail -n 3 "$work/module.log")"; exit 1; }

# The namespace: loopback (QEMU's forwarded ssh port) and the two NICs' taps
ip netns add "$N" || { bad "cannot create the namespace"; exit 1; }
nx() { ip netns exec "$N" "$@"; }
nx ip link set lo up
nx ip tuntap add dev ntE mode tap && nx ip tuntap add dev ntL mode tap || { bad "cannot create the taps"; exit 1; }
nx ip addr add 192.0.2.1/25 dev ntE
nx ip addr add 203.0.113.1/24 dev ntL
nx ip link set ntE up && nx ip link set ntL up

# The emulated host, first boot without natsume=
nx "$top/testbed/emu-host.sh" start --taps ntE,ntL --guest "$st" "" >"$work/emu-host.log" 2>&1 ||
	{ bad "cannot start the emulated host: $(tail -n 5 "$work/emu-host.log")"; exit 1; }
for ((i = 0; i < 120; i++)); do
	nx ssh -F "$st/ssh_config" -o BatchMode=yes -o ConnectTimeout=5 nt-emu-xen true 2>/dev/null && break
	kill -0 "$(cat "$st/qemu.pid")" 2>/dev/null || break
	sleep 2
done
nx ssh -F "$st/ssh_config" -o BatchMode=yes -o ConnectTimeout=5 nt-emu-xen true ||
	{ bad "the emulated host never answered over ssh: $(tail -n 20 "$st/boot-1/serial.log")"; exit 1; }
echo "emulated host up over ssh after $(( $(date +%s) - t0 )) s"

emu_hosts "$work" "$st" || { bad "cannot write the inventory"; exit 1; }
cat >>"$work/emu.hosts" <<EOF
xen.load_nic = 0000:00:03.1
xen.load_addr = 203.0.113.2
xen.dir = /tmp/nt-harness
guest = nt-emu-guest
guest.name = nt-eval
guest.config = /mnt/tools/nt-eval.cfg
guest.addr = 192.0.2.10
guest.mac = 52:54:00:12:34:03
send = local
send.iface = ntE
flood = local
flood.iface = ntL
EOF
sed -e 's|^inventory *=.*|inventory = emu.hosts|' -e 's/^probe.count *=.*/probe.count = 200/' \
	-e 's|^flood.rate *=.*|flood.rate = 20 Mbit/s|' -e 's/^busy_loop *= no/busy_loop = no\ndom0.cpus = 0/' \
	"$top/scenarios/hosts-net.scn" >"$work/emu.scn"

# 1. Two variants; the ssh connection of the first one's xen-evidence step
# is killed while it runs (the watcher kills that ssh client by its pid).
(
	while [ $SECONDS -lt 900 ]; do # bounded: the first run's part, at most 15 min
		d=$(ls -d "$res"/*-hosts-net 2>/dev/null | head -n1)
		if [ -n "$d" ] && grep -q '\[xen:dom0\].*steps/xen-evidence\.sh' "$d/commands.log" 2>/dev/null; then
			for c in $(grep -lazF 'steps/xen-evidence.sh' /proc/[0-9]*/cmdline 2>/dev/null); do
				a=$(tr '\0' ' ' <"$c" 2>/dev/null) || continue
				case "$a" in ssh\ *) ;; *) continue ;; esac
				[[ $a == *"$(basename "$d")-xen"* ]] || continue
				p=${c#/proc/}
				kill -TERM "${p%/cmdline}" && echo "killed ${p%/cmdline}: $a" >"$work/killed"
				exit 0
			done
		fi
		sleep 0.05
	done
) &
watcher=$!
t1=$(date +%s)
nx "$run" --bin "$bin" --results "$res" --variants xen,natsume-vector "$work/emu.scn" >"$work/run1.log" 2>&1
rc=$?
wait "$watcher"
watcher=""
tr '\r' '\n' <"$work/run1.log" | grep -v '^\[' | tail -n 15
echo "== first run: $(( $(date +%s) - t1 )) s, exit $rc"
d=$(ls -d "$res"/*-hosts-net 2>/dev/null | head -n1)
[ -n "$d" ] || { bad "no run folder"; exit 1; }
[ -f "$work/killed" ] && ok "the ssh client was killed mid-variant: $(cut -c1-100 "$work/killed")" ||
	bad "the watcher found no ssh client of xen-evidence to kill"
[ $rc = 1 ] || bad "first run: exit $rc, want 1 (a variant failed)"
[ "$(meta_get "$d/xen/meta.txt" status)" = failed ] &&
	grep -q '^step_failed=dom0:xen-evidence (' "$d/xen/meta.txt" &&
	[ -s "$d/xen/remote-steps.log" ] && [ -s "$d/xen/SHA256SUMS.dom0" ] &&
	ok "xen failed with its logs: $(meta_get "$d/xen/meta.txt" step_failed); $(wc -l <"$d/xen/SHA256SUMS.dom0") dom0 files fetched" ||
	bad "xen: $(grep -E '^(status|failed|step_failed|fetch_failed)=' "$d/xen/meta.txt" | tr '\n' ' ')"
[ "$(meta_get "$d/natsume-vector/meta.txt" status)" = ok ] &&
	[ "$(meta_get "$d/natsume-vector/meta.txt" boot)" = rebooted ] &&
	ok "natsume-vector: ok after a reboot ($(meta_get "$d/natsume-vector/meta.txt" boot_s) s)" ||
	bad "natsume-vector: $(grep -E '^(status|boot|failed|step_failed)=' "$d/natsume-vector/meta.txt" | tr '\n' ' ')"

# 2. --resume: the failed variant again, then the analysis
t2=$(date +%s)
nx "$run" --bin "$bin" --resume "$d" >"$work/run2.log" 2>&1
rc=$?
tr '\r' '\n' <"$work/run2.log" | grep -v '^\[' | tail -n 12
echo "== resume: $(( $(date +%s) - t2 )) s, exit $rc"
[ $rc = 0 ] || bad "resume: exit $rc"
b=$(meta_get "$d/xen/meta.txt" boot)
[ -d "$d/xen.attempt-1" ] && [ "$b" = rebooted ] &&
	ok "xen measured again after a reboot (boot $b); the failed attempt kept as xen.attempt-1" ||
	bad "resume: xen (boot '$b')"
python3 "$top/scenarios/tests/check_xen_run.py" "$d" || bad "run folder checks"
for v in xen natsume-vector; do
	for h in dom0 guest; do
		if grep -q '^all [0-9]* files match their remote sha256$' "$d/$v/fetch-check-$h.txt" 2>/dev/null; then
			ok "$v: $(cat "$d/$v/fetch-check-$h.txt") ($h)"
		else
			bad "$v: fetch from $h: $(grep "^fetch_failed=$h:" "$d/$v/meta.txt" | head -n 1); $(head -n 3 "$d/$v/fetch-check-$h.txt" 2>&1 | tr '\n' ' ')"
		fi
		# a copy that was tried again: every failed try, with both tars' stderr
		[ -s "$d/$v/fetch-$h.log" ] && sed "s|^|  $v fetch-$h.log: |" "$d/$v/fetch-$h.log" | head -n 30
	done
done
# every ssh command in batch mode, only to the inventory's two hosts
awk '/ ssh / {
	n++
	if ($0 !~ /BatchMode=yes/) { print "no batch mode: " $0; bad = 1 }
	for (i = 1; i < NF; i++) if ($i == "--") { t = $(i + 1); break }
	if (t != "nt-emu-xen" && t != "nt-emu-guest") { print "outside the inventory: " t; bad = 1 }
} END { print n " ssh commands"; exit bad }' "$d/commands.log" && ok "commands.log: every ssh in batch mode, to nt-emu-xen or nt-emu-guest" ||
	bad "commands.log: ssh commands"
[ "$(cat "$st/boots")" = 3 ] && ok "three boots: the first, natsume-vector, xen on resume" || bad "$(cat "$st/boots") boots, want 3"
nx "$top/testbed/emu-host.sh" stop "$st"
left=$(ps -eo args | grep -F "$st" | grep -v grep | grep -c qemu-system)
[ "$left" = 0 ] || bad "$left QEMU process(es) left running"
echo "hosts testbed against the emulated host: $(( $(date +%s) - t0 )) s in all"
[ $fail = 0 ] && echo "PASS"
exit $fail
