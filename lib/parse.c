// SPDX-License-Identifier: GPL-2.0
/* The value parsers of include/nt/parse.h. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nt/parse.h"

/* strtod of the leading number of s; -1 unless it starts with a digit or
 * '.', or when it overflows or is not finite.  *end points after it. */
static int lead_number(const char *s, double *v, const char **end)
{
	if (!s || !(isdigit((unsigned char)s[0]) || (s[0] == '.' && isdigit((unsigned char)s[1]))))
		return -1;
	char *e;
	errno = 0;
	*v = strtod(s, &e);
	/* strtod accepts hex floats and "infinity"; a number here is decimal */
	if (errno == ERANGE && *v != 0)
		return -1;
	if (!isfinite(*v) || (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')))
		return -1;
	*end = e;
	return 0;
}

static int parse_hex(const char *s, uint64_t *v)
{
	if (!isxdigit((unsigned char)s[0]))
		return -1;
	char *e;
	errno = 0;
	unsigned long long x = strtoull(s, &e, 16);
	if (errno || *e)
		return -1;
	*v = x;
	return 0;
}

static int parse_dec(const char *s, uint64_t *v)
{
	if (!isdigit((unsigned char)s[0]))
		return -1;
	char *e;
	errno = 0;
	unsigned long long x = strtoull(s, &e, 10);
	if (errno)
		return -1;
	uint64_t mul = 1;
	if (*e == 'k')
		mul = 1000ull;
	else if (*e == 'M')
		mul = 1000000ull;
	else if (*e == 'G')
		mul = 1000000000ull;
	else if (*e)
		return -1;
	if (mul > 1 && e[1])
		return -1;
	if (x > UINT64_MAX / mul)
		return -1;
	*v = x * mul;
	return 0;
}

int nt_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v;
	if (!s || !*s)
		return -1;
	int rc = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? parse_hex(s + 2, &v) : parse_dec(s, &v);
	if (rc || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int nt_parse_double(const char *s, double min, double max, double *out)
{
	double v;
	const char *e;
	if (lead_number(s, &v, &e) || *e || !(v >= min && v <= max))
		return -1;
	*out = v;
	return 0;
}

static const struct {
	const char *name;
	double ns;
} dur_units[] = {
	{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 }, { "min", 60e9 }, { "h", 3600e9 },
};

int nt_parse_dur(const char *s, int64_t min_ns, int64_t max_ns, int64_t *out)
{
	double v, unit = -1;
	const char *e;
	if (lead_number(s, &v, &e))
		return -1;
	if (!*e)
		unit = 1e9;
	for (size_t i = 0; i < sizeof(dur_units) / sizeof(dur_units[0]) && unit < 0; i++)
		if (strcmp(e, dur_units[i].name) == 0)
			unit = dur_units[i].ns;
	if (unit < 0)
		return -1;
	double ns = v * unit;
	if (!(ns >= (double)min_ns && ns <= (double)max_ns) || ns > 9.2e18)
		return -1;
	int64_t r = (int64_t)llround(ns);
	if (r < min_ns || r > max_ns)
		return -1;
	*out = r;
	return 0;
}

int nt_parse_hz(const char *s, double min_hz, double max_hz, double *out)
{
	double v, mul = 0;
	const char *e;
	if (lead_number(s, &v, &e))
		return -1;
	static const struct {
		const char *name;
		double mul;
	} u[] = { { "", 1 }, { "hz", 1 }, { "k", 1e3 }, { "khz", 1e3 }, { "m", 1e6 }, { "mhz", 1e6 }, { "g", 1e9 }, { "ghz", 1e9 } };
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]) && !mul; i++)
		if (strcasecmp(e, u[i].name) == 0)
			mul = u[i].mul;
	/* "m" alone is mega (there are no milli-hertz TSCs) */
	if (!mul)
		return -1;
	v *= mul;
	if (!isfinite(v) || !(v >= min_hz && v <= max_hz))
		return -1;
	*out = v;
	return 0;
}

/* One "A" or "A-B" item of a CPU list; *p advances past it. */
static int cpu_range(const char **p, unsigned max, unsigned long *a, unsigned long *b)
{
	char *e;
	if (!isdigit((unsigned char)**p))
		return -1;
	errno = 0;
	*a = strtoul(*p, &e, 10);
	*b = *a;
	if (*e == '-') {
		if (!isdigit((unsigned char)e[1]))
			return -1;
		*b = strtoul(e + 1, &e, 10);
	}
	if (errno || *a > *b || *b >= max)
		return -1;
	*p = e;
	return 0;
}

int nt_parse_cpulist(const char *s, unsigned ncpu_max, uint8_t *map, unsigned *count)
{
	if (!s || !*s)
		return -1;
	memset(map, 0, (ncpu_max + 7) / 8);
	unsigned n = 0;
	const char *p = s;
	for (;;) {
		unsigned long a, b;
		if (cpu_range(&p, ncpu_max, &a, &b))
			return -1;
		for (unsigned long c = a; c <= b; c++) {
			if (map[c / 8] & (1u << (c % 8)))
				return -1; /* each CPU once */
			map[c / 8] |= (uint8_t)(1u << (c % 8));
			n++;
		}
		if (*p == '\0')
			break;
		if (*p++ != ',')
			return -1;
	}
	*count = n;
	return 0;
}

int nt_cpulist_format(const uint8_t *map, unsigned ncpu_max, char *buf, size_t len)
{
	size_t off = 0;
	if (len)
		buf[0] = '\0';
	for (unsigned c = 0; c < ncpu_max; c++) {
		if (!(map[c / 8] & (1u << (c % 8))))
			continue;
		unsigned e = c;
		while (e + 1 < ncpu_max && (map[(e + 1) / 8] & (1u << ((e + 1) % 8))))
			e++;
		char item[32];
		int n = e > c ? snprintf(item, sizeof(item), "%s%u-%u", off ? "," : "", c, e)
			      : snprintf(item, sizeof(item), "%s%u", off ? "," : "", c);
		if (off + (size_t)n < len)
			memcpy(buf + off, item, (size_t)n + 1);
		off += (size_t)n;
		c = e;
	}
	return (int)off;
}

int nt_parse_word(const char *s, const char *const *words, int *idx)
{
	if (!s)
		return -1;
	for (int i = 0; words[i]; i++)
		if (strcmp(s, words[i]) == 0) {
			*idx = i;
			return 0;
		}
	return -1;
}

void nt_words_join(const char *const *words, char *buf, size_t len)
{
	size_t off = 0;
	if (len)
		buf[0] = '\0';
	for (int i = 0; words[i] && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "|" : "", words[i]);
}
