// SPDX-License-Identifier: GPL-2.0
/* Machine-readable summary (CSV, JSON) and the Markdown report of a run. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "analyze.h"
#include "nt/stats.h"
#include "nt/meta.h"
#include "nt/recio.h"

void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void json_num(FILE *f, double x)
{
	if (isfinite(x))
		fprintf(f, "%.17g", x);
	else
		fputs("null", f);
}

int find_measure(const struct variant *v, const struct measure_def *m)
{
	for (size_t i = 0; i < v->nms; i++)
		if (strcmp(v->ms[i].name, m->name) == 0 && strcmp(v->ms[i].def, m->def) == 0)
			return (int)i;
	return -1;
}

static double imp(double base, double v)
{
	return base != 0 ? (base - v) / base * 100.0 : NAN;
}

void compare_measure(struct run_ctx *rc, size_t mi, size_t vi, struct cmp_row *row)
{
	memset(row, 0, sizeof(*row));
	struct variant *b = &rc->v[rc->co.baseline], *v = &rc->v[vi];
	int k = find_measure(v, &b->ms[mi]);
	if (k < 0)
		return;
	const struct summary *sb = &b->j[mi].sum, *sv = &v->j[k].sum;
	if (!sb->n || !sv->n)
		return;
	row->ok = 1;
	row->imp_max = imp((double)sb->max, (double)sv->max);
	row->imp_min = imp((double)sb->min, (double)sv->min);
	row->imp_mean = imp(sb->mean, sv->mean);
	struct sampleset *xb = &b->j[mi].ss, *xv = &v->j[k].ss;
	if (xb->streaming || xv->streaming)
		return; /* samples not kept: no bootstrap */
	bootstrap_diff(xb->v, xb->n, xv->v, xv->n, 0.5, rc->co.resamples, rc->co.conf, rc->co.seed, &row->med);
	bootstrap_diff(xb->v, xb->n, xv->v, xv->n, 0.99, rc->co.resamples, rc->co.conf, rc->co.seed + 1,
		       &row->p99);
}

static const char *mode_name(const struct joiner *j)
{
	return j->ss.streaming ? "streaming" : "exact";
}

/* ---- the statistics row of summary.csv, summary.json and report.md ---- */
#define NSTATS 9
static const char *const stat_key[NSTATS] = { "min", "max", "mean", "stddev", "median",
					       "p90", "p99", "p99.9", "p99.99" };

static void md_val(FILE *f, double x, int prec)
{
	if (isfinite(x))
		fprintf(f, " %.*f |", prec, x);
	else
		fprintf(f, " - |");
}

/* The nine statistics of s in stat_key order, in cycles or (us) in
 * microseconds at hz, as the cells of a summary.csv row (each after a comma),
 * the members of a summary.json object (without its braces) or the cells of a
 * report.md row.  min and max in cycles are the exact integers.  No samples,
 * or no frequency for microseconds: an empty cell, null, "-". */
static void stats_row(FILE *f, enum out_fmt fmt, const struct summary *s, double hz, int us)
{
	double x[NSTATS] = { (double)s->min, (double)s->max, s->mean, s->stddev, s->median,
			     s->p90,	     s->p99,	     s->p999, s->p9999 };
	for (int i = 0; i < NSTATS; i++) {
		if (fmt == OUT_JSON)
			fprintf(f, "%s\"%s\": ", i ? ", " : "", stat_key[i]);
		else if (fmt == OUT_CSV)
			fputc(',', f);
		if (!s->n || (us && !(hz > 0)))
			fputs(fmt == OUT_JSON ? "null" : fmt == OUT_MD ? " - |" : "", f);
		else if (!us && i < 2)
			fprintf(f, fmt == OUT_MD ? " %" PRIu64 " |" : "%" PRIu64, i ? s->max : s->min);
		else if (fmt == OUT_JSON)
			json_num(f, us ? cyc_to_us(x[i], hz) : x[i]);
		else if (fmt == OUT_CSV)
			fprintf(f, "%.6f", us ? cyc_to_us(x[i], hz) : x[i]);
		else
			md_val(f, us ? cyc_to_us(x[i], hz) : x[i], us ? 3 : 1);
	}
}

