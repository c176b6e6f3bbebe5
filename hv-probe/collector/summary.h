/* SPDX-License-Identifier: GPL-2.0 */
/* The collector's closing summary (printed) and its metadata keys. */
#ifndef NT_HV_SUMMARY_H
#define NT_HV_SUMMARY_H

#include <stdio.h>

#include "xtdec.h"

struct xt_run {
	const char *mode;      /* "live" or "offline" */
	const char *input;     /* trace file (offline) or NULL */
	const char *output;    /* records file or "-" */
	double tsc_hz;         /* 0 when unknown */
	const char *hz_method; /* where tsc_hz came from */
	double elapsed_s;      /* live: seconds traced (0 offline) */
	int interrupted;       /* stopped by a signal */
};

/* Print the summary: per-CPU record counts, lost records, monotonicity,
 * entry->deliver intervals per path, probe cost.  Sorts the samples. */
void xt_summary_print(FILE *o, struct xt_dec *d, const struct xt_run *run);

/* Metadata keys with the counts of this run (nt/meta.h format). */
void xt_summary_meta(FILE *m, const struct xt_dec *d);

#endif
