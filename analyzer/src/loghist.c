// SPDX-License-Identifier: GPL-2.0
/* Log-linear histogram (HdrHistogram-like): values below 2*B are counted
 * exactly, above that every octave [2^k, 2^(k+1)) is split into B = 2^7
 * equal buckets.  7424 fixed counters cover all of uint64; adding a value is
 * a count-leading-zeros, a shift and an increment (no allocation).  A value
 * reported from a bucket is its midpoint, within 2^-8 (0.39 %) of any value
 * that fell in it. */
#include <string.h>

#include "analyze.h"
#include "nt/stats.h"

void lh_init(struct loghist *h)
{
	memset(h, 0, sizeof(*h));
}

void lh_bucket(unsigned idx, uint64_t *lo, uint64_t *width)
{
	if (idx < 2 * LH_B) {
		*lo = idx;
		*width = 1;
		return;
	}
	unsigned k = idx - 2 * LH_B;
	unsigned shift = k / LH_B + 1;
	uint64_t sub = (uint64_t)(k % LH_B) + LH_B;
	*lo = sub << shift;
	*width = (uint64_t)1 << shift;
}

uint64_t lh_mid(unsigned idx)
{
	uint64_t lo, w;
	lh_bucket(idx, &lo, &w);
	return lo + (w - 1) / 2;
}

uint64_t lh_order_stat(const struct loghist *h, uint64_t k)
{
	if (h->n == 0)
		return 0;
	if (k == 0)
		return h->min;
	if (k >= h->n - 1)
		return h->max;
	uint64_t cum = 0;
	for (unsigned i = 0; i < LH_NBUCKETS; i++) {
		cum += h->c[i];
		if (cum > k) {
			uint64_t m = lh_mid(i);
			if (m < h->min)
				m = h->min;
			if (m > h->max)
				m = h->max;
			return m;
		}
	}
	return h->max;
}

/* The quantile definition of include/nt/stats.h (exact rank, linear
 * interpolation) with each order statistic taken as its bucket's midpoint. */
double lh_quantile(const struct loghist *h, double q)
{
	if (h->n == 0)
		return 0;
	struct nt_qrank r = nt_quantile_rank(h->n, q);
	uint64_t a = lh_order_stat(h, r.lo);
	if (r.frac == 0 || r.lo + 1 >= h->n)
		return (double)a;
	return nt_quantile_interp_u64(a, lh_order_stat(h, r.lo + 1), r.frac);
}
