#!/usr/bin/env bash
# timeout: 900
# The Natsume patch series applies to Debian's Xen 4.17 source package and
# the patched hypervisor builds (hv-probe/build-xen.sh, cached in build/xen).
# Also checks: the outputs (xen.gz, the multiboot ELF, the symbols of every
# patch), that public/trace.h of the patched tree and the collector's
# hv-probe/include/natsume_trace.h agree on every constant, and that a patch
# that does not apply is refused (build-xen.sh --check-only on a broken copy).
# Skips (77) when Debian's source package cannot be fetched (no network).
set -uo pipefail
top=${NT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
work=$(mktemp -d "${TMPDIR:-/tmp}/nt-hvprobe-build-$$-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
out=$top/build/xen/out

start=$SECONDS
if ! "$top/hv-probe/build-xen.sh" >"$work/build.log" 2>&1; then
	tail -n 30 "$work/build.log"
	grep -q "apt-get source\|apt-get update" "$work/build.log" &&
		{ echo "SKIP: cannot fetch Debian's Xen source package"; exit 77; }
	fail "build-xen.sh failed"
fi
cat "$work/build.log"
echo "build-xen.sh: $((SECONDS - start)) s"

# Outputs.
gzip -t "$out/xen.gz" || fail "xen.gz is not a gzip file"
# (no `| grep -q` on a long stream: with pipefail, od's SIGPIPE would fail it)
[ "$(head -c 4 "$out/xen" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] || fail "xen is not an ELF file"
[ "$(od -An -tx4 -N 8192 "$out/xen" | grep -c 1badb002)" -gt 0 ] || fail "xen has no multiboot header"
n=$(wc -l <"$out/series")
[ "$n" -eq "$(grep -cv '^#' "$top/hv-probe/patches/series")" ] || fail "not every patch applied"
nm "$out/xen-syms" >"$work/syms" || fail "nm xen-syms"
# one symbol (at least) of each patch: 2 probes, 3 option, 4 vector, 5 handler, 6 PIT
for sym in natsume_trace_deliver per_cpu__natsume_trace_cost parse_natsume natsume_init \
	natsume_reserve_vector natsume_bind_msi natsume_owner 'natsume_update_owner[.a-z0-9]*' \
	parse_natsume_pit natsume_pit_route_irq0 global_virq_handler; do
	grep -q " $sym\$" "$work/syms" || fail "symbol $sym missing from xen-syms"
done
# patch 2: the entry stub reads the TSC before it calls do_IRQ
ci=$(awk '$3 == "common_interrupt" { print $1 }' "$work/syms")
[ -n "$ci" ] || fail "no common_interrupt in xen-syms"
objdump -d --start-address=0x$ci --stop-address=$(printf '0x%x' $((0x$ci + 0x200))) "$out/xen-syms" \
	>"$work/ci.s" || fail "objdump common_interrupt"
awk '/rdtsc/ { r = NR } /call.*<do_IRQ>/ { c = NR; exit } END { exit !(r && c && r < c) }' "$work/ci.s" ||
	fail "common_interrupt does not read the TSC before calling do_IRQ (patch 2)"
grep -q '^CONFIG_TRACEBUFFER=y' "$out/config" || fail "CONFIG_TRACEBUFFER off"
grep -q '^### natsume (x86)' "$out/tree/docs/misc/xen-command-line.pandoc" ||
	fail "natsume= not documented"
grep -q '^0x00804002 ' "$out/tree/tools/xentrace/formats" || fail "formats lacks 0x00804002"

# The trace record contract: Xen's public header == the project's header.
cat >"$work/contract.c" <<'C'
#include <stdint.h>
#include "public/trace.h"
#include "natsume_trace.h"
_Static_assert(TRC_HW_NATSUME == 0x00804000, "sub-class");
_Static_assert((TRC_HW_NATSUME & TRC_HW) == TRC_HW_NATSUME, "class");
_Static_assert(TRC_HW_NATSUME_ENTRY == TRC_HW_NATSUME + 1, "entry");
_Static_assert(TRC_HW_NATSUME_DELIVER == TRC_HW_NATSUME + 2, "deliver");
_Static_assert(TRC_HW_NATSUME_CONFIG == TRC_HW_NATSUME + 3, "config");
_Static_assert(TRC_HW_NATSUME_F_NATSUME == NATSUME_TRC_F_NATSUME, "f natsume");
_Static_assert(TRC_HW_NATSUME_F_GUEST == NATSUME_TRC_F_GUEST, "f guest");
_Static_assert(TRC_HW_NATSUME_F_PV == NATSUME_TRC_F_PV, "f pv");
_Static_assert(TRC_HW_NATSUME_F_HVM == NATSUME_TRC_F_HVM, "f hvm");
_Static_assert(TRC_HW_NATSUME_F_DIRECT == NATSUME_TRC_F_DIRECT, "f direct");
_Static_assert(TRC_HW_NATSUME_F_LATE == NATSUME_TRC_F_LATE, "f late");
int main(void) { return 0; }
C
# natsume_trace.h redefines the same macros: identical definitions are fine,
# different ones are an error (-Werror).
cc -std=c11 -Werror -I"$out/tree/xen/include" -I"$top/hv-probe/include" \
	-o "$work/contract" "$work/contract.c" || fail "public/trace.h and natsume_trace.h disagree"

# A broken patch is refused before anything is built.
mkdir -p "$work/patches"
cp "$top/hv-probe/patches/"* "$work/patches/"
p2=$(sed -n 2p "$work/patches/series")
sed -i '0,/^ .*tsc_in;$/s//&  \/\* drifted context \*\//' "$work/patches/$p2"
if "$top/hv-probe/build-xen.sh" --check-only --patches "$work/patches" --out "$work/out" \
	>"$work/bad.log" 2>&1; then
	cat "$work/bad.log"
	fail "a patch with wrong context was accepted"
fi
grep -q "does not apply cleanly" "$work/bad.log" || { cat "$work/bad.log"; fail "no clear error"; }
echo "broken patch refused: $(grep 'does not apply' "$work/bad.log")"
echo "PASS"
