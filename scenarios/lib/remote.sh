# SPDX-License-Identifier: GPL-2.0
# The ssh transport of the hosts testbed (sourced by scenarios/run's hosts
# driver and by hv-probe/install-host.sh).  Every remote command goes through
# here: ssh in batch mode (never a password prompt), bounded by a connect
# timeout, keep-alives and a whole-command timeout, logged to commands.log
# (logcmd, from the caller) before it runs, and only to the hosts of the
# inventory (rmt_allow).  The remote side needs a POSIX sh, tar, sha256sum
# (coreutils or busybox): Debian's dom0 and the emulated testbed's alike.
#
#   rmt_allow TARGET...          the hosts that may be contacted ("local" is ignored)
#   rmt_run WHERE TARGET SECS CMD          run the shell command CMD remotely
#   rmt_script WHERE TARGET SECS FILE ARG...  run the local script FILE with sh there
#   rmt_put WHERE TARGET SECS LOCAL REMOTE  copy a file there, verified by sha256
#   rmt_fetch WHERE TARGET SECS RDIR LDIR [TAG]  copy every file under RDIR into
#                                LDIR, each checked against its remote sha256
#                                (LDIR/SHA256SUMS.TAG, default TAG remote; the check
#                                in LDIR/fetch-check[-TAG].txt); a broken copy is
#                                tried again (RMT_TRIES, its tries in
#                                LDIR/fetch[-TAG].log); what arrived is kept
#   rmt_deploy WHERE TARGET SECS RDIR LDIR  make RDIR a copy of the files under LDIR:
#                                only those whose sha256 differs travel, each checked
#   rmt_bg_start NAME WHERE TARGET SECS LOG CMD  run the shell command CMD there in
#                                the background (bounded by SECS with timeout), its
#                                output in LOG here; its pid there in /tmp/nt-bg-PID-NAME.pid
#   rmt_bg_stop NAME SIGNAL GRACE  signal it there (by that pid), wait GRACE s for
#                                it to end; returns its exit status (255: connection lost)
#   rmt_again CMD...             run CMD (one of these functions) again, up to
#                                RMT_TRIES times in all (default 3, RMT_DELAY s
#                                apart, default 2), while it fails with
#                                255 (ssh: no connection): for what may be repeated
#                                (copies, listings, reads), never for a step
#   rmt_step WHERE TARGET SECS TOOLS OUT STEP K=V...  run the remote step
#                                TOOLS/steps/STEP.sh (testbed/steps/README.md) with
#                                NT_OUT=OUT, NT_LIB=TOOLS/lib.sh and the K=V inputs
# Exit status of rmt_run/rmt_script: the remote command's, 255 when ssh could
# not connect or the connection died, 124 on timeout.  RMT_SSH_OPTS (array)
# holds the caller's extra ssh options (the inventory's ssh.options).

RMT_HOSTS=()
RMT_SSH_OPTS=()
RMT_CONNECT_TIMEOUT=${RMT_CONNECT_TIMEOUT:-10}
RMT_WHY=""
RMT_SUMS=SHA256SUMS.remote RMT_CHECK=fetch-check.txt

RMT_TRIES=${RMT_TRIES:-3} RMT_DELAY=${RMT_DELAY:-2}
rmt_again() {
	local try=1 rc
	while :; do
		"$@"
		rc=$?
		[ $rc = 255 ] && [ $try -lt "$RMT_TRIES" ] || return $rc
		try=$((try + 1))
		logcmd "${2:-}" "# ssh failed (255): try $try of $RMT_TRIES in $RMT_DELAY s"
		sleep "$RMT_DELAY"
	done
}

rmt_allow() {
	local t
	for t in "$@"; do [ -n "$t" ] && [ "$t" != local ] && RMT_HOSTS+=("$t"); done
	return 0
}

rmt_allowed() {
	local t
	for t in "${RMT_HOSTS[@]}"; do [ "$t" = "$1" ] && return 0; done
	RMT_WHY="$1 is not a host of the inventory: not contacted"
	echo "remote: $RMT_WHY" >&2
	return 1
}

# rmt_ssh_cmd TARGET: the ssh command line (array RMT_CMD).
rmt_ssh_cmd() {
	RMT_CMD=(ssh -o BatchMode=yes -o ConnectTimeout="$RMT_CONNECT_TIMEOUT"
		-o ServerAliveInterval=5 -o ServerAliveCountMax=3 "${RMT_SSH_OPTS[@]}" -- "$1")
}

