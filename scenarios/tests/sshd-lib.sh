# SPDX-License-Identifier: GPL-2.0
# A real ssh server on loopback for the transport tests (sourced): Debian's
# dropbear, unpacked with scripts/fetch-deb.sh (not installed), listening on
# 127.0.0.1:PORT, run in a private mount namespace whose /root is a folder of
# the test (so root's own ~/.ssh is never read or written).  Clients use the
# ssh_config it writes: host aliases, the test's key, its own known_hosts.
#
#   sshd_start DIR ALIAS...   start it (SSHD_PID, SSHD_PORT, SSHD_CONFIG,
#                             SSHD_LOG); 77 + SSHD_WHY when it cannot run here
#   sshd_stop                 stop it (and every session it started)

SSHD_PID="" SSHD_WHY=""

sshd_start() {
	local dir=$1 top_=${NT_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)} d lib a i
	shift
	if [ "$(id -u)" -ne 0 ] || ! unshare -m true 2>/dev/null; then
		SSHD_WHY="needs root and mount namespaces (unshare -m)"; return 77
	fi
	d=$("$top_/scripts/fetch-deb.sh" dropbear-bin libtomcrypt1 libtommath1 2>"$dir.fetch.log") ||
		{ SSHD_WHY="cannot fetch Debian's dropbear-bin ($(tail -n1 "$dir.fetch.log"))"; return 77; }
	mapfile -t d <<<"$d"
	lib=${d[1]}/usr/lib/x86_64-linux-gnu:${d[2]}/usr/lib/x86_64-linux-gnu
	mkdir -p "$dir/home/.ssh" && chmod 700 "$dir/home" "$dir/home/.ssh"
	ssh-keygen -q -t ed25519 -N '' -f "$dir/id" || { SSHD_WHY="ssh-keygen failed"; return 1; }
	cp "$dir/id.pub" "$dir/home/.ssh/authorized_keys" && chmod 600 "$dir/home/.ssh/authorized_keys"
	LD_LIBRARY_PATH=$lib "${d[0]}/usr/bin/dropbearkey" -t ed25519 -f "$dir/hostkey" >/dev/null 2>&1 ||
		{ SSHD_WHY="dropbearkey failed"; return 1; }
	SSHD_LOG=$dir/sshd.log
	for i in 1 2 3 4 5; do
		SSHD_PORT=$(( (RANDOM % 20000) + 40000 ))
		ss -Htln "sport = :$SSHD_PORT" | grep -q . && continue
		LD_LIBRARY_PATH=$lib unshare -m --propagation private sh -c \
			'mount --bind "$1" /root && shift && exec "$@"' sh "$dir/home" \
			"${d[0]}/usr/sbin/dropbear" -F -E -s -m -p "127.0.0.1:$SSHD_PORT" -r "$dir/hostkey" \
			-P "$dir/sshd.pid" >"$SSHD_LOG" 2>&1 &
		SSHD_PID=$!
		for a in $(seq 50); do
			ss -Htln "sport = :$SSHD_PORT" | grep -q . && break
			kill -0 "$SSHD_PID" 2>/dev/null || break
			sleep 0.1
		done
		ss -Htln "sport = :$SSHD_PORT" | grep -q . && break
		kill "$SSHD_PID" 2>/dev/null; wait "$SSHD_PID" 2>/dev/null; SSHD_PID=""
	done
	[ -n "$SSHD_PID" ] || { SSHD_WHY="dropbear did not start: $(tail -n2 "$SSHD_LOG")"; return 1; }
	SSHD_CONFIG=$dir/ssh_config
	{
		for a in "$@"; do
			printf 'Host %s\n  HostName 127.0.0.1\n  Port %s\n  User root\n' "$a" "$SSHD_PORT"
			printf '  IdentityFile %s\n  IdentitiesOnly yes\n  UserKnownHostsFile %s\n' "$dir/id" "$dir/known_hosts"
			printf '  StrictHostKeyChecking accept-new\n  LogLevel ERROR\n'
		done
	} >"$SSHD_CONFIG"
}

sshd_stop() {
	[ -n "$SSHD_PID" ] || return 0
	# the sessions are the listener's children: end them first, by their ids
	local i p
	for p in $(ps -o pid= --ppid "$SSHD_PID" 2>/dev/null); do kill -TERM "$p" 2>/dev/null; done
	kill -TERM "$SSHD_PID" 2>/dev/null
	for i in $(seq 30); do kill -0 "$SSHD_PID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$SSHD_PID" 2>/dev/null
	wait "$SSHD_PID" 2>/dev/null
	SSHD_PID=""
}
