// SPDX-License-Identifier: GPL-2.0
/* Record streams: CSV (libcsv without quoting, strict or lenient, line numbers in errors) and
 * the binary form (header check, truncation detection).  Both decode into a
 * small queue of struct nt_rec that rs_next() hands out one at a time, so a
 * file is never held in memory as a whole. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analyze.h"
#include "nt/recio.h"

static const char *const hdr_names[NT_CSV_NFIELDS] = { "source", "event", "cpu", "tsc",	"irq",
						       "vector", "seq",	  "dom", "aux", "flags" };

int path_is_bin(const char *path)
{
	size_t n = strlen(path);
	return n >= 4 && (strcmp(path + n - 4, ".bin") == 0 || strcmp(path + n - 4, ".ntr") == 0);
}

static int pu64(const char *s, size_t n, uint64_t *v)
{
	if (n == 0 || n > 20)
		return -1;
	uint64_t x = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(unsigned char)s[i] - '0';
		if (d > 9)
			return -1;
		if (__builtin_mul_overflow(x, 10u, &x) || __builtin_add_overflow(x, d, &x))
			return -1;
	}
	*v = x;
	return 0;
}

/* name tables of recio.h with their lengths, built once */
struct name_ent {
	const char *s;
	size_t len;
};
static struct name_ent src_tab[NT_SRC_MAX], ev_tab[NT_EV_MAX];
static void name_tabs_init(void)
{
	if (src_tab[1].s)
		return;
	for (unsigned i = 1; i < NT_SRC_MAX; i++)
		src_tab[i] = (struct name_ent){ nt_source_name(i), strlen(nt_source_name(i)) };
	for (unsigned i = 1; i < NT_EV_MAX; i++)
		ev_tab[i] = (struct name_ent){ nt_event_name(i), strlen(nt_event_name(i)) };
}
/* 1.. on a match, 0 when unknown ("none" is not a valid source or event) */
static int name_lookup(const struct name_ent *t, unsigned n, const char *f, size_t len)
{
	for (unsigned i = 1; i < n; i++)
		if (t[i].len == len && t[i].s[0] == f[0] && memcmp(t[i].s, f, len) == 0)
			return (int)i;
	return 0;
}

static void row_bad(struct rstream *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void row_bad(struct rstream *s, const char *fmt, ...)
{
	if (s->row_bad)
		return;
	s->row_bad = 1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->row_why, sizeof(s->row_why), fmt, ap);
	va_end(ap);
}

static void show_field(char *out, size_t ol, const char *f, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k + 4 < ol; i++) {
		unsigned char c = (unsigned char)f[i];
		out[k++] = (c >= 32 && c < 127) ? (char)c : '?';
	}
	if (n > 0 && k + 4 >= ol && k >= 3)
		memcpy(out + k - 3, "...", 3);
	out[k] = '\0';
}

static int opt_num(struct rstream *s, const char *f, size_t n, uint64_t max, uint64_t none, uint64_t *out,
		   const char *what)
{
	if (n == 0) {
		*out = none;
		return 0;
	}
	uint64_t v;
	if (pu64(f, n, &v) || v > max) {
		char b[40];
		show_field(b, sizeof(b), f, n);
		row_bad(s, "bad %s field '%s' (want an unsigned integer <= %" PRIu64 " or empty)", what, b, max);
		return -1;
	}
	*out = v;
	return 0;
}

static void cb_field(void *fv, size_t n, void *data)
{
	struct rstream *s = data;
	const char *f = fv ? fv : "";
	if (s->err)
		return;
	if (!s->row_started) {
		s->row_started = 1;
		s->row_line = s->line;
		s->field = 0;
		s->row_bad = 0;
		s->cur = (struct nt_rec){ 0 };
	}
	unsigned i = s->field++;
	if (s->row_bad)
		return;
	if (!s->header_done) {
		if (i >= NT_CSV_NFIELDS || strlen(hdr_names[i]) != n || memcmp(hdr_names[i], f, n) != 0)
			row_bad(s, "header is not '%s'", NT_CSV_HEADER);
		return;
	}
	if (i >= NT_CSV_NFIELDS)
		return; /* counted at the row end */
	rs_field(s, i, f, n, &s->cur);
}

