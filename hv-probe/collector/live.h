/* SPDX-License-Identifier: GPL-2.0 */
/* Live mode: read Xen's per-CPU trace buffers from dom0 (libxenctrl). */
#ifndef NT_HV_LIVE_H
#define NT_HV_LIVE_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "xtdec.h"

struct live_opts {
	uint32_t evt_mask;         /* xc_tbuf_set_evt_mask */
	const uint8_t *cpumap;     /* XT_MAX_CPUS/8 bytes, NULL = every CPU */
	unsigned pages;            /* per-CPU buffer size in pages (first enable only) */
	unsigned poll_ms;          /* poll period when no VIRQ_TBUF arrives */
	double duration_s;         /* 0 = until stopped */
	int verbose;               /* xentoollog level: 0 error, 1 info, 2 debug */
	FILE *raw;                 /* also write the windows in xentrace format */
	int no_decode;             /* only write them to raw; the caller decodes it later */
	int (*stopping)(void);     /* non-zero: stop (a signal) */
	void (*tick)(void *ctx);   /* called about once a second (flush output) */
	void *tick_ctx;
};

struct live_info {
	double tsc_hz;             /* xc_physinfo cpu_khz * 1000 */
	char xen_version[128];     /* "4.17.5-pre" */
	char xen_changeset[64];
	unsigned nr_cpus, max_cpu_id;
	unsigned tbuf_pages;       /* actual per-CPU buffer size */
	unsigned mapped_cpus;      /* CPUs with a buffer */
	unsigned long data_size;   /* bytes of records per CPU buffer */
	int evtchn;                /* 1 when VIRQ_TBUF wake-ups work */
	uint64_t wake_virq, wake_timeout;
	double elapsed_s;
};

/* Is this dom0 of a Xen host with privcmd?  Returns 0, or 1 after printing a
 * one-line reason (not on Xen / a domU / no privcmd). */
int live_check(const char *prog);

/*
 * Check that this is dom0 of a Xen host, enable tracing, read until *stop,
 * the duration, or the decoder stops (count reached), then disable tracing
 * and drain.  Returns 0, or 1 after printing a one-line error (prefixed with
 * `prog`) when this is not dom0 / no privcmd / a Xen call failed.
 */
int live_run(const char *prog, struct xt_dec *d, const struct live_opts *o, struct live_info *info);

#endif
