# SPDX-License-Identifier: GPL-2.0
# hvcollect-stop.sh: stop nt-hvcollect (SIGINT: it drains the buffers, decodes
# the raw trace when started with NT_HV_DECODE_AFTER=1, and
# writes its records, meta and summary) and copy its files to NT_OUT.
# In: NT_OUT.  Out: hv.csv, hv.csv.meta, hv-summary.txt (hv.xt with
# NT_HV_RAW=1 or NT_HV_DECODE_AFTER=1),
# hvcollect.rc (its exit status: 130 = stopped by SIGINT).
. "${NT_LIB:-/etc/nt/lib.sh}"
rc=$(nt_bg_stop nt-hvcollect INT 60)
[ "$rc" != none ] || { echo "hvcollect-stop: not started" >&2; exit 1; }
echo "$rc" >"$NT_OUT/hvcollect.rc"
cp /tmp/nt-hv/* "$NT_OUT/" 2>/dev/null
[ -f "$NT_OUT/hv.csv" ] || { echo "hvcollect-stop: no records were written (exit $rc)" >&2; exit 1; }
case "$rc" in 0|130) exit 0 ;; esac
echo "hvcollect-stop: nt-hvcollect exited $rc (see hvcollect.log)" >&2
exit 1
