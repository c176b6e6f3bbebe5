// SPDX-License-Identifier: GPL-2.0
/* Percentile bootstrap of the difference of a quantile between two samples
 * (variant - baseline).  xoshiro256** seeded through splitmix64, one stream
 * per resample derived from the seed and the resample's number, so a given
 * seed gives the same interval on every machine and with any --threads.
 * Each resample draws n values with replacement from each sample and takes
 * the same quantile (include/nt/stats.h) as the exact statistics. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "nt/stats.h"

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t rng_next(uint64_t s[4])
{
	uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

void rng_seed(uint64_t s[4], uint64_t seed)
{
	for (int i = 0; i < 4; i++) {
		uint64_t z = (seed += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		s[i] = z ^ (z >> 31);
	}
}

/* quickselect with a three-way partition (ties are common in cycle counts);
 * afterwards every element right of k is >= a[k] */
static uint64_t select_k(uint64_t *a, size_t n, size_t k)
{
	size_t lo = 0, hi = n;
	while (hi - lo > 1) {
		uint64_t x = a[lo], y = a[lo + (hi - lo) / 2], z = a[hi - 1];
		uint64_t p = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
		size_t lt = lo, i = lo, gt = hi;
		while (i < gt) {
			uint64_t t = a[i];
			if (t < p) {
				a[i++] = a[lt];
				a[lt++] = t;
			} else if (t > p) {
				a[i] = a[--gt];
				a[gt] = t;
			} else {
				i++;
			}
		}
		if (k < lt)
			hi = lt;
		else if (k >= gt)
			lo = gt;
		else
			return p;
	}
	return a[lo];
}

/* the quantile of include/nt/stats.h, by selection instead of sorting */
static double quant_unsorted(uint64_t *a, size_t n, double q)
{
	struct nt_qrank r = nt_quantile_rank(n, q);
	uint64_t x = select_k(a, n, r.lo);
	if (r.lo + 1 >= n || r.frac == 0)
		return (double)x;
	uint64_t y = a[r.lo + 1];
	for (size_t i = r.lo + 2; i < n; i++)
		if (a[i] < y)
			y = a[i];
	return nt_quantile_interp_u64(x, y, r.frac);
}

static double resample_q(const uint64_t *v, size_t n, uint64_t *scratch, double q, uint64_t s[4])
{
	for (size_t i = 0; i < n; i++)
		scratch[i] = v[(size_t)(((unsigned __int128)rng_next(s) * n) >> 64)];
	return quant_unsorted(scratch, n, q);
}

/* the seed of resample i: its own xoshiro stream, whichever thread draws it */
static uint64_t resample_seed(uint64_t seed, unsigned i)
{
	uint64_t z = seed ^ (0x9e3779b97f4a7c15ull * ((uint64_t)i + 1));
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct boot {
	const uint64_t *base, *var;
	size_t nb, nv;
	double q;
	uint64_t seed;
	unsigned r;
	double *d;
	unsigned char *done;
};

/* part t of nt: the resamples i with i % nt == t */
static void boot_part(void *arg, int t, int nt)
{
	struct boot *b = arg;
	uint64_t *scratch = malloc((b->nb > b->nv ? b->nb : b->nv) * sizeof(*scratch));
	if (!scratch)
		return;
	for (unsigned i = (unsigned)t; i < b->r && !g_interrupted; i += (unsigned)nt) {
		uint64_t s[4];
		rng_seed(s, resample_seed(b->seed, i));
		double xb = resample_q(b->base, b->nb, scratch, b->q, s);
		double xv = resample_q(b->var, b->nv, scratch, b->q, s);
		b->d[i] = xv - xb;
		b->done[i] = 1;
	}
	free(scratch);
}

void bootstrap_diff(const uint64_t *base, size_t nb, const uint64_t *var, size_t nv, double q,
		    unsigned resamples, double conf, uint64_t seed, struct boot_ci *out)
{
	memset(out, 0, sizeof(*out));
	out->conf = conf;
	if (!nb || !nv || resamples < 2)
		return;
	out->diff = nt_quantile_sorted_u64(var, nv, q) - nt_quantile_sorted_u64(base, nb, q);
	/* bounded work: at most ~4e8 drawn values in all (stated in the output) */
	double budget = 4e8;
	unsigned r = resamples;
	if ((double)r * (double)(nb + nv) > budget) {
		r = (unsigned)(budget / (double)(nb + nv));
		if (r < 20)
			r = 20;
		if (r > resamples)
			r = resamples;
	}
	struct boot b = { base, var, nb, nv, q, seed, r, malloc(r * sizeof(double)), calloc(r, 1) };
	if (!b.d || !b.done) {
		free(b.d);
		free(b.done);
		return;
	}
	/* each resample is drawn from its own stream: the same numbers on any
	 * number of threads */
	par_run(g_threads < (int)r ? g_threads : (int)r, boot_part, &b);
	for (unsigned i = 0; i < r; i++) /* all, or after Ctrl-C those that were drawn */
		if (b.done[i])
			b.d[out->resamples++] = b.d[i];
	if (out->resamples >= 2) {
		qsort(b.d, out->resamples, sizeof(*b.d), nt_cmp_double);
		double a = (1 - conf) / 2;
		out->lo = nt_quantile_sorted_double(b.d, out->resamples, a);
		out->hi = nt_quantile_sorted_double(b.d, out->resamples, 1 - a);
		out->ok = 1;
	}
	free(b.d);
	free(b.done);
}
