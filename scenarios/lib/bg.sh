# SPDX-License-Identifier: GPL-2.0
# The programs a testbed driver runs in the background on this host (sourced
# by scenarios/run before the driver): started logged, stopped with SIGTERM
# (the programs flush and exit), then SIGKILL after a grace time.
#   bg_start NAME LOG CMD...   start CMD (stdin /dev/null, output to LOG); BG_PID[NAME]
#   bg_stop NAME [GRACE_S]     stop it; returns its exit status; BG_TERMED[NAME]
#                              says whether the runner sent the signal
#   bg_stop_all                stop every one still known
declare -A BG_PID=() BG_TERMED=()

bg_start() {
	local name=$1 log=$2
	shift 2
	logcmd "$cur_variant" "$@"
	"$@" >"$log" 2>&1 </dev/null &
	BG_PID[$name]=$!
	BG_TERMED[$name]=0
}

bg_stop() {
	local name=$1 grace=${2:-5} pid=${BG_PID[$1]-} i
	[ -n "$pid" ] || return 0
	if kill -0 "$pid" 2>/dev/null; then
		logcmd "$cur_variant" kill -TERM "$name($pid)"
		BG_TERMED[$name]=1
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < grace * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		if kill -0 "$pid" 2>/dev/null; then
			logcmd "$cur_variant" kill -KILL "$name($pid)"
			kill -KILL "$pid" 2>/dev/null
		fi
	fi
	wait "$pid" 2>/dev/null
	local rc=$?
	unset "BG_PID[$name]"
	return $rc
}

bg_stop_all() {
	local n
	for n in "${!BG_PID[@]}"; do bg_stop "$n" 3; done
	return 0
}
