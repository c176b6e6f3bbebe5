// SPDX-License-Identifier: GPL-2.0
/* The statistics definitions of include/nt/stats.h: the quantile rank is
 * exact (a huge neighbour of the rank must not leak into the quantile), the
 * mean is the exact mean rounded to the nearest double, the standard
 * deviation is within one ulp.  Expected values were worked out with Python
 * fractions (quoted beside each check). */
#include <math.h>
#include <stdlib.h>

#include "nt/stats.h"
#include "../../tests/nt_test.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static void test_rank(void)
{
	/* (n-1)q = 10 * 0.9 = 9 exactly: p90 is v[9] = 1009.  A rank computed in
	 * floating point is 9 + 2^-52 and gives 1009 + 2^-52 (2^64 - 2^24) ~ 5105. */
	uint64_t u[11];
	int64_t s[11];
	for (int i = 0; i < 10; i++) {
		u[i] = 1000 + (uint64_t)i;
		s[i] = 1000 + i;
	}
	u[10] = UINT64_MAX - ((1u << 24) - 1);
	s[10] = INT64_MAX - ((1 << 24) - 1);
	CHECK_NEAR(nt_quantile_sorted_u64(u, 11, 0.9), 1009, 0);
	CHECK_NEAR(nt_quantile_sorted_i64(s, 11, 0.9), 1009, 0);
	struct nt_summary sum;
	CHECK(nt_summarize_i64(s, 11, &sum) == 0);
	CHECK_NEAR(sum.p90, 1009, 0);

	/* the rank for each level the programs print, on n = 10^k + 1 values
	 * 0..n-2 and a huge last one: exactly v[(n-1)q] */
	static const double lv[] = { 0.5, 0.9, 0.99, 0.999, 0.9999 };
	size_t n = 100001;
	uint64_t *v = malloc(n * sizeof(*v));
	for (size_t i = 0; i + 1 < n; i++)
		v[i] = i;
	v[n - 1] = UINT64_MAX;
	for (size_t i = 0; i < N_ELEMS(lv); i++) {
		struct nt_qrank r = nt_quantile_rank(n, lv[i]);
		CHECK_EQ_U64(r.frac, 0);
		CHECK_EQ_U64(r.lo, (uint64_t)((double)(n - 1) * lv[i] + 0.5));
		CHECK_NEAR(nt_quantile_sorted_u64(v, n, lv[i]), (double)r.lo, 0);
	}
	free(v);

	/* interpolation: n = 4, q = 0.5 -> h = 1.5 */
	uint64_t w[] = { 10, 20, 31, UINT64_MAX };
	CHECK_NEAR(nt_quantile_sorted_u64(w, 4, 0.5), 25.5, 0);
	/* n = 3, q = 0.9 -> h = 1.8: 20 + 0.8 (2^64-1 - 20) = 14757395258967641296,
	 * the nearest double is 14757395258967642112 (816 away; the one below is
	 * 1232 away) */
	uint64_t x[] = { 10, 20, UINT64_MAX };
	CHECK(nt_quantile_sorted_u64(x, 3, 0.9) == 14757395258967642112.0);
	/* signed, negative: h = 2 * 0.25 = 0.5 between -7 and -2 */
	int64_t y[] = { -7, -2, 5 };
	CHECK_NEAR(nt_quantile_sorted_i64(y, 3, 0.25), -4.5, 0);
	int64_t z[] = { INT64_MIN, INT64_MAX };
	CHECK_NEAR(nt_quantile_sorted_i64(z, 2, 0.5), -0.5, 0);
	/* levels outside (0, 1) and NaN */
	CHECK_NEAR(nt_quantile_sorted_u64(w, 4, 0), 10, 0);
	CHECK_NEAR(nt_quantile_sorted_u64(w, 4, -3), 10, 0);
	CHECK_NEAR(nt_quantile_sorted_u64(w, 4, NAN), 10, 0);
	CHECK(nt_quantile_sorted_u64(w, 4, 1) == 18446744073709551615.0);
	CHECK(nt_quantile_sorted_u64(w, 4, 7) == 18446744073709551615.0);
	double d[] = { 0.0, 10.0 };
	CHECK_NEAR(nt_quantile_sorted_double(d, 2, 0.25), 2.5, 0);
}

