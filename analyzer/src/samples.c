// SPDX-License-Identifier: GPL-2.0
/* Sample sets: exact (every value kept, sorted at the end) or streaming
 * (log-linear histogram plus exact count/min/max/sum and Welford's variance
 * in long double).  An exact set goes streaming by itself above its sample
 * limit.  The statistics follow the definitions of include/nt/stats.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "nt/stats.h"

void ss_init(struct sampleset *s, int streaming, size_t limit)
{
	memset(s, 0, sizeof(*s));
	s->limit = limit ? limit : (size_t)1 << 26;
	if (streaming) {
		s->streaming = 1;
		s->h = malloc(sizeof(*s->h));
		if (s->h)
			lh_init(s->h);
	}
}

int ss_copy(struct sampleset *d, const struct sampleset *s)
{
	struct loghist *h = d->h;
	uint64_t *v = d->v;
	if (s->streaming) {
		if (!h && !(h = malloc(sizeof(*h))))
			return -1;
		*h = *s->h;
		free(v);
		v = NULL;
	} else if (s->n) {
		uint64_t *nv = realloc(v, s->n * sizeof(*v));
		if (!nv)
			return -1;
		v = nv;
		memcpy(v, s->v, s->n * sizeof(*v));
	}
	*d = *s;
	d->h = s->streaming ? h : NULL;
	if (!s->streaming)
		free(h);
	d->v = v;
	d->cap = s->streaming ? 0 : s->n;
	return 0;
}

void ss_free(struct sampleset *s)
{
	free(s->v);
	free(s->h);
	memset(s, 0, sizeof(*s));
}

/* Welford on values shifted by the first sample: the shifted values are
 * small when the samples are close together, even near 2^64, where a long
 * double has no fractional bits left. */
static inline void welford(struct sampleset *s, uint64_t x)
{
	if (s->cnt == 0)
		s->shift = x;
	s->sum += x;
	long double y = (long double)x - (long double)s->shift;
	long double d = y - s->mean;
	s->cnt++;
	s->mean += d / (long double)s->cnt;
	s->m2 += d * (y - s->mean);
	if (s->cnt == 1 || x < s->min)
		s->min = x;
	if (s->cnt == 1 || x > s->max)
		s->max = x;
}

static int go_streaming(struct sampleset *s)
{
	s->h = malloc(sizeof(*s->h));
	if (!s->h)
		return -1;
	lh_init(s->h);
	for (size_t i = 0; i < s->n; i++) {
		lh_add(s->h, s->v[i]);
		welford(s, s->v[i]);
	}
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
	s->streaming = 1;
	s->switched = 1;
	return 0;
}

int ss_add(struct sampleset *s, uint64_t x)
{
	if (s->streaming) {
		if (!s->h)
			return -1;
		lh_add(s->h, x);
		welford(s, x);
		return 0;
	}
	if (s->n == s->cap) {
		if (s->n >= s->limit)
			return go_streaming(s) ? -1 : ss_add(s, x);
		size_t nc = s->cap ? s->cap * 2 : 1024;
		if (nc > s->limit)
			nc = s->limit > s->n ? s->limit : s->n + 1;
		uint64_t *nv = realloc(s->v, nc * sizeof(*nv));
		if (!nv)
			return go_streaming(s) ? -1 : ss_add(s, x);
		s->v = nv;
		s->cap = nc;
	}
	s->v[s->n++] = x;
	s->sorted = 0;
	return 0;
}

/* LSD radix sort, 8 bits a pass; passes where every key has the same byte
 * are skipped (latencies rarely use the high bytes).  Large arrays are split
 * over --threads parts: each counts its share, then writes it after the
 * shares of the parts before it, so the result is the one-part sort. */
#define RADIX_PAR_MIN ((size_t)1 << 20)
struct radix {
	uint64_t *src, *dst;
	size_t n;
	int b;
	size_t (*cnt)[8][256]; /* per part */
};

static void share(size_t n, int t, int nt, size_t *lo, size_t *hi)
{
	*lo = (size_t)((unsigned __int128)n * (unsigned)t / (unsigned)nt);
	*hi = (size_t)((unsigned __int128)n * (unsigned)(t + 1) / (unsigned)nt);
}

