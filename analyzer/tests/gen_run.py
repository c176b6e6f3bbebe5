#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Write a synthetic run folder (docs/run-layout.md) for the analyzer tests:
four variants with sender/receiver CSV files joined by seq, a binary hv/guest
file joined by nearest following stamp, a timer period measure, stall
records from a monitor, and known latencies so that the statistics can be
checked.  Usage: gen_run.py DIR [N] [SEED]"""
import os
import random
import struct
import sys

HDR = "source,event,cpu,tsc,irq,vector,seq,dom,aux,flags\n"
HZ = 2596130000
SRC = {"hv": 1, "guest": 2, "sender": 3, "receiver": 4, "monitor": 5}
EV = {"send": 1, "rx_kernel": 2, "rx_user": 3, "hv_entry": 4, "hv_deliver": 5, "guest_irq": 6,
      "guest_pkt": 7, "timer": 8, "stall": 9, "lost": 10}
N64, N32, N16 = 2**64 - 1, 2**32 - 1, 2**16 - 1


def binrec(src, ev, cpu, tsc, irq=N32, vector=N16, seq=N64, dom=N16, aux=N64, flags=0):
    return struct.pack("<QQQIIHHHBB", tsc, seq, aux, irq, flags, vector, dom, cpu, SRC[src], EV[ev])


def main():
    d = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7)
    variants = [("xen", 60000, 40000), ("natsume-cpu", 40000, 20000), ("natsume-vector", 30000, 8000),
                ("natsume-all", 20000, 3000)]
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "meta.txt"), "w") as f:
        f.write("scenario=synthetic\ntestbed=none\nexperiment=net\n")
        f.write("variants=" + " ".join(v[0] for v in variants) + "\nbaseline=xen\n")
        f.write(f"tsc_hz={HZ}\ntsc_hz_method=synthetic:gen_run.py\n")
    truth = {}
    for name, base, spread in variants:
        vd = os.path.join(d, name)
        os.makedirs(vd, exist_ok=True)
        with open(os.path.join(vd, "meta.txt"), "w") as f:
            f.write(f"variant={name}\nexperiment=net\nlatency.0=send:rx_kernel\n"
                    "latency.1=hv_entry:guest_irq\nperiod.0=timer\njoin_window_us=1000\n")
        t = 10**9
        snd, rcv, bin_recs, mon = [], [], [], []
        lat0, lat1, per = [], [], []
        last_timer = None
        for i in range(n):
            t += 26_000_000 // 10  # 1 ms apart
            x = base + int(rnd.paretovariate(1.5) * spread)
            snd.append(f"sender,send,0,{t},,,{i},,{t - 50},")
            if i % 100 == 7:          # a lost packet: send without receive
                continue
            rcv.append(f"receiver,rx_kernel,1,{t + x},,,{i},,,converted")
            lat0.append(x)
            if i % 250 == 3:          # duplicate receive of the same seq
                rcv.append(f"receiver,rx_kernel,1,{t + x + 500},,,{i},,,converted")
            # hv entry -> guest irq on irq 40 (nearest following, no seq)
            y = base // 2 + rnd.randrange(spread // 2 + 1)
            bin_recs.append(binrec("hv", "hv_entry", 0, t + 1000, irq=40, vector=0xf1))
            bin_recs.append(binrec("guest", "guest_irq", 1, t + 1000 + y, irq=40))
            lat1.append(y)
            tt = t + 777 + rnd.randrange(2000)
            bin_recs.append(binrec("guest", "timer", 0, tt, irq=0))
            if last_timer is not None:
                per.append(tt - last_timer)
            last_timer = tt
            if i % 500 == 250:
                mon.append(f"monitor,stall,0,{t},,,,,{x + 10},")
        rcv.sort(key=lambda l: int(l.split(",")[3]))
        with open(os.path.join(vd, "sender.csv"), "w") as f:
            f.write(HDR + "\n".join(snd) + "\n")
        with open(os.path.join(vd, "sender.csv.meta"), "w") as f:
            f.write(f"tsc_hz={HZ}\n")
        with open(os.path.join(vd, "receiver.csv"), "w") as f:
            f.write(HDR + "\n".join(rcv) + "\n")
        with open(os.path.join(vd, "stallmon.csv"), "w") as f:
            f.write(HDR + "\n".join(mon) + ("\n" if mon else ""))
        with open(os.path.join(vd, "probes.bin"), "wb") as f:
            f.write(b"NTREC\r\n\x1a" + struct.pack("<II", 1, 40) + b"\0" * 16)
            f.write(b"".join(bin_recs))
        truth[name] = (lat0, lat1, per)
    return truth


if __name__ == "__main__":
    main()
