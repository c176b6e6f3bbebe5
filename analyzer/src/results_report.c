// SPDX-License-Identifier: GPL-2.0
/* Workload results in the outputs: the grid tables of report.md (mean, its
 * confidence interval, n; the ordering of the rows in each column),
 * results.csv and the "results" object of summary.json.  The keys they come
 * from: results.c. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analyze.h"
#include "nt/stats.h"

static void md_cell(FILE *f, const struct res_variant *rv, const struct res_cell *c, double conf)
{
	if (!rv || rv->missing) {
		fputs("not run", f);
		return;
	}
	if (!c || !c->n) {
		fprintf(f, "no value");
		if (c && c->failed)
			fprintf(f, " (%u of %u repetitions failed)", c->failed, c->planned);
		if (rv->status[0] && strcmp(rv->status, "ok") != 0)
			fprintf(f, " (variant %s)", rv->status);
		return;
	}
	struct nt_mean_ci ci;
	res_stats(c, conf, &ci);
	fprintf(f, "%.4g", ci.mean);
	if (c->n >= 2)
		fprintf(f, " [%.4g, %.4g]", ci.lo, ci.hi);
	fprintf(f, " (n=%zu", c->n);
	if (c->planned && c->n != c->planned)
		fprintf(f, " of %u", c->planned);
	if (c->failed)
		fprintf(f, ", %u failed", c->failed);
	fputc(')', f);
}

/* The configurations of one column by mean, and each relative to the first
 * row's (the reference, e.g. native). */
static void md_ordering(FILE *f, const struct results *rs, const struct result_def *d, size_t col, double conf)
{
	struct {
		size_t r;
		double m;
	} o[RES_AXIS];
	size_t n = 0;
	double ref = NAN;
	for (size_t r = 0; r < rs->nrow; r++) {
		const struct res_cell *c = res_find_cell(res_cell_variant(rs, r, col), d->name);
		if (!c || !c->n)
			continue;
		struct nt_mean_ci ci;
		res_stats(c, conf, &ci);
		if (r == 0)
			ref = ci.mean;
		size_t k = n++;
		while (k > 0 && o[k - 1].m > ci.mean) {
			o[k] = o[k - 1];
			k--;
		}
		o[k].r = r;
		o[k].m = ci.mean;
	}
	if (n < 2)
		return;
	fprintf(f, "- %s `%s`, by mean:", rs->col_title[0] ? rs->col_title : "column", rs->cols[col]);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s %s %.4g", i ? " <" : "", rs->rows[o[i].r], o[i].m);
		if (isfinite(ref) && ref != 0 && o[i].r != 0)
			fprintf(f, " (x%.2f of %s)", o[i].m / ref, rs->rows[0]);
	}
	fputc('\n', f);
}

/* The title row of a grid table: "row \\ column" and the columns. */
static void md_grid_head(FILE *f, const struct results *rs)
{
	char corner[2 * sizeof(rs->row_title) + 4];
	const char *title[1 + RES_AXIS];
	char align[1 + RES_AXIS];
	snprintf(corner, sizeof(corner), "%s \\ %s", rs->row_title[0] ? rs->row_title : "row",
		 rs->col_title[0] ? rs->col_title : "column");
	title[0] = corner;
	for (size_t c = 0; c < rs->ncol; c++)
		title[1 + c] = rs->cols[c];
	memset(align, 'l', sizeof(align));
	md_head(f, title, 1 + rs->ncol, align);
}

int results_report_md(FILE *f, const struct results *rs, double conf, const char *tl)
{
	if (!rs->ndef)
		return 0;
	fprintf(f, "## Workload results%s%s\n\n", tl ? ": " : "", tl ? tl : "");
	fprintf(f, "Per cell the mean of the repetitions, its %.0f %% confidence interval in brackets and the "
		   "number of repetitions (n; `of N` when fewer than planned gave a number). Interval: %s.\n\n",
		conf * 100, NT_CI_DEFINITION);
	for (size_t d = 0; d < rs->ndef; d++) {
		const struct result_def *rd = &rs->def[d];
		fprintf(f, "### %s (%s)%s%s\n\n", rd->name, rd->unit, tl ? ", " : "", tl ? tl : "");
		if (rd->what[0])
			fprintf(f, "%s\n\n", rd->what);
		md_grid_head(f, rs);
		for (size_t r = 0; r < rs->nrow; r++) {
			fprintf(f, "| %s |", rs->rows[r]);
			for (size_t c = 0; c < rs->ncol; c++) {
				const struct res_variant *rv = res_cell_variant(rs, r, c);
				fputc(' ', f);
				md_cell(f, rv, res_find_cell(rv, rd->name), conf);
				fputs(" |", f);
			}
			fputc('\n', f);
		}
		fputc('\n', f);
		for (size_t c = 0; c < rs->ncol; c++)
			md_ordering(f, rs, rd, c, conf);
		fputc('\n', f);
	}
	return 0;
}

