// SPDX-License-Identifier: GPL-2.0
/* nt-analyze stats: statistics of measures over a set of files, and the
 * options every command shares. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "nt/meta.h"

int common_opt(int c, const char *arg, struct aopts *o)
{
	uint64_t u;
	double d;
	switch (c) {
	case AO_STREAMING:
		o->streaming = 1;
		return 1;
	case AO_LENIENT:
		o->lenient = 1;
		return 1;
	case AO_TSC_HZ:
		if (nt_parse_hz(arg, NT_TSC_HZ_MIN, NT_TSC_HZ_MAX, &d))
			die_usage("bad value for --tsc-hz: '%s': a frequency 1 MHz..100 GHz, e.g. 2596130000 or 2.6GHz",
				  arg);
		o->tsc_hz = d;
		return 1;
	case AO_WIN_US:
		if (nt_parse_double(arg, 0, 1e12, &d))
			die_usage("bad value for --join-window-us: '%s'", arg);
		o->window_us = d;
		return 1;
	case AO_WIN_CYC:
		if (nt_parse_u64(arg, 1, UINT64_MAX, &u))
			die_usage("bad value for --join-window-cycles: '%s'", arg);
		o->window_cycles = u;
		return 1;
	case AO_LIMIT:
		if (nt_parse_u64(arg, 1, SIZE_MAX, &u))
			die_usage("bad value for --sample-limit: '%s'", arg);
		o->sample_limit = (size_t)u;
		return 1;
	case AO_HORIZON:
		if (nt_parse_double(arg, 1e-9, 1e300, &d))
			die_usage("bad value for --seq-horizon-s: '%s'", arg);
		o->horizon_s = d;
		return 1;
	case AO_JOIN_IRQ:
		o->join_irq = arg;
		return 1;
	case AO_JOIN_MAP:
		o->join_irq_map = arg;
		return 1;
	case AO_THREADS:
		if (nt_parse_u64(arg, 1, 1024, &u))
			die_usage("bad value for --threads: '%s' (1..1024)", arg);
		g_threads = (int)u;
		return 1;
	}
	return 0;
}

/* TSC frequency for a list of files: the first FILE.meta with tsc_hz */
void tsc_from_files(struct variant *v)
{
	for (size_t i = 0; i < v->nfiles; i++) {
		char m[4200];
		double hz;
		char src[512];
		if (nt_meta_path_for(v->files[i], m, sizeof(m)))
			continue;
		if (tsc_hz_from_meta(m, &hz, src, sizeof(src)))
			continue;
		if (v->tsc_hz <= 0) {
			v->tsc_hz = hz;
			snprintf(v->tsc_src, sizeof(v->tsc_src), "%s", src);
		} else if (fabs(hz - v->tsc_hz) > 1e-6 * v->tsc_hz) {
			warnx("%s says tsc_hz=%.0f but %s was used (%.0f Hz)", m, hz, v->tsc_src, v->tsc_hz);
		}
	}
}

static void print_hist(FILE *f, struct sampleset *ss, const struct summary *s, uint64_t w, size_t maxbins,
		       double hz)
{
	struct linhist h;
	uint64_t lo = s->min / w * w;
	uint64_t span = (s->max - lo) / w + 1;
	size_t nb = span > maxbins ? maxbins : (size_t)span;
	if (ss_linhist(ss, lo, w, nb, &h))
		return;
	fprintf(f, "  histogram: bin width %" PRIu64 " cycles%s, %zu bins from %" PRIu64 " cycles\n", w,
		h.approx ? " (from log-linear buckets)" : "", nb, lo);
	fprintf(f, "  # bin_start_cycles%s count\n", hz > 0 ? " bin_start_us" : "");
	for (size_t b = 0; b < nb; b++) {
		if (!h.c[b])
			continue;
		double x = (double)lo + (double)w * (double)b;
		if (hz > 0)
			fprintf(f, "  %.0f %.4f %" PRIu64 "\n", x, cyc_to_us(x, hz), h.c[b]);
		else
			fprintf(f, "  %.0f %" PRIu64 "\n", x, h.c[b]);
	}
	fprintf(f, "  overflow (>= %.0f cycles): %" PRIu64 "\n", (double)lo + (double)w * (double)nb, h.overflow);
	linhist_free(&h);
}

