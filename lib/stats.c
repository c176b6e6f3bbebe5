// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nt/stats.h"

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

/* rank h = (n-1)q; value = v[lo] + (h - lo) * (v[lo+1] - v[lo]) */
#define QUANTILE_BODY(v, n, q)                                        \
	do {                                                          \
		if ((q) <= 0.0)                                       \
			return (double)(v)[0];                        \
		if ((q) >= 1.0)                                       \
			return (double)(v)[(n) - 1];                  \
		long double h = (long double)((n) - 1) * (q);         \
		size_t lo = (size_t)h;                                \
		if (lo + 1 >= (n))                                    \
			return (double)(v)[(n) - 1];                  \
		long double f = h - (long double)lo;                  \
		long double a = (long double)(v)[lo];                 \
		long double b = (long double)(v)[lo + 1];             \
		return (double)(a + f * (b - a));                     \
	} while (0)

double nt_quantile_sorted_i64(const int64_t *v, size_t n, double q)
{
	QUANTILE_BODY(v, n, q);
}

double nt_quantile_sorted_u64(const uint64_t *v, size_t n, double q)
{
	QUANTILE_BODY(v, n, q);
}

double nt_quantile_sorted_double(const double *v, size_t n, double q)
{
	QUANTILE_BODY(v, n, q);
}

int nt_summarize_i64(int64_t *v, size_t n, struct nt_summary *s)
{
	memset(s, 0, sizeof(*s));
	if (n == 0)
		return -1;
	qsort(v, n, sizeof(*v), nt_cmp_i64);
	long double mean = 0, m2 = 0;
	for (size_t i = 0; i < n; i++) {
		long double x = (long double)v[i];
		long double d = x - mean;
		mean += d / (long double)(i + 1);
		m2 += d * (x - mean);
	}
	s->n = n;
	s->min = (double)v[0];
	s->max = (double)v[n - 1];
	s->mean = (double)mean;
	s->stddev = n > 1 ? (double)sqrtl(m2 / (long double)(n - 1)) : 0.0;
	s->median = nt_quantile_sorted_i64(v, n, 0.5);
	s->p90 = nt_quantile_sorted_i64(v, n, 0.90);
	s->p99 = nt_quantile_sorted_i64(v, n, 0.99);
	s->p999 = nt_quantile_sorted_i64(v, n, 0.999);
	return 0;
}
