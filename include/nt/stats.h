/* SPDX-License-Identifier: GPL-2.0 */
/* Small exact statistics shared by the programs that summarise their own
 * samples (sender jitter, collector intervals) and by the analyzer, which
 * adds streaming histograms and the bootstrap on top of these.
 *
 * The definitions (the only ones in this project; analyzer/README.md
 * "Statistics" is their prose version):
 *
 *  - Quantile of level q of n sorted values v[0..n-1]: linear interpolation
 *    between the order statistics around the rank h = (n-1)q (Hyndman & Fan
 *    type 7, numpy's default):  v[lo] + (h - lo)(v[lo+1] - v[lo]), lo = floor h.
 *    q is a decimal level: it is first rounded to a multiple of 10^-9
 *    (NT_Q_DEN), so 0.9 means exactly 9/10, and the rank is computed exactly
 *    in integers; the interpolated value is rounded once, to the nearest
 *    double.  (A rank computed in floating point is 9 + 2^-52 for q = 0.9,
 *    n = 11, and lets a huge v[10] leak into p90.)  q <= 0 gives v[0],
 *    q >= 1 gives v[n-1].
 *  - Mean: the exact sum (128-bit integer) divided by n, rounded to the
 *    nearest double.
 *  - Standard deviation: sample (divisor n-1; 0 for one value).  The squared
 *    deviations from floor(mean) are summed exactly (192-bit integer); the
 *    remaining correction, division and square root are done in long double,
 *    so the result is within one unit in the last place (2^-52 relative) of
 *    the exact value.
 */
#ifndef NT_STATS_H
#define NT_STATS_H

/*  - Confidence interval of the mean of n >= 2 values x_i (repetitions of
 *    a workload: seconds, Mbit/s): mean +- t * s / sqrt(n), s the sample
 *    standard deviation, t the (1 + c)/2 quantile of Student's t
 *    distribution with n - 1 degrees of freedom (c = 0.95 by default).  The
 *    sums are taken in long double.  It assumes independent, roughly normal
 *    repetitions; with n = 2 it is wide (t = 12.7 at 95 %), as it should be.
 */

/* the definitions above in one line, for reports */
#define NT_STATS_DEFINITION                                                                  \
	"quantiles: linear interpolation at the exact rank (n-1)q, q as a decimal (Hyndman-Fan " \
	"type 7, numpy's default); mean: exact sum / n; stddev: sample (n-1)"

#include <stddef.h>
#include <stdint.h>

int nt_cmp_u64(const void *a, const void *b);
int nt_cmp_i64(const void *a, const void *b);
int nt_cmp_double(const void *a, const void *b);

/* the exact rank h = (n-1)q: lo = floor h, frac = (h - lo) * NT_Q_DEN */
#define NT_Q_DEN 1000000000u
struct nt_qrank {
	size_t lo;
	uint32_t frac;
};
struct nt_qrank nt_quantile_rank(size_t n, double q);
/* a + (b - a) * frac / NT_Q_DEN for a <= b, rounded to the nearest double */
double nt_quantile_interp_u64(uint64_t a, uint64_t b, uint32_t frac);

/* Quantile q in [0,1] of n sorted values (definition above); n must be > 0. */
double nt_quantile_sorted_i64(const int64_t *v, size_t n, double q);
double nt_quantile_sorted_u64(const uint64_t *v, size_t n, double q);
double nt_quantile_sorted_double(const double *v, size_t n, double q);

/* s / n rounded to the nearest double (ties to even); n > 0 */
double nt_div_u128(unsigned __int128 s, uint64_t n);

/* mean and sample standard deviation (definitions above) of n > 0 values */
struct nt_moments {
	double mean, stddev;
};
void nt_moments_u64(const uint64_t *v, size_t n, struct nt_moments *m);
void nt_moments_i64(const int64_t *v, size_t n, struct nt_moments *m);

/* min, max, mean, stddev, median, p90, p99, p99.9 of n values (sorts v in
 * place), with the definitions above. */
struct nt_summary {
	size_t n;
	double min, max, mean, stddev, median, p90, p99, p999;
};
int nt_summarize_i64(int64_t *v, size_t n, struct nt_summary *s);

/* the confidence interval of the mean in one line, for reports */
#define NT_CI_DEFINITION                                                             \
	"mean +- t * s / sqrt(n): s the sample standard deviation, t the (1+c)/2 "   \
	"quantile of Student's t with n-1 degrees of freedom (repetitions assumed " \
	"independent)"

/* Student's t distribution with df > 0 degrees of freedom: P(T <= t), and
 * its quantile for 0 < p < 1 (bisection on the CDF, to ~1e-12 relative). */
double nt_t_cdf(double t, double df);
double nt_t_quantile(double p, double df);

/* mean, sample standard deviation and confidence interval (definition above)
 * of n doubles; lo = hi = NAN when n < 2.  min and max too. */
struct nt_mean_ci {
	size_t n;
	double mean, stddev, lo, hi, half, t, min, max;
};
void nt_mean_ci_double(const double *v, size_t n, double conf, struct nt_mean_ci *out);

#endif
