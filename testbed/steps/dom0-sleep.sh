# SPDX-License-Identifier: GPL-2.0
# dom0-sleep.sh: let NT_SLEEP_S seconds of dom0's clock pass, doing nothing
# else: one sleep process, so that waiting out a measurement on the machine's
# own time puts no work on dom0 (no polling job every few seconds: each one
# is a shell and its programs, process creation that holds Xen's CPUs).
# In: NT_OUT; NT_SLEEP_S (whole seconds, 1..86400).
# Out: dom0-sleep.txt (sleep_s, uptime_start_s, uptime_end_s).
. "${NT_LIB:-/etc/nt/lib.sh}"
case ${NT_SLEEP_S:-} in
'' | *[!0-9]*) echo "dom0-sleep: NT_SLEEP_S '${NT_SLEEP_S:-}' is not a whole number of seconds" >&2; exit 1 ;;
esac
[ "$NT_SLEEP_S" -ge 1 ] && [ "$NT_SLEEP_S" -le 86400 ] ||
	{ echo "dom0-sleep: NT_SLEEP_S $NT_SLEEP_S is not within 1..86400" >&2; exit 1; }
mkdir -p "$NT_OUT" || exit 1
u0=$(nt_uptime)
sleep "$NT_SLEEP_S" || { echo "dom0-sleep: sleep $NT_SLEEP_S failed" >&2; exit 1; }
u1=$(nt_uptime)
printf 'sleep_s=%s\nuptime_start_s=%s\nuptime_end_s=%s\n' "$NT_SLEEP_S" "$u0" "$u1" >"$NT_OUT/dom0-sleep.txt"
exit 0
