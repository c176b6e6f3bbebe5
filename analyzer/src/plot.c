// SPDX-License-Identifier: GPL-2.0
/* Figures with gnuplot (pngcairo + pdfcairo, monochrome: dash and pattern
 * styles, printable in black and white).  Each figure NAME gets NAME.gp and
 * NAME.dat beside NAME.png and NAME.pdf, so that a user can restyle it with
 * `gnuplot NAME.gp` in the plots folder.
 *   <m>-bars      MAX / MIN / AVERAGE per variant in us (papers' Fig. 7)
 *   <m>-hist-<v>  one histogram per variant, common axes (Figs. 8-11);
 *                 latencies in cycles, periods in us
 *   <m>-ccdf      P(X >= x) of every variant, log-log (the tail) */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analyze.h"

#define TERM_PNG "set terminal pngcairo monochrome noenhanced size 900,560 font ',11'\n"
#define TERM_PDF "set terminal pdfcairo monochrome noenhanced size 6in,3.75in font ',10'\n"

uint64_t auto_bin(uint64_t lo, uint64_t hi, unsigned target)
{
	double span = hi > lo ? (double)(hi - lo) : 1.0;
	double raw = span / target;
	if (raw < 1)
		return 1;
	double p = pow(10, floor(log10(raw)));
	double m = raw / p;
	double nice = m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10;
	return (uint64_t)(nice * p);
}

static void title_safe(const char *in, char *out, size_t ol)
{
	size_t k = 0;
	for (; *in && k + 1 < ol; in++)
		out[k++] = (*in == '\'' || *in == '"' || *in == '\\' || (unsigned char)*in < 32) ? '_' : *in;
	out[k] = '\0';
}

/* The figure titles' label of the times: " [LABEL]" (run_time_label); "" for
 * times measured on hardware. */
static const char *time_suffix(struct run_ctx *rc)
{
	static char buf[300];
	char t[256];
	const char *e = run_time_label(rc);

	if (!e)
		return "";
	title_safe(e, t, sizeof(t));
	snprintf(buf, sizeof(buf), " [%s]", t);
	return buf;
}

static int run_gnuplot(const char *dir, const char *name)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (chdir(dir) != 0)
			_exit(126);
		char gp[512];
		snprintf(gp, sizeof(gp), "%s.gp", name);
		execlp("gnuplot", "gnuplot", gp, (char *)NULL);
		fprintf(stderr, PROG ": cannot run gnuplot: %s (Debian package gnuplot-nox)\n", strerror(errno));
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, PROG ": gnuplot failed on %s/%s.gp (status %d)\n", dir, name,
			WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return -1;
	}
	static const char *ext[] = { "png", "pdf" };
	for (int i = 0; i < 2; i++) {
		char p[4600];
		struct stat sb;
		snprintf(p, sizeof(p), "%s/%s.%s", dir, name, ext[i]);
		if (stat(p, &sb) || sb.st_size == 0) {
			fprintf(stderr, PROG ": gnuplot did not write %s\n", p);
			return -1;
		}
	}
	return 0;
}

static FILE *open_in(const char *dir, const char *name, const char *ext)
{
	char p[4600];
	snprintf(p, sizeof(p), "%s/%s.%s", dir, name, ext);
	FILE *f = fopen(p, "w");
	if (!f)
		fprintf(stderr, PROG ": %s: %s\n", p, strerror(errno));
	return f;
}

static void gp_tail(FILE *g, const char *name)
{
	fprintf(g, "\n" TERM_PDF "set output '%s.pdf'\nreplot\nset output\n", name);
}

