#!/usr/bin/env bash
# timeout: 300
# Workload results per grid cell (dd seconds, iperf3 Mbit/s, ...): mean, sample
# stddev and the Student-t interval against an independent computation; failed
# and missing repetitions and cells; malformed keys; a run without stamps.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
A=${NT_BIN:-$here/../../build/san/bin}/nt-analyze
[ -x "$A" ] || { echo "no $A (make SAN=1)"; exit 1; }
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
/usr/bin/python3 "$here/check_results.py" "$A" "$w"
