#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 120
# Per-packet attribution (join=packet) on generated Xen-like variants, against
# the independent oracle of check_attrib.py: a shared INTx line (dom0 and the
# evaluation domain notified per interrupt) with the domain given and found
# from the data, and an MSI-X vector of the Natsume path; coalesced
# notifications, guest interrupts without a notification, probes riding an
# earlier probe's interrupt, hv records out of time order.  Every count and the
# min/max/count of the three measures must be exact.
set -uo pipefail
top=${NT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${NT_BIN:-$top/build/san/bin}
work=$(mktemp -d "${TMPDIR:-/tmp}/nt-attrib.XXXXXX")
trap 'rm -rf "$work"' EXIT
fails=0
for c in "shared --seed 3" "shared-nodom --seed 4 --no-dom" "msix --seed 5 --msix" "shared-big --seed 6"; do
	read -r name args <<<"$c"
	run=$work/$name
	mkdir -p "$run"
	printf 'variants=v\n' >"$run/meta.txt"
	# shellcheck disable=SC2086
	python3 "$top/analyzer/tests/check_attrib.py" gen "$run/v" $args || { echo "FAIL: gen $name"; exit 1; }
	if ! "$bin/nt-analyze" run --no-plots -q "$run" >"$run/out.txt" 2>&1; then
		echo "FAIL: nt-analyze run on $name"; cat "$run/out.txt"; fails=$((fails + 1)); continue
	fi
	echo "== $name"
	python3 "$top/analyzer/tests/check_attrib.py" check "$run/v" || fails=$((fails + 1))
	grep -q "Per-packet attribution" "$run/report.md" || { echo "FAIL: $name: report lacks the attribution"; fails=$((fails + 1)); }
done
[ $fails = 0 ] && echo "test-attrib: all cases passed"
[ $fails = 0 ]
