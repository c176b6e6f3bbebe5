#!/usr/bin/env bash
# The ssh transport of the hosts testbed (scenarios/lib/remote.sh) against a
# real ssh server (Debian's dropbear on 127.0.0.1, sshd-lib.sh): commands and
# scripts run with their exit status, every one in commands.log before it
# runs; a host outside the inventory is never contacted; batch mode never
# prompts (an unknown key fails at once); a command past its time is cut
# (124); a connection killed mid-command gives 255; files go out and come
# back checked by sha256, and a file that changed on the way is named while
# the others are kept; a copy whose remote tar dies half-way is tried again
# (each try in commands.log and fetch-TAG.log) and, when it always breaks,
# fails saying why (both tars' exit status and stderr), what arrived kept.
# timeout: 180
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$top/scenarios/tests/sshd-lib.sh"
. "$top/scenarios/lib/remote.sh"
work=$(mktemp -d /tmp/nt-remote-ssh.XXXXXX)
chmod 755 "$work"
cleanup() { sshd_stop; rm -rf "$work"; }
trap cleanup EXIT
ok() { echo "ok: $*"; }

sshd_start "$work/sshd" nt-xen nt-load nt-other; rc=$?
[ $rc = 77 ] && { echo "SKIP: $SSHD_WHY"; exit 77; }
[ $rc = 0 ] || { echo "FAIL: ssh server: $SSHD_WHY"; exit 1; }
# a client whose key the server does not know
ssh-keygen -q -t ed25519 -N '' -f "$work/stranger"
sed -n '/^Host nt-xen$/,/LogLevel/p' "$SSHD_CONFIG" |
	sed -e 's/^Host nt-xen$/Host nt-stranger/' -e "s|IdentityFile .*|IdentityFile $work/stranger|" >>"$SSHD_CONFIG"

cmdlog=$work/commands.log
: >"$cmdlog"
logcmd() { local w=$1; shift; { printf '[%s]' "$w"; printf ' %q' "$@"; printf '\n'; } >>"$cmdlog"; }
RMT_SSH_OPTS=(-F "$SSHD_CONFIG")
RMT_CONNECT_TIMEOUT=5
rmt_allow nt-xen local nt-load nt-stranger
conns() { grep -c 'Child connection' "$SSHD_LOG"; }
# the server's session processes; new_session BEFORE: the one that appeared since (5 s)
sessions() { ps -o pid= --ppid "$SSHD_PID" | tr -d ' ' | sort; }
new_session() {
	local i s
	for i in $(seq 50); do
		s=$(comm -13 <(echo "$1") <(sessions) | head -n1)
		[ -n "$s" ] && { echo "$s"; return 0; }
		sleep 0.1
	done
}

# --- commands: output, exit status, the log
out=$(rmt_run t nt-xen 20 'echo "hello $((6 * 7))"'); rc=$?
[ $rc = 0 ] && [ "$out" = "hello 42" ] && ok "rmt_run: output" || bad "rmt_run: exit $rc, '$out'"
rmt_run t nt-load 20 'exit 7'; rc=$?
[ $rc = 7 ] && ok "rmt_run: the remote exit status (7)" || bad "rmt_run exit 7 gave $rc"
want="-- nt-xen $(printf '%q' 'echo "hello $((6 * 7))"')"
grep -q '^\[t\] ssh -o BatchMode=yes -o ConnectTimeout=5 ' "$cmdlog" && grep -qF -- "$want" "$cmdlog" &&
	ok "commands.log has the exact command" || bad "commands.log: $(cat "$cmdlog")"

# --- only the inventory's hosts
n0=$(conns)
out=$(rmt_run t nt-other 20 true 2>&1); rc=$?
[ $rc = 255 ] && grep -q 'nt-other is not a host of the inventory: not contacted' <<<"$out" &&
	[ "$(conns)" = "$n0" ] && ! grep -q 'nt-other' "$cmdlog" &&
	ok "a host outside the inventory is refused without a connection" || bad "nt-other: exit $rc, $out"

# --- batch mode: an unknown key fails at once instead of prompting
t0=$(date +%s)
rmt_run t nt-stranger 30 true </dev/null >/dev/null 2>&1; rc=$?
[ $rc = 255 ] && [ $(( $(date +%s) - t0 )) -lt 10 ] && ok "unknown key: 255 at once (batch mode)" ||
	bad "unknown key: exit $rc after $(( $(date +%s) - t0 )) s"

