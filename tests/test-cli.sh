#!/usr/bin/env bash
# timeout: 600
# The shared command-line table (docs/conventions.md): every program passes
# the same checks.
#   -h and --help: exit 0, "usage: NAME" on stdout, nothing on stderr
#   --version: "NAME REVISION" (the git revision), exit 0
#   an unknown option, a bad value: exit 2, one line "NAME: ... (see NAME --help)"
#   --check with good arguments: exit 0, nothing run
#   SIGINT / SIGTERM 50 ms after the start (inside the TSC calibration or the
#     set-up): exit 130 / 143 within 5 s, an outcome line naming the signal,
#     exit_status in the .meta
#   a full disk (a 160 KiB tmpfs this test mounts): exit 1, the loss said on
#     stderr and counted in the .meta; the .meta is still written; the file's
#     rows are the `records` key, and written + lost is everything produced
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
rev=$(git -C "$top" describe --always --dirty --abbrev=12 --exclude='*' 2>/dev/null)

# ---------------------------------------------------------------- the table
# One row per program:
#   RUN_NAME    arguments of a run that lasts several seconds (records into $tmp/run.*)
#   BAD_NAME    arguments with one bad value
#   FULL_NAME   arguments writing more than 160 KiB into $mnt/ (before: a feeder command in FEED_NAME)
#   TOTAL_NAME  a function printing the number of records the run produced (written + lost), or empty
progs=(nt-send nt-recv)
inns_progs=" nt-send nt-recv "

RUN_nt_send="--dst 127.0.0.1:9 --count 100000 --interval 1ms -o $tmp/run.csv"
BAD_nt_send="--dst 127.0.0.1:9 --count 5 --interval 10xs"
FULL_nt_send="--dst 127.0.0.1:9 --count 8000 --interval 20us -o $mnt/out.csv"
total_nt_send() { meta "$1" count; }

RUN_nt_recv="--bind 127.0.0.1:7001 --duration 60 -o $tmp/run.csv"
BAD_nt_recv="--bind 127.0.0.1:7001 --count 0"
FULL_nt_recv="--bind 127.0.0.1:7002 --count 4000 --timeout 10 -o $mnt/out.csv"
FEED_nt_recv() { sleep 0.6; inns "$bin/nt-send" --dst 127.0.0.1:7002 --count 4000 --interval 20us -q; }
total_nt_recv() { echo $(( 2 * $(meta "$1" unique) - $(meta "$1" no_kernel_ts) )); }

# ---------------------------------------------------------------- helpers
var() { local v="$1_${2//-/_}"; printf '%s' "${!v-}"; }
run() { # run PROG ARGS...: in the namespace when the program needs one
	local p=$1; shift
	if [[ $inns_progs == *" $p "* ]]; then inns "$bin/$p" "$@"; else "$bin/$p" "$@"; fi
}
start_bg() { # start_bg PROG ARGS...: in the background, $! is the program itself
	local p=$1; shift
	if [[ $inns_progs == *" $p "* ]]; then (exec ip netns exec "$ns" "$bin/$p" "$@") &
	else (exec "$bin/$p" "$@") & fi
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
	run "$p" --version >"$tmp/out" 2>"$tmp/err"; rc=$?
	[ $rc = 0 ] && [ "$(cat "$tmp/out")" = "$p $rev" ] && ok "$p --version: $(cat "$tmp/out")" ||
		bad "$p --version: exit $rc, '$(cat "$tmp/out")', want '$p $rev'"
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
	[ $rc = "$want" ] && ok "$p SIG$sig at 50 ms: exit $rc after $ms ms: $(grep -h "stopped by" "$tmp/out" "$tmp/err")"
}

check_full() {
	local p=$1 rc m=$mnt/out.csv.meta
	mount -t tmpfs -o size=160k nt-cli "$mnt" || { bad "cannot mount a tmpfs"; return; }
	local feed; feed=$(var FEED "$p")
	[ -n "$(declare -F "FEED_${p//-/_}")" ] && { "FEED_${p//-/_}" & }
	# shellcheck disable=SC2046
	run "$p" $(var FULL "$p") >"$tmp/out" 2>"$tmp/err"; rc=$?
	wait
	[ $rc = 1 ] || bad "$p on a full disk: exit $rc, want 1"
	grep -q "^$p: .*No space left on device.*records lost" "$tmp/err" || bad "$p on a full disk: loss not said: $(cat "$tmp/err")"
	if [ -s "$m" ]; then
		local rec lost rows tot
		rec=$(meta "$m" records) lost=$(meta "$m" records_lost)
		rows=$(( $(wc -l <"$mnt/out.csv") - 1 ))
		[ "$rec" = "$rows" ] || bad "$p full disk: records=$rec but the file has $rows rows"
		[ "${lost:-0}" -gt 0 ] || bad "$p full disk: records_lost=$lost"
		[ "$(meta "$m" exit_status)" = 1 ] || bad "$p full disk: exit_status=$(meta "$m" exit_status)"
		tot=$("total_${p//-/_}" "$m")
		local lrows; lrows=$(grep -c ',lost,' "$mnt/out.csv")
		[ $(( rows - lrows + lost )) = "$tot" ] ||
			bad "$p full disk: $rows rows ($lrows lost rows) + $lost lost != $tot produced"
		ok "$p on a full disk: exit $rc, $rec records written, $lost lost of $tot; $(grep -h 'records lost' "$tmp/err")"
	else
		bad "$p on a full disk: no .meta"
	fi
	umount "$mnt"
}

check_doc() { # the options of --help = the options of the docs row
	local p=$1 h d
	h=$(run "$p" --help | grep -oE '^ +(-[a-zA-Z], )?--[a-z0-9-]+' | sed 's/.*--//' | sort -u | tr '\n' ' ')
	d=$(grep "^| \`$p\` |" "$top/docs/conventions.md" | awk -F'|' '{ print $3 "," $4 }' |
		grep -oE '(--)?[a-z][a-z0-9-]*' | sed 's/^--//' | sort -u | tr '\n' ' ')
	d=$(printf '%s\n' $d check help quiet version | sort -u | tr '\n' ' ')
	[ "$h" = "$d" ] && ok "$p: docs/conventions.md lists the options of --help" ||
		bad "$p: --help options '$h' but docs/conventions.md row '$d'"
}

for p in "${progs[@]}"; do
	[ -x "$bin/$p" ] || { bad "$p is not built in $bin"; continue; }
	echo "== $p"
	check_help "$p"
	check_usage "$p"
	check_doc "$p"
	check_signal "$p" INT 130
	check_signal "$p" TERM 143
	[ -n "$(var FULL "$p")" ] && check_full "$p"
done
exit $fail
