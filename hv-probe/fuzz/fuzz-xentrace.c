// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz the offline decoder (collector/xtdec.c) with arbitrary bytes as a file
 * that xentrace wrote, in lenient and strict mode with every option, and also
 * as one raw window (the live path).  Every emitted record is formatted as
 * CSV, and the summary is printed to a null stream, so that the whole output
 * path runs.  Invariants: strict never decodes more than lenient; lenient
 * always returns 0 for in-memory input; the truncation offset lies inside
 * the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "nt/recio.h"
#include "summary.h"
#include "xtdec.h"

static int sink(void *ctx, const struct nt_rec *r)
{
	char line[256];
	int n = nt_rec_format_csv(r, line, sizeof(line));
	if (n < 0 || (size_t)n >= sizeof(line))
		__builtin_trap();
	if (r->source != NT_SRC_HV || r->event >= NT_EV_MAX)
		__builtin_trap();
	(*(uint64_t *)ctx)++;
	return 0;
}

static uint64_t decode(const uint8_t *data, size_t size, int strict, FILE *null, int *rc)
{
	uint64_t n = 0;
	struct xt_opts o = { .strict = strict, .stock = 1, .probe_cost = 1 };
	struct xt_dec d;
	xt_dec_init(&d, &o, sink, &n);
	FILE *f = fmemopen((void *)data, size, "rb");
	if (!f)
		return 0;
	*rc = xt_dec_file(&d, f);
	fclose(f);
	if (d.truncated && d.trunc_off >= size)
		__builtin_trap();
	if (d.in_bytes != size && !strict && *rc == 0)
		__builtin_trap(); /* lenient reads everything */
	struct xt_run run = { .mode = "offline", .input = "fuzz", .tsc_hz = strict ? 0 : 2.5e9,
			      .hz_method = "fuzz" };
	if (null)
		xt_summary_print(null, &d, &run);
	xt_dec_free(&d);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	static FILE *null;
	if (!null)
		null = fopen("/dev/null", "w");
	int rc_l = 0, rc_s = 0;
	uint64_t lenient = decode(data, size, 0, null, &rc_l);
	uint64_t strict = decode(data, size, 1, null, &rc_s);
	if (rc_l != 0 || strict > lenient)
		__builtin_trap();
	/* the same bytes as one live window of cpu (first byte) */
	uint64_t n = 0;
	struct xt_dec d;
	xt_dec_init(&d, NULL, sink, &n);
	if (xt_dec_window(&d, data[0], data + 1, size - 1, 0) != 0)
		__builtin_trap();
	xt_dec_free(&d);
	return 0;
}