void rs_field(struct rstream *s, unsigned i, const char *f, size_t n, struct nt_rec *r)
{
	uint64_t v = 0;
	char b[40];
	switch (i) {
	case 0: {
		int x = name_lookup(src_tab, NT_SRC_MAX, f, n);
		if (x <= 0) {
			show_field(b, sizeof(b), f, n);
			row_bad(s, "unknown source '%s'", b);
		}
		r->source = (uint8_t)(x > 0 ? x : 0);
		break;
	}
	case 1: {
		int x = name_lookup(ev_tab, NT_EV_MAX, f, n);
		if (x <= 0) {
			show_field(b, sizeof(b), f, n);
			row_bad(s, "unknown event '%s'", b);
		}
		r->event = (uint8_t)(x > 0 ? x : 0);
		break;
	}
	case 2:
		if (!opt_num(s, f, n, UINT16_MAX, NT_NONE16, &v, "cpu"))
			r->cpu = (uint16_t)v;
		break;
	case 3:
		if (pu64(f, n, &v)) {
			show_field(b, sizeof(b), f, n);
			row_bad(s, "bad tsc field '%s' (want an unsigned 64-bit integer)", b);
		}
		r->tsc = v;
		break;
	case 4:
		if (!opt_num(s, f, n, UINT32_MAX, NT_NONE32, &v, "irq"))
			r->irq = (uint32_t)v;
		break;
	case 5:
		if (!opt_num(s, f, n, UINT16_MAX, NT_NONE16, &v, "vector"))
			r->vector = (uint16_t)v;
		break;
	case 6:
		if (!opt_num(s, f, n, UINT64_MAX, NT_NONE64, &v, "seq"))
			r->seq = v;
		break;
	case 7:
		if (!opt_num(s, f, n, UINT16_MAX, NT_NONE16, &v, "dom"))
			r->dom = (uint16_t)v;
		break;
	case 8:
		if (!opt_num(s, f, n, UINT64_MAX, NT_NONE64, &v, "aux"))
			r->aux = v;
		break;
	case 9: {
		unsigned fl = 0;
		if (n == 0) {
			r->flags = 0;
			break;
		}
		/* the same flags as the last non-empty ones (the usual case): no parsing */
		if (n == s->last_flags_len && n < sizeof(s->last_flags) && memcmp(f, s->last_flags, n) == 0) {
			r->flags = s->last_flags_val;
			break;
		}
		if (nt_flags_parse(f, n, &fl)) {
			show_field(b, sizeof(b), f, n);
			row_bad(s, "bad flags field '%s'", b);
		}
		r->flags = fl;
		if (!s->row_bad && n < sizeof(s->last_flags)) {
			memcpy(s->last_flags, f, n);
			s->last_flags_len = n;
			s->last_flags_val = fl;
		}
		break;
	}
	}
}

static void push(struct rstream *s, const struct nt_rec *r)
{
	if (s->qn == s->qcap) {
		size_t nc = s->qcap ? s->qcap * 2 : 4096;
		struct nt_rec *q = realloc(s->q, nc * sizeof(*q));
		if (!q) {
			fprintf(s->msg, PROG ": %s: out of memory\n", s->name);
			s->err = 1;
			return;
		}
		s->q = q;
		s->qcap = nc;
	}
	s->q[s->qn++] = *r;
}

static void bad_row(struct rstream *s, uint64_t line, const char *why)
{
	if (!s->lenient) {
		fprintf(s->msg, PROG ": %s:%" PRIu64 ": %s\n", s->name, line, why);
		s->err = 1;
		return;
	}
	s->bad_rows++;
	if (s->bad_rows <= (uint64_t)s->max_warn)
		fprintf(s->msg, PROG ": warning: %s:%" PRIu64 ": %s (row skipped, --lenient)\n", s->name, line,
			why);
}

static void cb_row(int c, void *data)
{
	struct rstream *s = data;
	if (s->err)
		return;
	if (!s->row_started) {
		/* no field: a blank line, or the '\n' of a "\r\n" pair */
		if (c == '\n' && s->prev_term != '\r')
			s->blank_lines++;
		if (c == '\r')
			s->blank_lines++;
	} else if (!s->header_done) {
		if (!s->row_bad && s->field != NT_CSV_NFIELDS)
			row_bad(s, "header is not '%s'", NT_CSV_HEADER);
		if (s->row_bad) {
			fprintf(s->msg, PROG ": %s:%" PRIu64 ": %s\n", s->name, s->row_line, s->row_why);
			s->err = 1;
		}
		s->header_done = 1;
	} else {
		if (!s->row_bad && s->field != NT_CSV_NFIELDS)
			row_bad(s, "%u fields, expected %d (%s)", s->field, NT_CSV_NFIELDS, NT_CSV_HEADER);
		if (s->row_bad)
			bad_row(s, s->row_line, s->row_why);
		else
			push(s, &s->cur);
	}
	if (c == '\n' || (c == '\r' && 0))
		s->line++;
	s->prev_term = (unsigned char)(c < 0 ? 0 : c);
	s->row_started = 0;
	s->field = 0;
}

