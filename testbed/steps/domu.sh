# SPDX-License-Identifier: GPL-2.0
# domu.sh: the domU's job channel, from dom0 (the agent of testbed/guest-lib.sh
# on the control link: one request per TCP connection).
#   domu.sh run CMD...          run CMD in the domU: its output; exit status = CMD's
#                               (113: no answer from the domU's agent)
#   domu.sh get REMOTE LOCAL    copy the domU's file REMOTE to LOCAL (in dom0)
#   domu.sh step NAME [K=V]...  run /etc/nt/steps/NAME.sh in the domU with K=V in
#                               its environment and NT_OUT=/tmp/nt-out, then copy
#                               the files it wrote there to $NT_OUT (one tar)
# In: NT_DOMU_IP, NT_AGENT_PORT (default 7000), NT_OUT (step).
. "${NT_LIB:-/etc/nt/lib.sh}"
port=${NT_AGENT_PORT:-7000}
[ -n "${NT_DOMU_IP:-}" ] || { echo "domu.sh: NT_DOMU_IP is not set" >&2; exit 2; }
# one request (nt-agent req: connects within 5 s, the answer within
# NT_DOMU_REQ_TIMEOUT, default 900 s); NT_AGENT names the program
req() { printf '%s\n' "$1" | "${NT_AGENT:-nt-agent}" req "$NT_DOMU_IP" "$port" --timeout "${NT_DOMU_REQ_TIMEOUT:-900}"; }
# run CMD [TRIES]: output streamed (but the last line), exit status from
# nt-rc=; a request without an answer is sent again TRIES times in all
# (default 1: a step is not sent twice; reading requests are)
run() {
	local try=0 rc=
	while [ -z "$rc" ] && [ $try -lt "${2:-1}" ]; do
		[ $try -gt 0 ] && sleep 1
		try=$((try + 1))
		req "RUN $1" >/tmp/domu-run.$$ 2>/tmp/domu-run.$$.err
		rc=$(tail -n 1 /tmp/domu-run.$$ | sed -n 's/^nt-rc=\([0-9]*\).*/\1/p')
	done
	sed '$d' /tmp/domu-run.$$
	if [ -z "$rc" ]; then
		echo "domu.sh: no answer from the domU's agent at $NT_DOMU_IP:$port ($try tries: $(cat /tmp/domu-run.$$.err))" >&2
		rm -f /tmp/domu-run.$$ /tmp/domu-run.$$.err
		return 113
	fi
	rm -f /tmp/domu-run.$$ /tmp/domu-run.$$.err
	return "$rc"
}
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
case "${1:-}" in
run)
	shift
	run "$*"
	;;
get)
	[ $# = 3 ] || { echo "usage: domu.sh get REMOTE LOCAL" >&2; exit 2; }
	size=$(run "wc -c <$(q "$2")" 3) || { echo "domu.sh: no file $2 in the domU" >&2; exit 1; }
	try=0
	while [ $try -lt 3 ]; do
		try=$((try + 1))
		req "GET $2" >"$3.tmp" && [ "$(wc -c <"$3.tmp")" -eq "$size" ] && break
		sleep 1
	done
	[ "$(wc -c <"$3.tmp")" -eq "$size" ] ||
		{ echo "domu.sh: fetching $2: $(wc -c <"$3.tmp") of $size bytes" >&2; rm -f "$3.tmp"; exit 1; }
	mv "$3.tmp" "$3"
	;;
step)
	shift
	name=$1
	shift
	env="NT_OUT=/tmp/nt-out"
	for kv in "$@"; do env="$env ${kv%%=*}=$(q "${kv#*=}")"; done
	# the step, then the files it wrote (newer than the mark) in one tar
	# (find -newer compares whole seconds: the mark is set a second back)
	run "export $env; mkdir -p /tmp/nt-out; touch -d \"\$(date -d @\$((\$(date +%s) - 1)) '+%Y-%m-%d %H:%M:%S')\" /tmp/nt-mark; sh /etc/nt/steps/$name.sh"
	rc=$?
	[ $rc = 113 ] && exit $rc
	files=$(run "cd /tmp/nt-out && find . -type f -newer /tmp/nt-mark | tr '\n' ' '; echo" 3) || exit 113
	if [ -n "$files" ]; then
		run "cd /tmp/nt-out && tar -cf /tmp/nt-step.tar $files" 3 >/dev/null &&
			sh "$0" get /tmp/nt-step.tar /tmp/nt-step.tar && mkdir -p "$NT_OUT" &&
			tar -xf /tmp/nt-step.tar -C "$NT_OUT" ||
			{ echo "domu.sh: could not fetch the files of step $name: $files" >&2; [ $rc = 0 ] && rc=1; }
		rm -f /tmp/nt-step.tar
	fi
	exit $rc
	;;
*)
	echo "usage: domu.sh run CMD... | get REMOTE LOCAL | step NAME [K=V]..." >&2
	exit 2
	;;
esac