void md_head(FILE *f, const char *const *title, size_t n, const char *align)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s %s |", i ? "" : "|", title[i]);
	fputs("\n|", f);
	for (size_t i = 0; i < n; i++)
		fputs(align[i] == 'r' ? "---:|" : "---|", f);
	fputc('\n', f);
}

FILE *out_open(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		perror(path);
	return f;
}

int out_close(FILE *f, const char *path)
{
	if (fclose(f)) {
		perror(path);
		return -1;
	}
	return 0;
}

/* ---- CSV ---- */
int write_summary_csv(struct run_ctx *rc, const char *path)
{
	FILE *f = out_open(path);
	if (!f)
		return -1;
	fprintf(f, "variant,measure,definition,mode,count");
	for (int u = 0; u < 2; u++)
		for (size_t i = 0; i < NSTATS; i++)
			fprintf(f, ",%s_%s", stat_key[i], u ? "us" : "cycles");
	fprintf(f, ",matched_seq,matched_nearest,unmatched_from,unmatched_to,shared_to,dup_from,dup_to,negative,"
		   "outside_to_window,stalled,records_lost_at_source,tsc_hz\n");
	for (size_t vi = 0; vi < rc->nv; vi++) {
		struct variant *v = &rc->v[vi];
		for (size_t m = 0; m < v->nms; m++) {
			const struct joiner *j = &v->j[m];
			const struct summary *s = &j->sum;
			fprintf(f, "%s,%s,%s,%s,%" PRIu64, v->name, v->ms[m].name, v->ms[m].def, mode_name(j), s->n);
			stats_row(f, OUT_CSV, s, v->tsc_hz, 0);
			stats_row(f, OUT_CSV, s, v->tsc_hz, 1);
			fprintf(f, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
				   ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",",
				j->c.by_seq, j->c.by_near, j->c.unmatched_from, j->c.unmatched_to, j->c.shared_to,
				j->c.dup_from, j->c.dup_to, j->c.negative, j->c.outside_to_window, j->c.stalled,
				v->lost_records);
			if (v->tsc_hz > 0)
				fprintf(f, "%.0f", v->tsc_hz);
			fputc('\n', f);
		}
	}
	return out_close(f, path);
}

/* ---- JSON ---- */
static void json_stats(FILE *f, const struct summary *s, double hz, int us)
{
	fputc('{', f);
	stats_row(f, OUT_JSON, s, hz, us);
	fputc('}', f);
}

/* the recording window of m's TO source: {"source", "start", "end"} (a bound
 * not declared: null), or null when none is declared or m is no latency */
static void json_to_window(FILE *f, const struct variant *v, const struct measure_def *m)
{
	const struct recwin *w = variant_to_window(v, m);
	if (!w) {
		fputs("null", f);
		return;
	}
	fprintf(f, "{\"source\": \"%s\", \"start\": ", nt_source_name(nt_event_source((unsigned)m->to)));
	if (w->has_start)
		fprintf(f, "%" PRIu64, w->start);
	else
		fputs("null", f);
	fputs(", \"end\": ", f);
	if (w->has_end)
		fprintf(f, "%" PRIu64, w->end);
	else
		fputs("null", f);
	fputc('}', f);
}