rmt_run() {
	local where=$1 target=$2 secs=$3
	shift 3
	rmt_allowed "$target" || return 255
	rmt_ssh_cmd "$target"
	logcmd "$where" "${RMT_CMD[@]}" "$*"
	timeout -k 5 "$secs" "${RMT_CMD[@]}" "$*" </dev/null
}

rmt_script() {
	local where=$1 target=$2 secs=$3 file=$4 a q=""
	shift 4
	rmt_allowed "$target" || return 255
	[ -r "$file" ] || { RMT_WHY="cannot read $file"; echo "remote: $RMT_WHY" >&2; return 2; }
	for a in "$@"; do q+=" $(printf '%q' "$a")"; done
	rmt_ssh_cmd "$target"
	logcmd "$where" "${RMT_CMD[@]}" "sh -s --$q" "<$file" "sha256=$(sha256sum <"$file" | cut -c1-16)"
	timeout -k 5 "$secs" "${RMT_CMD[@]}" "sh -s --$q" <"$file"
}

rmt_put() {
	local where=$1 target=$2 secs=$3 src=$4 dst=$5 sum got rc
	rmt_allowed "$target" || return 255
	sum=$(sha256sum <"$src" | cut -d' ' -f1) || return 2
	rmt_ssh_cmd "$target"
	local qd; qd=$(printf '%q' "$dst")
	logcmd "$where" "${RMT_CMD[@]}" "mkdir -p \"\$(dirname $qd)\" && cat >$qd.part && mv $qd.part $qd" "<$src" "sha256=$sum"
	timeout -k 5 "$secs" "${RMT_CMD[@]}" \
		"mkdir -p \"\$(dirname $qd)\" && cat >$qd.part && sha256sum $qd.part && mv $qd.part $qd" \
		<"$src" >"${TMPDIR:-/tmp}/nt-rmt-put.$$" 2>"${TMPDIR:-/tmp}/nt-rmt-put.$$.err"
	rc=$?
	got=$(awk 'NR == 1 { print $1 }' "${TMPDIR:-/tmp}/nt-rmt-put.$$")
	rm -f "${TMPDIR:-/tmp}/nt-rmt-put.$$"
	[ $rc -eq 0 ] || { RMT_WHY="copying $src to $target:$dst failed (exit $rc: $(tail -n 1 "${TMPDIR:-/tmp}/nt-rmt-put.$$.err" 2>/dev/null))"; rm -f "${TMPDIR:-/tmp}/nt-rmt-put.$$.err"; return $rc; }
	rm -f "${TMPDIR:-/tmp}/nt-rmt-put.$$.err"
	[ "$got" = "$sum" ] || { RMT_WHY="$target:$dst: sha256 $got, sent $sum"; return 1; }
}

# rmt_fetch: the sums of every regular file under RDIR (relative names) on
# one connection, then the files as a tar stream on another.  A copy that
# breaks (ssh's or tar's exit status not 0, or files missing or differing from
# the listing after it) is tried again, up to RMT_TRIES times in all, each new
# try in commands.log; what arrived is kept.  A failed try's exit statuses and
# the stderr of both tars go to LDIR/fetch[-TAG].log (kept), the last one's
# into RMT_WHY.  The listing is taken once: a file still changing there stays
# different, and is named.
rmt_fetch() {
	local where=$1 target=$2 secs=$3 rdir=$4 ldir=$5 rc qd try=1 why
	RMT_SUMS=SHA256SUMS.${6:-remote} RMT_CHECK=fetch-check${6:+-$6}.txt RMT_FETCH_LOG=fetch${6:+-$6}.log
	rmt_allowed "$target" || return 255
	mkdir -p "$ldir" || return 2
	qd=$(printf '%q' "$rdir")
	rmt_ssh_cmd "$target"
	logcmd "$where" "${RMT_CMD[@]}" "cd $qd && find . -type f -exec sha256sum {} +"
	timeout -k 5 "$secs" "${RMT_CMD[@]}" "cd $qd && find . -type f -exec sha256sum {} +" \
		</dev/null >"$ldir/$RMT_SUMS"
	rc=$?
	[ $rc -eq 0 ] || { RMT_WHY="listing $target:$rdir failed (exit $rc)"; return $rc; }
	rm -f "$ldir/$RMT_FETCH_LOG"
	while :; do
		rmt_copy "$where" "$qd" "$ldir" "$secs" || return 2
		rmt_verify "$ldir"
		rc=$?
		[ -z "$RMT_COPY_WHY" ] && [ $rc = 0 ] && { rm -rf "$RMT_ERR"; return 0; }
		why=$RMT_COPY_WHY
		[ $rc = 0 ] || why+="${why:+; }$RMT_WHY"
		rmt_fetch_log "$ldir/$RMT_FETCH_LOG" "$try" "$why"
		[ "$try" -lt "$RMT_TRIES" ] || break
		try=$((try + 1))
		logcmd "$where" "# the copy from $target:$rdir failed ($why): try $try of $RMT_TRIES in $RMT_DELAY s"
		sleep "$RMT_DELAY"
	done
	RMT_WHY="the copy from $target:$rdir failed $RMT_TRIES times, the last: $why; what arrived is kept (every try in $ldir/$RMT_FETCH_LOG)"
	return 1
}

