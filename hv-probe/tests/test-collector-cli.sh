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
expect 2 "live option to decode" -- decode --duration 3 "$work/empty-window.xt"
expect 2 "live with a file" -- live "$work/empty-window.xt"
expect 2 "--strict to live" -- live --strict
expect 2 "bad --cpus" -- live --cpus 3-1
expect 2 "bad --cpus word" -- live --cpus all
expect 2 "bad --events" -- live --events sched
expect 2 "bad --evt-mask" -- live --evt-mask 0x1zz
expect 2 "bad --count" -- live --count 0
expect 2 "bad --duration" -- live --duration -1
expect 2 "bad --pages" -- live --pages 70000
expect 2 "bad --poll-ms" -- live --poll-ms 0
expect 1 "decode of a missing file" -- decode "$work/nope.xt"
expect 1 "decode into an unwritable path" -- decode -o /nonexistent-dir/x.csv "$work/empty-window.xt"
expect 0 "decode of an empty window" -- decode -q -o "$work/e.csv" "$work/empty-window.xt"
[ "$(cat "$work/e.csv")" = "source,event,cpu,tsc,irq,vector,seq,dom,aux,flags" ] || { echo "FAIL: empty window output"; fail=1; }
: >"$work/zero.xt"
expect 0 "decode of an empty file" -- decode -q -o "$work/z.csv" "$work/zero.xt"

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