static void radix_count(void *arg, int t, int nt)
{
	struct radix *r = arg;
	size_t lo, hi;
	share(r->n, t, nt, &lo, &hi);
	size_t(*c)[256] = r->cnt[t];
	memset(c, 0, sizeof(r->cnt[t]));
	if (r->b < 0) { /* every byte at once: which passes are needed */
		for (size_t i = lo; i < hi; i++)
			for (int b = 0; b < 8; b++)
				c[b][(r->src[i] >> (8 * b)) & 0xff]++;
		return;
	}
	for (size_t i = lo; i < hi; i++)
		c[0][(r->src[i] >> (8 * r->b)) & 0xff]++;
}

static void radix_scatter(void *arg, int t, int nt)
{
	struct radix *r = arg;
	size_t lo, hi;
	share(r->n, t, nt, &lo, &hi);
	size_t *off = r->cnt[t][1]; /* prepared by radix_offsets */
	for (size_t i = lo; i < hi; i++) {
		uint64_t x = r->src[i];
		r->dst[off[(x >> (8 * r->b)) & 0xff]++] = x;
	}
}

/* where each part writes its keys of each byte value: after the smaller
 * values, and after the earlier parts' keys of the same value */
static void radix_offsets(struct radix *r, int nt)
{
	size_t sum = 0;
	for (int d = 0; d < 256; d++)
		for (int t = 0; t < nt; t++) {
			r->cnt[t][1][d] = sum;
			sum += r->cnt[t][0][d];
		}
}

void radix_sort_u64(uint64_t *v, size_t n)
{
	if (n < 2)
		return;
	if (n < 256) {
		qsort(v, n, sizeof(*v), nt_cmp_u64);
		return;
	}
	int nt = n >= RADIX_PAR_MIN && g_threads > 1 ? g_threads : 1;
	struct radix r = { v, malloc(n * sizeof(*v)), n, -1, calloc((size_t)nt, sizeof(*r.cnt)) };
	size_t(*all)[256] = malloc(8 * sizeof(*all));
	if (!r.dst || !r.cnt || !all) {
		free(r.dst);
		free(r.cnt);
		free(all);
		qsort(v, n, sizeof(*v), nt_cmp_u64);
		return;
	}
	uint64_t *tmp = r.dst;
	par_run(nt, radix_count, &r);
	memset(all, 0, 8 * sizeof(*all));
	for (int t = 0; t < nt; t++)
		for (int b = 0; b < 8; b++)
			for (int d = 0; d < 256; d++)
				all[b][d] += r.cnt[t][b][d];
	for (r.b = 0; r.b < 8; r.b++) {
		if (all[r.b][(v[0] >> (8 * r.b)) & 0xff] == n)
			continue; /* every key has the same byte here */
		par_run(nt, radix_count, &r);
		radix_offsets(&r, nt);
		par_run(nt, radix_scatter, &r);
		uint64_t *t = r.src;
		r.src = r.dst;
		r.dst = t;
	}
	if (r.src != v)
		memcpy(v, r.src, n * sizeof(*v));
	free(tmp);
	free(r.cnt);
	free(all);
}

void ss_finish(struct sampleset *s)
{
	if (!s->streaming && !s->sorted) {
		radix_sort_u64(s->v, s->n);
		s->sorted = 1;
	}
}

double ss_quantile(struct sampleset *s, double q)
{
	if (s->streaming)
		return lh_quantile(s->h, q);
	ss_finish(s);
	if (s->n == 0)
		return 0;
	return nt_quantile_sorted_u64(s->v, s->n, q);
}

void ss_summary(struct sampleset *s, struct summary *o)
{
	memset(o, 0, sizeof(*o));
	if (s->streaming) {
		o->n = s->cnt;
		o->exact = 0;
		if (!s->cnt)
			return;
		o->min = s->min;
		o->max = s->max;
		o->mean = nt_div_u128(s->sum, s->cnt);
		o->stddev = s->cnt > 1 ? (double)sqrtl(s->m2 / (long double)(s->cnt - 1)) : 0.0;
	} else {
		ss_finish(s);
		o->n = s->n;
		o->exact = 1;
		if (!s->n)
			return;
		o->min = s->v[0];
		o->max = s->v[s->n - 1];
		struct nt_moments m;
		nt_moments_u64(s->v, s->n, &m);
		o->mean = m.mean;
		o->stddev = m.stddev;
	}
	o->median = ss_quantile(s, 0.5);
	o->p90 = ss_quantile(s, 0.90);
	o->p99 = ss_quantile(s, 0.99);
	o->p999 = ss_quantile(s, 0.999);
	o->p9999 = ss_quantile(s, 0.9999);
}

