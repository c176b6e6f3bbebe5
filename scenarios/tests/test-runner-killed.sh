#!/usr/bin/env bash
# A receiver stopped by someone other than the runner (SIGTERM, exit 143) is a
# failed variant, not an `ok` one with a `complete` run: the runner accepts
# 143 only from the programs it stopped itself.  The receiver is the real
# nt-recv behind a wrapper that sends it SIGTERM after one second.  And a
# variant whose programs all exit 0 but recorded nothing is not complete
# either (a sender that "succeeds" without sending).
# timeout: 300
set -uo pipefail
. "$(dirname "$0")/lib.sh"
need_native
[ "$(nproc)" -ge 2 ] || { echo "SKIP: the native variants use CPUs 0 and 1; this machine has one"; exit 77; }
need_progs nt-flood nt-send nt-recv nt-stallmon nt-hostinfo
res=$(mktemp -d /tmp/nt-scenarios-killed.XXXXXX)
trap 'rm -rf "$res"' EXIT
mkdir "$res/bin"
for p in "$bin"/nt-*; do ln -s "$p" "$res/bin/"; done
rm "$res/bin/nt-recv"
cat >"$res/bin/nt-recv" <<EOS
#!/bin/sh
case " \$* " in *" --check "*) exec "$bin/nt-recv" "\$@" ;; esac
"$bin/nt-recv" "\$@" &
pid=\$!
sleep 1
kill -TERM \$pid
wait \$pid
EOS
chmod +x "$res/bin/nt-recv"
# 600 probes at 5 ms: 3 s, so the receiver is still waiting when it is killed
sed -e 's/^probe.count *=.*/probe.count = 600/' "$top/scenarios/native-net-quick.scn" >"$res/k.scn"
"$run" --results "$res" --bin "$res/bin" --no-analyze --variants baseline "$res/k.scn" >"$res/run.log" 2>&1
rc=$?
cat "$res/run.log"
[ $rc -eq 1 ] || bad "exit $rc, want 1"
d=$(ls -d "$res"/*-native-net-quick | head -n1)
[ "$(meta_get "$d/meta.txt" status)" = "failed: baseline" ] || bad "run status '$(meta_get "$d/meta.txt" status)'"
[ "$(meta_get "$d/baseline/meta.txt" status)" = failed ] || bad "variant status $(meta_get "$d/baseline/meta.txt" status)"
[ "$(meta_get "$d/baseline/meta.txt" exit_recv)" = 143 ] || bad "exit_recv $(meta_get "$d/baseline/meta.txt" exit_recv)"
grep -q "variant 'baseline': nt-recv exited 143 (a signal the runner did not send)" "$res/run.log" || bad "no clear message"

# a sender that exits 0 without sending anything: no data, so the variant fails
rm "$res/bin/nt-recv"
ln -s "$bin/nt-recv" "$res/bin/nt-recv"
rm "$res/bin/nt-send"
printf '#!/bin/sh\ncase " $* " in *" --check "*) exec %s "$@" ;; esac\nexit 0\n' "$bin/nt-send" >"$res/bin/nt-send"
chmod +x "$res/bin/nt-send"
sed -e 's/^probe.count *=.*/probe.count = 20/' -e 's/^name *=.*/name = nodata/' "$top/scenarios/native-net-quick.scn" >"$res/n.scn"
"$run" --results "$res" --bin "$res/bin" --no-analyze --variants baseline "$res/n.scn" >"$res/run2.log" 2>&1
rc=$?
cat "$res/run2.log"
[ $rc -eq 1 ] || bad "no data: exit $rc, want 1"
d=$(ls -d "$res"/*-nodata | head -n1)
[ "$(meta_get "$d/meta.txt" status)" = "failed: baseline" ] || bad "no data: run status '$(meta_get "$d/meta.txt" status)'"
grep -q "variant 'baseline': no data (send records: none" "$res/run2.log" || bad "no data: no clear message"
exit $fail
