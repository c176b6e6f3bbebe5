# SPDX-License-Identifier: GPL-2.0
# The hosts testbed (sourced by scenarios/run): real machines over ssh (a Xen
# host running the patched hypervisor, a load generator, a measuring PC),
# driven with the same scenario files.  The runner checks the scenario names
# the hosts and that they answer, and says what is missing; the driver that
# runs a variant on them is not part of this version, so it refuses.

. "$here/testbeds/xen-common.sh"

tb_check() {
	local out miss=0 k h
	out=$(xen_missing) || miss=1
	for k in host.xen host.loadgen; do
		h=$(scn "$k")
		if [ -z "$h" ]; then
			out+=$'\n'"  - '$k' in [testbed] (user@host of the machine)"
		elif ! command -v ssh >/dev/null; then
			out+=$'\n'"  - ssh (Debian package openssh-client) to reach $h"
		elif ! ssh -o BatchMode=yes -o ConnectTimeout=5 $(scn ssh.options) "$h" true 2>/dev/null; then
			out+=$'\n'"  - $k = $h does not answer over ssh (BatchMode, 5 s)"
		fi
	done
	out+=$'\n'"  - the runner's hosts driver (scenarios/testbeds/hosts.sh: boot option per variant,"
	out+=$'\n'"    remote collector, guest module, load and probe traffic): not implemented in this version"
	{
		echo "$PROG: testbed 'hosts' is not available, so '$name' cannot run. Missing:"
		printf '%s\n' "$out" | sed '/^$/d'
		echo "$PROG: nothing was started and no run folder was written."
	} >&2
	return 1
}
