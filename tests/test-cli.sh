#!/usr/bin/env bash
# timeout: 600
# The shared command-line table (docs/conventions.md): every program passes
# the same checks.
#   -h and --help: exit 0, "usage: NAME" on stdout, nothing on stderr
#   --version: "NAME REVISION" (the git revision), exit 0
#   an unknown option, a bad value: exit 2, one line "NAME: ... (see NAME --help)"
#   --check with good arguments: exit 0, nothing run
#   SIGINT / SIGTERM 50 ms after the program caught it (the skeleton installs
#     its handlers first; 50 ms later it is inside the set-up or the TSC
#     calibration): exit 130 / 143 within 5 s, an outcome line naming the
#     signal, exit_status in the .meta
#   a full disk (a 160 KiB tmpfs this test mounts): a record source exits 1,
#     the loss said on stderr and counted in the .meta; the .meta is still
#     written; the file's rows are the `records` key, and written + lost is
#     everything produced.  A program without records, on a disk that is full
#     from the start: exit 1 and a one-line "No space left on device".
#   the options in --help are the options of the program's row in
#     docs/conventions.md
# Runs as root (a network namespace with loopback only, a tmpfs mount), both
# removed at the end.
set -uo pipefail
top=${NT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
bin=${NT_BIN:-$top/build/san/bin}
fail=0
bad() { echo "FAIL: $*"; fail=1; }
ok() { echo "ok   $*"; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespace, tmpfs mount)"; exit 77; }
tmp=$(mktemp -d /tmp/nt-cli.XXXXXX)
ns=nt-cli-$$
mnt=$tmp/full
cleanup() {
	local p
	for p in $(jobs -p); do kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	mountpoint -q "$mnt" && umount "$mnt"
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns" || { echo "SKIP: cannot create a network namespace"; exit 77; }
ip -n "$ns" link set lo up
mkdir -p "$mnt"
inns() { ip netns exec "$ns" "$@"; }
meta() { sed -n "s/^$2=//p" "$1" | tail -n1; }
# the revision the programs were built from (lib/Makefile keeps it there)
build=${NT_BUILD:-$top/build/san}
rev=$(cat "$build/git-rev.txt" 2>/dev/null)
[[ $rev =~ ^[0-9a-f]{12}(-dirty)?$ ]] || { echo "FAIL: no git revision in $build/git-rev.txt ('$rev')"; exit 1; }
git -C "$top" cat-file -e "${rev%-dirty}^{commit}" 2>/dev/null || { echo "FAIL: $rev is not a commit here"; exit 1; }

# ---------------------------------------------------------------- the table
# One row per program:
#   RUN_NAME    arguments of a run that lasts several seconds (records into $tmp/run.*)
#   BAD_NAME    arguments with one bad value
#   FULL_NAME   arguments writing more than 160 KiB into $mnt/ (before: a feeder command in FEED_NAME)
#   META_NAME   arguments of a short run whose metadata goes to /dev/full (the failure must be said)
#   STDOUT_NAME arguments of a run whose only output is its summary on stdout (sent to /dev/full)
#   total_NAME  a function printing the number of records the run produced (written + lost); none:
#               FULL_NAME writes into a disk that is full from the start
progs=(nt-send nt-recv nt-tick nt-flood nt-stallmon nt-hostinfo nt-busyloop nt-guest-read nt-hvcollect bench-stamp nt-analyze)
inns_progs=" nt-send nt-recv nt-flood "

RUN_nt_send="--dst 127.0.0.1:9 --count 100000 --interval 1ms -o $tmp/run.csv"
BAD_nt_send="--dst 127.0.0.1:9 --count 5 --interval 10xs"
FULL_nt_send="--dst 127.0.0.1:9 --count 8000 --interval 20us -o $mnt/out.csv"
total_nt_send() { meta "$1" count; }

RUN_nt_recv="--bind 127.0.0.1:7001 --duration 60 -o $tmp/run.csv"
BAD_nt_recv="--bind 127.0.0.1:7001 --count 0"
FULL_nt_recv="--bind 127.0.0.1:7002 --count 4000 --timeout 10 -o $mnt/out.csv"
FEED_nt_recv() { sleep 0.6; inns "$bin/nt-send" --dst 127.0.0.1:7002 --count 4000 --interval 20us -q; }
total_nt_recv() { echo $(( 2 * $(meta "$1" unique) - $(meta "$1" no_kernel_ts) )); }

META_nt_send="--dst 127.0.0.1:9 --count 3 --interval 1ms -o $tmp/m.csv --meta /dev/full"
META_nt_recv="--bind 127.0.0.1:7003 --duration 0.2s -o $tmp/m.csv --meta /dev/full"
META_nt_flood="--dst 127.0.0.1:9 --rate 1k --duration 0.2s --meta /dev/full"

RUN_nt_tick="--count 100000 --period 1ms -o $tmp/run.csv"
BAD_nt_tick="--count 5 --period 10xs"
FULL_nt_tick="--count 8000 --period 20us -o $mnt/out.csv"
total_nt_tick() { meta "$1" wakeups; }

RUN_nt_flood="--dst 127.0.0.1:9 --rate 1k --duration 60 --meta $tmp/run.csv.meta"
BAD_nt_flood="--dst 127.0.0.1:9 --rate 0"
FULL_nt_flood="--dst 127.0.0.1:9 --rate 1k --duration 0.5s --meta $mnt/out.csv.meta"

RUN_nt_stallmon="--out $tmp/run.csv --duration 60"
BAD_nt_stallmon="--out $tmp/x.csv --threshold 0"
FULL_nt_stallmon="--out $mnt/out.csv --period 50us --threshold 1us --duration 0.5s"
total_nt_stallmon() { meta "$1" stalls; }

RUN_nt_hostinfo="--cal-ms 3000 --out $tmp/run.txt"
BAD_nt_hostinfo="--cal-ms 5"
FULL_nt_hostinfo="--cal-ms 10 --out $mnt/out.txt"

RUN_nt_busyloop="--cpu 0 --duration 60"
BAD_nt_busyloop="--cpu 0 --duration 0"
STDOUT_nt_busyloop="--cpu 0 --duration 0.1s"

# nt-guest-read: the module runs only in a guest; here its device is a FIFO
# this shell keeps open (empty: reads say EAGAIN, as the device's do) and its
# statistics a file in the module's format
mkfifo "$tmp/dev"
exec 9<>"$tmp/dev"
printf 'version=1\nkernel=none (test)\ntsc_khz=0\ncpu=0 stamps=0 lost=0\n' >"$tmp/stats"
RUN_nt_guest_read="--dev $tmp/dev --stats $tmp/stats -o $tmp/run.csv --duration 60"
BAD_nt_guest_read="--dev $tmp/dev -o $tmp/x.csv --interval 11s"
FULL_nt_guest_read="--dev $tmp/dev --stats $tmp/stats -o $mnt/out.csv --duration 3s"
FEED_nt_guest_read() { # 20000 timer records of the module (40 bytes each, little endian), in
	# writes of 100 records: a pipe write up to 4096 bytes is read whole, as the device's records are
	sleep 0.5
	python3 -c 'import os, struct
for k in range(200):
    os.write(1, b"".join(struct.pack("<QQQIIHHHBB", 1000 + i, 2**64 - 1, 1, 0xffffffff, 0, 0xffff, 0xffff,
                                     0, 2, 8) for i in range(100 * k, 100 * k + 100)))' >&9
}
total_nt_guest_read() { meta "$1" guest.timer_records; }

# nt-hvcollect: decode of the FIFO above (it waits for data), and of a
# generated xentrace file whose records do not fit the small disk
RUN_nt_hvcollect="decode -o $tmp/run.csv $tmp/dev"
BAD_nt_hvcollect="decode --tsc-hz 1e-300 $tmp/dev"
python3 "$top/hv-probe/tests/gen-xentrace.py" "$tmp/big.xt" --cpus 4 --events 3000 >/dev/null ||
	{ echo "FAIL: gen-xentrace.py"; exit 1; }
FULL_nt_hvcollect="decode -o $mnt/out.csv $tmp/big.xt"
total_nt_hvcollect() { echo $(( $(meta "$1" records_hv_entry) + $(meta "$1" records_hv_deliver) +
	$(meta "$1" records_hv_lost) + $(meta "$1" records_probe_cost) )); }

# bench-stamp (guest-probe/bench): not sanitised even in the SAN=1 build (its
# figures are cycles of the real code); guest-probe's Makefile builds it with -O2
RUN_bench_stamp="--batches 1000000"
BAD_bench_stamp="--records 1000"
STDOUT_bench_stamp="--batches 16 --mode cal"

# nt-analyze: stats of a FIFO that never ends (it is still reading when the
# signal comes); the summary of a small file into a full stdout
mkfifo "$tmp/an.csv"
exec 7<>"$tmp/an.csv"
printf 'source,event,cpu,tsc,irq,vector,seq,dom,aux,flags\nsender,send,0,100,,,1,,,\nreceiver,rx_kernel,0,400,,,1,,,\n' >"$tmp/small.csv"
RUN_nt_analyze="stats --latency send:rx_kernel $tmp/an.csv"
BAD_nt_analyze="stats --latency send:rx_kernel --tsc-hz 1e-300 $tmp/small.csv"
STDOUT_nt_analyze="stats --latency send:rx_kernel $tmp/small.csv"

# ---------------------------------------------------------------- helpers
var() { local v="$1_${2//-/_}"; printf '%s' "${!v-}"; }
path_of() { echo "$bin/$1"; } # the test build (bench-stamp in it is -O2, unsanitised)
run() { # run PROG ARGS...: in the namespace when the program needs one
	local p=$1; shift
	if [[ $inns_progs == *" $p "* ]]; then inns "$bin/$p" "$@"; else "$(path_of "$p")" "$@"; fi
}
start_bg() { # start_bg PROG ARGS...: in the background, $! is the program itself
	local p=$1; shift
	if [[ $inns_progs == *" $p "* ]]; then (exec ip netns exec "$ns" "$bin/$p" "$@") &
	else (exec "$(path_of "$p")" "$@") & fi
}
one_line_usage() { # one_line_usage PROG WHAT FILE
	local n; n=$(wc -l <"$3")
	[ "$n" = 1 ] || { bad "$1 $2: $n lines on stderr: $(head -c 300 "$3")"; return; }
	grep -q "^$1: .* (see $1 --help)\$" "$3" || { bad "$1 $2: stderr '$(cat "$3")'"; return; }
	ok "$1 $2: $(cat "$3")"
}

check_help() {
	local p=$1 h rc
	for h in -h --help; do
		run "$p" $h >"$tmp/out" 2>"$tmp/err"; rc=$?
		[ $rc = 0 ] && [ ! -s "$tmp/err" ] && head -n1 "$tmp/out" | grep -q "^usage: $p " &&
			ok "$p $h" || bad "$p $h: exit $rc, $(head -n1 "$tmp/out")"
	done
	# the revision of the build: a commit of this repository
	run "$p" --version >"$tmp/out" 2>"$tmp/err"; rc=$?
	local v; v=$(sed -n "s/^$p //p" "$tmp/out")
	[ $rc = 0 ] && [ "$(wc -l <"$tmp/out")" = 1 ] && [[ $v =~ ^[0-9a-f]{12}(-dirty)?$ ]] &&
		git -C "$top" cat-file -e "${v%-dirty}^{commit}" 2>/dev/null && ok "$p --version: $(cat "$tmp/out")" ||
		bad "$p --version: exit $rc, '$(cat "$tmp/out")', want '$p REVISION' (build: $rev)"
}

check_usage() {
	local p=$1 rc
	rm -f "$tmp"/run.*
	run "$p" --bogus >/dev/null 2>"$tmp/err"; rc=$?
	[ $rc = 2 ] || bad "$p --bogus: exit $rc"
	one_line_usage "$p" --bogus "$tmp/err"
	# shellcheck disable=SC2046
	run "$p" $(var BAD "$p") >/dev/null 2>"$tmp/err"; rc=$?
	[ $rc = 2 ] || bad "$p bad value: exit $rc"
	one_line_usage "$p" "bad value" "$tmp/err"
	# shellcheck disable=SC2046
	run "$p" $(var RUN "$p") --check >"$tmp/out" 2>"$tmp/err"; rc=$?
	[ $rc = 0 ] && grep -qx "$p: arguments ok" "$tmp/out" && [ ! -e "$tmp/run.csv" ] &&
		ok "$p --check" || bad "$p --check: exit $rc $(cat "$tmp/err")"
}

check_signal() { # check_signal PROG SIG CODE
	local p=$1 sig=$2 want=$3 rc t0
	rm -f "$tmp"/run.*
	# shellcheck disable=SC2046
	start_bg "$p" $(var RUN "$p") >"$tmp/out" 2>"$tmp/err"
	local pid=$!
	# the handlers are in place (SigCgt) before any slow work: signal right then
	for _ in $(seq 400); do
		[ $(( 0x$(awk '/^SigCgt:/ { print $2 }' /proc/$pid/status 2>/dev/null || echo 0) & 2 )) != 0 ] && break
		sleep 0.005
	done
	sleep 0.05
	t0=$(date +%s%N)
	kill -"$sig" "$pid"
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && { bad "$p: still running 5 s after SIG$sig"; kill -KILL "$pid"; }
	wait "$pid"; rc=$?
	local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ $rc = "$want" ] || bad "$p SIG$sig at 50 ms: exit $rc, want $want ($(tail -n2 "$tmp/err"))"
	grep -q "^$p: stopped by SIG$sig" "$tmp/out" "$tmp/err" ||
		bad "$p SIG$sig at 50 ms: no outcome line ($(cat "$tmp/out" "$tmp/err" | tail -n3))"
	if [ -f "$tmp/run.csv.meta" ]; then
		[ "$(meta "$tmp/run.csv.meta" exit_status)" = "$want" ] || bad "$p SIG$sig: exit_status in the .meta"
		[ "$(meta "$tmp/run.csv.meta" stop_signal)" = "SIG$sig" ] || bad "$p SIG$sig: stop_signal in the .meta"
	fi
	[ $rc = "$want" ] && ok "$p SIG$sig 50 ms after the start: exit $rc after $ms ms: $(grep -h "stopped by" "$tmp/out" "$tmp/err")"
}

check_full_records() {
	local p=$1 rc m=$mnt/out.csv.meta
	[ -n "$(declare -F "FEED_${p//-/_}")" ] && { "FEED_${p//-/_}" & }
	# shellcheck disable=SC2046
	run "$p" $(var FULL "$p") >"$tmp/out" 2>"$tmp/err"; rc=$?
	wait
	[ $rc = 1 ] || bad "$p on a full disk: exit $rc, want 1"
	grep -q "^$p: .*No space left on device.*records lost" "$tmp/err" || bad "$p on a full disk: loss not said: $(cat "$tmp/err")"
	[ -s "$m" ] || { bad "$p on a full disk: no .meta"; return; }
	local rec lost rows tot lrows
	rec=$(meta "$m" records) lost=$(meta "$m" records_lost)
	rows=$(( $(wc -l <"$mnt/out.csv") - 1 ))
	[ "$rec" = "$rows" ] || bad "$p full disk: records=$rec but the file has $rows rows"
	[ "${lost:-0}" -gt 0 ] || bad "$p full disk: records_lost=$lost"
	[ "$(meta "$m" exit_status)" = 1 ] || bad "$p full disk: exit_status=$(meta "$m" exit_status)"
	tot=$("total_${p//-/_}" "$m")
	# the last row is the `lost` record the writer added for what it could not write
	lrows=0
	tail -n1 "$mnt/out.csv" | grep -q ",lost,.*,$lost,[^,]*\$" && lrows=1
	[ $lrows = 1 ] || bad "$p full disk: the file does not end with a lost record of $lost: $(tail -n1 "$mnt/out.csv")"
	[ $(( rows - lrows + lost )) = "$tot" ] ||
		bad "$p full disk: $rows rows (with the lost record) + $lost lost != $tot produced"
	ok "$p on a full disk: exit $rc, $rec records written, $lost lost of $tot; $(grep -h 'records lost' "$tmp/err")"
}

check_full_start() {
	local p=$1 rc
	dd if=/dev/zero of="$mnt/fill" bs=4k 2>/dev/null
	# shellcheck disable=SC2046
	run "$p" $(var FULL "$p") >"$tmp/out" 2>"$tmp/err"; rc=$?
	[ $rc = 1 ] || bad "$p on a full disk: exit $rc, want 1"
	grep -q "^$p: .*No space left on device" "$tmp/err" && ok "$p on a full disk: exit $rc: $(grep -h 'No space' "$tmp/err")" ||
		bad "$p on a full disk: not said: $(cat "$tmp/err")"
}

check_meta_full() { # a .meta that cannot be written: exit 1 and said (was a silent exit 1)
	local p=$1 rc
	# shellcheck disable=SC2046
	run "$p" $(var META "$p") >"$tmp/out" 2>"$tmp/err"; rc=$?
	[ $rc = 1 ] && grep -q "^$p: writing the metadata: No space left on device" "$tmp/err" &&
		ok "$p with its .meta on a full disk: exit $rc: $(grep -h metadata "$tmp/err")" ||
		bad "$p with its .meta on a full disk: exit $rc, $(cat "$tmp/err")"
	# a .meta that cannot be created fails before the work (nt-flood opened it only after the flood)
	local a t0; a=$(var META "$p"); a=${a/\/dev\/full//nonexistent-dir/x.meta}
	a=${a/--duration 0.2s/--duration 30s}
	t0=$(date +%s)
	# shellcheck disable=SC2086
	run "$p" $a >"$tmp/out" 2>"$tmp/err"; rc=$?
	[ $rc = 1 ] && [ $(( $(date +%s) - t0 )) -le 3 ] && grep -q "^$p: cannot create /nonexistent-dir/x.meta" "$tmp/err" &&
		ok "$p with a .meta it cannot create: exit $rc at once: $(head -n1 "$tmp/err")" ||
		bad "$p with a .meta it cannot create: exit $rc after $(( $(date +%s) - t0 )) s: $(cat "$tmp/err")"
}

check_full_stdout() { # a summary that cannot be written is a failure, said on stderr
	local p=$1 rc
	# shellcheck disable=SC2046
	run "$p" $(var STDOUT "$p") >/dev/full 2>"$tmp/err"; rc=$?
	[ $rc = 1 ] && grep -q "^$p: .*No space left on device" "$tmp/err" &&
		ok "$p with stdout on a full disk: exit $rc: $(cat "$tmp/err")" ||
		bad "$p with stdout on a full disk: exit $rc, $(cat "$tmp/err")"
}

check_full() {
	mount -t tmpfs -o size=160k nt-cli "$mnt" || { bad "cannot mount a tmpfs"; return; }
	if [ -n "$(declare -F "total_${1//-/_}")" ]; then check_full_records "$1"; else check_full_start "$1"; fi
	umount "$mnt"
}

check_doc() { # the options of --help = the options of the docs row ("nt-analyze stats": a command)
	local p=$1 h d
	# shellcheck disable=SC2086
	h=$(run ${p} --help | grep -oE '^ +(-[a-zA-Z], )?--[a-z0-9-]+' | sed 's/.*--//' | sort -u | tr '\n' ' ')
	local row; row=$(grep "^| \`$p\` |" "$top/docs/conventions.md" | sed 's/\\|/\//g')
	d="$(echo "$row" | awk -F'|' '{ print $3 }' | grep -oE '[a-z][a-z0-9-]*') $(echo "$row" | awk -F'|' '{ print $4 }' |
		grep -oE -- '--[a-z0-9-]+' | sed 's/^--//')"
	# "the ... analysis / comparison options below": the paragraph that lists them
	local para; para=$(sed -n '/^The analysis options of/,/^$/p' "$top/docs/conventions.md" | tr '\n' ' ')
	[[ $row == *"analysis options"* ]] &&
		d="$d $(sed 's/the comparison options.*//' <<<"$para" | grep -oE -- '--[a-z0-9-]+' | sed 's/^--//')"
	[[ $row == *"comparison and"* ]] &&
		d="$d $(sed 's/.*the comparison options//' <<<"$para" | grep -oE -- '--[a-z0-9-]+' | sed 's/^--//')"
	d=$(printf '%s\n' $d check help quiet version | sort -u | tr '\n' ' ')
	[ "$h" = "$d" ] && ok "$p: docs/conventions.md lists the options of --help" ||
		bad "$p: --help options '$h' but docs/conventions.md row '$d'"
}

for p in "${progs[@]}"; do
	[ -x "$(path_of "$p")" ] || { bad "$p is not built: $(path_of "$p")"; continue; }
	echo "== $p"
	check_help "$p"
	check_usage "$p"
	check_doc "$p"
	[ "$p" = nt-analyze ] && for c in run stats compare; do check_doc "$p $c"; done
	check_signal "$p" INT 130
	check_signal "$p" TERM 143
	[ -n "$(var FULL "$p")" ] && check_full "$p"
	[ -n "$(var STDOUT "$p")" ] && check_full_stdout "$p"
	[ -n "$(var META "$p")" ] && check_meta_full "$p"
done
# scenarios/run (a script on the same convention): help, version, one-line
# usage errors with exit 2, --check; its signals and failures are the runner
# tests' (scenarios/tests/test-runner-*.sh)
echo "== scenarios/run"
R=$top/scenarios/run
for h in -h --help; do
	"$R" $h >"$tmp/out" 2>"$tmp/err" && head -n1 "$tmp/out" | grep -q '^usage: scenarios/run ' &&
		ok "scenarios/run $h" || bad "scenarios/run $h"
done
v=$("$R" --version) && [[ $v =~ ^scenarios/run\ [0-9a-f]{12}(-dirty)?$ ]] && ok "scenarios/run --version: $v" ||
	bad "scenarios/run --version: '$v'"
for a in "--bogus" "--variants baseline,baseline" "--results"; do
	# shellcheck disable=SC2086
	"$R" $a "$top/scenarios/native-net-quick.scn" >/dev/null 2>"$tmp/err"; rc=$?
	[ $rc = 2 ] || bad "scenarios/run $a: exit $rc"
	[ "$(wc -l <"$tmp/err")" = 1 ] && grep -q "^scenarios/run: .* (see scenarios/run --help)$" "$tmp/err" &&
		ok "scenarios/run $a: $(cat "$tmp/err")" || bad "scenarios/run $a: stderr '$(cat "$tmp/err")'"
done
NT_RUN_BIN=$bin "$R" --check "$top/scenarios/native-net-quick.scn" >"$tmp/out" 2>&1 &&
	grep -q "testbed 'native' is ready" "$tmp/out" && ok "scenarios/run --check" || bad "scenarios/run --check: $(cat "$tmp/out")"
exit $fail
