#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 120
# The QEMU socket back end of nt-send and nt-flood, without QEMU: a Python
# listener plays the socket netdev (127.0.0.1:PORT) and decodes every
# datagram as the emulated NIC would see it: one Ethernet frame to the given
# MAC, IPv4 with a correct header checksum, UDP to the given address with a
# correct checksum, the probe payload with the run id and consecutive seqs;
# nt-send's send records carry the same seqs.  Usage errors: --qemu without
# --dst-mac or --src, --dst-mac without --qemu, --qemu with --iface, a
# non-loopback --qemu address.  No root, no namespace: loopback only.
set -uo pipefail
top=${NT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${NT_BIN:-$top/build/san/bin}
work=$(mktemp -d "${TMPDIR:-/tmp}/nt-qemusock.XXXXXX")
lpid=
trap '[ -n "$lpid" ] && kill "$lpid" 2>/dev/null; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
fails=0
ok() { echo "ok    $*"; }
bad() { echo "FAIL  $*"; fails=$((fails + 1)); }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
for p in nt-send nt-flood; do [ -x "$bin/$p" ] || { echo "FAIL: $bin/$p not built"; exit 1; }; done

cat >"$work/listen.py" <<'EOF'
import socket, struct, sys
port, out, want = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind(("127.0.0.1", port))
s.settimeout(20)
open(out + ".ready", "w").close()

def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xFFFF) + (t >> 16)
    return t

with open(out, "w") as f:
    for _ in range(want):
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        dmac, smac, et = d[0:6].hex(":"), d[6:12].hex(":"), struct.unpack("!H", d[12:14])[0]
        ip = d[14:34]
        ipok = csum(ip) == 0xFFFF
        src, dst = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
        tot = struct.unpack("!H", ip[2:4])[0]
        udp = d[34:14 + tot]
        sport, dport, ulen, uc = struct.unpack("!HHHH", udp[:8])
        pseudo = ip[12:20] + struct.pack("!BBH", 0, 17, ulen)
        udpok = uc != 0 and csum(pseudo + udp) == 0xFFFF
        magic, ver, fl, run, _, seq = struct.unpack("<IHHIIQ", udp[8:32])
        f.write(f"{len(d)} {dmac} {smac} {et:04x} {int(ipok)} {src} {dst}:{dport} {int(udpok)} "
                f"{magic:08x} {run} {seq}\n")
EOF

listen() { # PORT OUT COUNT
	python3 "$work/listen.py" "$1" "$2" "$3" &
	lpid=$!
	for _ in $(seq 50); do [ -f "$2.ready" ] && return 0; sleep 0.1; done
	return 1
}
port=$((40000 + RANDOM % 20000))
mac=52:54:00:12:34:03

# ---- nt-send
listen "$port" "$work/send.txt" 20
"$bin/nt-send" --qemu "127.0.0.1:$port" --dst 192.0.2.2:7001 --dst-mac "$mac" --src 192.0.2.1 \
	--count 20 --interval 2ms --run-id 4242 --size 64 --out "$work/send.csv" --quiet
rc=$?
wait "$lpid"; lpid=
[ $rc = 0 ] && ok "nt-send --qemu: exit 0" || bad "nt-send --qemu: exit $rc"
n=$(wc -l <"$work/send.txt")
[ "$n" = 20 ] && ok "nt-send --qemu: 20 datagrams at the netdev" || bad "nt-send --qemu: $n datagrams, want 20"
awk -v mac="$mac" '$1 != 106 || $2 != mac || $4 != "0800" || $5 != 1 || $6 != "192.0.2.1" ||
	$7 != "192.0.2.2:7001" || $8 != 1 || $9 != "4e54534d" || $10 != 4242 || $11 != NR - 1 { bad++ }
	END { exit bad > 0 }' "$work/send.txt" &&
	ok "nt-send --qemu: 106-byte frames to $mac, IPv4/UDP checksums right, payload run id and seqs 0..19" ||
	{ bad "nt-send --qemu: frames wrong"; head -3 "$work/send.txt"; }
