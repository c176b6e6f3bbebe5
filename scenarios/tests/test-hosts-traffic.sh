#!/usr/bin/env bash
# The hosts testbed's traffic over real interfaces (scenarios/lib/hosts-traffic.sh),
# in two network namespaces this test creates: A (the senders, 192.0.2.1 on
# veth a0) and B (the evaluation guest's NIC, 192.0.2.2 on b0, nt-recv on
# port 7001; the flood goes to port 9 there).  First both senders local, then
# the probe sender "remote": a real ssh server (dropbear) inside A, so that
# the programs are deployed to it, run there in the background bound to a0,
# and their records come back with their sha256 checked.  Each time: every
# probe received in B, the sender's records complete, the flood's summary,
# --iface a0 on the command lines, every command in commands.log.
# timeout: 300
set -uo pipefail
. "$(dirname "$0")/lib.sh"
need_native
need_progs nt-send nt-flood nt-recv
work=$(mktemp -d /tmp/nt-hosts-traffic.XXXXXX)
chmod 755 "$work"
A=nt-hosts-traffic-$$-a B=nt-hosts-traffic-$$-b
cleanup() {
	[ -f "$work/sshd.pid" ] && kill "$(cat "$work/sshd.pid")" 2>/dev/null
	ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$A" && ip netns add "$B" || { echo "FAIL: cannot create the namespaces"; exit 1; }
ip -n "$A" link add a0 type veth peer name b0 netns "$B"
ip -n "$A" addr add 192.0.2.1/30 dev a0; ip -n "$B" addr add 192.0.2.2/30 dev b0
for n in "$A" "$B"; do ip -n "$n" link set lo up; done
ip -n "$A" link set a0 up; ip -n "$B" link set b0 up

# the scenario: 300 probes at 5 ms, a light flood
cat >"$work/t.hosts" <<EOF
[hosts]
xen = root@xen-unused
xen.eval_cpu = 1
xen.eval_nic = 0000:00:03.0
xen.load_addr = 192.0.2.2
xen.dir = $work/senderdir
guest = root@guest-unused
guest.config = /etc/xen/unused.cfg
guest.addr = 192.0.2.2
send = local
send.iface = a0
flood = local
flood.iface = a0
EOF
sed -e 's|^inventory *=.*|inventory = t.hosts|' -e 's/^probe.count *=.*/probe.count = 300/' \
	-e 's/^probe.interval *=.*/probe.interval = 5 ms/' -e 's|^flood.rate *=.*|flood.rate = 2000 pps|' \
	-e 's/^flood.size *=.*/flood.size = 200 bytes/' "$top/scenarios/hosts-net.scn" >"$work/t.scn"
sed 's/^send *=.*/send = nt-sender/' "$work/t.hosts" >"$work/r.hosts"
echo "ssh.options = -F $work/sshd/ssh_config" >>"$work/r.hosts"
sed 's|^inventory *=.*|inventory = r.hosts|' "$work/t.scn" >"$work/r.scn"

# The runner's side, inside namespace A: one variant with local senders, then
# one with the probe sender over ssh (the ssh server also in A).
cat >"$work/inner.sh" <<'EOF'
set -uo pipefail
top=$1 work=$2 bindir=$3 scn=$4 v=$5 remote=$6
declare -A S
. "$top/scenarios/lib/scn.sh"
. "$top/scenarios/lib/remote.sh"
. "$top/scenarios/lib/hosts-traffic.sh"
scn_load "$("$top/scenarios/run" --parse "$scn")" || exit 2
cmdlog=$work/commands-$v.log
logcmd() { local w=$1; shift; { printf '[%s]' "$w"; printf ' %q' "$@"; printf '\n'; } >>"$cmdlog"; }
cur_variant=$v
if [ "$remote" = 1 ]; then
	. "$top/scenarios/tests/sshd-lib.sh"
	sshd_start "$work/sshd" nt-sender || { echo "ssh server: $SSHD_WHY"; exit 1; }
	echo "$SSHD_PID" >"$work/sshd.pid"
	read -r -a RMT_SSH_OPTS <<<"$(scn hosts.ssh.options)"
	rmt_allow "$(scn hosts.send)"
	hosts_senders_deploy || { echo "deploy: $HT_WHY"; exit 1; }
fi
d=$work/$v
mkdir -p "$d"
hosts_traffic_start "$v" "$d" 4242 60 || { echo "start: $HT_WHY"; exit 1; }
hosts_traffic_wait 30 || echo "the sender did not finish in time"
hosts_traffic_stop "$v" "$d"; rc=$?
echo "send=$HT_RC_SEND flood=$HT_RC_FLOOD fetch=$rc ${HT_WHY}"
[ "$remote" = 1 ] && sshd_stop
exit $rc
EOF

for case in local:0 remote:1; do
	v=${case%:*} remote=${case#*:}
	sc=$work/t.scn
	[ "$remote" = 1 ] && sc=$work/r.scn
	ip netns exec "$B" "$bin/nt-recv" --bind 192.0.2.2:7001 --count 300 --timeout 40 --run-id 4242 \
		--out "$work/recv-$v.csv" >"$work/recv-$v.log" 2>&1 &
	rp=$!
	for ((i = 0; i < 50; i++)); do
		ip netns exec "$B" ss -Hlun 'sport = :7001' | grep -q . && break
		sleep 0.1
	done
	out=$(ip netns exec "$A" bash "$work/inner.sh" "$top" "$work" "$bin" "$sc" "$v" "$remote" 2>&1); rc=$?
	wait $rp
	echo "$v: $out"
	[ $rc = 0 ] || bad "$v: the traffic failed: $out"
	grep -q '^send=0 flood=\(0\|130\|143\) fetch=0' <<<"$out" || bad "$v: exit statuses: $out"
	ns=$(grep -c '^sender,send,' "$work/$v/sender/send.csv" 2>/dev/null)
	nr=$(grep -c '^receiver,rx_user,' "$work/recv-$v.csv" 2>/dev/null)
	[ "${ns:-0}" = 300 ] && [ "${nr:-0}" = 300 ] && echo "ok: $v: 300 probes sent, 300 received in B" ||
		bad "$v: sent ${ns:-none}, received ${nr:-none}"
	[ -f "$work/$v/sender/send.csv.meta" ] || bad "$v: no send.csv.meta"
	grep -q '^mbps_frames=' "$work/$v/sender/flood.meta" 2>/dev/null || bad "$v: no flood summary"
	grep -q -- '--iface a0' "$work/commands-$v.log" || bad "$v: --iface a0 not on the command lines"
	if [ "$remote" = 1 ]; then
		grep -q 'all [0-9]* files match' "$work/$v/sender/fetch-check.txt" 2>/dev/null &&
			grep -q 'send.csv$' "$work/$v/sender/SHA256SUMS.remote" && echo "ok: $v: the sender's files came back checked" ||
			bad "$v: fetch: $(cat "$work/$v/sender/fetch-check.txt" 2>/dev/null)"
		grep -q "nt-sender .*senderdir/bin/nt-send" "$work/commands-$v.log" && echo "ok: $v: nt-send ran over ssh" ||
			bad "$v: no remote nt-send in commands.log"
	fi
done
[ $fail = 0 ] && echo "hosts traffic: local and remote senders over a0, every probe received"
exit $fail
