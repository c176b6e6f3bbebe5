#!/usr/bin/env bash
# timeout: 120
# The recording window a TO's source declares (docs/run-layout.md "The join
# rule"), end to end through nt-analyze run and stats: a variant whose
# guest.csv.meta declares guest.stamp_tsc_start / guest.stamp_tsc_end joins no
# FROM outside it (counted outside_to_window in the text output, report.md,
# summary.json and summary.csv); the same data without the keys, with a bad
# value, or beside a record file of unknown source joins as before.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
[ -x "$A" ] || { echo "no $A (make SAN=1)"; exit 1; }
py=/usr/bin/python3
hdr='source,event,cpu,tsc,irq,vector,seq,dom,aux,flags'

# Xen's IRQ 0 entries (hv) and the guest's timer stamps (guest), 1 GHz, a
# window of 100 us: the guest recorded [100000, 200000]; the entries at 1000,
# 50000 and 99000 came before it (without the window they take the guest's
# first stamp, 100100: up to 99.1 us), the one at 200500 after it.  Xen's
# IRQ 23 entries (a NIC's: no TO irq under join_irq_map=0:11) at 2000 and
# 300000 (outside) and 120000 (inside) are unmatched FROMs, window or not:
# outside_to_window counts only the FROMs the irq rule could join.
r=$w/run
mk() { # VARIANT GUEST_META_EXTRA
	local d=$r/$1
	mkdir -p "$d"
	printf '%s\n' 'latency.0=hv_entry:timer' 'join_window_us=100' 'join_irq_map=0:11' >"$d/meta.txt"
	{ echo "$hdr"; for ti in 1000:0 2000:23 50000:0 99000:0 100500:0 120000:23 150000:0 199990:0 200000:0 \
		200500:0 300000:23; do
		echo "hv,hv_entry,1,${ti%:*},${ti#*:},168,,,,natsume|direct"; done; } >"$d/hv.csv"
	printf '%s\n' 'source=hv' 'tsc_hz=1000000000' >"$d/hv.csv.meta"
	{ echo "$hdr"; for t in 100100 100600 150200 200100; do echo "guest,timer,0,$t,11,,,,,"; done; } >"$d/guest.csv"
	printf '%s\n' 'source=guest' 'tsc_hz=1000000000' 'guest.tsc_start=150000' $2 >"$d/guest.csv.meta"
}
mk win 'guest.stamp_tsc_start=100000 guest.stamp_tsc_end=200000'
mk nowin ''
mk bad 'guest.stamp_tsc_start=1e5 guest.stamp_tsc_end=200000x'
mk nosrc 'guest.stamp_tsc_start=100000 guest.stamp_tsc_end=200000'
echo "$hdr" >"$r/nosrc/extra.csv"
echo 'guest,guest_irq,0,300000,11,,,,,' >>"$r/nosrc/extra.csv"
printf '%s\n' 'variants=win nowin bad nosrc' 'baseline=nowin' >"$r/meta.txt"

expect 0 'bad/guest\.csv\.meta: ignoring guest\.stamp_tsc_start: .1e5. is not a TSC value' "$A" run --no-plots "$r"
grep -q 'ignoring guest.stamp_tsc_end: .200000x.' "$w/err"
check $? 0 "stderr: the bad end said too"
grep -q 'nosrc/extra.csv: its .meta names no source=: the recording windows of the other files are not used' "$w/err"
check $? 0 "stderr: a file of unknown source turns the windows off, said"

"$py" - "$r/summary.json" "$r/summary.csv" >"$w/py.out" 2>&1 <<'EOF'
import csv, json, sys
s = json.load(open(sys.argv[1]))
v = {x["name"]: x["measures"][0] for x in s["variants"]}
bad = []
def want(name, got, exp):
    if got != exp:
        bad.append(f"{name}: got {got!r}, want {exp!r}")
j = v["win"]["join"]
want("win counts", {k: j[k] for k in ("from_seen", "to_seen", "matched", "shared_to", "unmatched_from",
                                      "unmatched_to", "outside_to_window")},
     dict(from_seen=11, to_seen=4, matched=4, shared_to=1, unmatched_from=3, unmatched_to=1, outside_to_window=4))
want("win to_window", j["to_window"], {"source": "guest", "start": 100000, "end": 200000})
want("win max", v["win"]["cycles"]["max"], 200)
for n in ("nowin", "bad", "nosrc"):
    j = v[n]["join"]
    want(n + " counts", {k: j[k] for k in ("from_seen", "matched", "shared_to", "unmatched_from",
                                           "outside_to_window")},
         dict(from_seen=11, matched=7, shared_to=3, unmatched_from=4, outside_to_window=0))
    want(n + " to_window", j["to_window"], None)
    want(n + " max", v[n]["cycles"]["max"], 99100)
# every FROM once: matched + negative + unmatched + duplicate + outside
for n, m in v.items():
    j = m["join"]
    want(n + " identity", j["from_seen"], j["matched"] + j["negative"] + j["unmatched_from"] + j["dup_from"]
         + j["outside_to_window"])
for x in s["variants"]:
    if "outside_to_window" not in x["join_rule"]:
        bad.append("join_rule does not quote the window: " + x["join_rule"])
rows = {r["variant"]: r for r in csv.DictReader(open(sys.argv[2]))}
want("summary.csv", [rows[n]["outside_to_window"] for n in ("win", "nowin", "bad", "nosrc")], ["4", "0", "0", "0"])
print("\n".join(bad) if bad else "ok")
EOF
check "$(cat "$w/py.out")" ok "summary.json and summary.csv"

rep=$r/report.md
grep -q '^- `win`: 11 FROM and 4 TO stamps; matched 4 .*FROMs outside the TO'"'"'s recording window (not joined) 4 (window: \[100000, 200000\] cycles (guest.stamp_tsc_start, guest.stamp_tsc_end))' "$rep"
check $? 0 "report.md: the count and the window of win"
grep -q '^- `nowin`: .*FROMs outside the TO'"'"'s recording window (not joined) 0 (window: none declared by guest)' "$rep"
check $? 0 "report.md: nowin declares none"
grep -q 'outside_to_window' "$rep"
check $? 0 "report.md: the join rule quoted with the window"

# stats: the text output, from the files' metas
expect 0 '' "$A" stats --latency hv_entry:timer --join-irq-map 0:11 --join-window-us 100 "$r/win/hv.csv" \
	"$r/win/guest.csv"
grep -q 'matched 4 .*; unmatched FROM 3, TO 1; .*outside the TO'"'"'s recording window 4;' "$w/out"
check $? 0 "stats: the count in the text output"
grep -q "TO's recording window: \[100000, 200000\] cycles (guest.stamp_tsc_start, guest.stamp_tsc_end)" "$w/out"
check $? 0 "stats: the window in the text output"
expect 0 '' "$A" stats --latency hv_entry:timer --join-irq-map 0:11 --join-window-us 100 "$r/nowin/hv.csv" \
	"$r/nowin/guest.csv"
grep -q 'matched 7 .*; unmatched FROM 4, .*outside the TO'"'"'s recording window 0;' "$w/out"
check $? 0 "stats: no window, today's join"
finish test-join-window
