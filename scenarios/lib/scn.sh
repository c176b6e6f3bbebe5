# SPDX-License-Identifier: GPL-2.0
# Access to a scenario in normal form (the output of scn-parse.awk, with the
# inventory's keys as hosts.KEY): sourced by scenarios/run and by the tools
# that read a scenario (hv-probe/install-host.sh).  The caller declares the
# associative array S.

# scn_load TEXT: fill S from the normal form, one key=value a line.
scn_load() {
	local l
	while IFS= read -r l; do [ -n "$l" ] && S[${l%%=*}]=${l#*=}; done <<<"$1"
}
# scn KEY [VARIANT]: the variant's value, else the global one, else "".
scn() {
	if [ $# -ge 2 ] && [ -n "${S[variant.$2.$1]+x}" ]; then printf '%s' "${S[variant.$2.$1]}"
	else printf '%s' "${S[$1]-}"; fi
}
# scn_or KEY DEFAULT [VARIANT]
scn_or() { local v; v=$(scn "$1" "${3-}"); printf '%s' "${v:-$2}"; }

# scn_flood_args VARIANT: nt-flood's options for the variant's flood (rate,
# size, back end), one a line; nothing when flood.rate is off.  The testbeds
# add where it goes (--dst, --iface, ...) and how long.
scn_flood_args() {
	local rate
	rate=$(scn_or flood.rate off "$1")
	[ "$rate" = off ] && return 0
	printf '%s\n' --size "$(scn_or flood.size 1472 "$1")" --backend "$(scn_or flood.backend sendmmsg "$1")"
	case "$rate" in
	max) echo --max ;;
	mbps:*) printf '%s\n' --mbps "${rate#mbps:}" ;;
	pps:*) printf '%s\n' --rate "${rate#pps:}" ;;
	esac
}
