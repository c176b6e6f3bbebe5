#!/usr/bin/env bash
# timeout: 600
# Every statistic against an exact computation in Python (fractions) and numpy.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
A=${NT_BIN:-$here/../../build/san/bin}/nt-analyze
py=/usr/bin/python3
[ -x "$A" ] || { echo "no $A (make SAN=1)"; exit 1; }
"$py" -c 'import numpy' 2>/dev/null || { echo "skip: python3-numpy is not installed (analyzer/deps.txt)"; exit 77; }

w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
"$py" "$here/check_stats.py" "$A" "$w"
