// SPDX-License-Identifier: GPL-2.0
/* Unit tests: log-linear histogram buckets and error bound, radix sort
 * against qsort, bootstrap determinism, seq-table behaviour through the
 * joiner. */
#include <stdlib.h>

#include "analyze.h"
#include "nt/stats.h"
#include "../../tests/nt_test.h"


static uint64_t rs[4];

int main(void)
{
	/* every bucket: lower bound maps back to itself, upper edge too, the next
	 * value starts the next bucket; width / lower bound <= 2^-7 */
	int bad = 0;
	for (unsigned i = 0; i < LH_NBUCKETS; i++) {
		uint64_t lo, w;
		lh_bucket(i, &lo, &w);
		uint64_t hi = lo + (w - 1);
		if (lh_index(lo) != i || lh_index(hi) != i)
			bad++;
		if (i + 1 < LH_NBUCKETS && lh_index(hi + 1) != i + 1)
			bad++;
		if (lo >= 2 * LH_B && (double)w / (double)lo > 1.0 / LH_B + 1e-12)
			bad++;
	}
	CHECK_EQ_U64(bad, 0);
	CHECK_EQ_U64(lh_index(0), 0);
	CHECK_EQ_U64(lh_index(UINT64_MAX), LH_NBUCKETS - 1);
	CHECK_EQ_U64(lh_index(255), 255);
	CHECK_EQ_U64(lh_index(256), 256);

	/* relative error of the midpoint over random values of every magnitude */
	rng_seed(rs, 99);
	double worst = 0;
	for (int k = 0; k < 200000; k++) {
		uint64_t x = rng_next(rs) >> (rng_next(rs) % 64);
		uint64_t m = lh_mid(lh_index(x));
		double e = x ? ((double)(m > x ? m - x : x - m)) / (double)x : 0;
		if (e > worst)
			worst = e;
	}
	CHECK(worst <= LH_REL_ERR);

	/* quantiles of a histogram against exact ones */
	struct loghist *h = malloc(sizeof(*h));
	lh_init(h);
	size_t n = 100001;
	uint64_t *v = malloc(n * sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		v[i] = 1000 + (rng_next(rs) % 1000000) * (i % 7 == 0 ? 1000 : 1);
		lh_add(h, v[i]);
	}
	uint64_t *c = malloc(n * sizeof(*c));
	memcpy(c, v, n * sizeof(*v));
	qsort(c, n, sizeof(*c), nt_cmp_u64);
	radix_sort_u64(v, n);
	CHECK(memcmp(c, v, n * sizeof(*v)) == 0);
	static const double qs[] = { 0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0 };
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		double e = nt_quantile_sorted_u64(c, n, qs[i]), a = lh_quantile(h, qs[i]);
		CHECK(fabs(a - e) <= e * LH_REL_ERR + 1e-9);
	}
	CHECK_EQ_U64(h->min, c[0]);
	CHECK_EQ_U64(h->max, c[n - 1]);

	/* radix sort with values that differ only in the top byte, and few */
	uint64_t t[300];
	for (int i = 0; i < 300; i++)
		t[i] = ((uint64_t)(299 - i) << 56) | 5;
	radix_sort_u64(t, 300);
	int sorted = 1;
	for (int i = 1; i < 300; i++)
		if (t[i - 1] > t[i])
			sorted = 0;
	CHECK(sorted);

	/* the radix sort split over 1, 2 and 3 parts: qsort's order every time
	 * (random keys over all 8 bytes, and latency-like ones over 3) */
	size_t big = ((size_t)1 << 20) + 12345;
	uint64_t *b0 = malloc(big * sizeof(*b0)), *b1 = malloc(big * sizeof(*b1));
	for (int kind = 0; kind < 2 && b0 && b1; kind++) {
		for (size_t i = 0; i < big; i++)
			b0[i] = kind ? 50000 + rng_next(rs) % 3000000 : rng_next(rs);
		qsort(b0, big, sizeof(*b0), nt_cmp_u64);
		for (int nt = 1; nt <= 3; nt++) {
			for (size_t i = 0; i < big; i++)
				b1[i] = b0[(i * 7919) % big]; /* a permutation (7919 is prime, big is not a multiple) */
			g_threads = nt;
			radix_sort_u64(b1, big);
			CHECK(memcmp(b0, b1, big * sizeof(*b0)) == 0);
		}
	}
	g_threads = 1;
	free(b0);
	free(b1);

	/* bootstrap: same seed, same interval; the interval holds the estimate
	 * for a clear shift */
	uint64_t *b = malloc(2000 * sizeof(*b)), *x = malloc(2000 * sizeof(*x));
	for (int i = 0; i < 2000; i++) {
		b[i] = 100000 + rng_next(rs) % 10000;
		x[i] = 90000 + rng_next(rs) % 10000;
	}
	radix_sort_u64(b, 2000);
	radix_sort_u64(x, 2000);
	struct boot_ci c1, c2, c3;
	bootstrap_diff(b, 2000, x, 2000, 0.5, 500, 0.95, 7, &c1);
	bootstrap_diff(b, 2000, x, 2000, 0.5, 500, 0.95, 7, &c2);
	bootstrap_diff(b, 2000, x, 2000, 0.5, 500, 0.95, 8, &c3);
	CHECK(c1.ok && c1.resamples == 500);
	CHECK(c1.lo == c2.lo && c1.hi == c2.hi);
	CHECK(c1.lo != c3.lo || c1.hi != c3.hi);
	CHECK(c1.lo <= c1.diff && c1.diff <= c1.hi && c1.hi < 0);
	CHECK_NEAR(c1.diff, -10000, 1000);

	/* a joiner with thousands of pending seqs (hash growth and deletion) */
	struct measure_def m;
	char why[64];
	CHECK(measure_parse("latency.0", "send:rx_user", &m, why, sizeof(why)) == 0);
	struct joiner j;
	joiner_init(&j, &m, 1000, 5000, 0, 0, NULL);
	struct nt_rec r = { 0 };
	r.irq = NT_NONE32;
	for (uint64_t i = 0; i < 20000; i++) {
		r.event = NT_EV_SEND;
		r.seq = i * 7919;
		r.tsc = i * 10;
		joiner_feed(&j, &r);
		if (i >= 100 && i % 3) { /* receive seq i-100, 1000 cycles later */
			r.event = NT_EV_RX_USER;
			r.seq = (i - 100) * 7919;
			r.tsc = i * 10;
			joiner_feed(&j, &r);
		}
	}
	joiner_finish(&j);
	ss_summary(&j.ss, &j.sum);
	/* receives for i = 100..19999 with i % 3 != 0: 13267; each 1000 cycles */
	CHECK_EQ_U64(j.c.matched, 13267);
	CHECK_EQ_U64(j.sum.min, 1000);
	CHECK_EQ_U64(j.sum.max, 1000);
	CHECK_EQ_U64(j.c.unmatched_from, 20000 - 13267);
	CHECK_EQ_U64(j.c.unmatched_to, 0);
	joiner_free(&j);

	/* the seq table's window: 150,000 increasing seqs still pending when the
	 * window (2^16 seqs) slides past them move to the hash part, and a TO
	 * found there closes them; late duplicates below the window, seqs far
	 * above it, and seqs near 2^64 (the window must not wrap) */
	joiner_init(&j, &m, 1000, 0, 0, 0, NULL);
	const uint64_t nf = 150000, far = (uint64_t)1 << 40, top = UINT64_MAX - 10;
	for (uint64_t i = 0; i < nf; i++) {
		r = (struct nt_rec){ .event = NT_EV_SEND, .seq = 1000 + i, .tsc = 100 + i, .irq = NT_NONE32 };
		joiner_feed(&j, &r);
	}
	for (uint64_t i = 0; i < 3; i++) { /* far above, then near the top of uint64 */
		r = (struct nt_rec){ .event = NT_EV_SEND, .seq = i < 2 ? far + i : top, .tsc = 200000, .irq = NT_NONE32 };
		joiner_feed(&j, &r);
	}
	for (uint64_t i = nf; i-- > 0;) { /* every TO, newest seq first: all in the hash part by now */
		r = (struct nt_rec){ .event = NT_EV_RX_USER, .seq = 1000 + i, .tsc = 300000 + i, .irq = NT_NONE32 };
		joiner_feed(&j, &r);
	}
	r = (struct nt_rec){ .event = NT_EV_RX_USER, .seq = 1000, .tsc = 500000, .irq = NT_NONE32 };
	joiner_feed(&j, &r); /* a duplicate TO of a matched seq, long below the window */
	r = (struct nt_rec){ .event = NT_EV_RX_USER, .seq = top, .tsc = 500001, .irq = NT_NONE32 };
	joiner_feed(&j, &r);
	joiner_finish(&j);
	CHECK_EQ_U64(j.c.matched, nf + 1);
	CHECK_EQ_U64(j.c.dup_to, 1);
	CHECK_EQ_U64(j.c.unmatched_from, 2); /* far and far + 1 */
	CHECK_EQ_U64(j.c.unmatched_to, 0);
	joiner_free(&j);
	free(h);
	free(v);
	free(c);
	free(b);
	free(x);
	return nt_test_done("test-loghist");
}