static int fig_bars(struct run_ctx *rc, const char *dir, const char *base, const struct measure_def *md)
{
	char name[128];
	snprintf(name, sizeof(name), "%s-bars", base);
	int us = rc->tsc_hz > 0;
	FILE *d = open_in(dir, name, "dat");
	if (!d)
		return -1;
	fprintf(d, "# %s %s: MAX MIN AVERAGE per variant, in %s\n# variant max min average\n", md->name, md->def,
		us ? "us" : "TSC cycles");
	int rows = 0;
	double lo_all = INFINITY, hi_all = 0;
	for (size_t vi = 0; vi < rc->nv; vi++) {
		struct variant *v = &rc->v[vi];
		int k = find_measure(v, md);
		if (k < 0 || !v->j[k].sum.n)
			continue;
		const struct summary *s = &v->j[k].sum;
		if ((double)s->min < lo_all)
			lo_all = (double)s->min;
		if ((double)s->max > hi_all)
			hi_all = (double)s->max;
		double hz = v->tsc_hz > 0 ? v->tsc_hz : rc->tsc_hz;
		char t[160];
		title_safe(v->name, t, sizeof(t));
		if (us)
			fprintf(d, "\"%s\" %.6f %.6f %.6f\n", t, cyc_to_us((double)s->max, hz),
				cyc_to_us((double)s->min, hz), cyc_to_us(s->mean, hz));
		else
			fprintf(d, "\"%s\" %" PRIu64 " %" PRIu64 " %.3f\n", t, s->max, s->min, s->mean);
		rows++;
	}
	fclose(d);
	if (!rows)
		return 0;
	FILE *g = open_in(dir, name, "gp");
	if (!g)
		return -1;
	fprintf(g, "# nt-analyze: MAX / MIN / AVERAGE of %s (%s) per variant (the papers' Fig. 7).\n"
		   "# Data: %s.dat.  Render: gnuplot %s.gp\n",
		md->name, md->def, name, name);
	fprintf(g, TERM_PNG "set output '%s.png'\n", name);
	if (us)
		fprintf(g, "set ylabel '%s %s (us, TSC @ %.3f MHz)'\n", mkind_name(md->kind), md->def,
			rc->tsc_hz / 1e6);
	else
		fprintf(g, "set ylabel '%s %s (TSC cycles)'\n", mkind_name(md->kind), md->def);
	/* a log axis when MAX is more than 100x MIN, so that MIN and AVERAGE stay
	 * visible (the papers' Fig. 7 is linear: delete the two log lines) */
	int logy = lo_all > 0 && hi_all / lo_all > 100;
	if (logy)
		fprintf(g, "set logscale y\nset yrange [%.9g:*]\nset label 2 'log scale' at graph 0.01, graph 1.03\n",
			(us ? cyc_to_us(lo_all, rc->tsc_hz) : lo_all) / 2);
	else
		fprintf(g, "set yrange [0:*]\n");
	fprintf(g, "set title '%s %s: MAX / MIN / AVERAGE%s'\n"
		   "set style data histogram\nset style histogram clustered gap 1\n"
		   "set style fill pattern 0 border -1\nset boxwidth 0.9\n"
		   "set grid ytics\nset key top right\nset xtics nomirror\n"
		   "plot '%s.dat' using 2:xtic(1) title 'MAX' fs pattern 1, \\\n"
		   "     '' using 3 title 'MIN' fs pattern 3, \\\n"
		   "     '' using 4 title 'AVERAGE' fs pattern 2\n",
		md->name, md->def, time_suffix(rc), name);
	gp_tail(g, name);
	fclose(g);
	return run_gnuplot(dir, name);
}

/* The common axes of a measure's histograms: one bin width and range for
 * every variant, the largest bin, and the x axis in us for periods. */
struct hist_axes {
	uint64_t lo, width, ymax;
	size_t nbins;
	int period_us;
	double hz, xlo, xhi, bw;
};

/* The range and bin width over the variants; 0 when no variant has samples. */
static int hist_range(struct run_ctx *rc, const struct measure_def *md, struct hist_axes *ax)
{
	uint64_t lo = UINT64_MAX, hi = 0, width = rc->o && rc->o->hist_bin ? rc->o->hist_bin : 0;
	for (size_t vi = 0; vi < rc->nv; vi++) {
		struct variant *v = &rc->v[vi];
		int k = find_measure(v, md);
		if (k < 0 || !v->j[k].sum.n)
			continue;
		const struct summary *s = &v->j[k].sum;
		if (s->min < lo)
			lo = s->min;
		/* the axis ends a little past the largest p99, or at ten times the
		 * median when the tail is longer than that (host stalls): the
		 * far tail is in the overflow bin (counted on the figure) and in
		 * the CCDF */
		double t = s->p99 * 1.1;
		if (t > 10 * s->median && s->median > 0)
			t = 10 * s->median;
		uint64_t top = t >= (double)s->max ? s->max : (uint64_t)ceil(t);
		if (top > hi)
			hi = top;
		if (!width && v->hist_bin)
			width = v->hist_bin;
	}
	if (lo == UINT64_MAX)
		return 0;
	if (!width)
		width = auto_bin(lo, hi, 100);
	ax->width = width;
	ax->lo = lo / width * width;
	ax->nbins = (size_t)((hi - ax->lo) / width + 1);
	if (ax->nbins > 4000)
		ax->nbins = 4000;
	ax->period_us = md->kind == M_PERIOD && rc->tsc_hz > 0;
	ax->hz = rc->tsc_hz;
	ax->xlo = (double)ax->lo;
	ax->xhi = (double)ax->lo + (double)width * (double)ax->nbins;
	ax->bw = (double)width;
	if (ax->period_us) {
		ax->xlo = cyc_to_us(ax->xlo, ax->hz);
		ax->xhi = cyc_to_us(ax->xhi, ax->hz);
		ax->bw = cyc_to_us(ax->bw, ax->hz);
	}
	return 1;
}

