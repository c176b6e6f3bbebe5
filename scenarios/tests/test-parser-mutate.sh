#!/usr/bin/env bash
# Robustness of the scenario parser (awk, so no libFuzzer target): 400
# mutations of the shipped scenario files (lines dropped, duplicated, swapped,
# truncated, bytes flipped, sections renamed) must each end in exit 0 with a
# normal form, or exit 2 with "FILE:LINE: error:" lines -- never anything else
# (an awk crash, a hang, an error without a line).
# timeout: 300
set -uo pipefail
top=${NT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
parser=$top/scenarios/lib/scn-parse.awk
tmp=$(mktemp -d /tmp/nt-scenarios-mut.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0 ok=0 refused=0
seeds=("$top"/scenarios/*.scn)
n=${NT_MUTATIONS:-400}
for ((i = 0; i < n; i++)); do
	src=${seeds[$((i % ${#seeds[@]}))]}
	f=$tmp/m.scn
	awk -v seed=$((i * 7919 + 13)) '
		BEGIN { srand(seed) }
		{ l[NR] = $0 }
		END {
			n = NR; k = 1 + int(rand() * 4)
			for (j = 0; j < k; j++) {
				r = 1 + int(rand() * n); op = int(rand() * 9)
				if (op == 0) l[r] = ""                                   # drop
				else if (op == 1) l[r] = l[r] "\n" l[r]                  # duplicate
				else if (op == 2) { s = 1 + int(rand() * n); t = l[r]; l[r] = l[s]; l[s] = t }
				else if (op == 3) l[r] = substr(l[r], 1, int(rand() * length(l[r])))
				else if (op == 4) { p = 1 + int(rand() * (length(l[r]) + 1))
					l[r] = substr(l[r], 1, p - 1) sprintf("%c", 1 + int(rand() * 254)) substr(l[r], p + 1) }
				else if (op == 5) sub(/=/, "", l[r])
				else if (op == 6) sub(/\]/, "", l[r])
				else if (op == 7) sub(/[0-9]+/, "-" int(rand() * 1e6), l[r])
				else { sub(/[a-z]+/, "x", l[r]) }
			}
			for (r = 1; r <= n; r++) print l[r]
		}' "$src" >"$f" 2>/dev/null
	out=$(timeout 10 awk -v scn_name=m -v fname="$f" -f "$parser" "$f" 2>&1); rc=$?
	case $rc in
	0) grep -q '^variants=.' <<<"$out" || { echo "FAIL: exit 0 without variants ($src, mutation $i)"; fail=1; }
	   ok=$((ok + 1)) ;;
	2) if grep -v -e "^$f:[0-9][0-9]*: error: " -e "^$f:end: error: " -e "^$f: [0-9]* error(s)$" \
			-e "^$f: error: empty scenario file$" <<<"$out" | grep -q .; then
		echo "FAIL: an error without a line ($src, mutation $i):"; echo "$out" | head -5; fail=1
	   fi
	   refused=$((refused + 1)) ;;
	*) echo "FAIL: exit $rc ($src, mutation $i):"; echo "$out" | head -5; cp "$f" "$tmp/../nt-scn-mut-fail-$i.scn" 2>/dev/null; fail=1 ;;
	esac
done
echo "$n mutations: $ok accepted, $refused refused with line-numbered errors"
exit $fail
