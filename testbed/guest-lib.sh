# SPDX-License-Identifier: GPL-2.0
# /etc/nt/lib.sh in every testbed image (busybox sh): the helpers of /init,
# of the jobs the host sends and of the remote steps (testbed/steps/).

nt_log() { echo "nt: $*"; }
nt_uptime() { cut -d' ' -f1 /proc/uptime; }

nt_poweroff() {
	sync
	echo "nt-init: powering off"
	poweroff -f
	sleep 5
	reboot -f
}

# nt_modload NAME [PARAMS...]: load a module the image keeps for the job
# (/etc/nt/mod/NAME: its dependencies first), with PARAMS for NAME itself.
nt_modload() {
	local name=$1 chain=/etc/nt/mod/$1 last ko
	shift
	[ -f "$chain" ] || { nt_log "no module $name in this image"; return 1; }
	last=$(tail -n 1 "$chain")
	while read -r ko; do
		[ "$ko" = "$last" ] && break
		insmod "$ko" 2>/dev/null
	done <"$chain"
	insmod "$last" "$@"
}

# nt_wait_file FILE SECONDS: 0 when FILE exists, 1 after SECONDS.
nt_wait_file() {
	local i=0
	while [ ! -e "$1" ]; do
		[ $i -ge $(($2 * 5)) ] && return 1
		sleep 0.2
		i=$((i + 1))
	done
	return 0
}

# nt_bg NAME LOG CMD...: run CMD in the background, its output in LOG, stdin
# /dev/null; its pid in /run/NAME.pid, its exit status in /run/NAME.rc once
# it ended.  Works across steps (another shell stops it and reads its
# status).  The redirections are the subshell's own: a redirection around the
# call would leave ash's saved copies of the caller's stdout (e.g. the domU
# agent's socket) open in the background subshell, holding the connection.
nt_bg() {
	local name=$1 log=$2
	shift 2
	rm -f "${NT_RUN:-/run}/$name.rc" "${NT_RUN:-/run}/$name.pid"
	(
		"$@" &
		echo $! >"${NT_RUN:-/run}/$name.pid"
		wait $!
		echo $? >"${NT_RUN:-/run}/$name.rc.tmp"
		mv "${NT_RUN:-/run}/$name.rc.tmp" "${NT_RUN:-/run}/$name.rc"
	) </dev/null >"$log" 2>&1 &
	local i=0
	while [ ! -s "${NT_RUN:-/run}/$name.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
}

# nt_bg_alive NAME: it still runs
nt_bg_alive() { [ ! -e "${NT_RUN:-/run}/$1.rc" ] && [ -s "${NT_RUN:-/run}/$1.pid" ] && kill -0 "$(cat "${NT_RUN:-/run}/$1.pid")" 2>/dev/null; }

# nt_bg_stop NAME SIGNAL SECONDS: send SIGNAL (- for none), wait at most
# SECONDS for it to end (then SIGKILL); prints its exit status, "killed", or
# "none" (never started).
nt_bg_stop() {
	local name=$1 sig=$2 pid i=0
	pid=$(cat "${NT_RUN:-/run}/$name.pid" 2>/dev/null)
	[ -n "$pid" ] || { echo none; return; }
	[ "$sig" != - ] && [ ! -e "${NT_RUN:-/run}/$name.rc" ] && kill "-$sig" "$pid" 2>/dev/null
	while [ ! -e "${NT_RUN:-/run}/$name.rc" ] && [ $i -lt $(($3 * 5)) ]; do sleep 0.2; i=$((i + 1)); done
	if [ ! -e "${NT_RUN:-/run}/$name.rc" ]; then
		kill -KILL "$pid" 2>/dev/null
		echo killed
		return
	fi
	cat "${NT_RUN:-/run}/$name.rc"
}

# nt_iface_of_mac MAC: the interface with that address (empty if none).
nt_iface_of_mac() {
	local d
	for d in /sys/class/net/*; do
		[ "$(cat "$d/address" 2>/dev/null)" = "$1" ] && { echo "${d##*/}"; return 0; }
	done
	return 1
}

# nt_agent DIR: the job channel on a share the host also sees.
#  - DIR/job.sh present at boot: run it once (output DIR/job.log, exit code
#    DIR/job.rc) and return;
#  - otherwise say DIR/agent.ready, then run every DIR/jobs/NAME.sh in name
#    order, one at a time (output NAME.log, exit code NAME.rc, written last),
#    until DIR/jobs/poweroff appears.  The share is polled every 0.1 s for
#    5 s after a job, then every 0.5 s.
#    A job runs in DIR with NT_SHARE=DIR; what it starts in the background
#    outlives it (the steps keep pid files).
nt_agent() {
	local dir=$1 j n
	export NT_SHARE=$dir
	if [ -f "$dir/job.sh" ]; then
		echo "nt-init: running job.sh"
		(cd "$dir" && sh ./job.sh) >"$dir/job.log" 2>&1
		echo $? >"$dir/job.rc"
		echo "nt-init: job.sh exit $(cat "$dir/job.rc")"
		return 0
	fi
	mkdir -p "$dir/jobs"
	{ echo "kernel=$(uname -r)"; echo "role=$(cat /run/nt-role 2>/dev/null)"; } >"$dir/agent.ready"
	echo "nt-init: agent on $dir"
	local idle=0
	while [ ! -e "$dir/jobs/poweroff" ]; do
		for j in "$dir"/jobs/*.sh; do
			[ -e "$j" ] || continue
			n=${j%.sh}
			[ -e "$n.rc" ] && continue
			echo "nt-init: job ${j##*/}"
			(cd "$dir" && sh "$j") >"$n.log" 2>&1 </dev/null
			echo $? >"$n.rc.tmp"
			mv "$n.rc.tmp" "$n.rc"
			idle=0
		done
		# jobs come in bursts: poll fast for 5 s after one, then every 0.5 s
		if [ $idle -lt 50 ]; then sleep 0.1; idle=$((idle + 1)); else sleep 0.5; fi
	done
	echo "nt-init: agent: poweroff requested"
}

# nt_domu_agent PORT: the job channel of a domU, served on its control link
# (a netfront NIC; nt.mac=MAC and nt.ip=ADDR/LEN on the kernel command line).
nt_domu_agent() {
	local ip ifc
	ip=$(sed -n 's/.*nt\.ip=\([0-9./]*\).*/\1/p' /proc/cmdline)
	ifc=$(nt_iface_of_mac "$(sed -n 's/.*nt\.mac=\([0-9a-f:]*\).*/\1/p' /proc/cmdline)")
	if [ -z "$ip" ] || [ -z "$ifc" ]; then
		nt_log "domU agent: no control link (nt.ip=$ip, interface '$ifc')"
		return 1
	fi
	ip addr add "$ip" dev "$ifc"
	ip link set "$ifc" up
	echo "nt-domu: agent on $ifc $ip port $1"
	nt_serve "$1" /run/nt-agent-stop
}

# nt_serve PORT STOPFILE: the agent (nt-agent serve, testbed/agent/nt-agent.c)
# until STOPFILE exists: one request per TCP connection, a first line
#   RUN CMD...   run CMD with sh in /; its output, then a line nt-rc=N
#   GET PATH     the bytes of PATH (nothing if it cannot be read)
nt_serve() {
	nt-agent serve "$1" --stop "$2"
}
