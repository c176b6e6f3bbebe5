// SPDX-License-Identifier: GPL-2.0
/* The CSV fast path.  libcsv stays the reader of record for any CSV: quoting
 * rules, strict and lenient modes, line numbers, every error message.  This
 * file takes the rows the project's writers produce -- ten fields of plain
 * digits, names and flag words between commas, ended by '\n' -- and decodes
 * them without libcsv's byte-at-a-time copy and callbacks.  It accepts a row
 * only when every field is one the shared field decoder (rs_field) accepts
 * with the same value; anything else (a header, a blank line, "\r\n", a
 * space, a quote, another field count, a value out of range, an unknown
 * name) goes to libcsv as the whole line, so both paths give the same
 * records and the same errors.  fuzz-analyzer-csvdiff checks that. */
#include <string.h>

#include "analyze.h"
#include "nt/recio.h"

/* Names as one or two little-endian words (the chunk buffer has RS_SLACK
 * readable bytes after its end, so the 16 bytes from a name's start can be
 * loaded whole). */
struct wname {
	uint64_t w0, w1;
	size_t len;
};
static struct wname src_w[NT_SRC_MAX], ev_w[NT_EV_MAX];

static uint64_t word(const char *f, size_t n)
{
	uint64_t w;
	memcpy(&w, f, 8);
	return n >= 8 ? w : w & ((1ull << (8 * n)) - 1);
}

static void wname_init(struct wname *t, unsigned n, const char *(*name)(unsigned))
{
	for (unsigned i = 1; i < n; i++) {
		char b[24] = { 0 };
		size_t len = strlen(name(i));
		memcpy(b, name(i), len);
		t[i] = (struct wname){ word(b, len), len > 8 ? word(b + 8, len - 8) : 0, len };
	}
}

/* the index of name f[0, n) in t (1..), 0 when unknown or too long */
static unsigned wname_find(const struct wname *t, unsigned nt, const char *f, size_t n)
{
	if (n == 0 || n > 16)
		return 0;
	uint64_t w0 = word(f, n), w1 = n > 8 ? word(f + 8, n - 8) : 0;
	for (unsigned i = 1; i < nt; i++)
		if (t[i].len == n && t[i].w0 == w0 && t[i].w1 == w1)
			return i;
	return 0;
}

/* A name field [a-z_]+ ending at ','; its index or 0. */
static inline __attribute__((always_inline)) unsigned name_field(const char **pp, const struct wname *t, unsigned nt)
{
	const char *p = *pp, *q = p;
	while ((*q >= 'a' && *q <= 'z') || *q == '_')
		q++;
	if (*q != ',')
		return 0;
	*pp = q + 1;
	return wname_find(t, nt, p, (size_t)(q - p));
}

/* SWAR digits: how many of the 8 bytes of w (first byte lowest) are ASCII
 * digits before the first other byte, and the value of the first k (1..8). */
static inline unsigned digits8(uint64_t w)
{
	uint64_t t = w - 0x3030303030303030ull, u = w + 0x4646464646464646ull;
	uint64_t m = (t | u) & 0x8080808080808080ull; /* high bit: below '0' / above '9' */
	return m ? (unsigned)__builtin_ctzll(m) / 8 : 8;
}

static inline uint64_t value8(uint64_t w, unsigned k)
{
	if (k < 8) /* leading '0's in the bytes the digits do not fill */
		w = (w << (8 * (8 - k))) + (0x3030303030303030ull >> (8 * k));
	w -= 0x3030303030303030ull;
	w = (w * 10) + (w >> 8);
	return (((w & 0x000000FF000000FFull) * (100 + (1000000ull << 32))) +
		(((w >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32)))) >> 32;
}

static const uint64_t pow10[9] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000 };

/* Digits ending at `end` (',' or '\n'): 1 with the value (empty: `none`, when
 * allowed, i.e. none != 0), else 0.  At most 20 digits, no overflow, at most
 * max: the rule of rs_field's parser. */
