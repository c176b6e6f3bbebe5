#!/usr/bin/env bash
# timeout: 300
# What a variant could not record: a record file with no records (0 bytes, a
# CSV or binary header only) is set aside, said on stderr and in the report
# and summary.json, and the other files and variants are reported as they
# would be without it (exit 0); the runner's counts in a variant's meta.txt
# (records_check.FILE, records_copy.FILE, workload_retries, config_retry,
# hv_csv_redecoded) are shown in the same place; a file that is not empty
# but broken still stops the analyzer.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
[ -x "$A" ] || { echo "no $A (make SAN=1)"; exit 1; }
py=/usr/bin/python3
hdr='source,event,cpu,tsc,irq,vector,seq,dom,aux,flags'

# the reference: a generated run (real record formats, CSV and binary), whole
"$py" "$here/gen_run.py" "$w/ref" 400 >/dev/null
cp -r "$w/ref" "$w/gap"
expect 0 '' "$A" run --no-plots "$w/ref"

# xen: its receiver file of 0 bytes; natsume-cpu: its binary file a header
# only; natsume-vector: its receiver file a CSV header line only; natsume-all:
# every file empty (the variant stays, with its notes)
: >"$w/gap/xen/receiver.csv"
head -c 32 "$w/ref/natsume-cpu/probes.bin" >"$w/gap/natsume-cpu/probes.bin"
echo "$hdr" >"$w/gap/natsume-vector/receiver.csv"
for f in "$w"/gap/natsume-all/*.csv "$w"/gap/natsume-all/*.bin; do : >"$f"; done
printf '%s\n' 'records_check.guest-domu.csv=1 damaged row(s) skipped (not records)' \
	'records_copy.guest-domu.csv=CHANGED on the way (md5 a in the domain, b here)' \
	'records_check.hv.csv=every row a record' 'workload_retries=2' 'config_retry=pcifront gave up' \
	'hv_csv_redecoded=3 damaged rows in dom0'"'"'s hv.csv' >>"$w/gap/natsume-vector/meta.txt"
expect 0 'natsume-vector/receiver\.csv: empty: no records \(header only\)' "$A" run --no-plots "$w/gap"
cp "$w/err" "$w/gap.err"
check "$(grep -c ': empty: no records (0 bytes); not read, counted in the report$' "$w/gap.err")" 5 \
	"stderr: the five files of 0 bytes (xen 1, natsume-all 4)"
check "$(grep -c 'natsume-cpu/probes\.bin: empty: no records (header only)' "$w/gap.err")" 1 \
	"stderr: the binary file of a header only"
r=$w/gap/report.md
check "$(grep -c '^  - not recorded: `receiver.csv`: empty: no records (0 bytes), not read$' "$r")" 2 \
	"report: xen's and natsume-all's receiver.csv"
check "$(grep -c '^  - not recorded: `probes.bin`: empty: no records (header only), not read$' "$r")" 1 \
	"report: natsume-cpu's probes.bin"
check "$(grep -c '^  - not recorded: `receiver.csv`: empty: no records (header only), not read$' "$r")" 1 \
	"report: natsume-vector's receiver.csv"
check "$(grep -c '^- variant `natsume-all`: 0 files, 0 records' "$r")" 1 "report: a variant of empty files stays"
# the runner's counts, under their variant's line, in meta.txt's order
sed -n '/^- variant `natsume-vector`/,/^- variant `natsume-all`/p' "$r" | grep '^  - `' >"$w/notes"
check "$(cat "$w/notes")" '  - `records_check.guest-domu.csv`: 1 damaged row(s) skipped (not records)
  - `records_copy.guest-domu.csv`: CHANGED on the way (md5 a in the domain, b here)
  - `records_check.hv.csv`: every row a record
  - `workload_retries`: 2
  - `config_retry`: pcifront gave up
  - `hv_csv_redecoded`: 3 damaged rows in dom0'"'"'s hv.csv' "report: the runner's counts of natsume-vector"
check "$(grep -c '^  - `' "$r")" 6 "report: no counts for the other variants"

# summary.json carries the same; the other measures are those of the whole run
"$py" - "$w/ref/summary.json" "$w/gap/summary.json" >"$w/py.out" 2>&1 <<'EOF'
import json, sys
ref, gap = (json.load(open(p)) for p in sys.argv[1:3])
v = {x["name"]: x for x in gap["variants"]}
r = {x["name"]: x for x in ref["variants"]}
def stats(x, m):
    return [y for y in x["measures"] if y["name"] == m][0]
out = []
out.append(v["xen"]["not_recorded"]["empty_files"][0]["why"] == "0 bytes")
out.append(v["natsume-cpu"]["not_recorded"]["empty_files"][0]["why"] == "header only")
out.append(len(v["natsume-all"]["not_recorded"]["empty_files"]) == 4)
out.append([m["key"] for m in v["natsume-vector"]["not_recorded"]["meta"]][3] == "workload_retries")
# a measure that does not read the empty file is as in the whole run
out.append(stats(v["xen"], "latency.1") == stats(r["xen"], "latency.1"))
out.append(stats(v["natsume-cpu"], "latency.0") == stats(r["natsume-cpu"], "latency.0"))
out.append(stats(v["natsume-vector"], "period.0") == stats(r["natsume-vector"], "period.0"))
print(" ".join("ok" if o else "FAIL" for o in out))
EOF
check "$(cat "$w/py.out")" "ok ok ok ok ok ok ok" "summary.json: not_recorded and the other measures"

# not empty: a truncated header, a binary file cut in its header, a bad row
cp -r "$w/ref" "$w/bad"
printf 'source,ev' >"$w/bad/xen/receiver.csv"
expect 1 'receiver\.csv' "$A" run --no-plots "$w/bad"
cp "$w/ref/xen/receiver.csv" "$w/bad/xen/receiver.csv"
head -c 20 "$w/ref/xen/probes.bin" >"$w/bad/xen/probes.bin"
expect 1 'probes\.bin: truncated' "$A" run --no-plots "$w/bad"
cp "$w/ref/xen/probes.bin" "$w/bad/xen/probes.bin"
printf '%s\nhv,hv_entry,0,x,,,,,,\n' "$hdr" >"$w/bad/xen/receiver.csv"
expect 1 'receiver\.csv:2' "$A" run --no-plots "$w/bad"
# a header with one malformed row under --lenient is not empty: its bad row is counted
expect 0 '' "$A" run --no-plots --lenient "$w/bad"
check "$(grep -c 'receiver.csv`: empty' "$w/bad/report.md")" 0 "a file of bad rows is not called empty"
check "$(grep -c '^- variant `xen`: 4 files, .*malformed rows skipped 1;' "$w/bad/report.md")" 1 \
	"its bad row is counted"
finish test-gaps
