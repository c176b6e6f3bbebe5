#!/usr/bin/env bash
# The runner refuses clearly, writing no run folder: bad usage (exit 2),
# malformed scenario (2), the qemu-xen and hosts testbeds when their pieces
# are missing or the scenario asks for what they do not build (1, naming
# each), non-root for the native testbed (1), programs not built (1,
# suggesting make), a CPU the machine lacks (1 for the runner's own idle
# guard; 2 when a program refuses it: every program checks its arguments
# with --check before anything starts).
# timeout: 120
set -uo pipefail
. "$(dirname "$0")/lib.sh"
res=$(mktemp -d /tmp/nt-scenarios-refuse.XXXXXX)
chmod 755 "$res"
trap 'rm -rf "$res"' EXIT
expect() { # expect RC PATTERN CMD...
	local want=$1 pat=$2; shift 2
	local out rc
	out=$("$@" 2>&1); rc=$?
	[ $rc -eq "$want" ] || { bad "'$*': exit $rc, want $want: $out"; return; }
	grep -qE -- "$pat" <<<"$out" || bad "'$*': no '$pat' in: $out"
}
expect 0 'usage: scenarios/run' "$run" --help
expect 2 'unknown option' "$run" --frobnicate x.scn
expect 2 'no scenario file' "$run"
expect 2 'cannot read scenario' "$run" "$res/none.scn"
expect 2 'one scenario file' "$run" a.scn b.scn
expect 2 "not a variant" "$run" --check --variants baseline,nope "$top/scenarios/native-net-quick.scn"
# --variants: each name once, names separated by commas (not blanks), not empty
expect 2 "'baseline' is given twice" "$run" --check --variants baseline,baseline "$top/scenarios/native-net-quick.scn"
expect 2 "'baseline pinned' is not a variant name" "$run" --check --variants 'baseline pinned' "$top/scenarios/native-net-quick.scn"
expect 2 "'' is not a variant name" "$run" --check --variants '' "$top/scenarios/native-net-quick.scn"
expect 0 "^scenarios/run [0-9a-f]{12}" "$run" --version
printf '[scenario]\ntestbed = native\nbogus\n' >"$res/bad.scn"
expect 2 "bad.scn:3: error" "$run" --results "$res" "$res/bad.scn"

# qemu-xen: says what is missing and runs nothing
expect 1 "testbed 'qemu-xen' is not ready here" "$run" --results "$res" --bin "$res/nobin" "$top/scenarios/xen-net.scn"
expect 1 "program $res/nobin/nt-send" "$run" --results "$res" --bin "$res/nobin" "$top/scenarios/xen-net.scn"
expect 1 "nothing was started" "$run" --results "$res" --bin "$res/nobin" "$top/scenarios/xen-net-100ms.scn"
sed 's/^natsume *= pit/natsume = vector/' "$top/scenarios/xen-timer-quick.scn" >"$res/timer-vector.scn"
expect 1 "the timer experiment measures natsume = off" "$run" --results "$res" "$res/timer-vector.scn"
sed 's/^nic.eval *=.*/nic.eval = e1000e-msix/' "$top/scenarios/xen-net-quick.scn" >"$res/nic.scn"
expect 1 "nic.eval = passthrough only" "$run" --results "$res" "$res/nic.scn"
sed 's/^eval.cpu *=.*/eval.cpu = 7/' "$top/scenarios/xen-net-quick.scn" >"$res/cpu7.scn"
expect 1 "eval.cpu = 7, but the emulated machine has pCPUs 0..1" "$run" --results "$res" "$res/cpu7.scn"
# hosts: with no inventory named, no ssh is attempted
sed '/^inventory/d' "$top/scenarios/hosts-net.scn" >"$res/hosts.scn"
expect 1 "an inventory of the machines: 'inventory = FILE' in \[testbed\]" "$run" --results "$res" "$res/hosts.scn"
# the native testbed refuses Xen keys and probes it does not have
sed 's/^sources *=.*/sources = hv, send/' "$top/scenarios/native-net-quick.scn" >"$res/hv.scn"
expect 1 "no 'hv' probe" "$run" --results "$res" "$res/hv.scn"
printf '[variant x]\nnatsume = cpu\n' | cat "$top/scenarios/native-net-quick.scn" - >"$res/nx.scn"
expect 1 "'natsume' is a Xen setting" "$run" --results "$res" "$res/nx.scn"
# a CPU this machine does not have
sed "s/^idle_guard  = 1/idle_guard  = 4095/" "$top/scenarios/native-net-quick.scn" >"$res/cpu.scn"
expect 1 "idle_guard = 4095, but this machine has CPUs 0" "$run" --results "$res" "$res/cpu.scn"

if [ "$(id -u)" -eq 0 ]; then
	# --check on a good scenario says it is ready and runs nothing
	if [ -x "$bin/nt-analyze" ] && [ -x "$bin/nt-flood" ] && ip netns add "nt-scenarios-$$-chk" 2>/dev/null; then
		ip netns del "nt-scenarios-$$-chk"
		expect 0 "scenario 'native-net' parses; testbed 'native' is ready; variants: baseline pinned rps both" \
			env NT_RUN_BIN="$bin" "$run" --check --results "$res" "$top/scenarios/native-net.scn"
	fi
	# programs missing
	expect 1 "missing programs in $res/nobin: .*nt-flood" \
		"$run" --results "$res" --bin "$res/nobin" "$top/scenarios/native-net-quick.scn"
	expect 1 "build them with \`make\`" \
		"$run" --results "$res" --bin "$res/nobin" "$top/scenarios/native-net-quick.scn"
	# values the scenario parser takes but a program refuses: said before anything starts
	sed "s/^recv.cpu    = 1/recv.cpu    = 1000/" "$top/scenarios/native-net-quick.scn" >"$res/rcpu.scn"
	expect 2 "variant 'pinned': nt-recv: --cpu: CPU 1000 is not available here" \
		env NT_RUN_BIN="$bin" "$run" --results "$res" "$res/rcpu.scn"
	for kv in "probe.interval = 5 ms/probe.interval = 1 ns:nt-send: bad value for --interval" \
		"stallmon.threshold = 200 us/stallmon.threshold = 1 ns:nt-stallmon: bad value for --threshold" \
		"flood.rate     = 20 Mbit\/s/flood.rate = 0.0001 Mbit\/s:nt-flood: bad value for --mbps" \
		"probe.count    = 150/probe.count = 3000000000:nt-send: bad value for --count"; do
		sed "s/^${kv%%:*}/" "$top/scenarios/native-net-quick.scn" >"$res/val.scn"
		expect 2 "${kv#*:}" env NT_RUN_BIN="$bin" "$run" --results "$res" "$res/val.scn"
	done
	# non-root
	if command -v setpriv >/dev/null; then
		expect 1 "needs root" setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$run" --results "$res" "$top/scenarios/native-net-quick.scn"
	fi
fi
left=$(find "$res" -mindepth 1 -maxdepth 1 -type d | grep -v nobin)
[ -z "$left" ] || bad "a refused run wrote a folder: $left"
exit $fail
