# SPDX-License-Identifier: GPL-2.0
# The hosts testbed's definitions shared by the runner's driver
# (scenarios/testbeds/hosts.sh) and hv-probe/install-host.sh, so that the boot
# entry a variant selects and the Xen command line the runner then expects are
# written once.  Needs S and scn() (scenarios/lib/scn.sh).

# hosts_xen_args VARIANT: the Xen command line of VARIANT's boot entry: the
# inventory's xen.args, plus natsume=<eval NIC>,cpu=<eval pCPU> for the
# variants that use the Natsume vector (vector, all).  Natsume-CPU needs no
# Xen option: pinning and the busy loop are set at run time.
hosts_xen_args() {
	local a=${S[hosts.xen.args]-}
	case "$(scn natsume "$1")" in
	vector|all) a="${a:+$a }natsume=${S[hosts.xen.eval_nic]},cpu=${S[hosts.xen.eval_cpu]}" ;;
	esac
	printf '%s\n' "$a"
}

# hosts_entry_id VARIANT: the GRUB menu entry id (grub-reboot's argument).
hosts_entry_id() { printf 'natsume-harness-%s-%s\n' "${S[name]}" "$1"; }

# hosts_snippet: the /etc/grub.d file of this scenario's entries (after
# Debian's 40_custom/41_custom, before nothing that matters).
hosts_snippet() { printf '/etc/grub.d/42_natsume-harness-%s\n' "${S[name]}"; }

# hosts_cmdline_matches EXPECTED ACTUAL: 0 when the running Xen's command line
# (xl info: xen_commandline) carries every option of EXPECTED and a natsume=
# option exactly when EXPECTED has one (with the same value).  Options that
# the boot loader or the machine add (console=, ...) are allowed.
hosts_cmdline_matches() {
	local want=$1 have=" $2 " o nat_w="" nat_h=""
	for o in $want; do
		case "$o" in natsume=*) nat_w=$o ;; esac
		case "$have" in *" $o "*) ;; *) return 1 ;; esac
	done
	for o in $2; do case "$o" in natsume=*) nat_h=$o ;; esac; done
	[ "$nat_w" = "$nat_h" ]
}

# xen_build_id FILE: the GNU build id of a Xen image (xen, xen-syms or
# xen.gz), as `xl info` prints it (build_id); empty when it has none.
xen_build_id() {
	local f=$1 tmp
	case "$f" in
	*.gz)
		tmp=$(mktemp "${TMPDIR:-/tmp}/nt-xen.XXXXXX") || return 1
		gunzip -c "$f" >"$tmp" 2>/dev/null && readelf -n "$tmp" 2>/dev/null |
			awk '/Build ID:/ { print $3; exit }'
		rm -f "$tmp" ;;
	*) readelf -n "$f" 2>/dev/null | awk '/Build ID:/ { print $3; exit }' ;;
	esac
}

# hosts_guest_module KVER: the guest module built for the guest's running
# kernel KVER (`uname -r` there): build/rel, else any build/*, modules/KVER/,
# and its vermagic must start with KVER (modinfo), or the kernel would refuse
# it (or worse).  Prints the path; returns 1 with HOSTS_WHY otherwise.
hosts_guest_module() {
	local kver=$1 ko vm
	for ko in "$top/build/rel/modules/$kver/nt_guest_probe.ko" "$top"/build/*/modules/"$kver"/nt_guest_probe.ko; do
		[ -f "$ko" ] || continue
		vm=$(modinfo -F vermagic "$ko" 2>/dev/null)
		if [ "${vm%% *}" = "$kver" ]; then printf '%s\n' "$ko"; return 0; fi
		HOSTS_WHY="$ko has vermagic '${vm:-none}', not the guest's kernel $kver"
		return 1
	done
	HOSTS_WHY="no guest module for the guest's kernel $kver: install linux-headers-$kver here and run"
	HOSTS_WHY+=" make -C guest-probe KVER=$kver"
	return 1
}
