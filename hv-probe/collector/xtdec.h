/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoder of Xen trace records (struct t_rec of xen/public/trace.h) into the
 * project's records (include/nt/record.h), shared by the live reader
 * (live.c: windows copied out of the per-CPU trace buffers) and the offline
 * reader (xtfile.c: a file that xentrace wrote).  It also keeps the per-CPU
 * statistics that the summary prints (summary.c).
 *
 * A raw trace record is u32 {event:28, extra:3, cycles:1}, then u32 tsc_lo,
 * tsc_hi when cycles is set, then `extra` u32 data words, all little endian.
 * Xen never splits a record across the end of its ring (it pads with
 * TRC_TRACE_WRAP_BUFFER), so a window of bytes holds whole records.
 */
#ifndef NT_HV_XTDEC_H
#define NT_HV_XTDEC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nt/record.h"

/* Stock constants (xen/public/trace.h); repeated so that the decoder and its
 * fuzz target build without libxen-dev. */
#define XT_TRC_GEN               0x0001f000u
#define XT_TRC_LOST_RECORDS      (XT_TRC_GEN + 1)
#define XT_TRC_TRACE_WRAP_BUFFER (XT_TRC_GEN + 2)
#define XT_TRC_TRACE_CPU_CHANGE  (XT_TRC_GEN + 3)
#define XT_CPU_CHANGE_HDR        0x2001f003u /* CPU_CHANGE, 2 extra, no cycles */
#define XT_TRC_HW_IRQ            0x00802000u
#define XT_TRC_HW_IRQ_HANDLED    (XT_TRC_HW_IRQ + 0x8)

#define XT_MAX_CPUS   4096u            /* more than Xen's NR_CPUS on x86 */
#define XT_MAX_WINDOW (256u << 20)     /* > the largest per-CPU buffer (u16 pages) */

struct xt_opts {
	int strict;     /* any malformed input is an error (else: count, resync):
			 * also no window at all, or a header TSC that goes back */
	int stock;      /* convert TRC_HW_IRQ_HANDLED into hv_entry (trunc32) */
	int probe_cost; /* write probe_cost records (aux = ENTRY d5) */
	/* the CPUs the traced host has (XT_MAX_CPUS bits), NULL: not known; a
	 * window header naming another CPU is malformed */
	const uint8_t *cpus;
};

/* Called for every converted record; non-zero stops decoding. */
typedef int (*xt_emit_fn)(void *ctx, const struct nt_rec *r);

struct xt_cpu {
	uint64_t trecs;      /* raw trace records seen (all events) */
	uint64_t bytes;      /* raw record bytes seen */
	uint64_t entry, deliver, stock, config;
	uint64_t lost_recs;  /* TRC_LOST_RECORDS records */
	uint64_t lost;       /* sum of their counts */
	uint64_t wrap;       /* TRC_TRACE_WRAP_BUFFER padding records */
	uint64_t skipped;    /* events not converted (unknown / not selected) */
	uint64_t nocycles;   /* records without a header TSC */
	uint64_t malformed;  /* records too short for their event, or cut */
	/* monotonicity of the header TSC (time each record was written) */
	int have_hdr;
	uint64_t last_hdr, hdr_back, hdr_back_max;
	/* monotonicity of the entry TSCs of ENTRY records */
	int have_ent;
	uint64_t last_ent, ent_back, ent_back_max;
};

struct xt_samples {
	int64_t *v;
	size_t n, cap;
	uint64_t dropped; /* not stored: out of memory */
};

enum { XT_PATH_STOCK = 0, XT_PATH_NATSUME = 1, XT_NPATH };

struct xt_dec {
	struct xt_opts opt;
	xt_emit_fn emit;
	void *emit_ctx;

	struct xt_cpu *cpu;
	unsigned ncpu; /* allocated entries (highest cpu seen + 1) */

	/* totals */
	uint64_t windows;      /* windows decoded */
	uint64_t in_bytes;     /* input bytes consumed (file, or ring bytes live) */
	uint64_t emitted[NT_EV_MAX];
	uint64_t deliver_no_entry; /* DELIVER without the entry TSC (0,0) */
	uint64_t ival_negative;    /* entry TSC after notify TSC */
	uint64_t stock_nocycles;   /* HANDLED without header TSC: cannot widen */
	uint64_t overruns;         /* live: inconsistent prod/cons seen */
	uint64_t resync_bytes;     /* lenient: bytes skipped to find a window */
	uint64_t errors;           /* anomalies reported (lenient) */

	struct xt_samples ival[XT_NPATH]; /* notify - entry, cycles */
	struct xt_samples handled;        /* stock HANDLED tsc_out - tsc_in */
	struct xt_samples cost;           /* ENTRY d5, cycles (non-zero only) */
	struct xt_samples stub;           /* ENTRY d6: entry stub -> do_IRQ, cycles */
	uint64_t entry_late;              /* ENTRY stamped in do_IRQ (LATE) */
	uint64_t entry_nostub;            /* ENTRY of a series without the stub stamp */

	struct xt_skipped { uint32_t id; uint64_t n; } *skipped_ids; /* every distinct one */
	unsigned nskipped_ids, cap_skipped_ids;
	uint64_t skipped_other; /* skipped events not listed (out of memory) */

	/* the last TRC_HW_NATSUME_CONFIG seen */
	int have_config;
	uint32_t cfg_sbdf, cfg_pcpu, cfg_vector, cfg_state;

	/* the first error (strict) or the first anomaly (lenient) */
	char err[256];
	int truncated;          /* the input ended inside a window or record */
	uint64_t trunc_off;     /* byte offset where the incomplete item starts */
	int stopped;            /* emit asked to stop */
};

void xt_dec_init(struct xt_dec *d, const struct xt_opts *o, xt_emit_fn emit, void *ctx);
void xt_dec_free(struct xt_dec *d);

/*
 * Decode `len` bytes of whole raw records taken on `cpu`.  `off` is the
 * position of buf[0] in the input (for messages).  Returns 0, or -1 when
 * decoding must stop (strict mode error, or emit failed / asked to stop);
 * d->err says why.  In lenient mode a record cut by the end of the window is
 * counted as malformed and the rest of the window is skipped.
 */
int xt_dec_window(struct xt_dec *d, unsigned cpu, const uint8_t *buf, size_t len,
		  uint64_t off);

/*
 * Decode a whole file that xentrace wrote: windows of
 * {u32 0x2001f003, u32 cpu, u32 size} + `size` bytes of records.  Complete
 * records of a cut final window are decoded.  Returns 0 when the input was
 * decoded (lenient: anomalies are counted, d->err holds the first), -1 on an
 * I/O error, a strict-mode error, or when emit stopped.
 */
int xt_dec_file(struct xt_dec *d, FILE *f);

/* Widen a 32-bit TSC using a later 64-bit TSC `ref` (ref - true < 2^32). */
uint64_t xt_widen32(uint32_t lo, uint64_t ref);

/* Name of a Natsume or stock event id, or NULL. */
const char *xt_event_name(uint32_t event);

#endif
