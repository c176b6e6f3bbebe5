// SPDX-License-Identifier: GPL-2.0
/* Log-linear histogram (HdrHistogram-like): values below 2*B are counted
 * exactly, above that every octave [2^k, 2^(k+1)) is split into B = 2^7
 * equal buckets.  7424 fixed counters cover all of uint64; adding a value is
 * a count-leading-zeros, a shift and an increment (no allocation).  A value
 * reported from a bucket is its midpoint, within 2^-8 (0.39 %) of any value
 * that fell in it. */
#include <string.h>

#include "analyze.h"

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

/* Same definition as the exact path (type 7): rank (n-1)q, interpolated. */
double lh_quantile(const struct loghist *h, double q)
{
	if (h->n == 0)
		return 0;
	if (q <= 0)
		return (double)h->min;
	if (q >= 1)
		return (double)h->max;
	long double r = (long double)(h->n - 1) * q;
	uint64_t lo = (uint64_t)r;
	long double f = r - (long double)lo;
	long double a = lh_order_stat(h, lo);
	if (lo + 1 >= h->n)
		return (double)a;
	long double b = lh_order_stat(h, lo + 1);
	return (double)(a + f * (b - a));
}
