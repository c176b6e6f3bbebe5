# SPDX-License-Identifier: GPL-2.0
# hvcollect-start.sh: start nt-hvcollect live in the background (Xen's
# TRC_HW_NATSUME records: hypervisor entry and guest notification stamps).
# In: NT_OUT; NT_COLLECTOR (the static nt-hvcollect); NT_TBUF_PAGES (per-CPU
#     trace buffer, default 256 pages); NT_HV_RAW=1 also keeps the trace in
#     xentrace's format; NT_HV_DECODE_AFTER=1 only copies the trace (in that
#     format) while tracing and decodes it when hvcollect-stop.sh stops the
#     collector: next to no work in dom0 during the measurement.  The records
#     go to /tmp first (dom0's RAM) and are copied to NT_OUT by hvcollect-stop.sh.
# Out: hvcollect.log (its messages).
. "${NT_LIB:-/etc/nt/lib.sh}"
mkdir -p "$NT_OUT" || exit 1
[ -x "$NT_COLLECTOR" ] || { echo "hvcollect-start: no collector at '$NT_COLLECTOR'" >&2; exit 1; }
raw=
[ "${NT_HV_RAW:-0}" = 1 ] && raw="--raw /tmp/nt-hv/hv.xt"
[ "${NT_HV_DECODE_AFTER:-0}" = 1 ] && raw="--raw /tmp/nt-hv/hv.xt --decode-after"
rm -rf /tmp/nt-hv
mkdir -p /tmp/nt-hv
# shellcheck disable=SC2086
nt_bg nt-hvcollect "$NT_OUT/hvcollect.log" "$NT_COLLECTOR" live --events natsume --probe-cost \
	--pages "${NT_TBUF_PAGES:-256}" -o /tmp/nt-hv/hv.csv --summary /tmp/nt-hv/hv-summary.txt $raw
sleep 1
nt_bg_alive nt-hvcollect ||
	{ echo "hvcollect-start: nt-hvcollect ended at once: $(tail -n 2 "$NT_OUT/hvcollect.log")" >&2; exit 1; }
exit 0