static inline __attribute__((always_inline)) int num_field(const char **pp, char end, uint64_t max,
							      uint64_t none, uint64_t *v)
{
	const char *p = *pp;
	uint64_t x = 0, w;
	unsigned n = 0, k;
	if (*p == end && none) { /* empty: the usual case of most fields */
		*v = none;
		*pp = p + 1;
		return 1;
	}
	do {
		memcpy(&w, p + n, 8);
		k = digits8(w);
		if (!k)
			break;
		if (n + k > 20)
			return 0;
		if (n + k > 19) {
			if (__builtin_mul_overflow(x, pow10[k], &x) || __builtin_add_overflow(x, value8(w, k), &x))
				return 0;
		} else {
			x = x * pow10[k] + value8(w, k);
		}
		n += k;
	} while (k == 8);
	if (p[n] != end || (n == 0 && !none) || x > max)
		return 0;
	*v = n ? x : none;
	*pp = p + n + 1;
	return 1;
}

/* The flags field up to '\n': empty, the same words as the last row's, or
 * words nt_flags_parse takes (rs_field's rule).  1 with the value, else 0. */
static int flags_field(struct rstream *s, const char *p, const char *nl, uint32_t *out)
{
	size_t n = (size_t)(nl - p);
	if (n == 0) {
		*out = 0;
		return 1;
	}
	if (n == s->last_flags_len && memcmp(p, s->last_flags, n) == 0) {
		*out = s->last_flags_val;
		return 1;
	}
	for (size_t i = 0; i < n; i++) /* words, '|', numbers: what libcsv hands over unchanged */
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '_' || p[i] == '|'))
			return 0;
	unsigned fl;
	if (nt_flags_parse(p, n, &fl))
		return 0;
	if (n < sizeof(s->last_flags)) {
		memcpy(s->last_flags, p, n);
		s->last_flags_len = n;
		s->last_flags_val = fl;
	}
	*out = fl;
	return 1;
}

/* Decode the row p[0, nl) into r: 1 when it is canonical and every field is
 * good, else 0 (nothing consumed). */
static int fast_row(struct rstream *s, const char *p, const char *nl, struct nt_rec *r)
{
	uint64_t v[7];
	unsigned src = name_field(&p, src_w, NT_SRC_MAX);
	unsigned ev = src ? name_field(&p, ev_w, NT_EV_MAX) : 0;
	if (!ev || !num_field(&p, ',', UINT16_MAX, NT_NONE16, &v[0]) || !num_field(&p, ',', UINT64_MAX, 0, &v[1]) ||
	    !num_field(&p, ',', UINT32_MAX, NT_NONE32, &v[2]) || !num_field(&p, ',', UINT16_MAX, NT_NONE16, &v[3]) ||
	    !num_field(&p, ',', UINT64_MAX, NT_NONE64, &v[4]) || !num_field(&p, ',', UINT16_MAX, NT_NONE16, &v[5]) ||
	    !num_field(&p, ',', UINT64_MAX, NT_NONE64, &v[6]) || p > nl || !flags_field(s, p, nl, &r->flags))
		return 0;
	r->source = (uint8_t)src;
	r->event = (uint8_t)ev;
	r->cpu = (uint16_t)v[0];
	r->tsc = v[1];
	r->irq = (uint32_t)v[2];
	r->vector = (uint16_t)v[3];
	r->seq = v[4];
	r->dom = (uint16_t)v[5];
	r->aux = v[6];
	return 1;
}

int rs_csv_lines(struct rstream *s, const char *buf, size_t n)
{
	const char *p = buf, *e = buf + n;
	if (s->no_fast) /* the reference: libcsv alone, over whatever chunks come */
		return rs_csv_slow(s, buf, n);
	if (!src_w[1].len) {
		wname_init(src_w, NT_SRC_MAX, nt_source_name);
		wname_init(ev_w, NT_EV_MAX, nt_event_name);
	}
	if (s->slow_line) { /* the rest of a line that began in an earlier chunk */
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		const char *stop = nl ? nl + 1 : e;
		if (rs_csv_slow(s, p, (size_t)(stop - p)))
			return -1;
		s->slow_line = nl == NULL;
		p = stop;
	}
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		const char *stop = nl ? nl + 1 : e;
		if (nl && s->header_done && (s->qn < s->qcap || rs_q_reserve(s, 1) == 0) &&
		    fast_row(s, p, nl, &s->q[s->qn])) {
			s->qn++;
			s->line++;
			s->prev_term = '\n';
		} else {
			if (s->err || rs_csv_slow(s, p, (size_t)(stop - p)))
				return -1;
			s->slow_line = nl == NULL;
		}
		p = stop;
	}
	return 0;
}
