#!/usr/bin/env bash
# timeout: 120
# nt-hvcollect command line: --help, bad usage exits 2 with a one-line error,
# live mode without Xen fails with a clear message and exit 1 (no output file).
set -uo pipefail
top=${NT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${NT_BIN:-$top/build/san/bin}/nt-hvcollect
[ -x "$bin" ] || { echo "missing $bin"; exit 1; }
work=$(mktemp -d /tmp/nt-hvcollect-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail=0
expect() { # expect RC DESCRIPTION -- ARGS...
	local want=$1 what=$2; shift 3
	"$bin" "$@" >"$work/out" 2>"$work/err"
	local rc=$?
	if [ "$rc" != "$want" ]; then
		echo "FAIL: $what: exit $rc, want $want ($*)"; sed 's/^/  | /' "$work/err" | head -5; fail=1
	elif [ "$want" = 2 ] && ! grep -q '^nt-hvcollect: ' "$work/err"; then
		echo "FAIL: $what: no 'nt-hvcollect:' error line"; fail=1
	else
		echo "ok: $what"
	fi
}
printf '\003\360\001\040\000\000\000\000\000\000\000\000' >"$work/empty-window.xt"
expect 0 "--help" -- --help
expect 0 "decode --help" -- decode --help
expect 2 "no command" --
expect 2 "unknown command" -- frobnicate
expect 2 "unknown option" -- decode --bogus "$work/empty-window.xt"
expect 2 "decode without file" -- decode
expect 2 "decode with two files" -- decode a b
expect 2 "bad --format" -- decode -f xml "$work/empty-window.xt"
expect 2 "bad --tsc-hz" -- decode --tsc-hz fast "$work/empty-window.xt"
expect 2 "--tsc-hz 0" -- decode --tsc-hz 0 "$work/empty-window.xt"
expect 2 "--tsc-hz 1e-300 (not a TSC frequency)" -- decode --tsc-hz 1e-300 "$work/empty-window.xt"
expect 2 "live option to decode" -- decode --duration 3 "$work/empty-window.xt"
expect 2 "live with a file" -- live "$work/empty-window.xt"
expect 2 "--strict to live" -- live --strict
expect 2 "bad --cpu" -- live --cpu 3-1
expect 2 "bad --cpu word" -- live --cpu all
expect 2 "bad --events" -- live --events sched
expect 2 "bad --evt-mask" -- live --evt-mask 0x1zz
expect 2 "bad --count" -- live --count 0
expect 2 "bad --duration" -- live --duration -1
expect 2 "bad --pages" -- live --pages 70000
expect 2 "bad --poll" -- live --poll 0
expect 2 "--decode-after without --raw" -- live --decode-after
expect 2 "--decode-after with --count" -- live --decode-after --raw "$work/r.xt" --count 5
expect 2 "--decode-after to decode" -- decode --decode-after "$work/empty-window.xt"
expect 1 "decode of a missing file" -- decode "$work/nope.xt"
expect 1 "decode into an unwritable path" -- decode -o /nonexistent-dir/x.csv "$work/empty-window.xt"
expect 0 "decode of an empty window" -- decode -q -o "$work/e.csv" "$work/empty-window.xt"
[ "$(cat "$work/e.csv")" = "source,event,cpu,tsc,irq,vector,seq,dom,aux,flags" ] || { echo "FAIL: empty window output"; fail=1; }
: >"$work/zero.xt"
expect 0 "decode of an empty file (lenient: said, not an error)" -- decode -q -o "$work/z.csv" "$work/zero.xt"
grep -q "no trace data" "$work/err" || { echo "FAIL: an empty input is not said: $(cat "$work/err")"; fail=1; }
# --strict: an input with no trace data at all is an error
expect 1 "decode --strict of an empty file" -- decode --strict -q -o "$work/z.csv" "$work/zero.xt"
grep -q "no trace data" "$work/err" || { echo "FAIL: strict empty input: $(cat "$work/err")"; fail=1; }
# --strict: a record TSC that goes back on one CPU is an error (lenient: counted)
win() { # win CPU TSC TSC: one window of two NATSUME_CONFIG records with those header TSCs
	python3 -c 'import struct, sys
cpu, t1, t2 = map(int, sys.argv[1:4])
r = b"".join(struct.pack("<IQ4I", 0x00804003 | 4 << 28 | 1 << 31, t, 0, 0, 0, 0) for t in (t1, t2))
sys.stdout.buffer.write(struct.pack("<III", 0x2001f003, cpu, len(r)) + r)' "$@"
}
win 0 5000 4000 >"$work/back.xt"
expect 1 "decode --strict of a TSC that goes back" -- decode --strict -q -o "$work/b.csv" "$work/back.xt"
grep -q "cpu 0: the record's TSC 4000 is 1000 cycles before" "$work/err" || { echo "FAIL: TSC back not said: $(cat "$work/err")"; fail=1; }
expect 0 "decode (lenient) of a TSC that goes back" -- decode -q -o "$work/b.csv" "$work/back.xt"
grep -qx "anomalies=1" "$work/b.csv.meta" || { echo "FAIL: lenient TSC back not counted"; fail=1; }
# a corrupted window header naming a CPU the host does not have (--cpu, or
# xen_max_cpu_id in TRACE.meta): resynchronised, nothing attributed to it
{ win 0 100 200; win 1 100 200; win 77 300 400; win 1 300 400; } >"$work/cpu.xt"
expect 0 "decode with the host's CPUs given" -- decode --cpu 0-1 -q -o "$work/c.csv" "$work/cpu.xt"
grep -q "implausible window header (cpu 77" "$work/err" || { echo "FAIL: cpu 77 not refused: $(cat "$work/err")"; fail=1; }
grep -q "^cpu77\." "$work/c.csv.meta" && { echo "FAIL: records attributed to cpu 77"; fail=1; }
echo "xen_max_cpu_id=1" >"$work/cpu.xt.meta"
expect 1 "decode --strict with xen_max_cpu_id in TRACE.meta" -- decode --strict -q -o "$work/c.csv" "$work/cpu.xt"
# every skipped event id is listed (the summary lumped those after 16)
python3 -c 'import struct, sys
r = b"".join(struct.pack("<I", 0x00810000 + i) for i in range(40))
sys.stdout.buffer.write(struct.pack("<III", 0x2001f003, 0, len(r)) + r)' >"$work/ids.xt"
expect 0 "decode of 40 distinct unknown events" -- decode -o "$work/i.csv" --summary "$work/i.sum" "$work/ids.xt"
n=$(grep -o '0x008100[0-9a-f][0-9a-f] x1' "$work/i.sum" | sort -u | wc -l)
[ "$n" = 40 ] || { echo "FAIL: $n of the 40 skipped event ids listed: $(cat "$work/i.sum")"; fail=1; }
grep -q "others x" "$work/i.sum" && { echo "FAIL: skipped ids lumped together"; fail=1; }

# live mode: on a host that is not Xen dom0 it must fail cleanly
if [ -e /proc/xen/capabilities ] && grep -q control_d /proc/xen/capabilities 2>/dev/null; then
	echo "note: this is Xen dom0; the no-Xen live check does not apply"
else
	expect 1 "live without Xen" -- live --duration 1 -o "$work/live.csv"
	grep -q "not running on Xen\|not dom0\|privcmd" "$work/err" || { echo "FAIL: live error is not clear:"; cat "$work/err"; fail=1; }
	[ ! -e "$work/live.csv" ] || { echo "FAIL: live without Xen created its output file"; fail=1; }
	[ "$(wc -l <"$work/err")" -le 2 ] || { echo "FAIL: live error is more than two lines"; cat "$work/err"; fail=1; }
	grep -qi "sanitizer\|segv\|abort" "$work/err" && { echo "FAIL: live crashed"; fail=1; }
fi
[ $fail = 0 ] && echo "test-collector-cli: all passed"
exit $fail