int ss_linhist(struct sampleset *s, uint64_t lo, uint64_t width, size_t nbins, struct linhist *h)
{
	memset(h, 0, sizeof(*h));
	if (width == 0 || nbins == 0)
		return -1;
	h->lo = lo;
	h->width = width;
	h->nbins = nbins;
	h->c = calloc(nbins, sizeof(*h->c));
	if (!h->c)
		return -1;
	/* hi = lo + width * nbins, saturating */
	uint64_t span, hi;
	if (__builtin_mul_overflow(width, (uint64_t)nbins, &span) || __builtin_add_overflow(lo, span, &hi))
		hi = UINT64_MAX;
#define PUT(x, k)                                          \
	do {                                               \
		if ((x) < lo)                              \
			h->underflow += (k);               \
		else if ((x) >= hi && hi != UINT64_MAX)    \
			h->overflow += (k);                \
		else {                                     \
			uint64_t b_ = ((x) - lo) / width;  \
			if (b_ >= nbins)                   \
				h->overflow += (k);        \
			else                               \
				h->c[b_] += (k);           \
		}                                          \
	} while (0)
	if (s->streaming) {
		h->approx = 1;
		for (unsigned i = 0; i < LH_NBUCKETS; i++)
			if (s->h->c[i]) {
				uint64_t m = lh_mid(i);
				if (m < s->h->min)
					m = s->h->min;
				if (m > s->h->max)
					m = s->h->max;
				PUT(m, s->h->c[i]);
			}
	} else {
		for (size_t i = 0; i < s->n; i++)
			PUT(s->v[i], 1);
	}
#undef PUT
	return 0;
}

void linhist_free(struct linhist *h)
{
	free(h->c);
	h->c = NULL;
}

size_t ss_ccdf(struct sampleset *s, double **xs, double **ps)
{
	size_t cap = 4096, k = 0;
	double *x = malloc(cap * sizeof(*x)), *p = malloc(cap * sizeof(*p));
	*xs = x;
	*ps = p;
	if (!x || !p)
		return 0;
	if (s->streaming) {
		uint64_t n = s->h->n, cum = 0;
		for (unsigned i = 0; i < LH_NBUCKETS && k < cap; i++) {
			if (!s->h->c[i])
				continue;
			uint64_t lo, w;
			lh_bucket(i, &lo, &w);
			if (lo < s->h->min)
				lo = s->h->min;
			x[k] = (double)lo;
			p[k] = (double)(n - cum) / (double)n;
			k++;
			cum += s->h->c[i];
		}
		return k;
	}
	ss_finish(s);
	size_t n = s->n;
	if (!n)
		return 0;
	/* ranks at survival counts n, n/1.02, n/1.02^2 ... down to 1000, then
	 * every distinct value of the top 1000; each point is P(X >= v[first
	 * index of that value]) */
	double surv = (double)n;
	size_t i = 0;
	for (;;) {
		if (k == cap)
			break;
		/* first index of v[i] */
		size_t a = 0, b = i;
		while (a < b) {
			size_t m = a + (b - a) / 2;
			if (s->v[m] < s->v[i])
				a = m + 1;
			else
				b = m;
		}
		if (k == 0 || x[k - 1] != (double)s->v[a]) {
			x[k] = (double)s->v[a];
			p[k] = (double)(n - a) / (double)n;
			k++;
		}
		if (n - i > 1000) {
			surv /= 1.02;
			size_t ni = n - (size_t)ceil(surv);
			if (n - ni < 1000)
				ni = n - 1000;
			i = ni > i ? ni : i + 1;
		} else {
			uint64_t v = s->v[i];
			while (i < n && s->v[i] == v)
				i++;
			if (i >= n)
				break;
		}
	}
	return k;
}