/* Every variant's histogram on the common bins (hs[vi].c NULL: no samples)
 * and the largest bin. */
static void hist_fill(struct run_ctx *rc, const struct measure_def *md, struct hist_axes *ax, struct linhist *hs)
{
	ax->ymax = 1;
	for (size_t vi = 0; vi < rc->nv; vi++) {
		struct variant *v = &rc->v[vi];
		int k = find_measure(v, md);
		if (k < 0 || !v->j[k].sum.n)
			continue;
		if (ss_linhist(&v->j[k].ss, ax->lo, ax->width, ax->nbins, &hs[vi]) == 0)
			for (size_t b = 0; b < ax->nbins; b++)
				if (hs[vi].c[b] > ax->ymax)
					ax->ymax = hs[vi].c[b];
	}
}

/* One variant's histogram figure: NAME.dat, NAME.gp, rendered. */
static int hist_figure(struct run_ctx *rc, const char *dir, const char *name, const struct measure_def *md,
		       const struct variant *v, const struct linhist *h, const struct hist_axes *ax)
{
	char t[160];
	title_safe(v->name, t, sizeof(t));
	FILE *d = open_in(dir, name, "dat");
	if (!d)
		return -1;
	fprintf(d, "# %s %s, variant %s: histogram, bin width %" PRIu64 " cycles%s\n", md->name, md->def, v->name,
		ax->width, h->approx ? " (from log-linear buckets, streaming mode)" : "");
	fprintf(d, "# underflow (< %" PRIu64 " cycles): %" PRIu64 "\n# overflow (>= %.0f cycles): %" PRIu64 "\n",
		ax->lo, h->underflow, (double)ax->lo + (double)ax->width * (double)ax->nbins, h->overflow);
	fprintf(d, "# bin_start_cycles bin_start_us count\n");
	for (size_t b = 0; b < ax->nbins; b++) {
		double x = (double)ax->lo + (double)ax->width * (double)b;
		fprintf(d, "%.0f %.6f %" PRIu64 "\n", x, cyc_to_us(x, ax->hz), h->c[b]);
	}
	fclose(d);
	FILE *g = open_in(dir, name, "gp");
	if (!g)
		return -1;
	fprintf(g, "# nt-analyze: histogram of %s (%s), variant %s (the papers' Figs. 8-11).\n"
		   "# Same axes for every variant of this measure.  Render: gnuplot %s.gp\n",
		md->name, md->def, v->name, name);
	fprintf(g, TERM_PNG "set output '%s.png'\n", name);
	fprintf(g, "set title '%s %s: %s%s'\n", md->name, md->def, t, time_suffix(rc));
	if (ax->period_us)
		fprintf(g, "set xlabel 'period (us, TSC @ %.3f MHz), bin %.3f us'\n", ax->hz / 1e6, ax->bw);
	else if (ax->hz > 0)
		fprintf(g, "set xlabel '%s (TSC cycles; 1 us = %.1f cycles), bin %" PRIu64 " cycles'\n",
			mkind_name(md->kind), ax->hz / 1e6, ax->width);
	else
		fprintf(g, "set xlabel '%s (TSC cycles), bin %" PRIu64 " cycles'\n", mkind_name(md->kind), ax->width);
	fprintf(g, "set ylabel 'count'\nset xrange [%.9g:%.9g]\nset yrange [0:%.0f]\n"
		   "set boxwidth %.9g absolute\nset style fill pattern 1 border -1\nset grid ytics\n",
		ax->xlo, ax->xhi, (double)ax->ymax * 1.08, ax->bw);
	fprintf(g, "set label 1 'overflow (beyond the axis): %" PRIu64 "' at graph 0.98, graph 0.93 right\n",
		h->overflow);
	fprintf(g, "plot '%s.dat' using ($%d + %.9g / 2):3 with boxes notitle\n", name, ax->period_us ? 2 : 1,
		ax->bw);
	gp_tail(g, name);
	fclose(g);
	return run_gnuplot(dir, name);
}