void json_measure(FILE *f, const struct variant *v, size_t mi, const struct linhist *h)
{
	const struct joiner *j = &v->j[mi];
	const struct summary *s = &j->sum;
	const struct join_counts *c = &j->c;
	fprintf(f, "{\"name\": ");
	json_str(f, v->ms[mi].name);
	fprintf(f, ", \"kind\": \"%s\", \"definition\": ", mkind_name(v->ms[mi].kind));
	json_str(f, v->ms[mi].def);
	fprintf(f, ", \"mode\": \"%s\", \"relative_error\": ", mode_name(j));
	json_num(f, j->ss.streaming ? LH_REL_ERR : 0.0);
	fprintf(f, ", \"quantile_definition\": \"%s\"", NT_STATS_DEFINITION);
	fprintf(f, ", \"count\": %" PRIu64 ", \"cycles\": ", s->n);
	json_stats(f, s, v->tsc_hz, 0);
	fprintf(f, ", \"us\": ");
	if (v->tsc_hz > 0)
		json_stats(f, s, v->tsc_hz, 1);
	else
		fputs("null", f);
	fprintf(f, ", \"outside_stalls\": {\"count\": %" PRIu64 ", \"cycles\": ", j->sum_clean.n);
	json_stats(f, &j->sum_clean, v->tsc_hz, 0);
	fprintf(f, "}");
	fprintf(f,
		", \"join\": {\"from_seen\": %" PRIu64 ", \"to_seen\": %" PRIu64 ", \"matched\": %" PRIu64
		", \"by_seq\": %" PRIu64 ", \"by_nearest\": %" PRIu64 ", \"unmatched_from\": %" PRIu64
		", \"unmatched_to\": %" PRIu64 ", \"shared_to\": %" PRIu64 ", \"dup_from\": %" PRIu64
		", \"dup_to\": %" PRIu64 ", \"negative\": %" PRIu64 ", \"outside_to_window\": %" PRIu64
		", \"stalled\": %" PRIu64 ", \"to_window\": ",
		c->from_seen, c->to_seen, c->matched, c->by_seq, c->by_near, c->unmatched_from, c->unmatched_to,
		c->shared_to, c->dup_from, c->dup_to, c->negative, c->outside_to_window, c->stalled);
	json_to_window(f, v, &v->ms[mi]);
	fputc('}', f);
	if (h && h->c) {
		fprintf(f, ", \"histogram\": {\"unit\": \"cycles\", \"lo\": %" PRIu64 ", \"width\": %" PRIu64
			   ", \"approx\": %s, \"underflow\": %" PRIu64 ", \"overflow\": %" PRIu64 ", \"counts\": [",
			h->lo, h->width, h->approx ? "true" : "false", h->underflow, h->overflow);
		for (size_t i = 0; i < h->nbins; i++)
			fprintf(f, "%s%" PRIu64, i ? "," : "", h->c[i]);
		fprintf(f, "]}");
	}
	fprintf(f, "}");
}

void json_variant(FILE *f, const struct variant *v, struct linhist *hists)
{
	fprintf(f, "{\"name\": ");
	json_str(f, v->name);
	fprintf(f, ", \"files\": [");
	for (size_t i = 0; i < v->nfiles; i++) {
		fprintf(f, "%s", i ? ", " : "");
		json_str(f, v->files[i]);
	}
	char imd[256];
	irqmap_describe(&v->im, imd, sizeof(imd));
	fprintf(f, "], \"join\": \"%s\", \"attribution\": ", v->join_packet ? "packet" : "stamps");
	json_attrib(f, v);
	fprintf(f, ", \"join_rule\": \"%s\", \"join_irq\": ", JOIN_RULE);
	json_str(f, imd);
	fprintf(f, ", \"tsc_hz\": ");
	json_num(f, v->tsc_hz > 0 ? v->tsc_hz : NAN);
	fprintf(f, ", \"tsc_hz_source\": ");
	json_str(f, v->tsc_src);
	fprintf(f, ", \"reader\": \"%s\", \"join_window_cycles\": %" PRIu64 ", \"records\": %" PRIu64
		   ", \"bad_rows_skipped\": %" PRIu64 ", \"out_of_order\": %" PRIu64 ", \"lost_events\": %" PRIu64
		   ", \"records_lost_at_source\": %" PRIu64 ", \"stall_windows\": %" PRIu64,
		v->streaming ? "streaming" : v->sorted_in_memory ? "in memory, sorted by tsc" : "sequential", v->window, v->nrecs, v->bad_rows, v->out_of_order,
		v->lost_events, v->lost_records, v->stall_windows);
	fprintf(f, ", \"not_recorded\": ");
	json_variant_gaps(f, v);
	fprintf(f, ", \"measures\": [");
	for (size_t m = 0; m < v->nms; m++) {
		fprintf(f, "%s", m ? ", " : "");
		json_measure(f, v, m, hists ? &hists[m] : NULL);
	}
	fprintf(f, "]}");
}

