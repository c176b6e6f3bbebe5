// SPDX-License-Identifier: GPL-2.0
/* Workload results in the outputs: the grid tables of report.md (mean, its
 * confidence interval, n; the ordering of the rows in each column),
 * results.csv and the "results" object of summary.json.  The keys they come
 * from: results.c. */
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

int results_report_md(FILE *f, const struct results *rs, double conf)
{
	if (!rs->ndef)
		return 0;
	const char *tl = rs->time_label[0] ? rs->time_label : NULL;
	fprintf(f, "## Workload results%s%s\n\n", tl ? ": " : "", tl ? tl : "");
	fprintf(f, "Per cell the mean of the repetitions, its %.0f %% confidence interval in brackets and the "
		   "number of repetitions (n; `of N` when fewer than planned gave a number). Interval: %s.\n\n",
		conf * 100, NT_CI_DEFINITION);
	for (size_t d = 0; d < rs->ndef; d++) {
		const struct result_def *rd = &rs->def[d];
		fprintf(f, "### %s (%s)%s%s\n\n", rd->name, rd->unit, tl ? ", " : "", tl ? tl : "");
		if (rd->what[0])
			fprintf(f, "%s\n\n", rd->what);
		fprintf(f, "| %s \\ %s |", rs->row_title[0] ? rs->row_title : "row",
			rs->col_title[0] ? rs->col_title : "column");
		for (size_t c = 0; c < rs->ncol; c++)
			fprintf(f, " %s |", rs->cols[c]);
		fprintf(f, "\n|---|");
		for (size_t c = 0; c < rs->ncol; c++)
			fprintf(f, "---|");
		fputc('\n', f);
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

int results_write_csv(const struct results *rs, const char *path, double conf)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		return -1;
	}
	fprintf(f, "variant,row,col,result,unit,n,planned,failed,mean,stddev,ci_lo,ci_hi,confidence,min,max,values\n");
	for (size_t i = 0; i < rs->nv; i++) {
		const struct res_variant *rv = &rs->v[i];
		for (size_t k = 0; k < rv->ncell; k++) {
			const struct res_cell *c = &rv->cell[k];
			struct nt_mean_ci ci;
			res_stats(c, conf, &ci);
			fprintf(f, "%s,%s,%s,%s,%s,%zu,%u,%u", rv->name, rv->row, rv->col, c->def.name, c->def.unit,
				c->n, c->planned, c->failed);
			double x[] = { ci.mean, ci.stddev, ci.lo, ci.hi };
			for (size_t j = 0; j < 4; j++) {
				if (isfinite(x[j]))
					fprintf(f, ",%.17g", x[j]);
				else
					fputc(',', f);
			}
			fprintf(f, ",%g", conf);
			if (c->n)
				fprintf(f, ",%.17g,%.17g,", ci.min, ci.max);
			else
				fprintf(f, ",,,");
			for (size_t j = 0; j < c->n; j++)
				fprintf(f, "%s%.17g", j ? " " : "", c->v[j]);
			fputc('\n', f);
		}
	}
	if (fclose(f)) {
		perror(path);
		return -1;
	}
	return 0;
}

void results_json(FILE *f, const struct results *rs, double conf)
{
	fprintf(f, "{\"ci_definition\": ");
	json_str(f, NT_CI_DEFINITION);
	fprintf(f, ", \"confidence\": ");
	json_num(f, conf);
	fprintf(f, ", \"time_label\": ");
	json_str(f, rs->time_label);
	fprintf(f, ", \"cells\": [");
	int first = 1;
	for (size_t i = 0; i < rs->nv; i++) {
		const struct res_variant *rv = &rs->v[i];
		for (size_t k = 0; k < rv->ncell; k++) {
			const struct res_cell *c = &rv->cell[k];
			struct nt_mean_ci ci;
			res_stats(c, conf, &ci);
			fprintf(f, "%s{\"variant\": ", first ? "" : ", ");
			first = 0;
			json_str(f, rv->name);
			fprintf(f, ", \"row\": ");
			json_str(f, rv->row);
			fprintf(f, ", \"col\": ");
			json_str(f, rv->col);
			fprintf(f, ", \"result\": ");
			json_str(f, c->def.name);
			fprintf(f, ", \"unit\": ");
			json_str(f, c->def.unit);
			fprintf(f, ", \"what\": ");
			json_str(f, c->def.what);
			fprintf(f, ", \"n\": %zu, \"planned\": %u, \"failed\": %u, \"mean\": ", c->n, c->planned,
				c->failed);
			json_num(f, ci.mean);
			fprintf(f, ", \"stddev\": ");
			json_num(f, ci.stddev);
			fprintf(f, ", \"ci_lo\": ");
			json_num(f, ci.lo);
			fprintf(f, ", \"ci_hi\": ");
			json_num(f, ci.hi);
			fprintf(f, ", \"values\": [");
			for (size_t j = 0; j < c->n; j++) {
				if (j)
					fputs(", ", f);
				json_num(f, c->v[j]);
			}
			fprintf(f, "]}");
		}
	}
	fprintf(f, "]}");
}