/* A row of results.csv (comma-separated values; head: the keys, the CSV
 * header) or a summary.json object (its members, "key": value): each field
 * written by one call. */
struct row {
	FILE *f;
	enum out_fmt fmt;
	int head;
	int n; /* fields written */
};

/* the field's separator and key; 0 when its value is not to be written (head) */
static int field(struct row *r, const char *key)
{
	if (r->fmt == OUT_JSON)
		fprintf(r->f, "%s\"%s\": ", r->n ? ", " : "", key);
	else if (r->n)
		fputc(',', r->f);
	r->n++;
	if (r->head)
		fputs(key, r->f);
	return !r->head;
}

static void field_str(struct row *r, const char *key, const char *s)
{
	if (!field(r, key))
		return;
	if (r->fmt == OUT_JSON)
		json_str(r->f, s);
	else
		fputs(s, r->f);
}

static void field_uint(struct row *r, const char *key, uint64_t x)
{
	if (field(r, key))
		fprintf(r->f, "%" PRIu64, x);
}

/* a number in full precision; not finite: null, an empty CSV cell */
static void field_num(struct row *r, const char *key, double x)
{
	if (!field(r, key))
		return;
	if (r->fmt == OUT_JSON)
		json_num(r->f, x);
	else if (isfinite(x))
		fprintf(r->f, "%.17g", x);
}

/* the values: a JSON array, or one CSV cell with the values apart by spaces */
static void field_values(struct row *r, const char *key, const double *v, size_t n)
{
	if (!field(r, key))
		return;
	int json = r->fmt == OUT_JSON;
	fputs(json ? "[" : "", r->f);
	for (size_t j = 0; j < n; j++) {
		fputs(j ? (json ? ", " : " ") : "", r->f);
		if (json)
			json_num(r->f, v[j]);
		else
			fprintf(r->f, "%.17g", v[j]);
	}
	fputs(json ? "]" : "", r->f);
}

/* One cell of results.csv or of the "cells" of summary.json: the variant, its
 * grid position, the result, its statistics (res_stats) and values.  The CSV
 * repeats the confidence on every row and has min and max; the JSON has the
 * result's description (the confidence is the object's, once).  No cell
 * (c == NULL): the CSV header. */
static void cell_row(FILE *f, enum out_fmt fmt, const struct res_variant *rv, const struct res_cell *c, double conf)
{
	static const struct res_variant no_rv;
	static const struct res_cell no_cell;
	struct row r = { f, fmt, !c, 0 };
	if (!c) {
		rv = &no_rv;
		c = &no_cell;
	}
	struct nt_mean_ci ci;
	res_stats(c, conf, &ci);
	int json = fmt == OUT_JSON;
	fputs(json ? "{" : "", f);
	field_str(&r, "variant", rv->name);
	field_str(&r, "row", rv->row);
	field_str(&r, "col", rv->col);
	field_str(&r, "result", c->def.name);
	field_str(&r, "unit", c->def.unit);
	if (json)
		field_str(&r, "what", c->def.what);
	field_uint(&r, "n", c->n);
	field_uint(&r, "planned", c->planned);
	field_uint(&r, "failed", c->failed);
	field_num(&r, "mean", ci.mean);
	field_num(&r, "stddev", ci.stddev);
	field_num(&r, "ci_lo", ci.lo);
	field_num(&r, "ci_hi", ci.hi);
	if (!json) {
		if (field(&r, "confidence"))
			fprintf(f, "%g", conf);
		field_num(&r, "min", ci.min);
		field_num(&r, "max", ci.max);
	}
	field_values(&r, "values", c->v, c->n);
	fputs(json ? "}" : "\n", f);
}

/* Every cell of every variant, in one order for results.csv and summary.json. */
static void cell_rows(FILE *f, enum out_fmt fmt, const struct results *rs, double conf)
{
	size_t k = 0;
	for (size_t i = 0; i < rs->nv; i++)
		for (size_t j = 0; j < rs->v[i].ncell; j++) {
			fputs(fmt == OUT_JSON && k++ ? ", " : "", f);
			cell_row(f, fmt, &rs->v[i], &rs->v[i].cell[j], conf);
		}
}

int results_write_csv(const struct results *rs, const char *path, double conf)
{
	FILE *f = out_open(path);
	if (!f)
		return -1;
	cell_row(f, OUT_CSV, NULL, NULL, conf);
	cell_rows(f, OUT_CSV, rs, conf);
	return out_close(f, path);
}

void results_json(FILE *f, const struct results *rs, double conf, const char *label)
{
	fprintf(f, "{\"ci_definition\": ");
	json_str(f, NT_CI_DEFINITION);
	fprintf(f, ", \"confidence\": ");
	json_num(f, conf);
	fprintf(f, ", \"time_label\": ");
	json_str(f, label ? label : "");
	fprintf(f, ", \"cells\": [");
	cell_rows(f, OUT_JSON, rs, conf);
	fprintf(f, "]}");
}