static void json_ci(FILE *f, const struct boot_ci *c, double hz)
{
	if (!c->ok) {
		fputs("null", f);
		return;
	}
	fprintf(f, "{\"diff_cycles\": ");
	json_num(f, c->diff);
	fprintf(f, ", \"lo_cycles\": ");
	json_num(f, c->lo);
	fprintf(f, ", \"hi_cycles\": ");
	json_num(f, c->hi);
	fprintf(f, ", \"diff_us\": ");
	json_num(f, cyc_to_us(c->diff, hz));
	fprintf(f, ", \"lo_us\": ");
	json_num(f, cyc_to_us(c->lo, hz));
	fprintf(f, ", \"hi_us\": ");
	json_num(f, cyc_to_us(c->hi, hz));
	fprintf(f, ", \"confidence\": %g, \"resamples\": %u, \"excludes_zero\": %s}", c->conf, c->resamples,
		(c->lo > 0 || c->hi < 0) ? "true" : "false");
}

void json_comparison(FILE *f, struct run_ctx *rc)
{
	struct variant *b = &rc->v[rc->co.baseline];
	fprintf(f, "{\"baseline\": ");
	json_str(f, b->name);
	fprintf(f, ", \"formula\": \"improvement %% = (baseline - variant) / baseline * 100\", \"bootstrap\": "
		   "{\"method\": \"percentile\", \"resamples\": %u, \"confidence\": %g, \"seed\": %" PRIu64
		   ", \"rng\": \"xoshiro256**\"}, \"measures\": [",
		rc->co.resamples, rc->co.conf, rc->co.seed);
	for (size_t m = 0; m < b->nms; m++) {
		fprintf(f, "%s{\"measure\": ", m ? ", " : "");
		json_str(f, b->ms[m].name);
		fprintf(f, ", \"definition\": ");
		json_str(f, b->ms[m].def);
		fprintf(f, ", \"variants\": [");
		int first = 1;
		for (size_t vi = 0; vi < rc->nv; vi++) {
			if ((int)vi == rc->co.baseline)
				continue;
			struct cmp_row row;
			compare_measure(rc, m, vi, &row);
			fprintf(f, "%s{\"variant\": ", first ? "" : ", ");
			first = 0;
			json_str(f, rc->v[vi].name);
			if (!row.ok) {
				fprintf(f, ", \"available\": false}");
				continue;
			}
			fprintf(f, ", \"improvement_pct\": {\"max\": ");
			json_num(f, row.imp_max);
			fprintf(f, ", \"min\": ");
			json_num(f, row.imp_min);
			fprintf(f, ", \"mean\": ");
			json_num(f, row.imp_mean);
			fprintf(f, "}, \"median_diff\": ");
			json_ci(f, &row.med, b->tsc_hz);
			fprintf(f, ", \"p99_diff\": ");
			json_ci(f, &row.p99, b->tsc_hz);
			fprintf(f, "}");
		}
		fprintf(f, "]}");
	}
	fprintf(f, "]}");
}

int write_summary_json(struct run_ctx *rc, FILE *f)
{
	fprintf(f, "{\"tool\": \"nt-analyze\", \"format\": 1, \"run\": ");
	json_str(f, rc->dir ? rc->dir : "");
	fprintf(f, ", \"tsc_hz\": ");
	json_num(f, rc->tsc_hz > 0 ? rc->tsc_hz : NAN);
	fprintf(f, ", \"tsc_hz_source\": ");
	json_str(f, rc->tsc_src);
	const char *tl = run_time_label(rc);
	fprintf(f, ", \"time_label\": ");
	json_str(f, tl ? tl : "");
	fprintf(f, ", \"interrupted\": %s, \"variants\": [", g_interrupted ? "true" : "false");
	for (size_t vi = 0; vi < rc->nv; vi++) {
		fprintf(f, "%s", vi ? ", " : "");
		json_variant(f, &rc->v[vi], NULL);
	}
	fprintf(f, "], \"comparison\": ");
	if (rc->nv > 1)
		json_comparison(f, rc);
	else
		fputs("null", f);
	fprintf(f, ", \"results\": ");
	if (rc->res && rc->res->ndef)
		results_json(f, rc->res, rc->co.conf, tl);
	else
		fputs("null", f);
	fprintf(f, "}\n");
	return ferror(f) ? -1 : 0;
}

