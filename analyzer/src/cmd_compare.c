// SPDX-License-Identifier: GPL-2.0
/* nt-analyze compare: each variant against a baseline.  The papers'
 * improvement (baseline - variant) / baseline x 100 on max, min and mean, and
 * percentile-bootstrap intervals on the median and p99 differences. */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analyze.h"

enum { CO_JSON = 256, CO_LATENCY, CO_PERIOD };

static const struct nt_opt compare_opts[] = {
	{ "latency", "FROM:TO", CO_LATENCY, "a latency measure (overrides the meta files)" },
	{ "period", "EVENT", CO_PERIOD, "a period measure (overrides the meta files)" },
	{ "json", NULL, CO_JSON, "JSON on stdout" },
	AN_CMP_OPTS,
	AN_COMMON_OPTS,
	{ NULL, NULL, 0, NULL },
};

struct compare {
	struct aopts o;
	struct run_ctx rc;
	const char *baseline;
	struct measure_def ms[16];
	size_t nms;
	int json, nl, np, nargs;
	char **args;
};

static int compare_opt(struct nt_prog *p, int key, const char *arg)
{
	struct compare *c = p->ctx;
	if (common_opt(key, arg, &c->o) || cmp_opt(key, arg, &c->rc.co, &c->baseline))
		return 0;
	if (key == CO_JSON)
		c->json = 1;
	else
		measure_opt(c->ms, &c->nms, 16, key == CO_LATENCY, &c->nl, &c->np, arg);
	return 0;
}

static int compare_args(struct nt_prog *p, int argc, char **argv)
{
	struct compare *c = p->ctx;
	struct stat st;
	if (argc < 1)
		nt_usage(p, "compare: give a run folder, variant folders or files");
	if (argc == 1 && (stat(argv[0], &st) || !S_ISDIR(st.st_mode) || dir_has_data(argv[0])))
		nt_usage(p, "compare: one argument must be a run folder (with variant folders)");
	c->nargs = argc;
	c->args = argv;
	c->o.quiet = p->quiet;
	return 0;
}

/* A FILE argument: a variant of its own, named after the file. */
static void file_variant(struct compare *c, struct variant *v, const char *a, char *name)
{
	if (!c->nms)
		die_usage("compare: FILE arguments need --latency or --period");
	memset(v, 0, sizeof(*v));
	char *dot = strrchr(name, '.');
	if (dot && dot != name)
		*dot = '\0';
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->nfiles = 1;
	v->files = calloc(1, sizeof(char *));
	if (v->files)
		v->files[0] = strdup(a);
	memcpy(v->ms, c->ms, c->nms * sizeof(*c->ms));
	v->nms = c->nms;
	char why[200];
	if (irqmap_parse(c->o.join_irq, c->o.join_irq_map, &v->im, why, sizeof(why)))
		die_usage("%s", why);
	if (c->o.tsc_hz > 0) {
		v->tsc_hz = c->o.tsc_hz;
		snprintf(v->tsc_src, sizeof(v->tsc_src), "--tsc-hz");
	} else {
		tsc_from_files(v);
	}
}

/* Variant folders and files given one by one; -1 on an error (said). */
static int load_args(struct compare *c)
{
	struct run_ctx *rc = &c->rc;
	rc->dir = "";
	rc->v = calloc((size_t)c->nargs, sizeof(*rc->v));
	if (!rc->v)
		return -1;
	for (int i = 0; i < c->nargs; i++) {
		const char *a = c->args[i];
		char tmp[4096], name[128];
		struct stat st;
		snprintf(tmp, sizeof(tmp), "%s", a);
		snprintf(name, sizeof(name), "%s", basename(tmp));
		if (stat(a, &st)) {
			fprintf(stderr, PROG ": %s: no such file or folder\n", a);
			return -1;
		}
		if (S_ISDIR(st.st_mode) && load_variant_dir(&rc->v[rc->nv], a, name, &c->o, 0, "", c->ms, c->nms))
			return -1;
		if (!S_ISDIR(st.st_mode))
			file_variant(c, &rc->v[rc->nv], a, name);
		rc->nv++;
	}
	for (size_t i = 0; i < rc->nv && rc->tsc_hz <= 0; i++)
		if (rc->v[i].tsc_hz > 0) {
			rc->tsc_hz = rc->v[i].tsc_hz;
			snprintf(rc->tsc_src, sizeof(rc->tsc_src), "%s", rc->v[i].tsc_src);
		}
	return 0;
}

static void set_baseline(struct compare *c)
{
	size_t i;
	for (i = 0; i < c->rc.nv; i++)
		if (strcmp(c->rc.v[i].name, c->baseline) == 0)
			break;
	if (i == c->rc.nv)
		die_usage("--baseline: no variant named '%s'", c->baseline);
	c->rc.co.baseline = (int)i;
}

static void print_markdown(struct run_ctx *rc)
{
	struct variant *b = &rc->v[rc->co.baseline];
	for (size_t m = 0; m < b->nms; m++) {
		printf("## %s %s\n\n", b->ms[m].name, b->ms[m].def);
		if (rc->tsc_hz > 0) {
			printf("In us (TSC @ %.3f MHz, from %s):\n\n", rc->tsc_hz / 1e6, rc->tsc_src);
			md_stats_table(stdout, rc, &b->ms[m], 1);
			printf("\n");
		}
		printf("In TSC cycles:\n\n");
		md_stats_table(stdout, rc, &b->ms[m], 0);
		printf("\n");
		md_comparison(stdout, rc, m);
	}
}

static int compare_body(struct nt_prog *p)
{
	struct compare *c = p->ctx;
	struct run_ctx *rc = &c->rc;
	rc->o = &c->o;
	int bad = c->nargs == 1 ? load_run(c->args[0], &c->o, rc, c->baseline, c->ms, c->nms) : load_args(c);
	if (!bad && c->nargs > 1 && c->baseline)
		set_baseline(c);
	if (!bad && rc->nv < 2) {
		fprintf(stderr, PROG ": compare: need at least two variants (have %zu)\n", rc->nv);
		bad = 1;
	}
	if (!bad && process_all(rc, &c->o))
		bad = 1;
	if (!bad && c->json) {
		json_comparison(stdout, rc);
		fputc('\n', stdout);
	} else if (!bad) {
		print_markdown(rc);
	}
	free_run(rc);
	return bad ? NT_EXIT_FAIL : NT_EXIT_OK;
}

int cmd_compare(int argc, char **argv)
{
	static struct compare c;
	aopts_default(&c.o);
	c.rc.co = (struct cmp_opts){ .resamples = 2000, .conf = 0.95, .seed = 1 };
	struct nt_prog p = {
		.synopsis = "compare [options] DIR\n"
			    "       " PROG " compare [options] VARIANT_DIR VARIANT_DIR...\n"
			    "       " PROG " compare [options] (--latency FROM:TO | --period EVENT) FILE FILE...",
		.about = "Compare variants against a baseline (the first, or --baseline, or the run's\n"
			 "meta.txt baseline=).  DIR is a run folder; a VARIANT_DIR holds data files and a\n"
			 "meta.txt with the measures; a FILE is a variant of its own (named after the file).\n"
			 "Prints Markdown (or --json): improvement % = (baseline - variant) / baseline x 100\n"
			 "on max, min, mean; median and p99 differences with bootstrap intervals.",
		.notes = AN_COMMON_NOTES, .opts = compare_opts, .opt = compare_opt, .args = compare_args, .ctx = &c,
	};
	return an_main(&p, argc, argv, compare_body);
}
