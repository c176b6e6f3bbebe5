// SPDX-License-Identifier: GPL-2.0
/* Exact statistics: the quantile, mean and standard deviation definitions of
 * include/nt/stats.h, computed in integers where floating point would lose
 * the exactness the definitions promise. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nt/stats.h"

typedef unsigned __int128 u128;
typedef __int128 i128;

int nt_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

int nt_cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int nt_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static unsigned bits128(u128 x)
{
	uint64_t hi = (uint64_t)(x >> 64), lo = (uint64_t)x;
	if (hi)
		return 128u - (unsigned)__builtin_clzll(hi);
	return lo ? 64u - (unsigned)__builtin_clzll(lo) : 0u;
}

/* floor(s / (n 2^e)) for the e that puts it in [2^52, 2^53), rounded to
 * nearest even with the remainder: the double nearest to s/n */
double nt_div_u128(u128 s, uint64_t n)
{
	if (s == 0 || n == 0)
		return 0.0;
	int e = (int)bits128(s) - (int)bits128(n) - 53;
	for (;;) {
		u128 num = s, den = n;
		if (e >= 0)
			den <<= e; /* at most bits(s) - 52 bits */
		else
			num <<= -e; /* at most bits(n) + 54 bits */
		u128 m = num / den, rem = num % den;
		if (m >= (u128)1 << 53) {
			e++;
			continue;
		}
		if (m < (u128)1 << 52) {
			e--;
			continue;
		}
		if (rem * 2 > den || (rem * 2 == den && (m & 1)))
			m++;
		return ldexp((double)(uint64_t)m, e);
	}
}

static double div_i128(i128 s, uint64_t n)
{
	return s < 0 ? -nt_div_u128((u128)-s, n) : nt_div_u128((u128)s, n);
}

struct nt_qrank nt_quantile_rank(size_t n, double q)
{
	struct nt_qrank r = { 0, 0 };
	if (n == 0 || !(q > 0.0))
		return r;
	if (q >= 1.0) {
		r.lo = n - 1;
		return r;
	}
	uint64_t k = (uint64_t)llround(q * NT_Q_DEN); /* q as a multiple of 10^-9 */
	u128 h = (u128)(n - 1) * k;
	r.lo = (size_t)(h / NT_Q_DEN);
	r.frac = (uint32_t)(h % NT_Q_DEN);
	return r;
}

double nt_quantile_interp_u64(uint64_t a, uint64_t b, uint32_t frac)
{
	if (frac == 0 || a == b)
		return (double)a;
	/* (a DEN + (b - a) frac) / DEN, all in integers (< 2^94) */
	u128 num = (u128)a * NT_Q_DEN + (u128)(b - a) * frac;
	return nt_div_u128(num, NT_Q_DEN);
}

static double interp_i64(int64_t a, int64_t b, uint32_t frac)
{
	if (frac == 0 || a == b)
		return (double)a;
	uint64_t d = (uint64_t)b - (uint64_t)a; /* b >= a: fits */
	i128 num = (i128)a * NT_Q_DEN + (i128)((u128)d * frac);
	return div_i128(num, NT_Q_DEN);
}

double nt_quantile_sorted_u64(const uint64_t *v, size_t n, double q)
{
	struct nt_qrank r = nt_quantile_rank(n, q);
	if (r.frac == 0 || r.lo + 1 >= n)
		return (double)v[r.lo];
	return nt_quantile_interp_u64(v[r.lo], v[r.lo + 1], r.frac);
}

double nt_quantile_sorted_i64(const int64_t *v, size_t n, double q)
{
	struct nt_qrank r = nt_quantile_rank(n, q);
	if (r.frac == 0 || r.lo + 1 >= n)
		return (double)v[r.lo];
	return interp_i64(v[r.lo], v[r.lo + 1], r.frac);
}

double nt_quantile_sorted_double(const double *v, size_t n, double q)
{
	struct nt_qrank r = nt_quantile_rank(n, q);
	if (r.frac == 0 || r.lo + 1 >= n)
		return v[r.lo];
	long double a = v[r.lo], b = v[r.lo + 1];
	return (double)(a + (b - a) * ((long double)r.frac / NT_Q_DEN));
}

/* 192-bit unsigned accumulator for sums of 128-bit squares */
struct acc192 {
	u128 lo;
	uint64_t hi;
};

static void acc_add(struct acc192 *a, u128 x)
{
	a->lo += x;
	if (a->lo < x)
		a->hi++;
}

/* Sample variance from the exact sums about the integer c = floor(mean):
 * s2 = sum (x - c)^2 and r = sum (x - c), 0 <= r < n; the squared deviations
 * from the mean sum to s2 - r^2/n.  r^2/n = q2 + r2/n is split into integers
 * so that only a value below 1 is subtracted in floating point. */
static double sd_from_sums(struct acc192 s2, uint64_t r, uint64_t n)
{
	if (n < 2)
		return 0.0;
	u128 rr = (u128)r * r;
	u128 q2 = rr / n, r2 = rr % n;
	if (s2.lo < q2)
		s2.hi--;
	s2.lo -= q2;
	long double whole = (long double)s2.hi * 0x1p128L + (long double)s2.lo;
	long double ss = whole - (long double)r2 / (long double)n;
	if (ss < 0)
		ss = 0;
	return (double)sqrtl(ss / (long double)(n - 1));
}

