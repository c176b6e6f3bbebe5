#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 60
# The tail the quick tests on the emulated Xen share (lib.sh: retry_failed,
# variant_failed, skip_unfetched, variant_times, no_qemu_left), without QEMU:
# on a run folder of meta.txt lines as the runner and the drivers wrote them
# (copied from the xen-net run of 2026-12-01 18:28 UTC on this project's
# machine, whose natsume-vector failed once; the failure= line in the xen-io
# driver's form), with the runner's --resume replaced, in this test only, by
# a command given to retry_failed (its parameter; the quick tests pass the
# runner).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
w=$(mktemp -d "${TMPDIR:-/tmp}/nt-quick-lib.XXXXXX")
trap 'rm -rf "$w"' EXIT
ck() { # ck WHAT CMD...: a failure unless CMD succeeds
	local what=$1
	shift
	"$@" || bad "$what"
}

# the run: xen and natsume-cpu ok, natsume-vector failed (a failed step),
# natsume-all never ran (no folder); the runner exited 1
mkrun() {
	local d=$1
	mkdir -p "$d/xen" "$d/natsume-cpu" "$d/natsume-vector"
	cat >"$d/meta.txt" <<'E'
scenario=xen-net
testbed=qemu-xen
experiment=net
variants=xen natsume-cpu natsume-vector natsume-all
baseline=xen
started=2026-12-01T18:28:01Z
status=failed: natsume-vector
E
	for v in xen natsume-cpu; do
		printf 'variant=%s\nexperiment=net\ntestbed=qemu-xen\n' "$v" >"$d/$v/meta.txt"
		cat >>"$d/$v/meta.txt" <<'E'
emulated=QEMU TCG: every time is emulated (10-50x inflated, noisy); the pipeline is real
boot_to_ready_s=139.1
measure_s=104.0
teardown_s=16.3
status=ok
E
	done
	cat >"$d/natsume-vector/meta.txt" <<'E'
variant=natsume-vector
experiment=net
testbed=qemu-xen
emulated=QEMU TCG: every time is emulated (10-50x inflated, noisy); the pipeline is real
step_failed=domu:guest-probe-stop (exit 113)
boot_to_ready_s=64.8
measure_s=104.0
teardown_s=10.7
status=failed
E
}

# the runner's stand-in: records its arguments and NT_TEST_ENV, marks the
# variants that are not ok as measured (as --resume would), prints progress
# lines and the runner's last lines, exits with $1
cat >"$w/resume" <<'E'
#!/usr/bin/env bash
code=$1; shift
printf '%s\n' "$*" >"$RESUME_ARGS"
echo "env=${NT_TEST_ENV:-}" >>"$RESUME_ARGS"
d=${*: -1}
for v in $(sed -n 's/^variants=//p' "$d/meta.txt"); do
	mkdir -p "$d/$v"
	[ "$(sed -n 's/^status=//p' "$d/$v/meta.txt" 2>/dev/null | tail -n1)" = ok ] || echo "status=ok" >>"$d/$v/meta.txt"
done
printf '[ 50%%] natsume-vector: measuring\r[ 90%%] natsume-vector: teardown\r\n'
echo "scenarios/run: variant 3/4 natsume-vector: ok"
echo "scenarios/run: done in 3 min"
exit "$code"
E
chmod +x "$w/resume"
export RESUME_ARGS=$w/args

# 1. two failed variants measured again: named with their reasons, the command
#    gets --resume DIR after its own options and its environment, rc is its exit
d=$w/run1
mkrun "$d"
rc=1 retried=""
retry_failed "$d" "$w/resume1.log" env NT_TEST_ENV=yes "$w/resume" 0 --bin /nowhere >"$w/out1"
r=$?
ck "retry_failed returns 0 when it measured ($r)" test $r = 0
ck "rc is the resume's exit ($rc)" test "$rc" = 0
ck "retried names the two variants ('$retried')" test "$retried" = " natsume-vector natsume-all"
ck "the command got its options, then --resume DIR" test "$(head -n1 "$w/args")" = "--bin /nowhere --resume $d"
ck "the command got its environment" grep -qx "env=yes" "$w/args"
ck "the RETRY line names the runner's exit and the variants" grep -qxF \
	"== RETRY: the runner exited 1; failed variants: natsume-vector natsume-all; measuring them again with --resume" "$w/out1"