/* The record format has no quoting (docs/record-format.md): a '"' is an
 * ordinary byte, which no field accepts, so a stray quote costs its own row
 * (counted, with its line number) instead of opening a quoted field that runs
 * over the line ends to the next quote or to the end of the file.  libcsv has
 * no switch for that; its quote character is set to the space, which libcsv
 * skips before a field begins (so no field is ever quoted) and, inside a
 * field, keeps as a byte that fails the field's check. */
static void no_quoting(struct csv_parser *p)
{
	csv_set_quote(p, CSV_SPACE);
}

int rs_open_file(struct rstream *s, FILE *f, const char *name, int is_bin, int lenient)
{
	return rs_open_with(s, f, name, is_bin, lenient, NULL);
}

int rs_open_with(struct rstream *s, FILE *f, const char *name, int is_bin, int lenient, const struct rs_opts *o)
{
	memset(s, 0, sizeof(*s));
	name_tabs_init();
	s->msg = o && o->msg ? o->msg : stderr;
	s->no_fast = o ? o->no_fast : 0;
	s->bufsize = o && o->bufsize ? o->bufsize : RS_BUFSIZE;
	s->last_flags_len = SIZE_MAX;
	s->name = name;
	s->f = f;
	s->is_bin = is_bin;
	s->lenient = lenient;
	s->line = 1;
	s->max_warn = 5;
	if (is_bin) {
		unsigned char h[32];
		size_t got = fread(h, 1, 32, f);
		if (got == 0) {
			fprintf(s->msg, PROG ": %s: empty file (no binary header)\n", name);
			return -1;
		}
		if (got < 32) {
			fprintf(s->msg, PROG ": %s: truncated: %zu bytes, the binary header alone is 32\n", name, got);
			return -1;
		}
		char why[128];
		if (nt_bin_header_check(h, why, sizeof(why))) {
			fprintf(s->msg, PROG ": %s: %s\n", name, why);
			return -1;
		}
		s->offset = 32;
		return 0;
	}
	if (csv_init(&s->p, CSV_REPALL_NL)) {
		fprintf(s->msg, PROG ": %s: csv_init failed\n", name);
		return -1;
	}
	no_quoting(&s->p);
	s->csv_init = 1;
	return 0;
}

int rs_open(struct rstream *s, const char *path, int lenient)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (rs_open_file(s, f, path, path_is_bin(path), lenient)) {
		fclose(f);
		memset(s, 0, sizeof(*s));
		return -1;
	}
	s->own = 1;
	struct stat st;
	if (g_threads > 1 && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= RS_PIPE_MIN)
		rs_pipe_start(s); /* read-ahead; sequential when no thread can be had */
	return 0;
}

static size_t read_full(FILE *f, unsigned char *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		size_t k = fread(buf + got, 1, n - got, f);
		if (k == 0)
			break;
		got += k;
	}
	return got;
}

/* queue room for n more records */
int rs_q_reserve(struct rstream *s, size_t n)
{
	if (s->qn + n <= s->qcap)
		return 0;
	size_t nc = s->qcap ? s->qcap : 4096;
	while (nc < s->qn + n)
		nc *= 2;
	struct nt_rec *q = realloc(s->q, nc * sizeof(*q));
	if (!q) {
		fprintf(s->msg, PROG ": %s: out of memory\n", s->name);
		s->err = 1;
		return -1;
	}
	s->q = q;
	s->qcap = nc;
	return 0;
}

/* a record with a source or event outside the known ones: error or skipped */
static int bin_bad(struct rstream *s, const struct nt_rec *r, uint64_t off)
{
	char why[160];
	snprintf(why, sizeof(why), "record %" PRIu64 " at byte offset %" PRIu64 ": bad source %u / event %u",
		 (off - 32) / 40, off, r->source, r->event);
	if (!s->lenient) {
		fprintf(s->msg, PROG ": %s: %s\n", s->name, why);
		return -1;
	}
	s->bad_rows++;
	if (s->bad_rows <= (uint64_t)s->max_warn)
		fprintf(s->msg, PROG ": warning: %s: %s (skipped, --lenient)\n", s->name, why);
	return 0;
}