seqs=$(grep -c '^sender,send,' "$work/send.csv")
[ "$seqs" = 20 ] && ok "nt-send --qemu: 20 send records" || bad "nt-send --qemu: $seqs send records"

# ---- nt-flood
port=$((port + 2))
listen "$port" "$work/flood.txt" 3000
"$bin/nt-flood" --qemu "$port" --dst 203.0.113.2:9 --dst-mac "$mac" --src 192.0.2.1 --count 3000 \
	--rate 20000 --size 1472 --run-id 77 --meta "$work/flood.meta" --quiet
rc=$?
wait "$lpid"; lpid=
[ $rc = 0 ] && ok "nt-flood --qemu: exit 0" || bad "nt-flood --qemu: exit $rc"
got=$(wc -l <"$work/flood.txt")
# loopback may drop a few under load; what arrived must be well formed
[ "$got" -ge 2900 ] && ok "nt-flood --qemu: $got of 3000 datagrams at the netdev" ||
	bad "nt-flood --qemu: only $got of 3000 datagrams"
awk -v mac="$mac" '$1 != 1514 || $2 != mac || $5 != 1 || $7 != "203.0.113.2:9" || $8 != 1 || $10 != 77 { bad++ }
	END { exit bad > 0 }' "$work/flood.txt" &&
	ok "nt-flood --qemu: 1514-byte frames, checksums right, run id 77" || bad "nt-flood --qemu: frames wrong"
dup=$(awk '{ print $11 }' "$work/flood.txt" | sort -n | uniq -d | wc -l)
[ "$dup" = 0 ] && ok "nt-flood --qemu: no seq twice" || bad "nt-flood --qemu: $dup seqs twice"
grep -q '^backend=qemu$' "$work/flood.meta" && ok "nt-flood --qemu: summary says backend=qemu" ||
	bad "nt-flood --qemu: summary backend $(grep '^backend=' "$work/flood.meta")"
# the host's route to the guest's address means nothing here: no line rate of a host NIC
grep -q '^line_rate_pps=0.0$' "$work/flood.meta" && ok "nt-flood --qemu: no host link's line rate" ||
	bad "nt-flood --qemu: $(grep '^line_rate' "$work/flood.meta" | tr '\n' ' ')"

# ---- usage errors
usage() { # WHAT CMD...
	local what=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	[ $rc = 2 ] && ok "$what: exit 2 ($out)" || bad "$what: exit $rc ($out)"
}
usage "nt-send --qemu without --dst-mac" "$bin/nt-send" --qemu 5000 --dst 192.0.2.2:7 --src 192.0.2.1 --count 1 --interval 1ms
usage "nt-send --qemu without --src" "$bin/nt-send" --qemu 5000 --dst 192.0.2.2:7 --dst-mac "$mac" --count 1 --interval 1ms
usage "nt-send --dst-mac without --qemu" "$bin/nt-send" --dst 127.0.0.1:7 --dst-mac "$mac" --count 1 --interval 1ms
usage "nt-send --qemu to a non-loopback address" "$bin/nt-send" --qemu 192.0.2.9:5000 --dst 192.0.2.2:7 \
	--dst-mac "$mac" --src 192.0.2.1 --count 1 --interval 1ms
usage "nt-flood --qemu without --dst-mac" "$bin/nt-flood" --qemu 5000 --dst 192.0.2.2:7 --src 192.0.2.1 --count 1
usage "nt-flood --qemu with --iface" "$bin/nt-flood" --qemu 5000 --dst 192.0.2.2:7 --src 192.0.2.1 \
	--dst-mac "$mac" --iface lo --count 1
usage "nt-flood --backend qemu without --qemu" "$bin/nt-flood" --backend qemu --dst 192.0.2.2:7 --count 1

[ $fails = 0 ] && echo "all checks passed" || echo "$fails check(s) failed"
[ $fails = 0 ]