static void test_div(void)
{
	CHECK(nt_div_u128(0, 7) == 0.0);
	CHECK(nt_div_u128(1, 3) == 1.0 / 3.0);
	CHECK(nt_div_u128(2, 3) == 2.0 / 3.0);
	/* 2^53 + 1 is a tie between 2^53 and 2^53 + 2: to even */
	CHECK(nt_div_u128(((unsigned __int128)1 << 53) + 1, 1) == 9007199254740992.0);
	CHECK(nt_div_u128(((unsigned __int128)1 << 53) + 3, 1) == 9007199254740996.0);
	/* (2^53 + 1) / 1 + 1/3: above the tie, rounds up */
	CHECK(nt_div_u128((((unsigned __int128)1 << 53) + 1) * 3 + 1, 3) == 9007199254740994.0);
	/* the largest sum: (2^128 - 1) / 1 */
	CHECK(nt_div_u128(~(unsigned __int128)0, 1) == 0x1p128);
	CHECK(nt_div_u128(~(unsigned __int128)0, UINT64_MAX) == 0x1p64);
}

static void test_moments(void)
{
	/* 41 values whose exact mean 20419460378266897695/41 rounds to
	 * 498035618982119424; a long double two-pass mean with a correction
	 * step gave the next double, 498035618982119488 */
	static const uint64_t m41[] = {
		14119776214384983ull, 109784061374ull, 22, 127712, 3212292694ull, 32, 15681796, 17, 0,
		10888487132816ull, 7, 13223514884222746753ull, 6612321890594664448ull,
		233460105154413436ull, 32122845122ull, 119, 516660, 191, 27002398452739234ull, 11,
		2100323418, 18, 1021, 26097430180309834ull, 54766, 25881927427231ull, 8,
		449536634970394ull, 282233382092803825ull, 1097, 255277193231ull, 3027535966ull,
		2422225561329ull, 215188321320724ull, 177867696599ull, 5994361904481ull,
		15965071170ull, 23113312, 482, 312, 1050
	};
	struct nt_moments m;
	nt_moments_u64(m41, N_ELEMS(m41), &m);
	CHECK(m.mean == 498035618982119424.0);
	CHECK(fabs(m.stddev / 2.2833653738214853e+18 - 1) <= 0x1p-52);
	uint64_t two[] = { UINT64_MAX, UINT64_MAX - 1 };
	nt_moments_u64(two, 2, &m);
	CHECK(m.mean == 0x1p64);
	CHECK_NEAR(m.stddev, 0.70710678118654752, 1e-16);
	/* 0 and 2^64-1: mean (2^64-1)/2, stddev (2^64-1)/sqrt(2) */
	uint64_t ends[] = { 0, UINT64_MAX };
	nt_moments_u64(ends, 2, &m);
	CHECK(m.mean == 0x1p63);
	CHECK(fabs(m.stddev / 13043817825332782212.0 - 1) <= 0x1p-52);
	/* a million values 10^12 + (0 or 1): mean 10^12 + 1/2 exactly, stddev
	 * sqrt(n / (4 (n-1))) */
	size_t n = 1000000;
	uint64_t *v = malloc(n * sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = 1000000000000ull + (i & 1);
	nt_moments_u64(v, n, &m);
	CHECK(m.mean == 1000000000000.5);
	CHECK(fabs(m.stddev / 0.50000025000018750 - 1) <= 0x1p-52);
	free(v);
	/* signed: -3, -1, 5: mean 1/3, stddev sqrt(52/3) */
	int64_t s[] = { -3, -1, 5 };
	nt_moments_i64(s, 3, &m);
	CHECK(m.mean == 1.0 / 3.0);
	CHECK(fabs(m.stddev / 4.163331998932265 - 1) <= 0x1p-52);
	/* (-2^63 - 1) / 3 = -3074457345618258602.33..., nearest double
	 * -3074457345618258432 */
	int64_t e[] = { INT64_MIN, INT64_MIN, INT64_MAX };
	nt_moments_i64(e, 3, &m);
	CHECK(m.mean == -3074457345618258432.0);
	int64_t one[] = { 42 };
	nt_moments_i64(one, 1, &m);
	CHECK(m.mean == 42.0 && m.stddev == 0.0);
}

/* Student's t quantiles (two-sided 95 %, 99 %, one-sided 95 %) against
 * mpmath at 30 digits (betainc + findroot), and the interval of the mean on
 * values worked out by hand. */
static void test_t(void)
{
	static const struct {
		double p, df, t;
	} tab[] = {
		{ 0.975, 1, 12.706204736174693 }, { 0.975, 2, 4.3026527297494618 },
		{ 0.975, 3, 3.1824463052837084 }, { 0.975, 4, 2.7764451051977935 },
		{ 0.975, 5, 2.5705818356363148 }, { 0.975, 9, 2.262157162798205 },
		{ 0.975, 10, 2.2281388519862742 }, { 0.975, 30, 2.0422724563012379 },
		{ 0.995, 1, 63.656741162871524 }, { 0.995, 4, 4.604094871349992 },
		{ 0.95, 5, 2.0150483733330235 },  { 0.975, 1000, 1.9623390808264081 },
	};
	for (size_t i = 0; i < N_ELEMS(tab); i++) {
		CHECK_NEAR(nt_t_quantile(tab[i].p, tab[i].df), tab[i].t, 1e-9 * tab[i].t);
		CHECK_NEAR(nt_t_quantile(1 - tab[i].p, tab[i].df), -tab[i].t, 1e-9 * tab[i].t);
		CHECK_NEAR(nt_t_cdf(tab[i].t, tab[i].df), tab[i].p, 1e-11);
	}
	CHECK_NEAR(nt_t_quantile(0.5, 3), 0, 0);
	CHECK(isnan(nt_t_quantile(1, 3)) && isnan(nt_t_quantile(0.9, 0)));
	/* 2, 4, 4, 4, 5, 5, 7, 9: mean 5, s = sqrt(32/7), t(0.975, 7) = 2.3646242515927847 */
	static const double v[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
	struct nt_mean_ci ci;
	nt_mean_ci_double(v, N_ELEMS(v), 0.95, &ci);
	double half = 2.3646242515927847 * sqrt(32.0 / 7) / sqrt(8);
	CHECK_NEAR(ci.mean, 5, 0);
	CHECK_NEAR(ci.stddev, sqrt(32.0 / 7), 1e-15);
	CHECK_NEAR(ci.lo, 5 - half, 1e-9);
	CHECK_NEAR(ci.hi, 5 + half, 1e-9);
	CHECK_NEAR(ci.min, 2, 0);
	CHECK_NEAR(ci.max, 9, 0);
	/* one value: a mean, no interval */
	nt_mean_ci_double(v, 1, 0.95, &ci);
	CHECK(ci.n == 1 && ci.mean == 2 && isnan(ci.lo) && isnan(ci.hi) && isnan(ci.stddev));
	/* two values: t(0.975, 1) * |a - b| / 2 */
	static const double w[] = { 3.0, 3.5 };
	nt_mean_ci_double(w, 2, 0.95, &ci);
	CHECK_NEAR(ci.half, 12.706204736174693 * 0.25, 1e-9);
}

int main(void)
{
	test_rank();
	test_div();
	test_moments();
	test_t();
	return nt_test_done("test-stats");
}
