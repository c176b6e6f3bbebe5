#!/usr/bin/env bash
# timeout: 120
# loadgen: --help, bad options, bad numbers and bad/unreachable addresses give
# the documented exit codes (0 / 2) and a one-line error naming the program.
. "$(dirname "$0")/lib.sh"
need_netns
mkns A a
mkns B b
ip link add nt-lg$$a netns "$A" type veth peer name nt-lg$$b netns "$B" || { echo "cannot create veth"; exit 1; }
ip -n "$A" link set nt-lg$$a name v0
ip -n "$B" link set nt-lg$$b name v0
ip -n "$A" addr add 192.0.2.1/24 dev v0 && ip -n "$A" link set v0 up
ip -n "$B" addr add 192.0.2.2/24 dev v0 && ip -n "$B" link set v0 up

# expect RC DESCRIPTION -- COMMAND...: exit code and, for 2, the program's prefix on stderr
expect() {
	local want=$1 what=$2; shift 3
	local prog="" a
	for a in "$@"; do case "$a" in */nt-*) prog=$(basename "$a"); break ;; esac; done
	"$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ $rc -ne "$want" ]; then
		no "$what: exit $rc, want $want ($(head -c 300 "$tmp/err"))"; return
	fi
	if [ "$want" = 2 ] && ! grep -q "^$prog: " "$tmp/err"; then
		no "$what: no '$prog: ' error line on stderr"; return
	fi
	if [ "$want" = 2 ] && [ "$(wc -l <"$tmp/err")" -gt 3 ]; then
		no "$what: error is not short"; return
	fi
	ok "$what: exit $want${want:+ }$(head -n1 "$tmp/err")"
}
inA() { ip netns exec "$A" "$@"; }
F=$NT_BIN/nt-flood S=$NT_BIN/nt-send R=$NT_BIN/nt-recv

for p in "$F" "$S" "$R"; do
	expect 0 "$(basename "$p") --help" -- "$p" --help
	grep -q '^usage: ' "$tmp/out" || no "$(basename "$p") --help prints no usage line"
	expect 2 "$(basename "$p") without options" -- "$p"
	expect 2 "$(basename "$p") --bogus" -- "$p" --bogus
done

