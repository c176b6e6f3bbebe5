#!/usr/bin/env bash
# The hosts testbed's boot step (scenarios/lib/hosts-boot.sh) against the
# emulated Xen host (testbed/emu-host.sh: the patched Xen under QEMU TCG,
# reached only by ssh through QEMU's forwarded port; a "reboot" restarts QEMU
# with the boot entry's Xen options through the inventory's reboot hook):
# a variant whose Xen options are the running ones keeps the boot; one that
# needs natsume= reboots and is then proven by `xl info` (build id of the
# patched image, natsume= on the command line) and by Xen's own log (the
# option armed); a variant with the same options as the running boot does
# not reboot; with xen.reboot = no a variant that needs another boot fails
# without touching the host; a hypervisor that is not the patched image is
# refused.  Every remote command is in commands.log.
# timeout: 900
set -uo pipefail
. "$(dirname "$0")/lib.sh"
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: qemu-system-x86_64 is missing"; exit 77; }
command -v ssh >/dev/null || { echo "FAIL: ssh is missing (openssh-client)"; exit 1; }
. "$top/testbed/emu.sh"
emu_xen_patched || { echo "SKIP: $EMU_WHY"; exit 77; }
work=$(mktemp -d /tmp/nt-hosts-boot.XXXXXX)
st=$work/host
cleanup() { "$top/testbed/emu-host.sh" stop "$st" >/dev/null 2>&1; [ $fail = 0 ] && rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
ok() { echo "ok: $*"; }
t0=$(date +%s)

# The emulated host, first boot without natsume=
NT_XEN_IMAGE=$EMU_XEN "$top/testbed/emu-host.sh" start "$st" "" || { echo "FAIL: cannot start the emulated host"; exit 1; }
emu_hosts "$work" "$st" || { echo "FAIL: cannot write the inventory"; exit 1; }
cat >>"$work/emu.hosts" <<EOF
guest = root@nt-emu-guest
guest.config = /etc/xen/nt-eval.cfg
guest.addr = 192.0.2.10
EOF
sed 's|^inventory *=.*|inventory = emu.hosts|' "$top/scenarios/hosts-net.scn" >"$work/emu.scn"
declare -A S
. "$top/scenarios/lib/scn.sh"
. "$top/scenarios/lib/hosts-lib.sh"
. "$top/scenarios/lib/remote.sh"
. "$top/scenarios/lib/hosts-boot.sh"
scn_load "$("$run" --parse "$work/emu.scn")" || exit 1
cmdlog=$work/commands.log
logcmd() { local w=$1; shift; { printf '%s [%s]' "$(date -u +%H:%M:%S)" "$w"; printf ' %q' "$@"; printf '\n'; } >>"$cmdlog"; }
read -r -a RMT_SSH_OPTS <<<"$(scn hosts.ssh.options)"
rmt_allow "$(scn hosts.xen)"
export NT_XEN_IMAGE=$EMU_XEN
boots() { cat "$st/boots"; }

for ((i = 0; i < 120; i++)); do
	[ -n "$(hosts_boot_id)" ] && break
	kill -0 "$(cat "$st/qemu.pid")" 2>/dev/null || break
	sleep 2
done
[ -n "$(hosts_boot_id)" ] || { bad "the emulated host never answered over ssh: $(tail -n 20 "$st/boot-1/serial.log")"; exit 1; }
echo "emulated host up over ssh after $(( $(date +%s) - t0 )) s"

step() { # VARIANT WANT(kept|rebooted|fail) BOOTS_AFTER
	local v=$1 want=$2 nb=$3 rc
	mkdir -p "$work/$v"
	hosts_boot "$v" "$work/$v"; rc=$?
	if [ "$want" = fail ]; then
		[ $rc != 0 ] || { bad "$v: booted, want a failure"; return 1; }
	elif [ $rc != 0 ]; then
		bad "$v: $HOSTS_WHY"; return 1
	elif [ "$HOSTS_BOOT" != "$want" ]; then
		bad "$v: boot $HOSTS_BOOT, want $want"; return 1
	fi
	[ "$(boots)" = "$nb" ] || { bad "$v: $(boots) boots, want $nb"; return 1; }
	ok "$v: ${HOSTS_BOOT:-failed}${HOSTS_WHY:+ ($HOSTS_WHY)}${HOSTS_BOOT_S:+, ${HOSTS_BOOT_S} s}"
}
step xen kept 1
grep -q "^build_id *: $(hosts_want_build_id)\$" "$work/xen/xl-info.txt" || bad "xen: build id not in xl-info.txt"
step natsume-vector rebooted 2 &&
	grep -q '^xen_commandline *: .* natsume=0000:00:03.0,cpu=1' "$work/natsume-vector/xl-info.txt" &&
	grep -qx 'iommu=1 natsume=0000:00:03.0,cpu=1' "$st/boot-2/xen-args" ||
	bad "natsume-vector: the reboot did not carry natsume= ($(cat "$st/boot-2/xen-args" 2>/dev/null))"
out=$(rmt_run check "$(scn hosts.xen)" 60 'xl dmesg | grep -i natsume')
grep -q 'armed' <<<"$out" && ok "Xen's log after the reboot: $(grep -m1 armed <<<"$out")" || bad "natsume not armed: $out"
step natsume-all kept 2
# the inventory forbids reboots: the host is not touched
S[hosts.xen.reboot]=0
bid=$(hosts_boot_id)
step xen fail 2 && grep -q "does not allow a reboot (xen.reboot = no)" <<<"$HOSTS_WHY" &&
	[ "$(hosts_boot_id)" = "$bid" ] && ok "xen.reboot = no: refused, the host untouched" || bad "xen.reboot = no: $HOSTS_WHY"
# a hypervisor that is not the patched image
HOSTS_WANT_BID=0000000000000000000000000000000000000000
step natsume-all fail 2 && grep -q "runs Xen build id $(sed -n 's/^build_id *: *//p' "$work/natsume-all/xl-info.txt")" <<<"$HOSTS_WHY" &&
	ok "another build id refused" || bad "build id: $HOSTS_WHY"
grep -qF -- "$(printf '%q ' env "NT_BOOT_ENTRY=$(hosts_entry_id natsume-vector)" \
	"NT_XEN_ARGS=iommu=1 natsume=0000:00:03.0,cpu=1" "$work/reboot-hook" | sed 's/ $//')" "$cmdlog" &&
	[ "$(grep -cF -- "nt-emu-xen $(printf '%q' 'xl info')" "$cmdlog")" -ge 5 ] && ok "commands.log: the hook and every xl info" ||
	bad "commands.log: $(cat "$cmdlog")"
"$top/testbed/emu-host.sh" stop "$st"
echo "boot step against the emulated host: $(boots) boots, $(( $(date +%s) - t0 )) s"
exit $fail
