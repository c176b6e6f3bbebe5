// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: the reader's record-stream decoder and seq join, and the
 * statistics parser, on arbitrary bytes. */
#include <stdlib.h>
#include <string.h>

#include "ntgp_decode.h"

static int count(void *ctx, const struct nt_rec *r)
{
	(*(unsigned long long *)ctx)++;
	if (!ntgp_rec_valid(r))
		abort(); /* only validated records may come out */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ntgp_join j;
	static struct ntgp_stats st;
	unsigned long long n = 0;
	char why[128];
	size_t half = size / 2;
	char *t;

	ntgp_join_init(&j);
	ntgp_decode(&j, data, half, count, &n);
	ntgp_decode(&j, data + half, size - half, count, &n);
	ntgp_join_flush(&j, count, &n);
	if (n != j.n_in - j.n_bad)
		abort();
	t = malloc(size ? size : 1);
	memcpy(t, data, size);
	ntgp_stats_parse(t, size, &st, why, sizeof(why));
	free(t);
	return 0;
}