# nt-send: options and numbers
expect 2 "send: missing --interval" -- inA "$S" --dst 192.0.2.2:9000 --count 5
expect 2 "send: --count 0" -- inA "$S" --dst 192.0.2.2:9000 --count 0 --interval 1ms
expect 2 "send: --count x" -- inA "$S" --dst 192.0.2.2:9000 --count x --interval 1ms
expect 2 "send: --interval 10xs" -- inA "$S" --dst 192.0.2.2:9000 --count 5 --interval 10xs
expect 2 "send: --size 10" -- inA "$S" --dst 192.0.2.2:9000 --count 5 --interval 1ms --size 10
expect 2 "send: --fifo 100" -- inA "$S" --dst 192.0.2.2:9000 --count 5 --interval 1ms --fifo 100
expect 2 "send: --spin >= --interval" -- inA "$S" --dst 192.0.2.2:9000 --count 5 --interval 1ms --spin 2ms
expect 2 "send: stray argument" -- inA "$S" --dst 192.0.2.2:9000 --count 5 --interval 1ms extra
# addresses
expect 2 "send: address 999.0.2.2:9000" -- inA "$S" --dst 999.0.2.2:9000 --count 5 --interval 1ms
expect 2 "send: address without port" -- inA "$S" --dst 192.0.2.2 --count 5 --interval 1ms
expect 2 "send: port 70000" -- inA "$S" --dst 192.0.2.2:70000 --count 5 --interval 1ms
expect 2 "send: host name" -- inA "$S" --dst host.example:9000 --count 5 --interval 1ms
expect 2 "send: unreachable 198.51.100.7 (no route)" -- inA "$S" --dst 198.51.100.7:9000 --count 5 --interval 1ms
expect 2 "send: --src not local" -- inA "$S" --dst 192.0.2.2:9000 --src 192.0.2.9 --count 5 --interval 1ms
expect 2 "send: --iface missing" -- inA "$S" --dst 192.0.2.2:9000 --iface nosuch0 --count 5 --interval 1ms
# nt-recv
expect 2 "recv: neither --count nor --duration" -- inA "$R" --bind 192.0.2.1:9000
expect 2 "recv: --bind not local" -- inA "$R" --bind 192.0.2.77:9000 --count 1
expect 2 "recv: --bind bad" -- inA "$R" --bind 192.0.2.1:x --count 1
expect 2 "recv: --duration 0" -- inA "$R" --bind 192.0.2.1:9000 --duration 0
expect 2 "recv: --rcvbuf 1" -- inA "$R" --bind 192.0.2.1:9000 --count 1 --rcvbuf 1
# nt-flood
expect 2 "flood: --rate and --mbps" -- inA "$F" --dst 192.0.2.2:9000 --rate 10 --mbps 1 --count 1
expect 2 "flood: --rate 0" -- inA "$F" --dst 192.0.2.2:9000 --rate 0 --count 1
expect 2 "flood: --backend foo" -- inA "$F" --dst 192.0.2.2:9000 --backend foo --count 1
expect 0 "flood: packet without --iface (the route's)" -- inA "$F" --dst 192.0.2.2:9000 --backend packet --count 1 --quiet
expect 2 "flood: txring IPv6" -- inA "$F" --dst [2001:db8::2]:9000 --backend txring --count 1
expect 2 "flood: txring --size 1473" -- inA "$F" --dst 192.0.2.2:9000 --backend txring --size 1473 --count 1
expect 2 "flood: txring on loopback" -- inA "$F" --dst 127.0.0.1:9000 --backend txring --count 1
expect 2 "flood: --cpu 0,0" -- inA "$F" --dst 192.0.2.2:9000 --cpu 0,0 --count 1
expect 2 "flood: --cpu 1-0" -- inA "$F" --dst 192.0.2.2:9000 --cpu 1-0 --count 1
expect 2 "flood: --cpu 0," -- inA "$F" --dst 192.0.2.2:9000 --cpu 0, --count 1
expect 2 "flood: --cpu not allowed" -- inA "$F" --dst 192.0.2.2:9000 --cpu $(nproc) --count 1
expect 2 "flood: packet IPv6" -- inA "$F" --dst [2001:db8::2]:9000 --backend packet --iface v0 --count 1
expect 2 "flood: packet --size 2000" -- inA "$F" --dst 192.0.2.2:9000 --backend packet --iface v0 --size 2000 --count 1
expect 2 "flood: --dst-mac bad" -- inA "$F" --dst 192.0.2.2:9000 --backend packet --iface v0 --dst-mac 1:2:3 --count 1
expect 2 "flood: --qdisc-bypass with sendmmsg" -- inA "$F" --dst 192.0.2.2:9000 --qdisc-bypass --count 1
expect 2 "flood: --batch 0" -- inA "$F" --dst 192.0.2.2:9000 --batch 0 --count 1
expect 2 "flood: unreachable 198.51.100.7" -- inA "$F" --dst 198.51.100.7:9000 --count 1
expect 2 "flood: neighbour not resolvable" -- inA "$F" --dst 192.0.2.99:9000 --backend packet --iface v0 --count 1
expect 0 "flood: default back end, neighbour not resolvable" -- inA "$F" --dst 192.0.2.99:9000 --count 1
grep -q 'backend sendmmsg (auto; txring not possible: cannot resolve the MAC of 192.0.2.99' "$tmp/out" &&
	ok "falls back to sendmmsg and says why" || no "fallback not said: $(head -n1 "$tmp/out")"
# a broken clock override is a runtime failure, not a usage error
expect 1 "send: NT_TSC_HZ=fast" -- inA env NT_TSC_HZ=fast "$S" --dst 192.0.2.2:9000 --count 1 --interval 1ms --quiet
# and the same command with a valid override works
expect 0 "send: NT_TSC_HZ=2.5G" -- inA env NT_TSC_HZ=2.5G "$S" --dst 192.0.2.2:9000 --count 2 --interval 1ms --quiet
finish test-usage
