#!/usr/bin/env bash
# timeout: 600
# nt-hvcollect decode on generated xentrace-format files: exact records (CSV and
# binary, stdin), options, TSC frequency, junk resync, strict vs lenient, and a
# cut at every byte position of the file's tail.  See collector_check.py.
set -euo pipefail
top=${NT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${NT_BIN:-$top/build/san/bin}/nt-hvcollect
[ -x "$bin" ] || { echo "missing $bin (make SAN=1 -C hv-probe)"; exit 1; }
command -v python3 >/dev/null || { echo "python3 missing (hv-probe/deps.txt)"; exit 1; }
work=$(mktemp -d /tmp/nt-hvcollect-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 "$top/hv-probe/tests/collector_check.py" "$bin" "$work"
