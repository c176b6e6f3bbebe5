// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target, differential: the CSV reader with its fast path and the
 * same reader with every line through libcsv must give the same records, the
 * same counts, the same end (ok / error) and the same messages byte for
 * byte, strict and lenient, whatever the read size (the first input byte
 * picks the two buffer sizes, so that lines cross chunk boundaries). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"

struct outcome {
	struct nt_rec *r;
	size_t n, cap;
	int end, opened;
	uint64_t nrecs, bad_rows, blank_lines, line;
	char *msg;
	size_t msglen;
};

static void run(const uint8_t *data, size_t size, int lenient, int no_fast, size_t bufsize, struct outcome *o)
{
	memset(o, 0, sizeof(*o));
	FILE *m = open_memstream(&o->msg, &o->msglen);
	FILE *f = fmemopen((void *)data, size, "rb");
	if (!m || !f)
		abort();
	struct rs_opts opt = { .msg = m, .no_fast = no_fast, .bufsize = bufsize };
	struct rstream s;
	o->opened = rs_open_with(&s, f, "fuzz", 0, lenient, &opt) == 0;
	if (o->opened) {
		struct nt_rec r;
		while ((o->end = rs_next(&s, &r)) > 0) {
			if (o->n == o->cap) {
				o->cap = o->cap ? 2 * o->cap : 64;
				o->r = realloc(o->r, o->cap * sizeof(*o->r));
				if (!o->r)
					abort();
			}
			o->r[o->n++] = r;
		}
		o->nrecs = s.nrecs;
		o->bad_rows = s.bad_rows;
		o->blank_lines = s.blank_lines;
		o->line = s.line;
		rs_close(&s);
	}
	fclose(f);
	fclose(m);
}

static void same(const struct outcome *a, const struct outcome *b)
{
	if (a->opened != b->opened || a->end != b->end || a->n != b->n || a->nrecs != b->nrecs ||
	    a->bad_rows != b->bad_rows || a->blank_lines != b->blank_lines || a->msglen != b->msglen)
		abort();
	if (a->n && memcmp(a->r, b->r, a->n * sizeof(*a->r)) != 0)
		abort();
	if (a->msglen && memcmp(a->msg, b->msg, a->msglen) != 0)
		abort();
	/* the line count only matters where the input was read to its end */
	if (a->end == 0 && a->line != b->line)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sizes[] = { 1, 7, 40, 64, 257, 4096, RS_BUFSIZE };
	if (size < 1)
		return 0;
	size_t fast_buf = sizes[data[0] % 7], slow_buf = sizes[(data[0] / 7) % 7];
	for (int lenient = 0; lenient < 2; lenient++) {
		struct outcome fast, slow;
		run(data + 1, size - 1, lenient, 0, fast_buf, &fast);
		run(data + 1, size - 1, lenient, 1, slow_buf, &slow);
		same(&fast, &slow);
		free(fast.r);
		free(slow.r);
		free(fast.msg);
		free(slow.msg);
	}
	return 0;
}
