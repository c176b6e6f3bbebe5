// SPDX-License-Identifier: GPL-2.0
/* Workload results: numbers a tool reports once per repetition (the seconds
 * dd took, the Mbit/s of an iperf3 stream, interrupts per second of a
 * workload), kept as keys of the variant's meta.txt and tabulated per cell of
 * a grid (row x column: e.g. configuration x load) with the mean and its
 * confidence interval (include/nt/stats.h).  The keys (docs/run-layout.md,
 * "Workload results"):
 *   variant meta.txt:  result.N=NAME:UNIT   result NAME is measured (N orders them)
 *                      result.NAME.what=TEXT  what it is and on which clock
 *                      result.NAME.reps=R     repetitions planned
 *                      result.NAME.K=VALUE    repetition K (1..999): a number, or
 *                                             "failed" (it ran and gave no number)
 *                      grid.row=NAME  grid.col=NAME   the variant's cell
 *   run meta.txt:      grid.rows=A B C  grid.cols=X Y Z  (order), grid.row_title,
 *                      grid.col_title (the run's time label: evidence.c run_time_label)
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "nt/stats.h"

/* ---- the results of one variant ---- */
static int name_ok(const char *s, size_t n)
{
	if (!n || n >= RES_NAME)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_'))
			return 0;
	return 1;
}

/* "NAME:UNIT" -> def; 0 or -1 with why */
int result_def_parse(const char *val, struct result_def *d, char *why, size_t wl)
{
	memset(d, 0, sizeof(*d));
	const char *c = strchr(val, ':');
	if (!c || !name_ok(val, (size_t)(c - val))) {
		snprintf(why, wl, "want NAME:UNIT with NAME of [a-z0-9_] (at most %d characters), got '%.80s'",
			 RES_NAME - 1, val);
		return -1;
	}
	size_t ul = strlen(c + 1);
	if (!ul || ul >= sizeof(d->unit)) {
		snprintf(why, wl, "the unit after ':' must have 1..%zu characters, got '%.80s'", sizeof(d->unit) - 1,
			 val);
		return -1;
	}
	memcpy(d->name, val, (size_t)(c - val));
	memcpy(d->unit, c + 1, ul);
	return 0;
}

/* a repetition's value: a finite decimal number; 1 = number, 0 = "failed", -1 bad */
int result_value_parse(const char *s, double *out)
{
	if (strcmp(s, "failed") == 0)
		return 0;
	if (!*s || isspace((unsigned char)*s))
		return -1;
	for (const char *p = s; *p; p++)
		if (!(isdigit((unsigned char)*p) || *p == '.' || *p == '-' || *p == '+' || *p == 'e' || *p == 'E'))
			return -1;
	char *end;
	errno = 0;
	double x = strtod(s, &end);
	if (*end || errno || !isfinite(x))
		return -1;
	*out = x;
	return 1;
}

/* a decimal count of at most 9 digits */
static int count_parse(const char *s, unsigned long *out)
{
	size_t n = strlen(s);
	if (!n || n > 9 || strspn(s, "0123456789") != n)
		return -1;
	*out = strtoul(s, NULL, 10);
	return 0;
}

