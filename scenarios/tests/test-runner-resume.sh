#!/usr/bin/env bash
# --resume RUN_DIR: a run interrupted in its second variant is continued in
# its own folder: the complete variant is left as it was, the interrupted
# one's folder is kept as VARIANT.attempt-1 and the variant measured again,
# the rest measured, the analysis run on the whole; resuming a complete run
# measures nothing; bad use is refused (exit 2).
# timeout: 300
set -uo pipefail
. "$(dirname "$0")/lib.sh"
need_native
[ "$(nproc)" -ge 2 ] || { echo "SKIP: the native variants use CPUs 0 and 1; this machine has one"; exit 77; }
need_progs nt-flood nt-send nt-recv nt-stallmon nt-hostinfo nt-analyze
res=$(mktemp -d /tmp/nt-scenarios-resume.XXXXXX)
rpid=""
trap '[ -n "$rpid" ] && kill -KILL -- -"$rpid" 2>/dev/null; rm -rf "$res"' EXIT
# 600 probes at 5 ms: 3 s per variant; two variants
sed -e 's/^probe.count *=.*/probe.count = 600/' -e 's/^name *=.*/name = resume/' \
	"$top/scenarios/native-net-quick.scn" >"$res/resume.scn"

set -m
NT_RUN_BIN=$bin "$run" --results "$res" --variants baseline,pinned "$res/resume.scn" >"$res/run.log" 2>&1 &
rpid=$!
set +m
# interrupt once the second variant has sent some probes
for ((i = 0; i < 600; i++)); do
	n=$(cat "$res"/*-resume/pinned/send.csv 2>/dev/null | grep -c '^sender,send,')
	[ "${n:-0}" -gt 50 ] && break
	sleep 0.1
done
kill -INT -- -"$rpid"
wait "$rpid"; rc=$?
rpid=""
[ $rc = 130 ] || bad "exit $rc after Ctrl-C in variant 2, want 130: $(cat "$res/run.log")"
d=$(ls -d "$res"/*-resume 2>/dev/null | head -n1)
[ -n "$d" ] || { bad "no run folder"; exit 1; }
[ "$(meta_get "$d/baseline/meta.txt" status)" = ok ] || bad "variant 1 not complete before the resume"
[ "$(meta_get "$d/pinned/meta.txt" status)" = interrupted ] || bad "variant 2 not marked interrupted"
sum1=$(cd "$d/baseline" && find . -type f -exec sha256sum {} + | sort)
np=$(grep -c '^sender,send,' "$d/pinned/send.csv" 2>/dev/null)

NT_RUN_BIN=$bin "$run" --resume "$d" >"$res/resume.log" 2>&1; rc=$?
cat "$res/resume.log"
[ $rc = 0 ] || bad "resume: exit $rc"
grep -q "resuming $d: complete: baseline; to measure: pinned" "$res/resume.log" || bad "resume did not say what it does"
[ "$(cd "$d/baseline" && find . -type f -exec sha256sum {} + | sort)" = "$sum1" ] || bad "the complete variant was changed"
[ "$(meta_get "$d/pinned/meta.txt" status)" = ok ] || bad "variant 2 not complete after the resume"
[ "$(meta_get "$d/pinned.attempt-1/meta.txt" status)" = interrupted ] || bad "the interrupted attempt was not kept"
[ "$(grep -c '^sender,send,' "$d/pinned.attempt-1/send.csv" 2>/dev/null)" = "${np:-x}" ] || bad "the attempt's records changed: ${np:-none} before, $(grep -c "^sender,send," "$d/pinned.attempt-1/send.csv" 2>&1) after"
[ "$(grep -c '^sender,send,' "$d/pinned/send.csv")" = 600 ] || bad "variant 2 measured again: not 600 probes"
[ "$(meta_get "$d/meta.txt" status)" = complete ] || bad "run status: $(meta_get "$d/meta.txt" status)"
[ "$(meta_get "$d/meta.txt" resumed_variants)" = pinned ] || bad "meta: resumed_variants"
grep -q '^# .* resumed: scenarios/run --resume' "$d/commands.log" || bad "commands.log does not mark the resume"
[ -f "$d/report.md" ] && grep -q pinned "$d/report.md" && grep -q baseline "$d/report.md" || bad "no report of both variants"
grep -q 'attempt' "$d/report.md" && bad "the report lists the kept attempt as a variant"

# a complete run: nothing to measure, the analysis again
NT_RUN_BIN=$bin "$run" --resume "$d" >"$res/resume2.log" 2>&1; rc=$?
[ $rc = 0 ] && grep -q "every variant of $d is complete" "$res/resume2.log" && [ ! -e "$d/pinned.attempt-2" ] ||
	bad "resume of a complete run: exit $rc: $(cat "$res/resume2.log")"
# bad use
out=$("$run" --resume "$res/none" 2>&1); rc=$?
[ $rc = 2 ] && grep -q "is not a run folder" <<<"$out" || bad "--resume of no folder: exit $rc: $out"
out=$("$run" --resume "$d" "$res/resume.scn" 2>&1); rc=$?
[ $rc = 2 ] && grep -q "give no FILE.scn" <<<"$out" || bad "--resume with a file: exit $rc: $out"
out=$("$run" --resume "$d" --variants pinned 2>&1); rc=$?
[ $rc = 2 ] && grep -q "no --variants" <<<"$out" || bad "--resume with --variants: exit $rc: $out"
[ $fail = 0 ] && echo "resume: interrupted in variant 2 ($np probes kept as pinned.attempt-1), completed in place"
exit $fail
