# SPDX-License-Identifier: GPL-2.0
# The traffic of the hosts testbed over real NICs (sourced by
# scenarios/testbeds/hosts.sh): the flood to dom0's load NIC and the probes to
# the evaluation guest's NIC, each from the machine the inventory names
# (`flood`, `send`: local or user@host) through its interface (`flood.iface`,
# `send.iface`: nt-flood/nt-send --iface).  On a remote sender the programs
# run from the runner's folder there (deployed by hosts_senders_deploy, only
# what changed travels; they need Debian's libpcap0.8 there), write their
# files there, and come back with their sha256 checked.  Needs S/scn,
# remote.sh, the runner's logcmd and $bindir.
#
#   hosts_senders_deploy                 copy nt-send, nt-flood to the remote senders
#   hosts_traffic_start V DIR RUN_ID BOUND  the flood (if any), then the probes
#   hosts_traffic_wait SECS              wait until the probes are sent (1 on timeout)
#   hosts_traffic_stop V DIR             stop both, fetch a remote sender's files into
#                                        DIR/sender/ (send.csv, flood.meta, logs);
#                                        HT_RC_SEND, HT_RC_FLOOD, HT_WHY
# Where the probes go: guest.addr port HOSTS_PROBE_PORT (7001); the flood:
# xen.load_addr port 9 (discard: no listener needed).

HOSTS_PROBE_PORT=${HOSTS_PROBE_PORT:-7001}
HOSTS_FLOOD_PORT=9
declare -A HT_PID=()
HT_WHY=""

# the runner's folder on a sender, and where a variant's files go there
ht_dir() { scn_or hosts.xen.dir /var/tmp/natsume-harness; }
ht_out() { printf '%s/out/%s-%s\n' "$(ht_dir)" "$HT_RUN_ID" "$1"; }

hosts_senders_deploy() {
	local role target tmp rc=0
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/nt-senders.XXXXXX") || return 1
	cp "$bindir/nt-send" "$bindir/nt-flood" "$tmp/" || { rm -rf "$tmp"; return 1; }
	for role in send flood; do
		target=$(scn hosts.$role)
		[ "$target" = local ] && continue
		rmt_deploy setup "$target" 300 "$(ht_dir)/bin" "$tmp" || { HT_WHY="cannot copy the senders to $target: $RMT_WHY"; rc=1; break; }
	done
	rm -rf "$tmp"
	return $rc
}

# ht_start NAME ROLE LOG SECS PROG ARGS...: PROG on the role's machine, in the background
ht_start() {
	local name=$1 role=$2 log=$3 secs=$4 prog=$5 target a cmd
	shift 5
	target=$(scn hosts.$role)
	if [ "$target" = local ]; then
		logcmd "$cur_variant" timeout -k 5 "$secs" "$bindir/$prog" "$@"
		timeout -k 5 "$secs" "$bindir/$prog" "$@" >"$log" 2>&1 </dev/null &
		HT_PID[$name]=$!
	else
		cmd="$(printf '%q' "$(ht_dir)/bin/$prog")"
		for a in "$@"; do cmd+=" $(printf '%q' "$a")"; done
		rmt_bg_start "$name" "$cur_variant" "$target" "$secs" "$log" "$cmd"
		HT_PID[$name]=remote
	fi
}

ht_alive() {
	case "${HT_PID[$1]-}" in
	'') return 1 ;;
	remote) rmt_bg_alive "$1" ;;
	*) kill -0 "${HT_PID[$1]}" 2>/dev/null ;;
	esac
}

# ht_stop NAME SIGNAL GRACE: returns the program's exit status
ht_stop() {
	local name=$1 sig=$2 grace=$3 pid=${HT_PID[$1]-} i rc=0
	case "$pid" in
	'') return 0 ;;
	remote) rmt_bg_stop "$name" "$sig" "$grace"; rc=$? ;;
	*)
		[ "$sig" != - ] && kill "-$sig" "$pid" 2>/dev/null
		for ((i = 0; i < grace * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null; rc=$? ;;
	esac
	unset "HT_PID[$name]"
	return $rc
}

# ht_file ROLE LOCAL_DIR NAME: where the role's program writes NAME
ht_file() {
	if [ "$(scn hosts.$1)" = local ]; then printf '%s/%s\n' "$2" "$3"
	else printf '%s/%s\n' "$(ht_out "$cur_variant")" "$3"; fi
}

hosts_traffic_start() {
	local v=$1 d=$2 bound=$4 fa sa od
	HT_RUN_ID=$3 HT_WHY=""
	mkdir -p "$d/sender"
	for role in send flood; do
		[ "$(scn hosts.$role)" = local ] && continue
		od=$(ht_out "$v")
		rmt_run "$v" "$(scn hosts.$role)" 30 "mkdir -p $(printf '%q' "$od")" >/dev/null ||
			{ HT_WHY="cannot reach the $role host $(scn hosts.$role)"; return 1; }
	done
	mapfile -t fa < <(scn_flood_args "$v")
	if [ ${#fa[@]} -gt 0 ]; then
		fa+=(--dst "$(scn hosts.xen.load_addr):$HOSTS_FLOOD_PORT" --duration "$bound" --quiet
			--meta "$(ht_file flood "$d/sender" flood.meta)")
		[ -n "$(scn hosts.flood.iface)" ] && fa+=(--iface "$(scn hosts.flood.iface)")
		ht_start flood flood "$d/sender/flood.log" $((bound + 10)) nt-flood "${fa[@]}"
		sleep 1 # the flood reaches its rate before the first probe
		ht_alive flood || { HT_WHY="the flood stopped at once (sender/flood.log)"; return 1; }
	fi
	sa=(--dst "$(scn hosts.guest.addr):$HOSTS_PROBE_PORT" --count "$(scn probe.count "$v")"
		--interval "$(scn probe.interval "$v")ns" --size "$(scn_or probe.size 64 "$v")" --run-id "$HT_RUN_ID"
		--out "$(ht_file send "$d/sender" send.csv)")
	[ -n "$(scn hosts.send.iface)" ] && sa+=(--iface "$(scn hosts.send.iface)")
	ht_start send send "$d/sender/send.log" $((bound + 10)) nt-send "${sa[@]}"
	return 0
}

hosts_traffic_wait() {
	local end=$(( $(date +%s) + $1 ))
	while ht_alive send; do
		[ "$(date +%s)" -ge $end ] && return 1
		sleep 0.5
	done
	return 0
}

hosts_traffic_stop() {
	local v=$1 d=$2 st ft ldir rc=0
	HT_RC_SEND=0 HT_RC_FLOOD=0
	ht_stop send TERM 5 || HT_RC_SEND=$?
	ht_stop flood TERM 5 || HT_RC_FLOOD=$?
	st=$(scn hosts.send) ft=$(scn hosts.flood)
	# a remote sender's files into sender/ (a separate flood host's into sender/flood-host/)
	local hosts=() t
	for t in "$st" "$ft"; do
		[ "$t" = local ] && continue
		[[ " ${hosts[*]} " == *" $t "* ]] || hosts+=("$t")
	done
	for t in "${hosts[@]}"; do
		ldir=$d/sender
		[ "$t" != "$st" ] && ldir=$d/sender/flood-host
		rmt_fetch "$v" "$t" 120 "$(ht_out "$v")" "$ldir" || { HT_WHY="fetching the files of $t: $RMT_WHY"; rc=1; }
	done
	return $rc
}