# rmt_copy WHERE QDIR LDIR SECS: one tar stream from RMT_CMD's host into LDIR.
# RMT_COPY_WHY: empty when both ends exited 0, else their exit statuses and
# last stderr lines; both stderrs in RMT_ERR/remote and RMT_ERR/here.
rmt_copy() {
	local where=$1 qd=$2 ldir=$3 secs=$4 st
	RMT_ERR=$(mktemp -d "${TMPDIR:-/tmp}/nt-rmt-fetch.XXXXXX") || { RMT_WHY="mktemp failed"; return 1; }
	logcmd "$where" "${RMT_CMD[@]}" "cd $qd && tar cf - ." "| tar xf - -C $ldir"
	timeout -k 5 "$secs" "${RMT_CMD[@]}" "cd $qd && tar cf - ." </dev/null 2>"$RMT_ERR/remote" |
		tar xvf - -C "$ldir" --no-same-owner >"$ldir/.fetch-names" 2>"$RMT_ERR/here"
	st=("${PIPESTATUS[@]}")
	RMT_COPY_ST="ssh (the remote tar) exit ${st[0]}, tar here exit ${st[1]}"
	RMT_COPY_WHY=""
	[ "${st[0]}" = 0 ] && [ "${st[1]}" = 0 ] ||
		RMT_COPY_WHY="ssh exit ${st[0]}$(rmt_last "$RMT_ERR/remote"), tar exit ${st[1]}$(rmt_last "$RMT_ERR/here")"
	return 0
}

# rmt_last FILE: ": its last 3 different lines" (joined by " / ", at most
# 300 characters), or nothing
rmt_last() {
	local l
	l=$(grep -v '^[[:space:]]*$' "$1" 2>/dev/null | awk '!seen[$0]++' | tail -n 3 |
		awk '{ printf "%s%s", (NR > 1 ? " / " : ""), $0 }' | cut -c1-300)
	[ -z "$l" ] || printf ': %s' "$l"
}

# rmt_fetch_log LOG TRY WHY: a failed try, both tars' stderr, into LOG
rmt_fetch_log() {
	{
		echo "== try $2 of $RMT_TRIES, $(date -u +%Y-%m-%dT%H:%M:%SZ): $RMT_COPY_ST"
		echo "why: $3"
		sed 's/^/remote: /' "$RMT_ERR/remote"
		sed 's/^/here: /' "$RMT_ERR/here"
	} >>"$1"
	rm -rf "$RMT_ERR"
}

# rmt_verify LDIR: check LDIR's files against LDIR/$RMT_SUMS; names the
# missing and the differing in RMT_WHY and LDIR/$RMT_CHECK; RMT_MISSING: how
# many listed files are not there.
rmt_verify() {
	local ldir=$1 out
	out=$(cd "$ldir" && sha256sum -c "$RMT_SUMS" 2>/dev/null | grep -v ': OK$')
	RMT_MISSING=$(grep -c ': FAILED open or read$' <<<"$out")
	# files that arrived but were not listed (created after the listing): not checked
	if [ -f "$ldir/.fetch-names" ]; then
		out+=$(cd "$ldir" && while IFS= read -r f; do
			[ -f "$f" ] || continue
			awk -v f="$f" 'substr($0, 67) == f { found = 1 } END { exit !found }' "$RMT_SUMS" ||
				printf '\n%s: NOT CHECKED (it appeared after the listing)' "$f"
		done <.fetch-names)
		rm -f "$ldir/.fetch-names"
		out=$(sed '/^$/d' <<<"$out")
	fi
	if [ -n "$out" ]; then
		printf '%s\n' "$out" >"$ldir/$RMT_CHECK"
		RMT_WHY="$(wc -l <<<"$out") file(s) missing or different after the copy ($RMT_MISSING missing; see $ldir/$RMT_CHECK)"
		return 1
	fi
	printf 'all %s files match their remote sha256\n' "$(wc -l <"$ldir/$RMT_SUMS")" >"$ldir/$RMT_CHECK"
}

