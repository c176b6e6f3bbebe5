# SPDX-License-Identifier: GPL-2.0
# virq-handler.sh: make a domain the handler of a global Xen VIRQ (the timer
# experiment: VIRQ_NATSUME_PIT, 17, carries the PIT that the patched Xen's
# natsume-pit= hands over; hv-probe/README.md).
# In: NT_OUT; NT_DOMID; NT_VIRQ (default 17); NT_VIRQ_HANDLER (the program,
#     default /mnt/tools/bin/nt-virq-handler).
# Out: virq-handler.txt (domid, virq).
. "${NT_LIB:-/etc/nt/lib.sh}"
mkdir -p "$NT_OUT" || exit 1
[ -n "${NT_DOMID:-}" ] || { echo "virq-handler: NT_DOMID is not set" >&2; exit 2; }
"${NT_VIRQ_HANDLER:-/mnt/tools/bin/nt-virq-handler}" "$NT_DOMID" "${NT_VIRQ:-17}" ||
	{ echo "virq-handler: nt-virq-handler $NT_DOMID ${NT_VIRQ:-17} failed" >&2; exit 1; }
printf 'domid=%s\nvirq=%s\n' "$NT_DOMID" "${NT_VIRQ:-17}" >"$NT_OUT/virq-handler.txt"
exit 0