static void print_text(FILE *f, struct variant *v, size_t m, uint64_t hist_bin, size_t maxbins)
{
	struct joiner *j = &v->j[m];
	struct summary *s = &j->sum;
	double hz = v->tsc_hz;
	fprintf(f, "%s %s: %" PRIu64 " samples from %zu file(s), %" PRIu64 " records; %s\n", v->ms[m].name,
		v->ms[m].def, s->n, v->nfiles, v->nrecs,
		j->ss.streaming ? "streaming (log-linear histogram, quantiles within 2^-8 relative error)"
				: "exact (all samples sorted)");
	if (hz > 0)
		fprintf(f, "  clock: TSC @ %.3f MHz (%.0f Hz, from %s)\n", hz / 1e6, hz, v->tsc_src);
	else
		fprintf(f, "  clock: TSC, frequency unknown (no --tsc-hz, no tsc_hz in FILE.meta): cycles only\n");
	if (s->n) {
		static const char *k[9] = { "min", "max", "mean", "stddev", "median", "p90", "p99", "p99.9", "p99.99" };
		double x[9] = { (double)s->min, (double)s->max, s->mean, s->stddev, s->median,
				s->p90,		s->p99,		s->p999, s->p9999 };
		for (int i = 0; i < 9; i++) {
			if (i < 2)
				fprintf(f, "  %-7s %20" PRIu64 " cycles", k[i], i ? s->max : s->min);
			else
				fprintf(f, "  %-7s %20.1f cycles", k[i], x[i]);
			if (hz > 0)
				fprintf(f, "  %14.3f us", cyc_to_us(x[i], hz));
			fputc('\n', f);
		}
	}
	const struct join_counts *c = &j->c;
	char imd[256];
	irqmap_describe(&v->im, imd, sizeof(imd));
	if (v->ms[m].kind == M_LATENCY)
		fprintf(f,
			"  join: FROM %" PRIu64 ", TO %" PRIu64 "; matched %" PRIu64 " (seq %" PRIu64 ", first TO after %" PRIu64
			"); unmatched FROM %" PRIu64 ", TO %" PRIu64 "; sharing a TO %" PRIu64 "; duplicates FROM %" PRIu64
			", TO %" PRIu64 "; negative %" PRIu64 "; outside the TO's recording window %" PRIu64
			"; stalled %" PRIu64 "; window %" PRIu64 " cycles, %s\n",
			c->from_seen, c->to_seen, c->matched, c->by_seq, c->by_near, c->unmatched_from, c->unmatched_to,
			c->shared_to, c->dup_from, c->dup_to, c->negative, c->outside_to_window, c->stalled, v->window,
			imd);
	if (v->ms[m].kind == M_LATENCY) {
		char tw[160];
		recwin_describe(variant_to_window(v, &v->ms[m]), (unsigned)v->ms[m].to, tw, sizeof(tw));
		fprintf(f, "  TO's recording window: %s\n", tw);
	}
	else if (v->ms[m].kind == M_SPAN)
		fprintf(f, "  stamps %" PRIu64 ", spans %" PRIu64 ", without aux %" PRIu64 ", aux after tsc %" PRIu64
			   ", stalled %" PRIu64 "\n",
			c->from_seen, c->matched, c->unmatched_from, c->negative, c->stalled);
	else
		fprintf(f, "  stamps %" PRIu64 ", periods %" PRIu64 ", out of order %" PRIu64 ", stalled %" PRIu64 "\n",
			c->from_seen, c->matched, c->negative, c->stalled);
	if (v->bad_rows || v->lost_records || v->stall_windows || v->out_of_order)
		fprintf(f, "  input: malformed rows skipped %" PRIu64 ", records lost at source %" PRIu64
			   ", stall windows %" PRIu64 ", out-of-order records %" PRIu64 "\n",
			v->bad_rows, v->lost_records, v->stall_windows, v->out_of_order);
	if (hist_bin && s->n)
		print_hist(f, &j->ss, s, hist_bin, maxbins, hz);
}

enum { SO_LATENCY = 256, SO_PERIOD, SO_SPAN, SO_HIST_BIN, SO_HIST_BINS, SO_JSON };

static const struct nt_opt stats_opts[] = {
	{ "latency", "FROM:TO", SO_LATENCY, "latency between two events (e.g. send:rx_kernel); stamps join\nby seq when both carry one, else by the join rule (below)" },
	{ "period", "EVENT", SO_PERIOD, "intervals between consecutive EVENT stamps of one CPU (e.g.\ntimer)" },
	{ "span", "EVENT", SO_SPAN, "tsc - aux of each EVENT record whose aux is an earlier stamp of\nthe same interrupt (hv_deliver: Xen entry -> notify; guest_irq_exit:\nthe guest handler's duration); no join" },
	{ "hist-bin", "W", SO_HIST_BIN, "also print a histogram with bins of W cycles (overflow bin kept)" },
	{ "hist-bins", "N", SO_HIST_BINS, "at most N bins (default 1000); the rest counts as overflow" },
	{ "json", NULL, SO_JSON, "one JSON object on stdout instead of text" },
	AN_COMMON_OPTS,
	{ NULL, NULL, 0, NULL },
};

struct stats {
	struct aopts o;
	struct variant v;
	int json, nl, np, nsp;
	uint64_t hist_bin, maxbins;
};

/* --latency / --period: one more measure (latency.N, period.N). */
void measure_opt(struct measure_def *ms, size_t *nms, size_t max, int is_latency, int *nl, int *np, const char *arg)
{
	char key[32], why[160];
	if (*nms == max)
		die_usage("too many measures (at most %zu)", max);
	snprintf(key, sizeof(key), "%s.%d", is_latency ? "latency" : "period", is_latency ? (*nl)++ : (*np)++);
	if (measure_parse(key, arg, &ms[*nms], why, sizeof(why)))
		die_usage("--%s: %s", is_latency ? "latency" : "period", why);
	(*nms)++;
}