# --- a command past its time
t0=$(date +%s)
rmt_run t nt-xen 2 'sleep 4' ; rc=$?
[ $rc = 124 ] && [ $(( $(date +%s) - t0 )) -lt 8 ] && ok "timeout: 124" || bad "timeout: exit $rc"

# --- the connection killed mid-command (the server's session process)
before=$(sessions)
rmt_run t nt-xen 30 'sleep 6; echo finished' >"$work/killed.out" 2>&1 &
cp=$!
sess=$(new_session "$before")
sleep 0.5
[ -n "$sess" ] && kill -KILL "$sess"
wait $cp; rc=$?
[ -n "$sess" ] && [ $rc = 255 ] && ! grep -q finished "$work/killed.out" &&
	ok "connection killed: 255" || bad "connection killed (session '$sess'): exit $rc, $(cat "$work/killed.out")"

# --- a script with arguments
cat >"$work/step.sh" <<'E'
set -u
echo "args=$#"
for a in "$@"; do printf '<%s>\n' "$a"; done
exit 3
E
out=$(rmt_script t nt-xen 20 "$work/step.sh" "two words" "it's" '$HOME' ''); rc=$?
[ $rc = 3 ] && [ "$out" = "$(printf 'args=4\n<two words>\n<it'"'"'s>\n<$HOME>\n<>')" ] &&
	ok "rmt_script: arguments intact, exit status" || bad "rmt_script: exit $rc, '$out'"
want="$(printf '%q' "sh -s -- $(printf '%q ' "two words" "it's" '$HOME' '' | sed 's/ $//')") $(printf '%q' "<$work/step.sh") sha256=$(sha256sum <"$work/step.sh" | cut -c1-16)"
grep -qF -- "$want" "$cmdlog" && ok "commands.log names the script, its arguments and checksum" ||
	bad "script log: want '$want' in $(tail -n1 "$cmdlog")"

# --- files out and back, checked
rdir=$work/remote
mkdir -p "$work/local"
head -c 300000 /dev/urandom >"$work/local/blob"
rmt_put t nt-xen 30 "$work/local/blob" "$rdir/in/blob"; rc=$?
[ $rc = 0 ] && cmp -s "$work/local/blob" "$rdir/in/blob" && ok "rmt_put: copied, sha256 checked" ||
	bad "rmt_put: exit $rc $RMT_WHY"
mkdir -p "$rdir/out/sub dir"
printf 'a,b\n1,2\n' >"$rdir/out/hv.csv"
head -c 100000 /dev/urandom >"$rdir/out/sub dir/raw trace.xt"
: >"$rdir/out/empty.log"
rmt_fetch t nt-xen 30 "$rdir/out" "$work/fetched"; rc=$?
[ $rc = 0 ] && cmp -s "$rdir/out/hv.csv" "$work/fetched/hv.csv" &&
	cmp -s "$rdir/out/sub dir/raw trace.xt" "$work/fetched/sub dir/raw trace.xt" && [ -f "$work/fetched/empty.log" ] &&
	grep -q 'all 3 files match' "$work/fetched/fetch-check.txt" && [ "$(wc -l <"$work/fetched/SHA256SUMS.remote")" = 3 ] &&
	ok "rmt_fetch: 3 files, every sha256 checked" || bad "rmt_fetch: exit $rc $RMT_WHY; $(ls -R "$work/fetched")"
# a file still being written while it is fetched: named, the rest kept (one
# try: the listing is older than the file, no try could match it)
( for i in $(seq 400); do echo "line $i" >>"$rdir/out/growing.log"; : >"$rdir/out/new-$i.log"; sleep 0.01; done ) &
gp=$!
sleep 0.1
RMT_TRIES=1 rmt_fetch t nt-xen 30 "$rdir/out" "$work/fetched2"; rc=$?
kill "$gp" 2>/dev/null; wait "$gp" 2>/dev/null
[ $rc = 1 ] && grep -q 'growing.log: FAILED' "$work/fetched2/fetch-check.txt" &&
	grep -q 'new-[0-9]*.log: NOT CHECKED' "$work/fetched2/fetch-check.txt" &&
	cmp -s "$rdir/out/hv.csv" "$work/fetched2/hv.csv" && grep -q 'file(s) missing or different' <<<"$RMT_WHY" &&
	ok "a file that changed on the way and files that appeared after the listing are named, the others kept" ||
	bad "changing file: exit $rc, $RMT_WHY, $(cat "$work/fetched2/fetch-check.txt" 2>/dev/null)"
rmt_fetch t nt-xen 30 "$rdir/nowhere" "$work/fetched3" 2>/dev/null; rc=$?
[ $rc != 0 ] && grep -q "listing nt-xen:$rdir/nowhere failed" <<<"$RMT_WHY" && ok "fetch of a missing folder fails clearly" ||
	bad "missing folder: exit $rc, $RMT_WHY"

# --- a copy that breaks: the real remote tar dies half-way (SIGPIPE: nt-flaky's
# forced command passes only the first 30000 bytes of its first BREAKS streams)
ssh-keygen -q -t ed25519 -N '' -f "$work/flaky-id"
printf 'command="%s" %s\n' "$work/flaky.sh" "$(cat "$work/flaky-id.pub")" >>"$work/sshd/home/.ssh/authorized_keys"
sed -n '/^Host nt-xen$/,/LogLevel/p' "$SSHD_CONFIG" |
	sed -e 's/^Host nt-xen$/Host nt-flaky/' -e "s|IdentityFile .*|IdentityFile $work/flaky-id|" >>"$SSHD_CONFIG"
cat >"$work/flaky.sh" <<E
#!/bin/sh
n=\$(cat $work/flaky.count 2>/dev/null || echo 0)
case "\$SSH_ORIGINAL_COMMAND" in
*"tar cf - ."*) if [ "\$n" -lt "\$(cat $work/flaky.breaks)" ]; then
	echo \$((n + 1)) >$work/flaky.count
	{ sh -c "\$SSH_ORIGINAL_COMMAND"; echo \$? >$work/flaky.rc; } | head -c 30000
	exit \$(cat $work/flaky.rc)
