# SPDX-License-Identifier: GPL-2.0
"""Helpers of the Python checkers of the tests: one line per check, and the
key=value files of the run folders and shares (docs/record-format.md
"Metadata": the last occurrence of a key wins)."""
import os

fails = []


def check(ok, what):
    """Print 'ok' or 'FAIL' and the check; remember the failures."""
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        fails.append(what)
    return ok


def kv(path, missing_ok=False):
    """The key=value lines of a file as a dict ({} for a missing file when missing_ok)."""
    d = {}
    if missing_ok and not os.path.exists(path):
        return d
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if "=" in line and not line.startswith("#"):
                k, v = line.split("=", 1)
                d[k] = v
    return d


def finish():
    """The closing line and the exit status: 0 when every check passed."""
    print(f"{len(fails)} check(s) failed" if fails else "all checks passed")
    return 1 if fails else 0