rmt_deploy() {
	local where=$1 target=$2 secs=$3 rdir=$4 ldir=$5 rc f have qd
	rmt_allowed "$target" || return 255
	qd=$(printf '%q' "$rdir")
	have=$(rmt_again rmt_run "$where" "$target" "$secs" "mkdir -p $qd && cd $qd && find . -type f -exec sha256sum {} +") ||
		{ RMT_WHY="cannot list $target:$rdir"; return 1; }
	while IFS= read -r f; do
		local sum; sum=$(sha256sum <"$ldir/$f" | cut -d' ' -f1)
		grep -qxF "$sum  ./$f" <<<"$have" && continue
		rmt_again rmt_put "$where" "$target" "$secs" "$ldir/$f" "$rdir/$f" || return $?
		# keep the mode (scripts, programs)
		[ -x "$ldir/$f" ] && { rmt_again rmt_run "$where" "$target" "$secs" "chmod +x $(printf '%q' "$rdir/$f")" || return $?; }
	done < <(cd "$ldir" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)
	return 0
}

rmt_step() {
	local where=$1 target=$2 secs=$3 tools=$4 out=$5 step=$6 kv env=""
	shift 6
	for kv in "$@"; do
		case "$kv" in [A-Z]*=*) ;; *) RMT_WHY="rmt_step: bad input '$kv' (K=V)"; return 2 ;; esac
		env+=" $(printf '%q' "$kv")"
	done
	rmt_run "$where" "$target" "$secs" \
		"cd $(printf '%q' "$tools") && env NT_OUT=$(printf '%q' "$out") NT_LIB=$(printf '%q' "$tools/lib.sh")$env sh steps/$step.sh"
}

# Remote background programs: the ssh client runs here in the background; the
# program's pid is kept there, so that a stop reaches it even when the first
# connection was lost (a program without a terminal gets no hangup).
declare -A RMT_BG_PID=() RMT_BG_TARGET=() RMT_BG_WHERE=()

rmt_bg_start() {
	local name=$1 where=$2 target=$3 secs=$4 log=$5 cmd=$6 pf
	rmt_allowed "$target" || return 255
	pf=/tmp/nt-bg-$$-$name.pid
	rmt_run "$where" "$target" $((secs + 30)) \
		"rm -f $pf; exec sh -c 'echo \$\$ >$pf; exec timeout -k 5 $secs sh -c \"\$0\"' $(printf '%q' "$cmd")" \
		>"$log" 2>&1 &
	RMT_BG_PID[$name]=$! RMT_BG_TARGET[$name]=$target RMT_BG_WHERE[$name]=$where
	return 0
}

rmt_bg_alive() { local p=${RMT_BG_PID[$1]-}; [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

rmt_bg_stop() {
	local name=$1 sig=$2 grace=$3 pid=${RMT_BG_PID[$1]-} rc pf
	[ -n "$pid" ] || return 0
	pf=/tmp/nt-bg-$$-$name.pid
	# There: the signal (timeout(1) holds the pid and passes it on), a wait of
	# GRACE s, then SIGKILL; one connection, whether or not the first one lives.
	rmt_run "${RMT_BG_WHERE[$name]}" "${RMT_BG_TARGET[$name]}" $((grace + 30)) \
		"p=\$(cat $pf 2>/dev/null) || exit 0; [ $sig = - ] || kill -$sig \$p 2>/dev/null; i=0;
		while kill -0 \$p 2>/dev/null && [ \$i -lt $((grace * 10)) ]; do sleep 0.1; i=\$((i + 1)); done;
		kill -0 \$p 2>/dev/null && kill -KILL \$p; rm -f $pf; exit 0" >/dev/null 2>&1
	# Here: the ssh client ends with the program (or has ended with the connection).
	local i
	for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rc=$?
	unset "RMT_BG_PID[$name]"
	return $rc
}