static void res_cell_free(struct res_cell *c)
{
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* Read the results of a variant's meta: defs in result.N order, values. */
static int cell_from_kv(const struct nt_meta *kv, struct res_variant *rv, struct res_cell *c, const char *val,
			char *why, size_t wl);

int results_from_kv(const struct nt_meta *kv, struct res_variant *rv, char *why, size_t wl)
{
	char key[128];
	for (int n = 0; n < RES_MAX; n++) {
		snprintf(key, sizeof(key), "result.%d", n);
		const char *val = nt_meta_find(kv, key);
		if (!val)
			continue;
		struct res_cell *c = &rv->cell[rv->ncell];
		char w2[160];
		if (cell_from_kv(kv, rv, c, val, w2, sizeof(w2))) {
			res_cell_free(c);
			if (strncmp(w2, "result.", 7) == 0)
				snprintf(why, wl, "%s", w2);
			else
				snprintf(why, wl, "%s: %s", key, w2);
			return -1;
		}
		rv->ncell++;
	}
	const char *row = nt_meta_find(kv, "grid.row"), *col = nt_meta_find(kv, "grid.col"), *st = nt_meta_find(kv, "status");
	snprintf(rv->row, sizeof(rv->row), "%s", row ? row : "");
	snprintf(rv->col, sizeof(rv->col), "%s", col ? col : "");
	snprintf(rv->status, sizeof(rv->status), "%s", st ? st : "");
	return 0;
}

/* result NAME of "NAME:UNIT" val: its description, planned and measured
 * repetitions */
/* result NAME of "NAME:UNIT" val: its description, planned and measured
 * repetitions (result.NAME.K, the last occurrence of each K) */
static int cell_from_kv(const struct nt_meta *kv, struct res_variant *rv, struct res_cell *c, const char *val,
			char *why, size_t wl)
{
	char key[128];
	memset(c, 0, sizeof(*c));
	if (result_def_parse(val, &c->def, why, wl))
		return -1;
	for (size_t i = 0; i < rv->ncell; i++)
		if (strcmp(rv->cell[i].def.name, c->def.name) == 0) {
			snprintf(why, wl, "result '%s' declared twice", c->def.name);
			return -1;
		}
	snprintf(key, sizeof(key), "result.%s.what", c->def.name);
	const char *w = nt_meta_find(kv, key);
	snprintf(c->def.what, sizeof(c->def.what), "%s", w ? w : "");
	snprintf(key, sizeof(key), "result.%s.reps", c->def.name);
	const char *r = nt_meta_find(kv, key);
	unsigned long reps = 0;
	if (r && (count_parse(r, &reps) || reps > RES_REPS)) {
		snprintf(why, wl, "result.%s.reps: '%.40s' is not a count 0..%d", c->def.name, r, RES_REPS);
		return -1;
	}
	c->planned = (unsigned)reps;
	static const char *rep[RES_REPS + 1];
	memset(rep, 0, sizeof(rep));
	size_t pl = (size_t)snprintf(key, sizeof(key), "result.%s.", c->def.name);
	for (size_t i = 0; i < kv->n; i++) {
		unsigned long k;
		if (strncmp(kv->k[i], key, pl) == 0 && count_parse(kv->k[i] + pl, &k) == 0 && k >= 1 &&
		    k <= RES_REPS)
			rep[k] = kv->v[i];
	}
	for (unsigned k = 1; k <= RES_REPS; k++) {
		if (!rep[k])
			continue;
		double x = 0;
		int pr = result_value_parse(rep[k], &x);
		if (pr < 0) {
			snprintf(why, wl, "result.%s.%u: '%.40s' is not a number or 'failed'", c->def.name, k,
				 rep[k]);
			return -1;
		}
		if (pr == 0) {
			c->failed++;
			continue;
		}
		double *nv = realloc(c->v, (c->n + 1) * sizeof(*nv));
		if (!nv)
			return -1;
		c->v = nv;
		c->v[c->n++] = x;
	}
	return 0;
}

void res_variant_free(struct res_variant *rv)
{
	for (size_t i = 0; i < rv->ncell; i++)
		res_cell_free(&rv->cell[i]);
	rv->ncell = 0;
}

void results_free(struct results *rs)
{
	for (size_t i = 0; i < rs->nv; i++)
		res_variant_free(&rs->v[i]);
	free(rs->v);
	memset(rs, 0, sizeof(*rs));
}

/* words of a space-separated list, up to max, into names */
static size_t split_words(const char *s, char names[][RES_NAME], size_t max)
{
	size_t n = 0;
	while (s && *s && n < max) {
		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		size_t l = strcspn(s, " \t,");
		if (l && l < RES_NAME) {
			memcpy(names[n], s, l);
			names[n][l] = '\0';
			n++;
		}
		s += l;
	}
	return n;
}

static int add_axis(char names[][RES_NAME], size_t *n, const char *x)
{
	if (!*x)
		return -1;
	for (size_t i = 0; i < *n; i++)
		if (strcmp(names[i], x) == 0)
			return (int)i;
	if (*n == RES_AXIS)
		return -1;
	snprintf(names[*n], RES_NAME, "%s", x);
	return (int)(*n)++;
}

/* Load the results of every variant of run folder dir (its meta `variants`,
 * in order).  0 ok (rs->ndef == 0 when the run has none), -1 on a malformed
 * key (message printed). */
int results_load(const char *dir, struct results *rs)
{
	memset(rs, 0, sizeof(*rs));
	char p[4400];
	struct nt_meta run;
	snprintf(p, sizeof(p), "%s/meta.txt", dir);
	if (nt_meta_load(&run, p))
		return 0; /* no run meta: no results to tabulate */
	char vn[256][RES_NAME];
	size_t nvn = split_words(nt_meta_find(&run, "variants"), vn, 256);
	const char *t;
	if ((t = nt_meta_find(&run, "grid.row_title")))
		snprintf(rs->row_title, sizeof(rs->row_title), "%s", t);
	if ((t = nt_meta_find(&run, "grid.col_title")))
		snprintf(rs->col_title, sizeof(rs->col_title), "%s", t);
	rs->nrow = split_words(nt_meta_find(&run, "grid.rows"), rs->rows, RES_AXIS);
	rs->ncol = split_words(nt_meta_find(&run, "grid.cols"), rs->cols, RES_AXIS);
	nt_meta_free(&run);
	rs->v = calloc(nvn ? nvn : 1, sizeof(*rs->v));
	if (!rs->v)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < nvn; i++) {
		struct res_variant *rv = &rs->v[rs->nv];
		snprintf(rv->name, sizeof(rv->name), "%s", vn[i]);
		rv->ri = rv->ci = -1;
		struct nt_meta kv;
		snprintf(p, sizeof(p), "%s/%s/meta.txt", dir, vn[i]);
		if (nt_meta_load(&kv, p)) {
			rv->missing = 1; /* listed but never run: shown as such */
			rs->nv++;
			continue;
		}
		char why[200];
		if (results_from_kv(&kv, rv, why, sizeof(why))) {
			fprintf(stderr, PROG ": %s: %s\n", p, why);
			rc = -1;
		}
		nt_meta_free(&kv);
		for (size_t c = 0; c < rv->ncell; c++) {
			size_t d;
			for (d = 0; d < rs->ndef; d++)
				if (strcmp(rs->def[d].name, rv->cell[c].def.name) == 0)
					break;
			if (d == rs->ndef && rs->ndef < RES_MAX)
				rs->def[rs->ndef++] = rv->cell[c].def;
			else if (d < rs->ndef && strcmp(rs->def[d].unit, rv->cell[c].def.unit) != 0) {
				fprintf(stderr, PROG ": %s: result %s in '%s', elsewhere in '%s'\n", p,
					rv->cell[c].def.name, rv->cell[c].def.unit, rs->def[d].unit);
				rc = -1;
			}
		}
		rs->nv++;
	}
	/* every row and column a variant names, after the declared order */
	for (size_t i = 0; i < rs->nv; i++) {
		struct res_variant *rv = &rs->v[i];
		if (rv->missing || (!rv->ncell && !rv->row[0]))
			continue; /* its cell (if the grid has it) shows "not run" */
		rv->ri = add_axis(rs->rows, &rs->nrow, rv->row[0] ? rv->row : rv->name);
		rv->ci = add_axis(rs->cols, &rs->ncol, rv->col[0] ? rv->col : "all");
	}
	return rc;
}

/* the variant of a cell, or NULL */
const struct res_variant *res_cell_variant(const struct results *rs, size_t r, size_t c)
{
	for (size_t i = 0; i < rs->nv; i++)
		if (rs->v[i].ri == (int)r && rs->v[i].ci == (int)c)
			return &rs->v[i];
	return NULL;
}

const struct res_cell *res_find_cell(const struct res_variant *rv, const char *name)
{
	for (size_t i = 0; rv && i < rv->ncell; i++)
		if (strcmp(rv->cell[i].def.name, name) == 0)
			return &rv->cell[i];
	return NULL;
}

void res_stats(const struct res_cell *c, double conf, struct nt_mean_ci *ci)
{
	nt_mean_ci_double(c->v, c->n, conf, ci);
}