fi ;;
esac
exec sh -c "\$SSH_ORIGINAL_COMMAND"
E
chmod 755 "$work/flaky.sh"
rmt_allow nt-flaky
mkdir -p "$rdir/flaky"
for f in a.txt m.txt z.txt; do seq 1000 >"$rdir/flaky/$f"; done
head -c 300000 /dev/urandom >"$rdir/flaky/big.bin"
RMT_DELAY=0.2
echo 1 >"$work/flaky.breaks"
rmt_fetch t nt-flaky 30 "$rdir/flaky" "$work/fetched4" flaky; rc=$?
[ $rc = 0 ] && grep -q 'all 4 files match' "$work/fetched4/fetch-check-flaky.txt" && [ "$(cat "$work/flaky.count")" = 1 ] &&
	grep -F '[t] \#\ the\ copy\ from\ nt-flaky:' "$cmdlog" | grep -F 'ssh\ exit\ 141' | grep -qF 'try\ 2\ of\ 3\ in\ 0.2\ s' &&
	grep -q '^== try 1 of 3, .*: ssh (the remote tar) exit 141, tar here exit 2$' "$work/fetched4/fetch-flaky.log" &&
	grep -q '^here: tar: Unexpected EOF in archive' "$work/fetched4/fetch-flaky.log" &&
	ok "a copy whose remote tar died half-way was tried again and completed; the broken try in commands.log and fetch-flaky.log" ||
	bad "broken copy once: exit $rc, $RMT_WHY; $(cat "$work/fetched4/fetch-flaky.log" 2>&1); $(grep -F 'the\ copy' "$cmdlog")"
