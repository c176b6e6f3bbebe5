# Sourced by loadgen/tests/test-*.sh: common set-up (not a test itself).
set -uo pipefail
NT_TOP=${NT_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
NT_BIN=${NT_BIN:-$NT_TOP/build/san/bin}
NT_BUILD=${NT_BUILD:-$NT_TOP/build/san}
HELPER=$NT_BUILD/tests/loadgen/lg-craft
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
fails=0
nss=()
tmp=$(mktemp -d /tmp/nt-loadgen-test.XXXXXX)

cleanup() {
	local p
	for p in $(jobs -p); do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for n in "${nss[@]}"; do ip netns del "$n" 2>/dev/null; done
	# and any other namespace of this test (by its name prefix)
	for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^nt-loadgen-$$-"); do
		ip netns del "$n" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

skip() { echo "SKIP: $*"; exit 77; }
need_netns() {
	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
	command -v ip >/dev/null || skip "needs iproute2 (ip)"
	local probe="nt-loadgen-$$-probe"
	ip netns add "$probe" 2>/dev/null || skip "cannot create network namespaces here (ip netns add failed)"
	ip netns del "$probe"
	for p in nt-flood nt-send nt-recv; do
		[ -x "$NT_BIN/$p" ] || { echo "missing $NT_BIN/$p (build first)"; exit 1; }
	done
}
# mkns VAR NAME: create namespace nt-loadgen-PID-NAME with lo up and put its
# name in VAR.  Not `VAR=$(mkns NAME)`: in a subshell the cleanup list would
# stay empty and the namespace would outlive the test.
mkns() {
	local n="nt-loadgen-$$-$2"
	ip netns add "$n" || { echo "cannot create netns $n"; exit 1; }
	nss+=("$n")
	ip -n "$n" link set lo up
	printf -v "$1" '%s' "$n"
}
ok() { echo "ok   $*"; }
no() { echo "FAIL $*"; fails=$((fails + 1)); }
# expect_eq WHAT GOT WANT
expect_eq() { if [ "$2" = "$3" ]; then ok "$1 = $3"; else no "$1: got '$2', want '$3'"; fi; }
# meta FILE KEY: last value of KEY
meta() { sed -n "s/^$2=//p" "$1" | tail -n1; }
# udp_snmp NS FIELD: a counter of the Udp: line of /proc/net/snmp in NS
udp_snmp() {
	ip netns exec "$1" awk -v f="$2" '/^Udp:/ { if (!h) { for (i = 2; i <= NF; i++) n[$i] = i; h = 1 }
		else { print $(n[f]); exit } }' /proc/net/snmp
}
# rows FILE EVENT: number of CSV records of EVENT
rows() { awk -F, -v e="$2" '$2 == e' "$1" | wc -l; }
# drain_stop NS PORT PID: once the UDP receive queue of PORT in NS is empty,
# SIGINT the receiver PID (if it is still running) and return its exit code
drain_stop() {
	for _ in $(seq 200); do
		kill -0 "$3" 2>/dev/null || break
		[ "$(ip netns exec "$1" ss -Hlun "sport = :$2" | awk '{print $2}')" = 0 ] && break
		sleep 0.1
	done
	sleep 0.2
	kill -INT "$3" 2>/dev/null; wait "$3"
}
# rc_ok RC: the receiver stopped by itself (0) or by drain_stop (130)
rc_ok() { [ "$1" = 0 ] || [ "$1" = 130 ]; }
finish() {
	echo
	if [ "$fails" -eq 0 ]; then echo "PASS: $1"; exit 0; fi
	echo "FAIL: $1: $fails check(s) failed"; exit 1
}