static int bin_truncated(struct rstream *s, size_t rest)
{
	if (!s->lenient) {
		fprintf(s->msg,
			PROG ": %s: truncated: %zu trailing bytes at byte offset %" PRIu64
			     " (records are 40 bytes; file length is not 32 + 40n)\n",
			s->name, rest, s->offset);
		return -1;
	}
	s->bad_rows++;
	fprintf(s->msg, PROG ": warning: %s: truncated: %zu trailing bytes at byte offset %" PRIu64 " ignored (--lenient)\n",
		s->name, rest, s->offset);
	return 0;
}

/* A read cut short by a stop signal (a pipe or FIFO: EINTR) ends the input
 * like its end: what was read so far counts.  1 when that happened. */
static int read_stopped(struct rstream *s)
{
	if (!ferror(s->f) || errno != EINTR || !g_interrupted)
		return 0;
	clearerr(s->f);
	s->eof = 1;
	return 1;
}

/* Binary: one large read straight into the queue (the file's layout is
 * struct nt_rec's on a little-endian host, checked at compile time in
 * record.h's terms), then only the source/event check per record. */
static int refill_bin(struct rstream *s)
{
	const size_t nrec = s->bufsize / 40 ? s->bufsize / 40 : 1;
	if (rs_q_reserve(s, nrec + 1))
		return -1;
	unsigned char *raw = (unsigned char *)s->q;
	size_t got = read_full(s->f, raw, nrec * 40);
	if (!read_stopped(s) && ferror(s->f)) {
		fprintf(s->msg, PROG ": %s: read error: %s\n", s->name, strerror(errno));
		return -1;
	}
	size_t n = got / 40, rest = got % 40, k = 0;
	for (size_t i = 0; i < n; i++) {
		struct nt_rec r;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		memcpy(&r, raw + 40 * i, sizeof(r));
#else
		nt_rec_from_le(raw + 40 * i, &r);
#endif
		if (r.source == 0 || r.source >= NT_SRC_MAX || r.event == 0 || r.event >= NT_EV_MAX) {
			if (bin_bad(s, &r, s->offset + 40 * i)) {
				s->qn = k;
				return -1;
			}
			continue;
		}
		s->q[k++] = r; /* k <= i: never overwrites what is still to be read */
	}
	s->qn = k;
	s->offset += 40 * n;
	if (rest && bin_truncated(s, rest)) /* only possible at the end of the file */
		return -1;
	if (got < nrec * 40)
		s->eof = 1;
	return 0;
}

/* Feed bytes to libcsv (the reader of record: any CSV, errors, line numbers). */
int rs_csv_slow(struct rstream *s, const char *buf, size_t n)
{
	size_t used = csv_parse(&s->p, buf, n, cb_field, cb_row, s);
	if (s->err)
		return -1;
	if (used != n) {
		fprintf(s->msg, PROG ": %s:%" PRIu64 ": %s\n", s->name, s->line, csv_strerror(csv_error(&s->p)));
		return -1;
	}
	return 0;
}

static int csv_end(struct rstream *s)
{
	if (csv_fini(&s->p, cb_field, cb_row, s) != 0 && !s->err) {
		fprintf(s->msg, PROG ": %s:%" PRIu64 ": %s\n", s->name, s->line, csv_strerror(csv_error(&s->p)));
		return -1;
	}
	if (s->err)
		return -1;
	s->eof = 1;
	if (!s->header_done && !g_interrupted) {
		fprintf(s->msg, PROG ": %s: empty file (no header line '%s')\n", s->name, NT_CSV_HEADER);
		return -1;
	}
	return 0;
}

/* CSV: read a chunk after the partial line kept from the last one and hand
 * its complete lines to rs_csv_lines (csvfast.c); at the end, the rest to
 * libcsv. */
static int refill_csv(struct rstream *s)
{
	if (!s->buf && !(s->buf = calloc(1, s->bufsize + RS_SLACK))) {
		fprintf(s->msg, PROG ": %s: out of memory\n", s->name);
		return -1;
	}
	size_t got = fread(s->buf + s->blen, 1, s->bufsize - s->blen, s->f);
	if (!read_stopped(s) && ferror(s->f)) {
		fprintf(s->msg, PROG ": %s: read error: %s\n", s->name, strerror(errno));
		return -1;
	}
	s->blen += got;
	if (got == 0) {
		size_t n = s->blen;
		s->blen = 0;
		if (n && rs_csv_slow(s, s->buf, n))
			return -1;
		return csv_end(s);
	}
	size_t keep = 0;
	while (keep < s->blen && s->buf[s->blen - 1 - keep] != '\n')
		keep++;
	size_t n = s->blen - keep;
	if (n == 0) { /* a line longer than the buffer: libcsv takes it in pieces */
		n = s->blen;
		keep = 0;
	}
	if (rs_csv_lines(s, s->buf, n))
		return -1;
	memmove(s->buf, s->buf + n, keep);
	s->blen = keep;
	return 0;
}