void safe_name(const char *in, char *out, size_t ol)
{
	size_t k = 0;
	for (; *in && k + 1 < ol; in++) {
		char c = *in;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
			 c == '_' || c == '.';
		out[k++] = ok ? c : '_';
	}
	out[k] = '\0';
}

/* measures of a run: the baseline's first, then those only others have */
size_t run_measures(struct run_ctx *rc, struct measure_def *seen, size_t max)
{
	size_t ns = 0;
	for (size_t vi = 0; vi < rc->nv; vi++) {
		size_t ord = vi == 0 ? (size_t)rc->co.baseline : (vi <= (size_t)rc->co.baseline ? vi - 1 : vi);
		struct variant *v = &rc->v[ord];
		for (size_t m = 0; m < v->nms && ns < max; m++) {
			size_t k;
			for (k = 0; k < ns; k++)
				if (!strcmp(seen[k].name, v->ms[m].name) && !strcmp(seen[k].def, v->ms[m].def))
					break;
			if (k == ns)
				seen[ns++] = v->ms[m];
		}
	}
	return ns;
}

/* ---- Markdown ---- */
void md_stats_table(FILE *f, struct run_ctx *rc, const struct measure_def *md, int us)
{
	const char *title[2 + NSTATS] = { "variant", "count" };
	for (int i = 0; i < NSTATS; i++)
		title[2 + i] = stat_key[i];
	md_head(f, title, 2 + NSTATS, "lrrrrrrrrrr");
	for (size_t vi = 0; vi < rc->nv; vi++) {
		struct variant *v = &rc->v[vi];
		int k = find_measure(v, md);
		if (k < 0)
			continue;
		const struct summary *s = &v->j[k].sum;
		fprintf(f, "| %s%s | %" PRIu64 " |", v->name, (int)vi == rc->co.baseline ? " (baseline)" : "", s->n);
		stats_row(f, OUT_MD, s, v->tsc_hz, us);
		fputc('\n', f);
	}
}

static void md_ci(FILE *f, const struct boot_ci *c, double hz)
{
	if (!c->ok) {
		fprintf(f, " n/a |");
		return;
	}
	if (hz > 0)
		fprintf(f, " %+.3f [%+.3f, %+.3f] us%s |", cyc_to_us(c->diff, hz), cyc_to_us(c->lo, hz),
			cyc_to_us(c->hi, hz), (c->lo > 0 || c->hi < 0) ? " *" : "");
	else
		fprintf(f, " %+.1f [%+.1f, %+.1f] cycles%s |", c->diff, c->lo, c->hi,
			(c->lo > 0 || c->hi < 0) ? " *" : "");
}

void md_comparison(FILE *f, struct run_ctx *rc, size_t m)
{
	struct variant *b = &rc->v[rc->co.baseline];
	fprintf(f,
		"Improvement over the baseline `%s`, (baseline - variant) / baseline x 100 (positive = "
		"better); median and p99 differences (variant - baseline) with %g %% percentile-bootstrap "
		"intervals (%u resamples requested, seed %" PRIu64 "; `*` = the interval excludes 0).\n\n",
		b->name, rc->co.conf * 100, rc->co.resamples, rc->co.seed);
	static const char *const title[] = { "variant",		 "max impr. %",	  "min impr. %", "mean impr. %",
					     "median diff [CI]", "p99 diff [CI]", "resamples" };
	md_head(f, title, 7, "lrrrrrr");
	for (size_t vi = 0; vi < rc->nv; vi++) {
		if ((int)vi == rc->co.baseline)
			continue;
		struct cmp_row row;
		compare_measure(rc, m, vi, &row);
		fprintf(f, "| %s |", rc->v[vi].name);
		if (!row.ok) {
			fprintf(f, " no data | | | | | |\n");
			continue;
		}
		md_val(f, row.imp_max, 1);
		md_val(f, row.imp_min, 1);
		md_val(f, row.imp_mean, 1);
		md_ci(f, &row.med, b->tsc_hz);
		md_ci(f, &row.p99, b->tsc_hz);
		if (row.med.ok)
			fprintf(f, " %u |\n", row.med.resamples);
		else
			fprintf(f, " none (streaming: samples not kept) |\n");
	}
	fputc('\n', f);
}

