// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: records parsed from CSV (any order, any content) fed to
 * the joiners (seq latency, nearest latency, period, span) in both modes (the
 * streaming pass with a recording window of the TO's source); checks that
 * every stamp is accounted for exactly once. */
#include <stdio.h>
#include <stdlib.h>

#include "analyze.h"

static void check(struct joiner *j)
{
	const struct join_counts *c = &j->c;
	if (j->m.kind == M_LATENCY) {
		/* every FROM: matched (or negative), unmatched or a duplicate; every
		 * TO likewise, where a TO that closed k FROMs counts once (k - 1 of
		 * its pairs are shared_to) */
		if (c->from_seen != c->matched + c->negative + c->unmatched_from + c->dup_from + c->outside_to_window)
			abort();
		if (c->shared_to > c->by_near ||
		    c->to_seen != c->matched + c->negative - c->shared_to + c->unmatched_to + c->dup_to)
			abort();
		if (c->by_seq + c->by_near != c->matched + c->negative)
			abort();
	} else if (j->m.kind == M_SPAN) {
		/* every EVENT record: a span, aux after tsc, or no aux */
		if (c->from_seen != c->matched + c->negative + c->unmatched_from)
			abort();
	} else if (c->matched + c->negative > c->from_seen) {
		abort();
	}
	if (j->sum.n != c->matched || j->sum_clean.n != c->matched - c->stalled)
		abort();
	if (j->sum.n && (j->sum.min > j->sum.max || j->sum.median < (double)j->sum.min ||
			 j->sum.median > (double)j->sum.max))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *defs[][2] = { { "latency.0", "send:rx_kernel" },
					 { "latency.1", "hv_entry:guest_irq" },
					 { "period.0", "timer" },
					 { "span.0", "guest_irq_exit" } };
	for (int streaming = 0; streaming < 2; streaming++) {
		FILE *f = fmemopen((void *)data, size, "rb");
		if (!f)
			return 0;
		struct rstream s;
		if (rs_open_file(&s, f, "fuzz", 0, 1)) {
			fclose(f);
			return 0;
		}
		struct stalls st = { 0 };
		struct irqmap im;
		char why[100];
		irqmap_parse(NULL, streaming ? "40:24,41:25" : NULL, &im, why, sizeof(why));
		struct recwin win = { 1, 1, 2000, 50000 };
		struct joiner j[4];
		for (int i = 0; i < 4; i++) {
			struct measure_def m;
			if (measure_parse(defs[i][0], defs[i][1], &m, why, sizeof(why)))
				abort();
			joiner_init(&j[i], &m, 1000, 5000, streaming, 64, &st);
			j[i].im = &im;
			j[i].tow = streaming ? &win : NULL;
		}
		struct nt_rec r;
		while (rs_next(&s, &r) > 0) {
			if (r.event == NT_EV_STALL)
				stalls_add(&st, r.tsc, r.aux);
			for (int i = 0; i < 4; i++)
				joiner_feed(&j[i], &r);
		}
		for (int i = 0; i < 4; i++) {
			joiner_finish(&j[i]);
			joiner_summarize(&j[i]);
			check(&j[i]);
			joiner_free(&j[i]);
		}
		rs_close(&s);
		fclose(f);
	}
	return 0;
}
