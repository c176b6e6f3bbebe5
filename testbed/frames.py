#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Test traffic of the emulated testbed: Ethernet frames carrying the periodic
sender's payload (include/nt/payload.h) into a QEMU NIC of testbed/qemu.sh
(`--nic ...,port=PORT`: every UDP datagram sent to 127.0.0.1:PORT arrives in
the guest as one Ethernet frame).  Several targets in lock step, each with its
own seq range: what the QEMU tests need.  The measurements use nt-send and
nt-flood (loadgen) instead.

  frames.py periodic --to PORT,MAC,SEQ0 [--to ...] --count N --interval-ms MS --run-id R
      one frame per target every MS milliseconds, seq SEQ0, SEQ0+1, ...
  frames.py flood --to PORT,MAC,SEQ0 [--to ...] --count N --max-seconds S --run-id R
      frames back to back (round robin over targets), bounded by count and time

Prints one summary line (counts, rate, send jitter in ms of CLOCK_MONOTONIC).
Only the loopback interface and 192.0.2.0/24 addresses (inside the guest's
emulated link) are used.
"""
import argparse
import socket
import struct
import sys
import time

MAGIC = 0x4E54534D
SRC_MAC = bytes.fromhex("525400999999")


def ip_checksum(hdr):
    s = 0
    for i in range(0, len(hdr), 2):
        s += (hdr[i] << 8) | hdr[i + 1]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def frame(dst_mac, dst_ip_last, run_id, seq, late=False):
    now = time.monotonic_ns()
    payload = struct.pack("<IHHIIQQQ", MAGIC, 1, 1 if late else 0, run_id, 0, seq, now, now)
    payload += bytes(8)  # padding, as nt-send may add
    udp = struct.pack(">HHHH", 40000, 9000, 8 + len(payload), 0) + payload
    ip = bytearray(struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), seq & 0xFFFF, 0, 64, 17, 0,
                               bytes([192, 0, 2, 1]), bytes([192, 0, 2, dst_ip_last])))
    struct.pack_into(">H", ip, 10, ip_checksum(ip))
    f = dst_mac + SRC_MAC + b"\x08\x00" + bytes(ip) + udp
    return f + bytes(max(0, 60 - len(f)))


def parse_target(s):
    try:
        port, mac, seq0 = s.split(",")
        mac_b = bytes.fromhex(mac.replace(":", ""))
        if len(mac_b) != 6:
            raise ValueError
        return int(port), mac_b, int(seq0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{s}' is not PORT,MAC,SEQ0")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["periodic", "flood"])
    ap.add_argument("--to", type=parse_target, action="append", required=True)
    ap.add_argument("--count", type=int, required=True, help="frames per target (periodic) or in total (flood)")
    ap.add_argument("--interval-ms", type=float, default=10.0)
    ap.add_argument("--max-seconds", type=float, default=10.0)
    ap.add_argument("--pps", type=float, default=0.0,
                    help="flood: pace to this many frames/s in total (0 = as fast as possible)")
    ap.add_argument("--run-id", type=lambda x: int(x, 0), default=1)
    a = ap.parse_args()
    if not (0 < a.count <= 10_000_000) or not (0.01 <= a.interval_ms <= 60000) or not (0 < a.max_seconds <= 600):
        print("frames: count 1..1e7, interval-ms 0.01..60000, max-seconds 0..600", file=sys.stderr)
        return 2
    sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    t0 = time.monotonic()
    sent = 0
    late = []
    try:
        if a.mode == "periodic":
            per = a.interval_ms / 1000.0
            for i in range(a.count):
                due = t0 + i * per
                while True:
                    d = due - time.monotonic()
                    if d <= 0:
                        break
                    time.sleep(min(d, 0.05))
                late.append((time.monotonic() - due) * 1000.0)
                for k, (port, mac, seq0) in enumerate(a.to):
                    sk.sendto(frame(mac, 10 + k, a.run_id, seq0 + i), ("127.0.0.1", port))
                    sent += 1
        else:
            n = [0] * len(a.to)
            end = t0 + a.max_seconds
            while sent < a.count and (sent & 255 or time.monotonic() < end):
                if a.pps > 0 and not sent & 63:
                    # paced flood: never ahead of the schedule, no catch-up burst after a stall
                    d = t0 + sent / a.pps - time.monotonic()
                    if d > 0:
                        time.sleep(d)
                k = sent % len(a.to)
                port, mac, seq0 = a.to[k]
                try:
                    sk.sendto(frame(mac, 10 + k, a.run_id, seq0 + n[k]), ("127.0.0.1", port))
                except OSError:
                    pass  # loopback buffer full: the frame is simply not sent
                n[k] += 1
                sent += 1
    except KeyboardInterrupt:
        pass
    el = time.monotonic() - t0
    msg = f"frames: {a.mode}: {sent} frames in {el:.2f} s (CLOCK_MONOTONIC), {sent / el if el else 0:.0f} frames/s"
    if late:
        late.sort()
        msg += f", send lateness median {late[len(late) // 2]:.2f} ms max {late[-1]:.2f} ms"
    print(msg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