static void md_clean(FILE *f, const struct variant *v, size_t m)
{
	const struct join_counts *c = &v->j[m].c;
	const struct summary *k = &v->j[m].sum_clean;
	if (c->stalled && k->n) {
		if (v->tsc_hz > 0)
			fprintf(f, "- `%s` without the %" PRIu64 " samples in stalled windows: %" PRIu64
				   " samples, median %.3f us, p99 %.3f us, max %.3f us, mean %.3f us\n",
				v->name, c->stalled, k->n, cyc_to_us(k->median, v->tsc_hz), cyc_to_us(k->p99, v->tsc_hz),
				cyc_to_us((double)k->max, v->tsc_hz), cyc_to_us(k->mean, v->tsc_hz));
		else
			fprintf(f, "- `%s` without the %" PRIu64 " samples in stalled windows: %" PRIu64
				   " samples, median %.1f, p99 %.1f, max %" PRIu64 ", mean %.1f cycles\n",
				v->name, c->stalled, k->n, k->median, k->p99, k->max, k->mean);
	}
}

static void md_join(FILE *f, const struct variant *v, size_t m)
{
	const struct join_counts *c = &v->j[m].c;
	const struct summary *s = &v->j[m].sum;
	char tw[160];
	recwin_describe(variant_to_window(v, &v->ms[m]), (unsigned)v->ms[m].to, tw, sizeof(tw));
	if (v->join_packet && v->ms[m].kind == M_LATENCY)
		md_packet_joined(f, v, m);
	else if (v->ms[m].kind == M_LATENCY)
		fprintf(f,
			"- `%s`: %" PRIu64 " FROM and %" PRIu64 " TO stamps; matched %" PRIu64 " (by seq %" PRIu64
			", first TO after the FROM %" PRIu64 ", of which sharing their TO with an earlier FROM %" PRIu64
			"); unmatched FROM %" PRIu64 ", unmatched TO %" PRIu64
			"; duplicates FROM %" PRIu64 " / TO %" PRIu64 "; negative (TO before "
			"FROM, excluded) %" PRIu64 "; FROMs outside the TO's recording window (not joined) %" PRIu64
			" (window: %s); in stalled windows %" PRIu64 " (%.2f %% of samples)\n",
			v->name, c->from_seen, c->to_seen, c->matched, c->by_seq, c->by_near, c->shared_to,
			c->unmatched_from, c->unmatched_to, c->dup_from, c->dup_to, c->negative, c->outside_to_window,
			tw, c->stalled, s->n ? 100.0 * (double)c->stalled / (double)s->n : 0.0);
	else if (v->ms[m].kind == M_SPAN)
		fprintf(f,
			"- `%s`: %" PRIu64 " stamps, %" PRIu64 " spans (tsc - aux); without aux %" PRIu64
			"; aux after tsc (excluded) %" PRIu64 "; in stalled windows %" PRIu64 " (%.2f %% of samples)\n",
			v->name, c->from_seen, c->matched, c->unmatched_from, c->negative, c->stalled,
			s->n ? 100.0 * (double)c->stalled / (double)s->n : 0.0);
	else
		fprintf(f,
			"- `%s`: %" PRIu64 " stamps, %" PRIu64 " periods; out of order (excluded) %" PRIu64
			"; in stalled windows %" PRIu64 " (%.2f %% of periods)\n",
			v->name, c->from_seen, c->matched, c->negative, c->stalled,
			s->n ? 100.0 * (double)c->stalled / (double)s->n : 0.0);
}

/* The report's head: title, the emulation banner, the run's meta keys, the
 * TSC, when it was analysed, the label of the times and the definitions. */