ck "the failed step is the first attempt's reason" grep -qxF \
	"== RETRY: first attempt of natsume-vector: domu:guest-probe-stop (exit 113)" "$w/out1"
ck "a variant that never ran is named without a reason" grep -qxF "== RETRY: first attempt of natsume-all: " "$w/out1"
ck "the resume's exit is said" grep -qE "^== RETRY: resume exit 0 after [0-9]+ s$" "$w/out1"
ck "the runner's last lines follow, indented" grep -qxF "   scenarios/run: variant 3/4 natsume-vector: ok" "$w/out1"
grep -q '^   \[' "$w/out1" && bad "the progress lines are not filtered out"
ck "the runner's output is in LOG" grep -q "done in 3 min" "$w/resume1.log"
ck "variant_times: the runner's times of each variant" test "$(variant_times "$d" | head -n1)" = \
	"== xen: boot to ready 139.1 s, measurement 104.0 s, collection and teardown 16.3 s"

# 2. nothing failed (the folder as the resume left it): nothing is run, rc stays
rm -f "$w/args"
rc=7
retry_failed "$d" "$w/resume2.log" "$w/resume" 0 >"$w/out2"
r=$?
ck "no failed variant: returns 1 ($r)" test $r = 1
ck "no failed variant: the command is not run" test ! -e "$w/args"
ck "no failed variant: rc unchanged ($rc)" test "$rc" = 7
ck "no failed variant: nothing said" test ! -s "$w/out2"

# 3. the second attempt fails too: rc is its exit; the xen-io driver's
#    failure= comes first, a variant's logs when its meta.txt says nothing
d=$w/run3
mkrun "$d"
echo "failure=configuration passthrough could not be set up: pcifront gave up" >>"$d/natsume-vector/meta.txt"
mkdir -p "$d/natsume-all"
printf 'variant=natsume-all\nstatus=failed\n' >"$d/natsume-all/meta.txt"
printf 'booting\nqemu: error: no route to the job channel\n' >"$d/natsume-all/qemu.log"
rc=1 retried=""
retry_failed "$d" "$w/resume3.log" "$w/resume" 1 >"$w/out3"
ck "a second failure: rc 1 ($rc)" test "$rc" = 1
ck "failure= before step_failed" grep -qxF \
	"== RETRY: first attempt of natsume-vector: configuration passthrough could not be set up: pcifront gave up" "$w/out3"
ck "else the logs' error lines" grep -qxF \
	"== RETRY: first attempt of natsume-all: qemu: error: no route to the job channel " "$w/out3"

# 4. skip_unfetched: a skip only when the runner failed for want of a source
printf 'qemu-xen: cannot fetch Debian'"'"'s Xen source (no network)\n' >"$w/fetch.log"
(skip_unfetched 1 "$w/fetch.log"; exit 0) >"$w/out4"
ck "cannot fetch: exit 77" test $? = 77
ck "cannot fetch: says SKIP and why" grep -q "^SKIP: qemu-xen: cannot fetch Debian's Xen source" "$w/out4"
(skip_unfetched 0 "$w/fetch.log"; exit 0)
ck "a run that passed is not skipped" test $? = 0
(skip_unfetched 1 "$w/resume1.log"; exit 0)
ck "another failure is not a skip" test $? = 0

# 5. no_qemu_left: a QEMU process naming the folder is a failure
saved=$fail
no_qemu_left "$w"
ck "no QEMU here" test $fail = "$saved"
[ $fail = 0 ] && echo "all checks passed" || echo "FAIL"
exit $fail
