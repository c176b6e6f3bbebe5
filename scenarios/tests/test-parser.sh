#!/usr/bin/env bash
# The scenario parser (scenarios/lib/scn-parse.awk through `scenarios/run
# --parse`): every shipped scenario parses; malformed files are refused with
# exit 2 and an error naming the right line; values are normalised.
# timeout: 120
set -uo pipefail
top=${NT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
run=$top/scenarios/run
tmp=$(mktemp -d /tmp/nt-scenarios-parse.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# --- every shipped scenario parses and names its variants
n=0
for f in "$top"/scenarios/*.scn; do
	out=$("$run" --parse "$f" 2>&1) || { bad "$f does not parse: $out"; continue; }
	grep -q '^variants=.' <<<"$out" || bad "$f: no variants in normal form"
	grep -q '^testbed=' <<<"$out" || bad "$f: no testbed"
	n=$((n + 1))
done
[ $n -ge 7 ] || bad "expected at least 7 shipped scenarios, found $n"
out=$("$run" --parse "$top/scenarios/native-net.scn")
grep -qx 'variants=baseline pinned rps both' <<<"$out" || bad "native-net variants: $(grep ^variants <<<"$out")"
for f in xen-net xen-net-100ms hosts-net; do
	o=$("$run" --parse "$top/scenarios/$f.scn")
	grep -qx 'variants=xen natsume-cpu natsume-vector natsume-all' <<<"$o" || bad "$f: the four Xen variants"
done
grep -qx 'probe.count=10000' <<<"$("$run" --parse "$top/scenarios/native-net-10ms.scn")" || bad "10ms: 10000 packets"
grep -qx 'probe.count=1024' <<<"$("$run" --parse "$top/scenarios/native-net-100ms.scn")" || bad "100ms: 1024 packets"
grep -qx 'qemu.icount=0' <<<"$("$run" --parse "$top/scenarios/xen-timer-quick.scn")" ||
	bad "xen-timer-quick: instruction-counted time (qemu.icount = 0)"
grep -qx 'probe.interval=100000000' <<<"$("$run" --parse "$top/scenarios/native-net-100ms.scn")" || bad "100ms: interval"
# counts above 2^31 stay whole numbers (mawk printed 3e+09)
sed 's/^probe.count *=.*/probe.count = 003000000000/' "$top/scenarios/native-net-10ms.scn" >"$tmp/big.scn"
o=$("$run" --parse "$tmp/big.scn" | grep '^probe.count=')
[ "$o" = probe.count=3000000000 ] || bad "a count above 2^31: '$o'"

# --- a minimal valid file, and normalisation
good='[scenario]
testbed = native
[traffic]
probe.count = 10
probe.interval = 2.5 ms
flood.rate = 8000 pps
flood.size = 100 bytes
[measure]
latency.0 = send : rx_user
join_window = 1.5 us
[variant a]
description = first # inline comment
recv.cpu = 1
recv.busy_poll = yes
rps.cpus = 0, 1
[variant b-2]
flood.rate = 100 Mbit/s'
printf '%s\n' "$good" >"$tmp/min.scn"
out=$("$run" --parse "$tmp/min.scn" 2>&1) || bad "minimal file refused: $out"
for want in 'name=min' 'probe.interval=2500000' 'flood.rate=pps:8000' 'flood.size=100' \
	'latency.0=send:rx_user' 'join_window=1500' 'variant.a.description=first' \
	'variant.a.recv.cpu=1' 'variant.a.recv.busy_poll=1' 'variant.a.rps.cpus=0,1' \
	'variant.b-2.flood.rate=mbps:100' 'variants=a b-2' 'baseline=a' 'experiment=net'; do
	grep -qxF "$want" <<<"$out" || bad "normal form lacks '$want'"
done
# CRLF line ends are accepted
sed 's/$/\r/' "$tmp/min.scn" >"$tmp/crlf.scn"
"$run" --parse "$tmp/crlf.scn" >/dev/null 2>&1 || bad "CRLF file refused"

# --- malformed files: "expected line|message fragment|body"
# (the body is appended to a valid prefix unless it starts with '!')
prefix='[scenario]
testbed = native
[traffic]
probe.count = 10
probe.interval = 10 ms
[measure]
latency.0 = send:rx_user'   # 7 lines
cases=(
	"8|unknown section|[bogus]"
	"9|unknown key 'speed'|[variant a]
speed = 3"
	"9|belongs in [traffic]|[pinning]
probe.size = 64"
	"3|set twice|![scenario]
testbed = native
testbed = native"
	"10|defined twice|[variant a]
description = x
[variant a]"
	"9|must be a duration|[variant a]
probe.interval = 10 parsecs"
	"9|must be like 100 Mbit/s|[variant a]
flood.rate = fast"
	"9|must be a CPU number|[variant a]
recv.cpu = -1"
	"9|must be yes or no|[variant a]
recv.busy_poll = maybe"
	"9|expected 'key = value'|[variant a]
recv.cpu 1"
	"9|empty value|[variant a]
recv.cpu ="
	"8|malformed section header|[traffic"
	"8|needs a name|[variant]"
	"8|variant name 'Foo Bar'|[variant Foo Bar]"
	"1|before any [section]|!testbed = native"
	"end|no [variant NAME] section|!$prefix"
	"end|missing 'testbed'|![traffic]
probe.count = 1
probe.interval = 1 ms
[measure]
latency.0 = send:rx_user
[variant a]"
	"end|missing 'latency.0'|![scenario]
testbed = native
[traffic]
probe.count = 1
probe.interval = 1 ms
[variant a]"
	"7|FROM:TO|![scenario]
testbed = native
[traffic]
probe.count = 1
probe.interval = 1 ms
[measure]
latency.0 = send:nowhere
[variant a]"
	"2|baseline 'c' is not one of the variants|![scenario]
baseline = c
testbed = native
[traffic]
probe.count = 1
probe.interval = 1 ms
[measure]
latency.0 = send:rx_user
[variant a]"
	"9|cannot differ per variant|[variant a]
latency.1 = send:rx_kernel"
	"8|appears twice|[traffic]"
	"9|non-ASCII|[variant a]
description = “quoted”"
	"9|must be a whole number|[variant a]
probe.count = 0"
	"2|must be one of native|!$(sed 's/testbed = native/testbed = kvm/' <<<"$prefix")
[variant a]"
	"9|list of distinct CPU numbers|[variant a]
rps.cpus = 1,1"
	"9|must be a size in bytes|[variant a]
probe.size = 70000"
	"9|must be one of off|[testbed]
qemu.icount = 11"
)
i=0
for c in "${cases[@]}"; do
	i=$((i + 1))
	ln=${c%%|*}; rest=${c#*|}; msg=${rest%%|*}; body=${rest#*|}
	f=$tmp/bad$i.scn
	if [ "${body:0:1}" = '!' ]; then printf '%s\n' "${body:1}" >"$f"
	else printf '%s\n%s\n' "$prefix" "$body" >"$f"; fi
	out=$("$run" --parse "$f" 2>&1); rc=$?
	if [ $rc -ne 2 ]; then bad "case $i ($msg): exit $rc, want 2; output: $out"; continue; fi
	grep -qF "$f:$ln: error: " <<<"$out" || { bad "case $i: no error at line $ln: $out"; continue; }
	grep -F "$f:$ln: error: " <<<"$out" | grep -qF "$msg" || bad "case $i: '$msg' not in: $out"
done

# empty file and a binary file
: >"$tmp/empty.scn"
out=$("$run" --parse "$tmp/empty.scn" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q 'empty scenario file' <<<"$out" || bad "empty file: exit $rc: $out"
head -c 300 /bin/true >"$tmp/bin.scn"
"$run" --parse "$tmp/bin.scn" >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || bad "binary file: exit $rc, want 2"

[ $fail = 0 ] && echo "parser: $n shipped scenarios parse, ${#cases[@]} malformed cases refused at the right line"
exit $fail