static void md_run_head(FILE *f, struct run_ctx *rc)
{
	char meta[4096], val[512];
	snprintf(meta, sizeof(meta), "%s/meta.txt", rc->dir);
	const char *title = "";
	if (nt_meta_get(meta, "title", val, sizeof(val)) == 0)
		title = val;
	fprintf(f, "# Run `%s`%s%s\n\n", rc->dir, *title ? ": " : "", title);
	const char *emu = run_emulated(rc);
	if (emu)
		fprintf(f, "**Emulated testbed (%s): every time in this report, its tables and its figures is emulated "
			   "time, %s. It shows that the pipeline measures what it claims and how the variants differ "
			   "under emulation, not the latencies of real hardware.**\n\n",
			emu,
			strstr(emu, "instruction-counted") ?
				"counted in executed instructions (QEMU -icount: a host stall stops the machine's "
				"clock with it; an instruction takes a fixed emulated time, so costs are not "
				"hardware's)" :
				"inflated 10-50x against hardware and noisy (host stalls reach the guests' clock)");
	static const char *keys[] = { "scenario", "testbed", "experiment", "started", "host", "kernel", "cpu_model",
				      "git_rev", "status" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (nt_meta_get(meta, keys[i], val, sizeof(val)) == 0)
			fprintf(f, "- %s: %s\n", keys[i], val);
	if (rc->tsc_hz > 0)
		fprintf(f, "- TSC: %.0f Hz (%.3f MHz), from %s; 1 us = %.1f cycles\n", rc->tsc_hz, rc->tsc_hz / 1e6,
			rc->tsc_src, rc->tsc_hz / 1e6);
	else
		fprintf(f, "- TSC frequency: unknown (no tsc_hz in the meta files): figures in cycles only\n");
	time_t now = time(NULL);
	char ts[64];
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	fprintf(f, "- analysed: %s by nt-analyze%s\n", ts, g_interrupted ? " (INTERRUPTED: partial input)" : "");
	const char *tl = run_time_label(rc);
	if (tl)
		fprintf(f, "- times: %s (every table and figure of this run)\n", tl);
	fprintf(f, "- statistics: %s\n", NT_STATS_DEFINITION);
	fprintf(f, "- join of stamps without a common seq: %s\n", JOIN_RULE);
}

/* A variant's line of the head: its input, reader, join and data quality. */
static void md_variant_line(FILE *f, const struct run_ctx *rc, const struct variant *v)
{
	char imd[256];
	irqmap_describe(&v->im, imd, sizeof(imd));
	fprintf(f, "- variant `%s`: %zu files, %" PRIu64 " records, reader %s, ", v->name, v->nfiles, v->nrecs,
		v->streaming ? "streaming" : v->sorted_in_memory ? "in memory, sorted by tsc" : "sequential");
	if (v->join_packet)
		fprintf(f, "join per probe packet (seq; see Per-packet attribution)");
	else
		fprintf(f, "join window %" PRIu64 " cycles (%.0f us), irq matching: %s", v->window, v->window_us, imd);
	if (v->j && v->nms && v->j[0].ss.streaming)
		fprintf(f, ", statistics from log-linear histograms (relative error <= %.2g)%s", LH_REL_ERR,
			v->j[0].ss.switched ? " after passing the sample limit" : "");
	fprintf(f, "; stall windows %" PRIu64 "; records lost at source %" PRIu64 " (in %" PRIu64
		   " `lost` events); malformed rows skipped %" PRIu64 "; out-of-order records %" PRIu64 "\n",
		v->stall_windows, v->lost_records, v->lost_events, v->bad_rows, v->out_of_order);
	char vm[4200], desc[512];
	snprintf(vm, sizeof(vm), "%s/meta.txt", v->dir);
	if (v->dir[0] && nt_meta_get(vm, "description", desc, sizeof(desc)) == 0)
		fprintf(f, "  - %s\n", desc);
	if (v->tsc_hz > 0 && rc->tsc_hz > 0 && fabs(v->tsc_hz - rc->tsc_hz) > 1e-6 * rc->tsc_hz)
		fprintf(f, "  - its TSC frequency differs: %.0f Hz from %s\n", v->tsc_hz, v->tsc_src);
	md_variant_gaps(f, v);
}

/* A measure's figures (plot.c writes them under the same names). */
static void md_figures(FILE *f, struct run_ctx *rc, const struct measure_def *md, const char *plotdir_rel,
		       int plots_ok)
{
	char base[64];
	fig_base(md->name, base, sizeof(base));
	fprintf(f, "### Figures%s\n\n", plots_ok ? "" : " (NOT rendered: see the analyzer's errors)");
	if (md->kind != M_PERIOD)
		fprintf(f, "![MAX/MIN/AVERAGE](%s/%s-bars.png)\n\n", plotdir_rel, base);
	for (size_t vi = 0; vi < rc->nv; vi++) {
		if (find_measure(&rc->v[vi], md) < 0)
			continue;
		char sn[160];
		safe_name(rc->v[vi].name, sn, sizeof(sn));
		fprintf(f, "![%s histogram](%s/%s-hist-%s.png)\n", rc->v[vi].name, plotdir_rel, base, sn);
	}
	fprintf(f, "\n![CCDF](%s/%s-ccdf.png)\n\n", plotdir_rel, base);
	fprintf(f, "Each figure has its gnuplot script (.gp) and data (.dat) beside it, and a PDF.\n\n");
}

/* A measure's section: its tables in us and cycles, the join and data quality
 * of every variant, the comparison and (plotdir_rel) the figures. */
static void md_measure(FILE *f, struct run_ctx *rc, const struct measure_def *md, const char *plotdir_rel,
		       int plots_ok)
{
	const char *emu = run_emulated(rc), *tl = run_time_label(rc);
	fprintf(f, "## %s: %s `%s`%s%s\n\n", md->name,
		md->kind == M_LATENCY ? "latency" : md->kind == M_SPAN ? "span (tsc - aux) of" : "period of", md->def,
		tl ? ", " : "", tl ? tl : "");
	if (rc->tsc_hz > 0) {
		fprintf(f, "In microseconds (TSC @ %.3f MHz%s%s%s):\n\n", rc->tsc_hz / 1e6, emu ? "; emulated, " : "",
			emu ? emu : "", emu ? " time" : "");
		md_stats_table(f, rc, md, 1);
		fputc('\n', f);
	}
	fprintf(f, "In TSC cycles%s%s%s:\n\n", emu ? " (emulated, " : "", emu ? emu : "", emu ? ")" : "");
	md_stats_table(f, rc, md, 0);
	fprintf(f, "\nJoin and data quality:\n\n");
	for (size_t vi = 0; vi < rc->nv; vi++) {
		int k = find_measure(&rc->v[vi], md);
		if (k >= 0) {
			md_join(f, &rc->v[vi], (size_t)k);
			md_clean(f, &rc->v[vi], (size_t)k);
		}
	}
	fputc('\n', f);
	int bm = find_measure(&rc->v[rc->co.baseline], md);
	if (rc->nv > 1 && bm >= 0) {
		fprintf(f, "### Comparison\n\n");
		md_comparison(f, rc, (size_t)bm);
	}
	if (plotdir_rel)
		md_figures(f, rc, md, plotdir_rel, plots_ok);
}

int write_report_md(struct run_ctx *rc, const char *path, const char *plotdir_rel, int plots_ok)
{
	FILE *f = out_open(path);
	if (!f)
		return -1;
	md_run_head(f, rc);
	for (size_t vi = 0; vi < rc->nv; vi++)
		md_variant_line(f, rc, &rc->v[vi]);
	fputc('\n', f);
	if (rc->res)
		results_report_md(f, rc->res, rc->co.conf, run_time_label(rc));
	md_evidence(f, rc);
	md_packet_join(f, rc);
	struct measure_def seen[64];
	size_t ns = run_measures(rc, seen, 64);
	for (size_t i = 0; i < ns; i++)
		md_measure(f, rc, &seen[i], plotdir_rel, plots_ok);
	return out_close(f, path);
}
