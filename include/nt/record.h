/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The project's record format: the one contract between every source of
 * stamps (hypervisor probe, guest probe, sender, receiver, stall monitor)
 * and the analyzer.  docs/record-format.md is the prose version of this file;
 * keep the two in step.
 *
 * A record is one stamp: which source took it, on which CPU, the TSC value,
 * what event it marks, and the identifiers that let the analyzer join it with
 * stamps of other sources (irq, vector, packet sequence number, domain).
 * Per-run facts (TSC frequency, host, versions, variant) are NOT repeated per
 * row: they live in a metadata file beside the data (see nt/meta.h).
 *
 * Two encodings carry the same fields:
 *  - CSV: header line NT_CSV_HEADER, then one record per line, fields in that
 *    order; an unknown field is empty; source, event and flags are words.
 *  - Binary: a 32-byte file header (struct nt_bin_header) then packed
 *    little-endian 40-byte struct nt_rec; unknown fields hold NT_NONE*.
 *
 * This header is used by user space (C11) and by the guest kernel module, so
 * it only depends on fixed-width integer types.
 */
#ifndef NT_RECORD_H
#define NT_RECORD_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/limits.h>
#ifndef UINT64_MAX
#define UINT64_MAX U64_MAX
#endif
#ifndef UINT32_MAX
#define UINT32_MAX U32_MAX
#endif
#ifndef UINT16_MAX
#define UINT16_MAX U16_MAX
#endif
#else
#include <stdint.h>
#endif

#define NT_RECORD_VERSION 1u

/* "Unknown" markers for the binary form (empty field in CSV). */
#define NT_NONE64 UINT64_MAX
#define NT_NONE32 UINT32_MAX
#define NT_NONE16 UINT16_MAX

/* Who took the stamp. */
enum nt_source {
	NT_SRC_NONE = 0,
	NT_SRC_HV = 1,       /* hypervisor probe (hv-probe collector) */
	NT_SRC_GUEST = 2,    /* guest kernel module (guest-probe) */
	NT_SRC_SENDER = 3,   /* periodic sender (loadgen) */
	NT_SRC_RECEIVER = 4, /* receiver/stamper on a plain Linux host */
	NT_SRC_MONITOR = 5,  /* stall monitor and other harness bookkeeping */
	NT_SRC_MAX
};

/* What the stamp marks.  The comment says which optional fields it fills. */
enum nt_event {
	NT_EV_NONE = 0,
	/* sender: tsc = actual send (just before sendto); seq; aux = scheduled
	 * send TSC; flags LATE when the send missed its slot. */
	NT_EV_SEND = 1,
	/* receiver: tsc = kernel software RX timestamp (CLOCK_REALTIME converted
	 * to TSC, flag CONVERTED); seq. */
	NT_EV_RX_KERNEL = 2,
	/* receiver: tsc = TSC when recvmsg returned; seq. */
	NT_EV_RX_USER = 3,
	/* hv: tsc = the hypervisor's interrupt entry stub, right after it saved
	 * the registers (flag LATE: the first statement of its handler
	 * instead); vector, irq (when known); aux = cycles from the stamp to the
	 * handler (when known); flags NATSUME when taken on the Natsume vector. */
	NT_EV_HV_ENTRY = 4,
	/* hv: tsc = just before the guest is notified; irq, vector, dom;
	 * aux = entry TSC of the same interrupt when the probe carried it;
	 * flags NATSUME for the Natsume path. */
	NT_EV_HV_DELIVER = 5,
	/* guest: tsc = entry of the guest's interrupt handler; irq (guest IRQ
	 * number), vector when known, seq when the probe tied a packet to it. */
	NT_EV_GUEST_IRQ = 6,
	/* guest: tsc = the receive path saw the packet with sequence seq;
	 * irq = the guest IRQ that was last stamped on this CPU; aux = the tsc
	 * of that guest_irq stamp (joins the two). */
	NT_EV_GUEST_PKT = 7,
	/* guest: tsc = entry of the periodic timer interrupt; irq, or vector
	 * (local APIC timer); aux = periods covered (hrtimer mode: >1 when
	 * expiries were missed). */
	NT_EV_TIMER = 8,
	/* monitor: a stall; tsc = start, aux = length in TSC cycles. */
	NT_EV_STALL = 9,
	/* any source: records were lost; tsc = when noticed, aux = how many. */
	NT_EV_LOST = 10,
	/* any source: cost of one probe stamp; aux = cycles (self-measured). */
	NT_EV_PROBE_COST = 11,
	/* guest: tsc = exit of the stamped interrupt handler (irq_handler_exit:
	 * after the last handler of a line chosen by number, after the chosen
	 * handler itself for one chosen by name); irq; aux = the tsc of the
	 * guest_irq stamp of the same interrupt, so tsc - aux is the handler's
	 * duration. */
	NT_EV_GUEST_IRQ_EXIT = 12,
	NT_EV_MAX
};

/* Flag bits. */
#define NT_F_LATE      0x1u /* sender: sent after its scheduled slot; hv_entry: stamped late */
#define NT_F_NATSUME   0x2u /* hv: Natsume vector / handler path */
#define NT_F_CONVERTED 0x4u /* tsc converted from another clock */
#define NT_F_STALLED   0x8u /* taken in a window the stall monitor flagged */
#define NT_F_TRUNC32   0x10u /* tsc carried only 32 bits, high part inferred */
#define NT_F_DIRECT    0x20u /* hv: the Natsume lightweight (fast) handler */
#define NT_F_ALL       0x3fu

/* Binary record: 40 bytes, little endian, no padding. */
struct nt_rec {
	uint64_t tsc;    /* the stamp, in TSC cycles */
	uint64_t seq;    /* packet sequence number or NT_NONE64 */
	uint64_t aux;    /* event-specific, see enum nt_event, or NT_NONE64 */
	uint32_t irq;    /* IRQ number (of that source's OS) or NT_NONE32 */
	uint32_t flags;  /* NT_F_* */
	uint16_t vector; /* CPU vector or NT_NONE16 */
	uint16_t dom;    /* Xen domain id or NT_NONE16 */
	uint16_t cpu;    /* CPU that took the stamp or NT_NONE16 */
	uint8_t source;  /* enum nt_source */
	uint8_t event;   /* enum nt_event */
};

/* Binary file header: 32 bytes. */
#define NT_BIN_MAGIC "NTREC\r\n\032" /* 8 bytes, no terminator used */
struct nt_bin_header {
	char magic[8];
	uint32_t version;  /* NT_RECORD_VERSION */
	uint32_t rec_size; /* sizeof(struct nt_rec) == 40 */
	uint64_t reserved[2];
};

#define NT_CSV_HEADER "source,event,cpu,tsc,irq,vector,seq,dom,aux,flags"
#define NT_CSV_NFIELDS 10

#ifndef __KERNEL__
_Static_assert(sizeof(struct nt_rec) == 40, "nt_rec must be 40 bytes");
_Static_assert(sizeof(struct nt_bin_header) == 32, "header must be 32 bytes");
#endif

#endif /* NT_RECORD_H */
