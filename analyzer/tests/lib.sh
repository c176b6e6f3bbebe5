# Sourced by analyzer/tests/test-*.sh (not a test itself): the program under
# test, a scratch folder removed at exit, and the check helpers.
set -uo pipefail
A=${NT_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/san/bin}/nt-analyze
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
fail=0 n=0

# expect RC PATTERN CMD...: exit status RC and stderr matching PATTERN (grep -E; '' = any)
expect() {
	local rc=$1 pat=$2
	shift 2
	n=$((n + 1))
	"$@" >"$w/out" 2>"$w/err"
	local got=$?
	if [ "$got" != "$rc" ] || { [ -n "$pat" ] && ! grep -Eq -- "$pat" "$w/err"; }; then
		echo "FAIL: $* -> exit $got (want $rc), stderr:"; sed 's/^/  | /' "$w/err"
		echo "  (wanted /$pat/)"
		fail=$((fail + 1))
	fi
}
# check GOT WANT WHAT
check() {
	n=$((n + 1))
	if [ "$1" != "$2" ]; then echo "FAIL: $3: got '$1', want '$2'"; fail=$((fail + 1)); fi
}
# finish NAME: the summary line and the exit status
finish() {
	echo "$1: $n checks, $fail failed"
	[ "$fail" = 0 ]
}
