// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the analyzer's binary record reader (header, truncation,
 * record checks), strict and lenient; and the same input read in chunks of
 * one record, of a few, and of 1 MiB must give the same records, counts and
 * messages, every message about a bad record naming its byte offset. */
#include <string.h>

#include "fuzz-common.h"

struct got {
	struct nt_rec r[1200];
	size_t n;
	int end;
	uint64_t bad;
	char *msg;
	size_t msglen;
};

static void read_all(const uint8_t *data, size_t size, int lenient, size_t bufsize, struct got *g)
{
	memset(g, 0, sizeof(*g));
	FILE *m = open_memstream(&g->msg, &g->msglen);
	FILE *f = fmemopen((void *)data, size, "rb");
	if (!m || !f)
		abort();
	struct rs_opts o = { .msg = m, .bufsize = bufsize };
	struct rstream s;
	g->end = -2;
	if (rs_open_with(&s, f, "fuzz", 1, lenient, &o) == 0) {
		struct nt_rec r;
		while ((g->end = rs_next(&s, &r)) > 0)
			if (g->n < sizeof(g->r) / sizeof(g->r[0]))
				g->r[g->n++] = r;
		g->bad = s.bad_rows;
		rs_close(&s);
	}
	fclose(f);
	fclose(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_stream(data, size, 1);
	if (size > 32 + 1000 * 40)
		return 0;
	static struct got a, b;
	static const size_t chunk[] = { 40, 120, 1u << 20 };
	for (int lenient = 0; lenient < 2; lenient++) {
		read_all(data, size, lenient, chunk[0], &a);
		for (int c = 1; c < 3; c++) {
			read_all(data, size, lenient, chunk[c], &b);
			if (a.end != b.end || a.n != b.n || a.bad != b.bad || a.msglen != b.msglen ||
			    memcmp(a.r, b.r, a.n * sizeof(a.r[0])) || (a.msglen && memcmp(a.msg, b.msg, a.msglen)))
				abort();
			free(b.msg);
		}
		/* a bad record or a truncation is reported with its byte offset */
		if ((a.bad || a.end < 0) && a.msglen && !strstr(a.msg, "byte offset") && !strstr(a.msg, "header") &&
		    !strstr(a.msg, "magic") && !strstr(a.msg, "version") && !strstr(a.msg, "record size") &&
		    !strstr(a.msg, "empty file"))
			abort();
		free(a.msg);
	}
	return 0;
}