echo 0 >"$work/flaky.count"
echo 9 >"$work/flaky.breaks"
rmt_fetch t nt-flaky 30 "$rdir/flaky" "$work/fetched5" flaky; rc=$?
kept=$(cd "$work/fetched5" && sha256sum -c SHA256SUMS.flaky 2>/dev/null | grep -c ': OK$')
[ $rc = 1 ] && [ "$(cat "$work/flaky.count")" = 3 ] && [ "$(grep -c '^== try' "$work/fetched5/fetch-flaky.log")" = 3 ] &&
	grep -q "failed 3 times, the last: ssh exit 141, tar exit 2: tar: Unexpected EOF in archive / .*; [1-4] file(s) missing or different after the copy ([0-4] missing; .*what arrived is kept (every try in $work/fetched5/fetch-flaky.log)" <<<"$RMT_WHY" &&
	grep -q ': FAILED' "$work/fetched5/fetch-check-flaky.txt" &&
	ok "a copy that always breaks: 3 tries, the error says why ($(cut -c1-90 <<<"${RMT_WHY#*the last: }")...), $kept file(s) that arrived kept" ||
	bad "broken copy always: exit $rc, tries $(cat "$work/flaky.count"), $RMT_WHY"
RMT_DELAY=2

# --- deploy a tools folder (only what changed travels), then run a step the
# way testbed/steps/ are written (inputs as K=V, outputs in NT_OUT)
mkdir -p "$work/tools/steps"
printf 'say() { echo "lib: $*"; }\n' >"$work/tools/lib.sh"
cat >"$work/tools/steps/probe.sh" <<'E'
. "$NT_LIB"
mkdir -p "$NT_OUT"
say "in=$NT_IN" >"$NT_OUT/probe.txt"
echo "count=$NT_COUNT" >>"$NT_OUT/probe.txt"
E
printf '#!/bin/sh\necho tool\n' >"$work/tools/tool" && chmod +x "$work/tools/tool"
rmt_deploy t nt-xen 30 "$rdir/tools" "$work/tools"; rc=$?
[ $rc = 0 ] && diff -r "$work/tools" "$rdir/tools" >/dev/null && [ -x "$rdir/tools/tool" ] &&
	ok "rmt_deploy: the folder copied, modes kept" || bad "rmt_deploy: exit $rc $RMT_WHY"
n1=$(grep -c 'sha256=' "$cmdlog")
echo '# changed' >>"$work/tools/lib.sh"
rmt_deploy t nt-xen 30 "$rdir/tools" "$work/tools"; rc=$?
[ $rc = 0 ] && [ $(( $(grep -c 'sha256=' "$cmdlog") - n1 )) = 1 ] && cmp -s "$work/tools/lib.sh" "$rdir/tools/lib.sh" &&
	ok "rmt_deploy again: only the changed file travels" || bad "second deploy: exit $rc, $(( $(grep -c 'sha256=' "$cmdlog") - n1 )) copies"
rmt_step t nt-xen 30 "$rdir/tools" "$rdir/v1" probe NT_IN="a b'c" NT_COUNT=3; rc=$?
[ $rc = 0 ] && [ "$(cat "$rdir/v1/probe.txt")" = "$(printf "lib: in=a b'c\ncount=3")" ] &&
	ok "rmt_step: inputs as K=V, output in NT_OUT" || bad "rmt_step: exit $rc, $(cat "$rdir/v1/probe.txt" 2>&1)"
rmt_step t nt-xen 30 "$rdir/tools" "$rdir/v1" probe 'bad input' 2>/dev/null; rc=$?
[ $rc = 2 ] && ok "rmt_step: an input that is not K=V is refused" || bad "rmt_step bad input: exit $rc"

# --- a program in the background there: stopped by a signal it can handle,
# also after its connection was lost
prog="trap 'echo flushed >$work/flushed.txt; exit 7' TERM; i=0; while [ \$i -lt 300 ]; do i=\$((i + 1)); echo tick \$i; sleep 0.1; done"
rmt_bg_start prog t nt-xen 60 "$work/prog.log" "$prog"
sleep 2
rmt_bg_alive prog || bad "the background program is not running: $(cat "$work/prog.log")"
rmt_bg_stop prog TERM 5; rc=$?
[ $rc = 7 ] && [ "$(cat "$work/flushed.txt" 2>/dev/null)" = flushed ] && grep -q '^tick 1$' "$work/prog.log" &&
	ok "rmt_bg_stop: the program got SIGTERM, ran its handler, its exit status came back" ||
	bad "rmt_bg_stop: exit $rc, $(tail -n 2 "$work/prog.log")"
rm -f "$work/flushed.txt"
before=$(sessions)
rmt_bg_start prog2 t nt-xen 60 "$work/prog2.log" "$prog"
sess=$(new_session "$before")
sleep 1
rpid=$(cat "/tmp/nt-bg-$$-prog2.pid" 2>/dev/null)
[ -n "$sess" ] && kill -KILL "$sess"
sleep 0.5
rmt_bg_stop prog2 TERM 5; rc=$?
[ $rc = 255 ] && [ -n "$rpid" ] && ! kill -0 "$rpid" 2>/dev/null &&
	ok "connection lost: the program there was still stopped (by its pid), 255 reported" ||
	bad "connection lost: exit $rc, remote pid ${rpid:-none} $(kill -0 "$rpid" 2>/dev/null && echo still runs)"
rm -f "/tmp/nt-bg-$$-prog"*.pid

n=$(grep -c . "$cmdlog")
[ $fail = 0 ] && echo "remote: ssh transport checked against dropbear on 127.0.0.1:$SSHD_PORT, $n commands logged"
exit $fail
