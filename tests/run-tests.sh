#!/usr/bin/env bash
# Run every test of the project and print one closing line
#   "N passed, N failed, N skipped".
# Tests are
#   - unit-test binaries built by `make SAN=1 test-bins`: build/san/tests/*/test-*
#   - scripts: <component>/tests/test-*.sh and tests/test-*.sh
#   - fuzz smoke runs: every build/fuzz/fuzz-* for NT_FUZZ_SECONDS (default 20)
# A test passes with exit 0, is skipped with exit 77 (it must print why),
# fails otherwise or when it runs past its timeout (a "# timeout: N" line in a
# script, else NT_TEST_TIMEOUT, default 900 s).  Logs: build/test-logs/.
# Arguments: optional substrings; only tests whose path contains one run.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export NT_TOP=$top
export NT_BIN=${NT_BIN:-$top/build/san/bin}
export NT_BUILD=${NT_BUILD:-$top/build/san}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
logs=$top/build/test-logs
mkdir -p "$logs"
fuzz_s=${NT_FUZZ_SECONDS:-20}

tests=()
for t in build/san/tests/*/test-* */tests/test-*.sh tests/test-*.sh build/fuzz/fuzz-*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	case "$t" in *.d|*.o) continue ;; esac
	if [ $# -gt 0 ]; then
		keep=0
		for pat in "$@"; do case "$t" in *"$pat"*) keep=1 ;; esac; done
		[ $keep = 1 ] || continue
	fi
	tests+=("$t")
done

pass=0 fail=0 skip=0 failed=()
for t in "${tests[@]}"; do
	name=${t//\//_}
	log=$logs/$name.log
	to=${NT_TEST_TIMEOUT:-900}
	case "$t" in
	*.sh) l=$(grep -m1 -o '^# timeout: [0-9]*' "$t" | awk '{print $3}'); [ -n "$l" ] && to=$l ;;
	esac
	start=$(date +%s)
	case "$t" in
	build/fuzz/*)
		corpus=$(dirname "$t")/corpus-$(basename "$t")
		mkdir -p "$corpus"
		seeds=()
		for d in */fuzz/corpus/"$(basename "$t")"; do
			[ -d "$d" ] && seeds+=("$d")
		done
		timeout -k 10 $((fuzz_s + 60)) "$t" -max_total_time="$fuzz_s" -timeout=10 \
			-rss_limit_mb=2048 "$corpus" "${seeds[@]}" >"$log" 2>&1
		rc=$? ;;
	*)
		timeout -k 10 "$to" "./$t" >"$log" 2>&1 </dev/null
		rc=$? ;;
	esac
	el=$(( $(date +%s) - start ))
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1)); printf 'PASS  %-60s %4ss\n' "$t" "$el"
	elif [ $rc -eq 77 ]; then
		skip=$((skip + 1)); printf 'SKIP  %-60s %4ss  %s\n' "$t" "$el" "$(tail -n1 "$log")"
	else
		fail=$((fail + 1)); failed+=("$t")
		[ $rc -eq 124 ] && why="timeout ${to}s" || why="exit $rc"
		printf 'FAIL  %-60s %4ss  (%s, log %s)\n' "$t" "$el" "$why" "${log#$top/}"
		tail -n 30 "$log" | sed 's/^/      | /'
	fi
done
echo
[ $fail -gt 0 ] && printf 'failed: %s\n' "${failed[@]}"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
