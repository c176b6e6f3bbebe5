/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal unit-test helpers: CHECK* print the failing expression and count;
 * nt_test_done() prints a summary and returns the exit status. */
#ifndef NT_TEST_H
#define NT_TEST_H
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int nt_t_fail, nt_t_pass;

#define CHECK(cond) do { \
	if (cond) nt_t_pass++; \
	else { nt_t_fail++; fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); } \
} while (0)
#define CHECK_EQ_U64(a, b) do { \
	unsigned long long _a = (a), _b = (b); \
	if (_a == _b) nt_t_pass++; \
	else { nt_t_fail++; fprintf(stderr, "%s:%d: %s == %s failed: %llu != %llu\n", \
		__FILE__, __LINE__, #a, #b, _a, _b); } \
} while (0)
#define CHECK_NEAR(a, b, tol) do { \
	double _a = (a), _b = (b), _t = (tol); \
	if (fabs(_a - _b) <= _t) nt_t_pass++; \
	else { nt_t_fail++; fprintf(stderr, "%s:%d: |%s - %s| <= %g failed: %.17g vs %.17g\n", \
		__FILE__, __LINE__, #a, #b, _t, _a, _b); } \
} while (0)
#define CHECK_STR(a, b) do { \
	const char *_a = (a), *_b = (b); \
	if (_a && _b && strcmp(_a, _b) == 0) nt_t_pass++; \
	else { nt_t_fail++; fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", \
		__FILE__, __LINE__, #a, #b, _a ? _a : "(null)", _b ? _b : "(null)"); } \
} while (0)

static inline int nt_test_done(const char *name)
{
	printf("%s: %d checks passed, %d failed\n", name, nt_t_pass, nt_t_fail);
	return nt_t_fail ? 1 : (nt_t_pass ? 0 : 1);
}
#endif