/* moments of x_i + off (mod 2^64): off = 2^63 maps int64 onto uint64 in order */
static void moments(const void *base, int is_signed, size_t n, struct nt_moments *m)
{
	const uint64_t *v = base;
	const uint64_t off = is_signed ? (uint64_t)1 << 63 : 0;
	m->mean = m->stddev = 0.0;
	if (n == 0)
		return;
	u128 sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += v[i] + off;
	uint64_t c = (uint64_t)(sum / n), r = (uint64_t)(sum % n);
	struct acc192 s2 = { 0, 0 };
	for (size_t i = 0; i < n; i++) {
		uint64_t x = v[i] + off;
		uint64_t d = x >= c ? x - c : c - x;
		acc_add(&s2, (u128)d * d);
	}
	if (is_signed) /* sum of the signed values: sum - n 2^63 */
		m->mean = div_i128((i128)sum - ((i128)n << 63), n);
	else
		m->mean = nt_div_u128(sum, n);
	m->stddev = sd_from_sums(s2, r, n);
}

void nt_moments_u64(const uint64_t *v, size_t n, struct nt_moments *m)
{
	moments(v, 0, n, m);
}

void nt_moments_i64(const int64_t *v, size_t n, struct nt_moments *m)
{
	moments(v, 1, n, m);
}

int nt_summarize_i64(int64_t *v, size_t n, struct nt_summary *s)
{
	memset(s, 0, sizeof(*s));
	if (n == 0)
		return -1;
	qsort(v, n, sizeof(*v), nt_cmp_i64);
	struct nt_moments m;
	nt_moments_i64(v, n, &m);
	s->n = n;
	s->min = (double)v[0];
	s->max = (double)v[n - 1];
	s->mean = m.mean;
	s->stddev = m.stddev;
	s->median = nt_quantile_sorted_i64(v, n, 0.5);
	s->p90 = nt_quantile_sorted_i64(v, n, 0.90);
	s->p99 = nt_quantile_sorted_i64(v, n, 0.99);
	s->p999 = nt_quantile_sorted_i64(v, n, 0.999);
	return 0;
}

/* ---- Student's t: the regularised incomplete beta function I_x(a, b) by
 * its continued fraction (modified Lentz), as in any numerical analysis
 * text; P(T <= t) = 1 - I_{df/(df+t^2)}(df/2, 1/2) / 2 for t >= 0. */
static long double beta_cf(long double a, long double b, long double x)
{
	const long double tiny = 1e-300L, eps = 1e-17L;
	long double c = 1, d = 1 - (a + b) * x / (a + 1), h;

	if (fabsl(d) < tiny)
		d = tiny;
	d = 1 / d;
	h = d;
	for (int m = 1; m <= 10000; m++) {
		long double m2 = 2.0L * m;
		long double num = m * (b - m) * x / ((a + m2 - 1) * (a + m2));

		d = 1 + num * d;
		d = fabsl(d) < tiny ? 1 / tiny : 1 / d;
		c = 1 + num / c;
		if (fabsl(c) < tiny)
			c = tiny;
		h *= d * c;
		num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
		d = 1 + num * d;
		d = fabsl(d) < tiny ? 1 / tiny : 1 / d;
		c = 1 + num / c;
		if (fabsl(c) < tiny)
			c = tiny;
		long double del = d * c;
		h *= del;
		if (fabsl(del - 1) < eps)
			break;
	}
	return h;
}

static long double beta_inc(long double a, long double b, long double x)
{
	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	long double lf = lgammal(a + b) - lgammal(a) - lgammal(b) + a * logl(x) + b * logl(1 - x);
	long double f = expl(lf);
	if (x < (a + 1) / (a + b + 2))
		return f * beta_cf(a, b, x) / a;
	return 1 - f * beta_cf(b, a, 1 - x) / b;
}

double nt_t_cdf(double t, double df)
{
	if (!(df > 0) || isnan(t))
		return NAN;
	long double x = (long double)df / ((long double)df + (long double)t * t);
	long double tail = beta_inc((long double)df / 2, 0.5L, x) / 2;
	return (double)(t >= 0 ? 1 - tail : tail);
}

double nt_t_quantile(double p, double df)
{
	if (!(p > 0 && p < 1) || !(df > 0))
		return NAN;
	if (p == 0.5)
		return 0;
	if (p < 0.5)
		return -nt_t_quantile(1 - p, df);
	double lo = 0, hi = 1;
	while (nt_t_cdf(hi, df) < p && hi < 1e300)
		hi *= 2;
	for (int i = 0; i < 2000 && hi - lo > 1e-13 * hi; i++) {
		double mid = lo + (hi - lo) / 2;
		if (nt_t_cdf(mid, df) < p)
			lo = mid;
		else
			hi = mid;
	}
	return lo + (hi - lo) / 2;
}

void nt_mean_ci_double(const double *v, size_t n, double conf, struct nt_mean_ci *out)
{
	memset(out, 0, sizeof(*out));
	out->n = n;
	out->mean = out->stddev = out->lo = out->hi = out->half = out->t = NAN;
	out->min = out->max = NAN;
	if (n == 0)
		return;
	long double sum = 0;
	out->min = out->max = v[0];
	for (size_t i = 0; i < n; i++) {
		sum += v[i];
		if (v[i] < out->min)
			out->min = v[i];
		if (v[i] > out->max)
			out->max = v[i];
	}
	long double mean = sum / (long double)n, ss = 0;
	out->mean = (double)mean;
	if (n < 2)
		return;
	for (size_t i = 0; i < n; i++)
		ss += ((long double)v[i] - mean) * ((long double)v[i] - mean);
	long double sd = sqrtl(ss / (long double)(n - 1));
	out->stddev = (double)sd;
	out->t = nt_t_quantile((1 + conf) / 2, (double)(n - 1));
	out->half = (double)(out->t * sd / sqrtl((long double)n));
	out->lo = out->mean - out->half;
	out->hi = out->mean + out->half;
}