static int stats_opt(struct nt_prog *p, int key, const char *arg)
{
	struct stats *st = p->ctx;
	if (common_opt(key, arg, &st->o))
		return 0;
	switch (key) {
	case SO_LATENCY:
	case SO_PERIOD:
		measure_opt(st->v.ms, &st->v.nms, sizeof(st->v.ms) / sizeof(st->v.ms[0]), key == SO_LATENCY, &st->nl,
			    &st->np, arg);
		return 0;
	case SO_SPAN: {
		char k[32], why[160];
		if (st->v.nms == sizeof(st->v.ms) / sizeof(st->v.ms[0]))
			die_usage("too many measures (at most %zu)", sizeof(st->v.ms) / sizeof(st->v.ms[0]));
		snprintf(k, sizeof(k), "span.%d", st->nsp++);
		if (measure_parse(k, arg, &st->v.ms[st->v.nms], why, sizeof(why)))
			die_usage("--span: %s", why);
		st->v.nms++;
		return 0;
	}
	case SO_HIST_BIN: return nt_parse_u64(arg, 1, UINT64_MAX, &st->hist_bin);
	case SO_HIST_BINS: return nt_parse_u64(arg, 1, 10000000, &st->maxbins);
	case SO_JSON: st->json = 1; return 0;
	}
	return -1;
}

static int stats_args(struct nt_prog *p, int argc, char **argv)
{
	struct stats *st = p->ctx;
	if (!st->v.nms)
		nt_usage(p, "stats: give a measure (--latency FROM:TO, --period EVENT or --span EVENT)");
	if (argc < 1)
		nt_usage(p, "stats: no input FILE");
	st->v.nfiles = (size_t)argc;
	st->v.files = calloc(st->v.nfiles, sizeof(char *));
	for (size_t i = 0; st->v.files && i < st->v.nfiles; i++)
		st->v.files[i] = strdup(argv[i]);
	char why[160];
	if (irqmap_parse(st->o.join_irq, st->o.join_irq_map, &st->v.im, why, sizeof(why)))
		nt_usage(p, "%s", why);
	st->o.quiet = p->quiet;
	return st->v.files ? 0 : -1;
}

static void print_json(struct stats *st)
{
	struct variant *v = &st->v;
	struct linhist *hs = calloc(v->nms, sizeof(*hs));
	for (size_t m = 0; hs && st->hist_bin && m < v->nms; m++) {
		struct summary *s = &v->j[m].sum;
		if (!s->n)
			continue;
		uint64_t lo0 = s->min / st->hist_bin * st->hist_bin, span = (s->max - lo0) / st->hist_bin + 1;
		ss_linhist(&v->j[m].ss, lo0, st->hist_bin, span > st->maxbins ? st->maxbins : (size_t)span, &hs[m]);
	}
	json_variant(stdout, v, hs);
	fputc('\n', stdout);
	for (size_t m = 0; hs && m < v->nms; m++)
		linhist_free(&hs[m]);
	free(hs);
}

static int stats_body(struct nt_prog *p)
{
	struct stats *st = p->ctx;
	struct variant *v = &st->v;
	if (st->o.tsc_hz > 0) {
		v->tsc_hz = st->o.tsc_hz;
		snprintf(v->tsc_src, sizeof(v->tsc_src), "--tsc-hz");
	} else {
		tsc_from_files(v);
	}
	variant_windows_from_files(v);
	int rc = variant_process(v, &st->o) ? NT_EXIT_FAIL : NT_EXIT_OK;
	if (rc == NT_EXIT_OK && st->json)
		print_json(st);
	for (size_t m = 0; rc == NT_EXIT_OK && !st->json && m < v->nms; m++)
		print_text(stdout, v, m, st->hist_bin, (size_t)st->maxbins);
	variant_free(v);
	if (g_interrupted)
		fprintf(stderr, PROG ": interrupted: statistics cover the input read so far\n");
	return rc;
}

int cmd_stats(int argc, char **argv)
{
	static struct stats st = { .maxbins = 1000 };
	aopts_default(&st.o);
	snprintf(st.v.name, sizeof(st.v.name), "stats");
	struct nt_prog p = {
		.synopsis = "stats [options] (--latency FROM:TO | --period EVENT | --span EVENT)... FILE...",
		.about = "Statistics of measures over the records of FILE... (CSV or binary, merged by tsc):\n"
			 "count, min, max, mean, stddev, median, p90, p99, p99.9, p99.99 in TSC cycles and us.",
		.notes = AN_COMMON_NOTES, .opts = stats_opts, .opt = stats_opt, .args = stats_args, .ctx = &st,
	};
	return an_main(&p, argc, argv, stats_body);
}
