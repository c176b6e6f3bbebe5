/* SPDX-License-Identifier: GPL-2.0 */
/* Small exact statistics shared by the programs that summarise their own
 * samples (sender jitter, collector intervals).  The analyzer has the full
 * set (streaming histograms, bootstrap) on top of these. */
#ifndef NT_STATS_H
#define NT_STATS_H

#include <stddef.h>
#include <stdint.h>

int nt_cmp_u64(const void *a, const void *b);
int nt_cmp_i64(const void *a, const void *b);
int nt_cmp_double(const void *a, const void *b);

/*
 * Quantile q in [0,1] of n sorted values, linear interpolation between the
 * order statistics at rank h = (n-1)q (Hyndman & Fan type 7, numpy's default).
 * n must be > 0.
 */
double nt_quantile_sorted_i64(const int64_t *v, size_t n, double q);
double nt_quantile_sorted_u64(const uint64_t *v, size_t n, double q);
double nt_quantile_sorted_double(const double *v, size_t n, double q);

/* min, max, mean, stddev (sample, n-1), median, p99 of n values (sorts v in
 * place).  Mean and stddev by Welford's method in long double. */
struct nt_summary {
	size_t n;
	double min, max, mean, stddev, median, p90, p99, p999;
};
int nt_summarize_i64(int64_t *v, size_t n, struct nt_summary *s);

#endif
