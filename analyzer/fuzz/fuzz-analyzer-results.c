// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: a variant's meta.txt as the workload-results reader sees
 * it (nt_meta_parse, lib/meta.c: keys of the grammar only, the last
 * occurrence wins; results_from_kv: result.N=NAME:UNIT, result.NAME.reps,
 * result.NAME.K=VALUE|failed, grid.row/col) and the
 * statistics of every cell.  Checks: bounded counts, finite values, the
 * interval around the mean. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "nt/stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nt_meta kv;
	if (nt_meta_parse(&kv, (const char *)data, size)) {
		nt_meta_free(&kv);
		return 0;
	}
	for (size_t i = 0; i < kv.n; i++)
		if (!nt_meta_key_ok(kv.k[i], strlen(kv.k[i])) || strchr(kv.v[i], '\n'))
			abort();
	/* nt_meta_find gives the last occurrence */
	for (size_t i = 0; i < kv.n; i++) {
		size_t last = i;
		for (size_t j = i + 1; j < kv.n; j++)
			if (strcmp(kv.k[j], kv.k[i]) == 0)
				last = j;
		if (nt_meta_find(&kv, kv.k[i]) != kv.v[last])
			abort();
	}
	static struct res_variant rv;
	memset(&rv, 0, sizeof(rv));
	char why[200];
	if (results_from_kv(&kv, &rv, why, sizeof(why)) == 0) {
		if (rv.ncell > RES_MAX)
			abort();
		for (size_t c = 0; c < rv.ncell; c++) {
			const struct res_cell *cell = &rv.cell[c];
			if (cell->n + cell->failed > RES_REPS || !cell->def.name[0] || !cell->def.unit[0])
				abort();
			for (size_t k = 0; k < cell->n; k++)
				if (!isfinite(cell->v[k]))
					abort();
			struct nt_mean_ci ci;
			res_stats(cell, 0.95, &ci);
			if (ci.n != cell->n)
				abort();
			if (cell->n && (ci.min > ci.max || !(ci.mean >= ci.min * (1 - 1e-12) - 1e-300 || ci.mean >= ci.min)))
				abort();
			if (cell->n >= 2 && isfinite(ci.half) && (ci.lo > ci.mean || ci.hi < ci.mean))
				abort();
		}
	}
	res_variant_free(&rv);
	nt_meta_free(&kv);
	return 0;
}
