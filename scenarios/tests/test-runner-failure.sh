#!/usr/bin/env bash
# A program that fails during a variant: the runner reports it with the log to
# read, marks the variant failed, goes on with the next variant, tears the
# testbed down, records status=failed in meta.txt, and exits 1.  The failure
# is injected by a receiver that exits at once (every other program is real).
# timeout: 300
set -uo pipefail
. "$(dirname "$0")/lib.sh"
need_native
[ "$(nproc)" -ge 2 ] || { echo "SKIP: the native variants use CPUs 0 and 1; this machine has one"; exit 77; }
need_progs nt-flood nt-send nt-recv nt-stallmon nt-hostinfo
res=$(mktemp -d /tmp/nt-scenarios-fail.XXXXXX)
trap 'rm -rf "$res"' EXIT
mkdir "$res/bin"
for p in "$bin"/nt-*; do ln -s "$p" "$res/bin/"; done
rm "$res/bin/nt-recv"
printf '#!/bin/sh\ncase " $* " in *" --check "*) exit 0 ;; esac\necho "nt-recv: injected failure" >&2\nexit 1\n' >"$res/bin/nt-recv"
chmod +x "$res/bin/nt-recv"
"$run" --results "$res" --bin "$res/bin" --no-analyze --variants baseline,rps \
	"$top/scenarios/native-net-quick.scn" >"$res/run.log" 2>&1 &
rpid=$!
wait $rpid; rc=$?
cat "$res/run.log"
[ $rc -eq 1 ] || bad "exit $rc, want 1"
[ -z "$(leftover_netns $rpid)" ] || bad "network namespaces left: $(leftover_netns $rpid)"
d=$(ls -d "$res"/*-native-net-quick | head -n1)
[ "$(meta_get "$d/meta.txt" status)" = "failed: baseline rps" ] || bad "run status '$(meta_get "$d/meta.txt" status)'"
for v in baseline rps; do
	[ "$(meta_get "$d/$v/meta.txt" status)" = failed ] || bad "$v status"
	grep -q 'injected failure' "$d/$v/recv.log" || bad "$v: the receiver's log was not kept"
done
grep -q "variant 'baseline': the receiver did not start (see .*baseline/recv.log)" "$res/run.log" || bad "no clear message"
grep -q "variant 2/2 'rps'" "$res/run.log" || bad "the runner did not go on to the next variant"
grep -q 'ip netns del' "$d/commands.log" || bad "teardown not in commands.log"
exit $fail
