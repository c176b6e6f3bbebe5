# SPDX-License-Identifier: GPL-2.0
# domu.sh: the domU's job channel, from dom0 (the agent of testbed/guest-lib.sh
# on the control link: one request per TCP connection).
#   domu.sh run CMD...          run CMD in the domU: its output; exit status = CMD's
#   domu.sh get REMOTE LOCAL    copy the domU's file REMOTE to LOCAL (in dom0)
#   domu.sh step NAME [K=V]...  run /etc/nt/steps/NAME.sh in the domU with K=V in
#                               its environment and NT_OUT=/tmp/nt-out, then copy
#                               every file of /tmp/nt-out to $NT_OUT
# In: NT_DOMU_IP, NT_AGENT_PORT (default 7000), NT_OUT (step).
. "${NT_LIB:-/etc/nt/lib.sh}"
port=${NT_AGENT_PORT:-7000}
[ -n "${NT_DOMU_IP:-}" ] || { echo "domu.sh: NT_DOMU_IP is not set" >&2; exit 2; }
req() { printf '%s\n' "$1" | nc -w 5 "$NT_DOMU_IP" "$port"; }
run() { # CMD: output streamed (but the last line), exit status from nt-rc=
	req "RUN $1" >/tmp/domu-run.$$ 2>/dev/null
	rc=$(tail -n 1 /tmp/domu-run.$$ | sed -n 's/^nt-rc=\([0-9]*\).*/\1/p')
	sed '$d' /tmp/domu-run.$$
	rm -f /tmp/domu-run.$$
	[ -n "$rc" ] || { echo "domu.sh: no answer from the domU's agent at $NT_DOMU_IP:$port" >&2; return 125; }
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
	size=$(run "wc -c <$(q "$2")") || { echo "domu.sh: no file $2 in the domU" >&2; exit 1; }
	req "GET $2" >"$3.tmp" && [ "$(wc -c <"$3.tmp")" -eq "$size" ] ||
		{ echo "domu.sh: fetching $2: $(wc -c <"$3.tmp") of $size bytes" >&2; rm -f "$3.tmp"; exit 1; }
	mv "$3.tmp" "$3"
	;;
step)
	shift
	name=$1
	shift
	env="NT_OUT=/tmp/nt-out"
	for kv in "$@"; do env="$env ${kv%%=*}=$(q "${kv#*=}")"; done
	run "export $env; mkdir -p /tmp/nt-out; sh /etc/nt/steps/$name.sh"
	rc=$?
	mkdir -p "$NT_OUT"
	for f in $(run "ls /tmp/nt-out"); do
		sh "$0" get "/tmp/nt-out/$f" "$NT_OUT/$f" || { [ $rc = 0 ] && rc=1; }
	done
	exit $rc
	;;
*)
	echo "usage: domu.sh run CMD... | get REMOTE LOCAL | step NAME [K=V]..." >&2
	exit 2
	;;
esac
