/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space side of the guest probe: decoding what the module hands out.
 *  - the record stream read from /dev/nt_guest_probe (40-byte struct nt_rec,
 *    x86 little endian), validated record by record, and the join that copies
 *    the seq of the first packet after an IRQ stamp into that guest_irq record;
 *  - the statistics text of /proc/nt_guest_probe.
 * Both inputs are treated as untrusted (fuzz/fuzz-ntgp-stream.c).
 */
#ifndef NTGP_DECODE_H
#define NTGP_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "nt/record.h"

#define NTGP_MAX_CPUS 256

typedef int (*ntgp_emit_fn)(void *ctx, const struct nt_rec *r);

struct ntgp_join {
	struct nt_rec pending[NTGP_MAX_CPUS]; /* last guest_irq per CPU, held back */
	unsigned char has_pending[NTGP_MAX_CPUS];
	unsigned long long n_in, n_bad, n_irq, n_pkt, n_timer, n_lost_recs;
	unsigned long long n_exit;   /* guest_irq_exit records */
	unsigned long long n_lost;   /* sum of aux of lost records */
	unsigned long long n_tied;   /* guest_irq records that got a seq */
	unsigned long long n_pkt_noirq; /* guest_pkt with no IRQ stamp before it */
	unsigned long long lost_by_cpu[NTGP_MAX_CPUS];
};

void ntgp_join_init(struct ntgp_join *j);
/*
 * Decode `len` bytes (a whole number of records is expected; a trailing
 * partial record counts as bad) and pass every valid record to emit, in
 * order, except that a guest_irq record is held back until the next
 * guest_irq/guest_pkt of its CPU (or ntgp_join_flush) so that the first
 * packet's seq can be filled in.  Returns 0, or the first non-zero value emit
 * returned.
 */
int ntgp_decode(struct ntgp_join *j, const unsigned char *buf, size_t len,
		ntgp_emit_fn emit, void *ctx);
int ntgp_join_flush(struct ntgp_join *j, ntgp_emit_fn emit, void *ctx);
/* 1 when r is a record the guest module can produce, else 0. */
int ntgp_rec_valid(const struct nt_rec *r);

struct ntgp_cpu_stats {
	int present;
	unsigned long long stamps, lost, head, tail;
	unsigned long long cost_n, cost_sum, cost_min, cost_max;
	unsigned long long cal_median, cal_min, hr_ticks, hr_overruns;
};

struct ntgp_stats {
	char kernel[128];
	char timer[16];
	char irqs[256];
	unsigned long long tsc_khz, buf_records, timer_period_us, cost_every;
	long long timer_cpu;
	int ncpu; /* highest cpu index seen + 1 */
	struct ntgp_cpu_stats cpu[NTGP_MAX_CPUS];
};

/* Parse the text of /proc/nt_guest_probe.  Unknown keys are ignored; returns
 * 0, or -1 when a line is malformed (what it was in why). */
int ntgp_stats_parse(const char *text, size_t len, struct ntgp_stats *s,
		     char *why, size_t whylen);

#endif