/* The histogram of every variant of a measure, on the same axes. */
static int fig_hists(struct run_ctx *rc, const char *dir, const char *base, const struct measure_def *md)
{
	struct hist_axes ax;
	if (!hist_range(rc, md, &ax))
		return 0;
	struct linhist *hs = calloc(rc->nv, sizeof(*hs));
	if (!hs)
		return -1;
	hist_fill(rc, md, &ax, hs);
	int rc_all = 0;
	for (size_t vi = 0; vi < rc->nv; vi++) {
		if (!hs[vi].c)
			continue;
		char sn[160], name[256];
		safe_name(rc->v[vi].name, sn, sizeof(sn));
		snprintf(name, sizeof(name), "%s-hist-%s", base, sn);
		if (hist_figure(rc, dir, name, md, &rc->v[vi], &hs[vi], &ax))
			rc_all = -1;
	}
	for (size_t vi = 0; vi < rc->nv; vi++)
		linhist_free(&hs[vi]);
	free(hs);
	return rc_all;
}

static int fig_ccdf(struct run_ctx *rc, const char *dir, const char *base, const struct measure_def *md)
{
	char name[128];
	snprintf(name, sizeof(name), "%s-ccdf", base);
	int us = rc->tsc_hz > 0;
	FILE *d = open_in(dir, name, "dat");
	if (!d)
		return -1;
	fprintf(d, "# %s %s: P(X >= x) per variant (one gnuplot index per variant); x in %s\n", md->name, md->def,
		us ? "us" : "TSC cycles");
	char titles[64][160];
	int nblocks = 0;
	for (size_t vi = 0; vi < rc->nv && nblocks < 64; vi++) {
		struct variant *v = &rc->v[vi];
		int k = find_measure(v, md);
		if (k < 0 || !v->j[k].sum.n)
			continue;
		double *xs, *ps;
		size_t n = ss_ccdf(&v->j[k].ss, &xs, &ps);
		if (nblocks)
			fprintf(d, "\n\n");
		fprintf(d, "# index %d: %s (%zu points)\n", nblocks, v->name, n);
		for (size_t i = 0; i < n; i++)
			if (xs[i] > 0)
				fprintf(d, "%.9g %.9g\n", us ? cyc_to_us(xs[i], rc->tsc_hz) : xs[i], ps[i]);
		free(xs);
		free(ps);
		title_safe(v->name, titles[nblocks], sizeof(titles[0]));
		nblocks++;
	}
	fclose(d);
	if (!nblocks)
		return 0;
	FILE *g = open_in(dir, name, "gp");
	if (!g)
		return -1;
	fprintf(g, "# nt-analyze: CCDF (tail) of %s (%s) per variant.  Render: gnuplot %s.gp\n", md->name, md->def,
		name);
	fprintf(g, TERM_PNG "set output '%s.png'\n", name);
	fprintf(g, "set title '%s %s: tail (CCDF)%s'\nset logscale xy\nset grid xtics ytics mxtics mytics\n"
		   "set ylabel 'P(X >= x)'\nset key bottom left\n",
		md->name, md->def, time_suffix(rc));
	if (us)
		fprintf(g, "set xlabel '%s (us, TSC @ %.3f MHz)'\n", mkind_name(md->kind),
			rc->tsc_hz / 1e6);
	else
		fprintf(g, "set xlabel '%s (TSC cycles)'\n", mkind_name(md->kind));
	fprintf(g, "plot ");
	for (int b = 0; b < nblocks; b++)
		fprintf(g, "%s'%s.dat' index %d using 1:2 with steps dt %d lw 1.5 title '%s'", b ? ", \\\n     " : "",
			name, b, b % 5 + 1, titles[b]);
	fprintf(g, "\n");
	gp_tail(g, name);
	fclose(g);
	return run_gnuplot(dir, name);
}

void fig_base(const char *measure, char *base, size_t bl)
{
	size_t k = 0;
	for (const char *p = measure; *p && k + 1 < bl; p++)
		if (*p != '.')
			base[k++] = *p;
	base[k] = '\0';
}

int make_plots(struct run_ctx *rc, const char *plotdir)
{
	if (mkdir(plotdir, 0777) && errno != EEXIST) {
		fprintf(stderr, PROG ": %s: %s\n", plotdir, strerror(errno));
		return -1;
	}
	struct measure_def ms[64];
	size_t n = run_measures(rc, ms, 64);
	int rcode = 0;
	for (size_t i = 0; i < n; i++) {
		char base[64];
		fig_base(ms[i].name, base, sizeof(base));
		if (ms[i].kind != M_PERIOD && fig_bars(rc, plotdir, base, &ms[i]))
			rcode = -1;
		if (fig_hists(rc, plotdir, base, &ms[i]))
			rcode = -1;
		if (fig_ccdf(rc, plotdir, base, &ms[i]))
			rcode = -1;
	}
	return rcode;
}
