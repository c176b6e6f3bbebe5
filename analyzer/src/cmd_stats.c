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
	case 1001:
		o->streaming = 1;
		return 1;
	case 1002:
		o->lenient = 1;
		return 1;
	case 1003:
		if (parse_double(arg, &d) || !(d > 0))
			die_usage("--tsc-hz: bad frequency '%s' (Hz, e.g. 2596130000)", arg);
		o->tsc_hz = d;
		return 1;
	case 1004:
		if (parse_double(arg, &d) || d < 0)
			die_usage("--join-window-us: bad value '%s'", arg);
		o->window_us = d;
		return 1;
	case 1005:
		if (parse_u64(arg, &u) || !u)
			die_usage("--join-window-cycles: bad value '%s'", arg);
		o->window_cycles = u;
		return 1;
	case 1006:
		if (parse_u64(arg, &u) || !u)
			die_usage("--sample-limit: bad value '%s'", arg);
		o->sample_limit = (size_t)u;
		return 1;
	case 1007:
		if (parse_double(arg, &d) || !(d > 0))
			die_usage("--seq-horizon-s: bad value '%s'", arg);
		o->horizon_s = d;
		return 1;
	case 1008:
		o->join_irq = arg;
		return 1;
	case 1009:
		o->join_irq_map = arg;
		return 1;
	case 'q':
		o->quiet = 1;
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
			", TO %" PRIu64 "; negative %" PRIu64 "; stalled %" PRIu64 "; window %" PRIu64 " cycles, %s\n",
			c->from_seen, c->to_seen, c->matched, c->by_seq, c->by_near, c->unmatched_from, c->unmatched_to,
			c->shared_to, c->dup_from, c->dup_to, c->negative, c->stalled, v->window, imd);
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

static void help(void)
{
	printf("usage: " PROG " stats [options] (--latency FROM:TO | --period EVENT | --span EVENT)... FILE...\n"
	       "\n"
	       "Statistics of measures over the records of FILE... (CSV or binary, merged by tsc):\n"
	       "count, min, max, mean, stddev, median, p90, p99, p99.9, p99.99 in TSC cycles and us.\n"
	       "\n"
	       "  --latency FROM:TO      latency between two events (e.g. send:rx_kernel); stamps join\n"
	       "                         by seq when both carry one, else by the join rule (below)\n"
	       "  --period EVENT         intervals between consecutive EVENT stamps of one CPU (e.g. timer)\n"
	       "  --span EVENT           tsc - aux of each EVENT record whose aux is an earlier stamp of the\n"
	       "                         same interrupt (hv_deliver: Xen entry -> notify; guest_irq_exit:\n"
	       "                         the guest handler's duration); no join\n"
	       "  --hist-bin W           also print a histogram with bins of W cycles (overflow bin kept)\n"
	       "  --hist-bins N          at most N bins (default 1000); the rest counts as overflow\n"
	       "  --json                 one JSON object on stdout instead of text\n" COMMON_HELP
	       "  -h, --help             this text\n" JOIN_HELP
	       "Exit status: 0 ok, 1 bad input or runtime failure, 2 usage error, 130 interrupted.\n");
}

int cmd_stats(int argc, char **argv)
{
	static const struct option lo[] = { { "latency", required_argument, 0, 'l' },
					    { "period", required_argument, 0, 'p' },
					    { "span", required_argument, 0, 's' },
					    { "hist-bin", required_argument, 0, 'b' },
					    { "hist-bins", required_argument, 0, 'n' },
					    { "json", no_argument, 0, 'j' },
					    { "help", no_argument, 0, 'h' },
					    COMMON_LONGOPTS,
					    { 0, 0, 0, 0 } };
	struct aopts o;
	aopts_default(&o);
	static struct variant v;
	memset(&v, 0, sizeof(v));
	snprintf(v.name, sizeof(v.name), "stats");
	int json = 0, nl = 0, np = 0, nsp = 0, c;
	uint64_t hist_bin = 0, maxbins = 1000;
	optind = 1;
	while ((c = getopt_long(argc, argv, "hq", lo, NULL)) != -1) {
		if (common_opt(c, optarg, &o))
			continue;
		char key[32], why[160];
		switch (c) {
		case 'l':
		case 'p':
		case 's': {
			const char *kn = c == 'l' ? "latency" : c == 'p' ? "period" : "span";
			if (v.nms == sizeof(v.ms) / sizeof(v.ms[0]))
				die_usage("too many measures");
			snprintf(key, sizeof(key), "%s.%d", kn, c == 'l' ? nl++ : c == 'p' ? np++ : nsp++);
			if (measure_parse(key, optarg, &v.ms[v.nms], why, sizeof(why)))
				die_usage("--%s: %s", kn, why);
			v.nms++;
			break;
		}
		case 'b':
			if (parse_u64(optarg, &hist_bin) || !hist_bin)
				die_usage("--hist-bin: bad width '%s' (cycles, > 0)", optarg);
			break;
		case 'n':
			if (parse_u64(optarg, &maxbins) || !maxbins || maxbins > 10000000)
				die_usage("--hist-bins: bad count '%s'", optarg);
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			help();
			return 0;
		default:
			die_usage("stats: bad option");
		}
	}
	if (!v.nms)
		die_usage("stats: give a measure (--latency FROM:TO, --period EVENT or --span EVENT)");
	if (optind >= argc)
		die_usage("stats: no input FILE");
	v.nfiles = (size_t)(argc - optind);
	v.files = calloc(v.nfiles, sizeof(char *));
	for (size_t i = 0; i < v.nfiles; i++)
		v.files[i] = strdup(argv[optind + (int)i]);
	if (o.tsc_hz > 0) {
		v.tsc_hz = o.tsc_hz;
		snprintf(v.tsc_src, sizeof(v.tsc_src), "--tsc-hz");
	} else {
		tsc_from_files(&v);
	}
	char why[160];
	if (irqmap_parse(o.join_irq, o.join_irq_map, &v.im, why, sizeof(why)))
		die_usage("%s", why);
	int rc = variant_process(&v, &o);
	if (rc) {
		variant_free(&v);
		return 1;
	}
	if (json) {
		struct linhist *hs = calloc(v.nms, sizeof(*hs));
		for (size_t m = 0; hs && hist_bin && m < v.nms; m++) {
			struct summary *s = &v.j[m].sum;
			if (!s->n)
				continue;
			uint64_t lo0 = s->min / hist_bin * hist_bin, span = (s->max - lo0) / hist_bin + 1;
			ss_linhist(&v.j[m].ss, lo0, hist_bin, span > maxbins ? maxbins : (size_t)span, &hs[m]);
		}
		json_variant(stdout, &v, hs);
		fputc('\n', stdout);
		for (size_t m = 0; hs && m < v.nms; m++)
			linhist_free(&hs[m]);
		free(hs);
	} else {
		for (size_t m = 0; m < v.nms; m++)
			print_text(stdout, &v, m, hist_bin, (size_t)maxbins);
	}
	if (fflush(stdout))
		rc = 1;
	variant_free(&v);
	if (g_interrupted) {
		fprintf(stderr, PROG ": interrupted: statistics cover the input read so far\n");
		return 130;
	}
	return rc;
}
