# SPDX-License-Identifier: GPL-2.0
# The hosts testbed (sourced by scenarios/run): real machines over ssh (a Xen
# host running the patched hypervisor, the evaluation guest, the machines that
# send the probes and the flood), named in the scenario's inventory
# (docs/hosts.md) and driven with the same scenario files.  Every remote
# command goes through the ssh transport (scenarios/lib/remote.sh), only to
# the inventory's hosts.  Before anything starts the runner checks the
# inventory, the pieces of the pipeline and that the hosts answer, and says
# what is missing.

. "$here/testbeds/xen-common.sh"
. "$here/lib/hosts-lib.sh"
. "$here/lib/remote.sh"

# hosts_setup_transport: the allowed hosts and the ssh options of the inventory.
hosts_setup_transport() {
	RMT_HOSTS=()
	rmt_allow "$(scn hosts.xen)" "$(scn hosts.guest)" "$(scn hosts.send)" "$(scn hosts.flood)"
	read -r -a RMT_SSH_OPTS <<<"$(scn hosts.ssh.options)"
	RMT_CONNECT_TIMEOUT=$(( $(scn_or hosts.ssh.timeout 10000000000) / 1000000000 ))
}

tb_check() {
	local out miss=0 h k checked=""
	if [ -z "$(scn inventory)" ]; then
		out="  - an inventory of the machines: 'inventory = FILE' in [testbed] (docs/hosts.md;"
		out+=$'\n'"    scenarios/hosts/example.hosts is a template)"
	else
		out=$(xen_missing) || miss=1
		hosts_setup_transport
		command -v ssh >/dev/null || out+=$'\n'"  - ssh (Debian package openssh-client)"
		# The guest is started by the run; the Xen host and the senders must answer now.
		for k in hosts.xen hosts.send hosts.flood; do
			h=$(scn "$k")
			[ "$h" = local ] && continue
			case " $checked " in *" $h "*) continue ;; esac
			checked+=" $h"
			if ! rmt_run check "$h" $((RMT_CONNECT_TIMEOUT + 10)) true >/dev/null 2>&1; then
				out+=$'\n'"  - ${k#hosts.} = $h does not answer over ssh (batch mode, ${RMT_CONNECT_TIMEOUT} s;"
				out+=$'\n'"    an ssh key for it, and its host key known: see docs/hosts.md)"
			fi
		done
	fi
	out+=$'\n'"  - the runner's hosts driver (scenarios/testbeds/hosts.sh: per variant the boot entry,"
	out+=$'\n'"    the domains, the collectors and the traffic over ssh): not complete in this version"
	{
		echo "$PROG: testbed 'hosts' is not available, so '$name' cannot run. Missing:"
		printf '%s\n' "$out" | sed '/^$/d'
		echo "$PROG: nothing was started and no run folder was written."
	} >&2
	return 1
}