int rs_refill(struct rstream *s)
{
	return s->is_bin ? refill_bin(s) : refill_csv(s);
}

/* 1 when the consumer's view (cq, cn, ci) holds records, 0 at the end, -1
 * after an error */
static int rs_fill(struct rstream *s)
{
	if (s->pipe)
		return s->ci < s->cn ? 1 : rs_pipe_fill(s);
	while (s->ci == s->cn) {
		if (s->err)
			return -1;
		if (s->eof || g_interrupted) /* a stop signal: no more input; what was read counts */
			return 0;
		s->qn = 0;
		/* on an error, the records decoded before it are still handed out */
		if (rs_refill(s) != 0)
			s->err = 1;
		s->cq = s->q;
		s->cn = s->qn;
		s->ci = 0;
	}
	return 1;
}

static void count_taken(struct rstream *s, const struct nt_rec *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (r[i].tsc < s->last_tsc)
			s->out_of_order++;
		s->last_tsc = r[i].tsc;
	}
	s->nrecs += n;
}

int rs_next(struct rstream *s, struct nt_rec *r)
{
	int k = rs_fill(s);
	if (k <= 0)
		return k;
	*r = s->cq[s->ci++];
	count_taken(s, r, 1);
	return 1;
}

int rs_batch(struct rstream *s, const struct nt_rec **r, size_t *n)
{
	int k = rs_fill(s);
	if (k <= 0)
		return k;
	*r = s->cq + s->ci;
	*n = s->cn - s->ci;
	count_taken(s, *r, *n);
	s->ci = s->cn;
	return 1;
}

void rs_close(struct rstream *s)
{
	rs_pipe_stop(s);
	if (s->lenient && s->bad_rows > (uint64_t)s->max_warn)
		fprintf(s->msg, PROG ": warning: %s: %" PRIu64 " bad rows skipped in all (--lenient)\n", s->name,
			s->bad_rows);
	if (s->csv_init)
		csv_free(&s->p);
	if (s->own && s->f)
		fclose(s->f);
	free(s->q);
	free(s->buf);
	s->q = NULL;
	s->buf = NULL;
	s->f = NULL;
	s->csv_init = 0;
}

/* Files longer than this are not looked at by file_has_no_records: a header
 * (58 bytes of CSV, 32 of binary) with a few blank lines is far shorter. */
#define NO_RECORDS_MAX 4096

int file_has_no_records(const char *path, const char **why)
{
	struct stat st;
	if (stat(path, &st) || !S_ISREG(st.st_mode) || st.st_size > NO_RECORDS_MAX)
		return 0;
	if (st.st_size == 0) {
		*why = "0 bytes";
		return 1;
	}
	FILE *f = fopen(path, "rb"), *quiet = fopen("/dev/null", "w");
	int none = 0;
	if (f && quiet) {
		struct rstream rs;
		struct rs_opts o = { .msg = quiet };
		struct nt_rec r;
		if (rs_open_with(&rs, f, path, path_is_bin(path), 1, &o) == 0) {
			none = rs_next(&rs, &r) == 0 && rs.bad_rows == 0 && !g_interrupted;
			rs_close(&rs);
		}
	}
	if (f)
		fclose(f);
	if (quiet)
		fclose(quiet);
	if (none)
		*why = "header only";
	return none;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int list_data_files(const char *dir, char ***out, size_t *n)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, PROG ": %s: %s\n", dir, strerror(errno));
		return -1;
	}
	char **v = NULL;
	size_t k = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.')
			continue;
		if (!(l > 4 && (strcmp(e->d_name + l - 4, ".csv") == 0 || strcmp(e->d_name + l - 4, ".bin") == 0 ||
				strcmp(e->d_name + l - 4, ".ntr") == 0)))
			continue;
		if (strcmp(e->d_name, "summary.csv") == 0)
			continue;
		char *p;
		if (asprintf(&p, "%s/%s", dir, e->d_name) < 0)
			break;
		struct stat st;
		if (stat(p, &st) || !S_ISREG(st.st_mode)) {
			free(p);
			continue;
		}
		if (k == cap) {
			cap = cap ? cap * 2 : 16;
			char **nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(p);
				break;
			}
			v = nv;
		}
		v[k++] = p;
	}
	closedir(d);
	if (k)
		qsort(v, k, sizeof(*v), cmp_str);
	*out = v;
	*n = k;
	return 0;
}

void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
