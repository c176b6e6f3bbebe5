#!/usr/bin/env bash
# send-frames.sh PORT COUNT INTERVAL_MS: send COUNT Ethernet frames to the
# testbed's e1000e through QEMU's socket netdev (boot.sh --nic-port PORT):
# each UDP datagram sent to 127.0.0.1:PORT arrives at the NIC as one frame.
# Frames: broadcast, ethertype 0x88b5 (IEEE local experimental), a 32-bit
# sequence number, padded to 60 bytes.  Bounded: COUNT <= 100000.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 PORT COUNT INTERVAL_MS" >&2; exit 2; }
port=$1 count=$2 ival=$3
for v in "$port" "$count" "$ival"; do
	case "$v" in ''|*[!0-9]*) echo "send-frames: bad number '$v'" >&2; exit 2 ;; esac
done
[ "$count" -le 100000 ] || { echo "send-frames: COUNT too large" >&2; exit 2; }
hdr='\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x00\x01\x88\xb5'
pad='\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
sleep_s=$(printf '%d.%03d' $((ival / 1000)) $((ival % 1000)))
exec 3>"/dev/udp/127.0.0.1/$port"
for ((i = 0; i < count; i++)); do
	seq=$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((i >> 24 & 255)) $((i >> 16 & 255)) \
		$((i >> 8 & 255)) $((i & 255)))
	printf "$hdr$seq$pad" >&3
	[ "$ival" -gt 0 ] && sleep "$sleep_s"
done
exec 3>&-
echo "send-frames: sent $count frames to 127.0.0.1:$port every $ival ms"
