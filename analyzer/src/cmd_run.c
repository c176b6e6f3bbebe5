// SPDX-License-Identifier: GPL-2.0
/* nt-analyze run DIR: every variant of a run folder (docs/run-layout.md),
 * summary.csv, summary.json, report.md and plots/.  Also the loaders that
 * `compare` shares. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyze.h"
#include "nt/meta.h"

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The data files that hold no records (file_has_no_records) move from
 * v->files to v->empty, each said on stderr: a gap the report counts, not an
 * error.  -1 when out of memory. */
static int set_aside_empty(struct variant *v)
{
	size_t keep = 0;
	for (size_t i = 0; i < v->nfiles; i++) {
		const char *why;
		if (!file_has_no_records(v->files[i], &why)) {
			v->files[keep++] = v->files[i];
			continue;
		}
		struct empty_file *e = realloc(v->empty, (v->nempty + 1) * sizeof(*e));
		if (!e) {
			fprintf(stderr, PROG ": out of memory\n");
			for (size_t k = i; k < v->nfiles; k++)
				v->files[keep++] = v->files[k];
			v->nfiles = keep;
			return -1;
		}
		v->empty = e;
		v->empty[v->nempty++] = (struct empty_file){ v->files[i], why };
		fprintf(stderr, PROG ": %s: " NO_RECORDS_SAID " (%s); not read, counted in the report\n", v->files[i],
			why);
	}
	v->nfiles = keep;
	return 0;
}

int load_variant_dir(struct variant *v, const char *dir, const char *name, const struct aopts *o, double run_hz,
		     const char *run_src, const struct measure_def *ms, size_t nms)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	snprintf(v->dir, sizeof(v->dir), "%s", dir);
	if (list_data_files(dir, &v->files, &v->nfiles) || set_aside_empty(v))
		return -1;
	variant_windows_from_files(v);
	char meta[4200], val[256];
	snprintf(meta, sizeof(meta), "%s/meta.txt", dir);
	if (nms) {
		memcpy(v->ms, ms, nms * sizeof(*ms));
		v->nms = nms;
	} else if (access(meta, R_OK) == 0 && variant_measures_from_meta(v, meta)) {
		return -1;
	}
	double d;
	uint64_t u;
	if (nt_meta_get(meta, "join_window_us", val, sizeof(val)) == 0) {
		if (nt_parse_double(val, 0, 1e12, &d))
			warnx("%s: ignoring bad join_window_us '%s'", meta, val);
		else
			v->window_us = d;
	}
	v->eval_dom = -1;
	v->probes_sent = -1;
	if (nt_meta_get(meta, "join", val, sizeof(val)) == 0) {
		if (strcmp(val, "packet") == 0)
			v->join_packet = 1;
		else if (strcmp(val, "stamps") != 0)
			warnx("%s: ignoring join=%s (packet or stamps)", meta, val);
	}
	if (nt_meta_get(meta, "eval_dom", val, sizeof(val)) == 0 && val[0]) {
		if (nt_parse_u64(val, 0, NT_NONE16 - 1, &u))
			warnx("%s: ignoring bad eval_dom '%s'", meta, val);
		else
			v->eval_dom = (int)u;
	}
	if (nt_meta_get(meta, "probes_sent", val, sizeof(val)) == 0 && val[0]) {
		if (nt_parse_u64(val, 0, INT64_MAX, &u))
			warnx("%s: ignoring bad probes_sent '%s'", meta, val);
		else
			v->probes_sent = (int64_t)u;
	}
	if (nt_meta_get(meta, "hist_bin_cycles", val, sizeof(val)) == 0) {
		if (nt_parse_u64(val, 1, UINT64_MAX, &u))
			warnx("%s: ignoring bad hist_bin_cycles '%s'", meta, val);
		else
			v->hist_bin = u;
	}
	/* irq matching of the nearest join: option, else variant meta, else run meta */
	char jm[64] = "", jmap[1024] = "", runmeta[4200], why[200];
	snprintf(runmeta, sizeof(runmeta), "%s/../meta.txt", dir);
	if (o->join_irq || o->join_irq_map) {
		snprintf(jm, sizeof(jm), "%s", o->join_irq ? o->join_irq : "");
		snprintf(jmap, sizeof(jmap), "%s", o->join_irq_map ? o->join_irq_map : "");
	} else {
		if (nt_meta_get(meta, "join_irq", jm, sizeof(jm)) != 0)
			if (nt_meta_get(runmeta, "join_irq", jm, sizeof(jm)) != 0)
				jm[0] = '\0';
		if (nt_meta_get(meta, "join_irq_map", jmap, sizeof(jmap)) != 0)
			if (nt_meta_get(runmeta, "join_irq_map", jmap, sizeof(jmap)) != 0)
				jmap[0] = '\0';
	}
	if (irqmap_parse(jm, jmap, &v->im, why, sizeof(why))) {
		if (o->join_irq || o->join_irq_map)
			die_usage("%s", why);
		fprintf(stderr, PROG ": %s: %s\n", meta, why);
		return -1;
	}
	if (o->tsc_hz > 0) {
		v->tsc_hz = o->tsc_hz;
		snprintf(v->tsc_src, sizeof(v->tsc_src), "--tsc-hz");
	} else if (run_hz > 0) {
		v->tsc_hz = run_hz;
		snprintf(v->tsc_src, sizeof(v->tsc_src), "%s", run_src);
	} else if (tsc_hz_from_meta(meta, &v->tsc_hz, v->tsc_src, sizeof(v->tsc_src)) != 0) {
		v->tsc_hz = 0;
		tsc_from_files(v);
	}
	return 0;
}

/* a folder with data files directly in it is a variant, else a run */
int dir_has_data(const char *dir)
{
	char **f;
	size_t n;
	if (list_data_files(dir, &f, &n))
		return 0;
	free_list(f, n);
	return n > 0;
}

/* The variant folder names of a run: meta `variants` (the scenario's order,
 * folders that exist), else the sub-folders with data files, by name.  The
 * count (names strdup'ed), or -1. */
static int variant_names(const char *dir, const char *meta, char **names, size_t max)
{
	char val[4096];
	size_t nn = 0;
	if (nt_meta_get(meta, "variants", val, sizeof(val)) == 0) {
		for (char *sp, *t = strtok_r(val, " \t,", &sp); t && nn < max; t = strtok_r(NULL, " \t,", &sp)) {
			char p[4400];
			snprintf(p, sizeof(p), "%s/%s", dir, t);
			if (is_dir(p))
				names[nn++] = strdup(t);
			else
				warnx("%s: variant '%s' listed in meta.txt has no folder (not run?)", dir, t);
		}
		return (int)nn;
	}
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, PROG ": %s: %s\n", dir, strerror(errno));
		return -1;
	}
	struct dirent *e;
	while ((e = readdir(d)) && nn < max) {
		char p[4400];
		if (e->d_name[0] == '.' || strcmp(e->d_name, "plots") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (is_dir(p) && dir_has_data(p))
			names[nn++] = strdup(e->d_name);
	}
	closedir(d);
	for (size_t a = 1; a < nn; a++)
		for (size_t b = a; b > 0 && strcmp(names[b - 1], names[b]) > 0; b--) {
			char *t = names[b - 1];
			names[b - 1] = names[b];
			names[b] = t;
		}
	return (int)nn;
}

/* The variant folder DIR/NAME as rc->v[rc->nv]: skipped (said) when it has
 * no measures or no data files; -1 when it could not be loaded. */
static int add_variant(struct run_ctx *rc, const char *dir, const char *name, const struct aopts *o,
		       const struct measure_def *ms, size_t nms)
{
	char p[4400];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	struct variant *v = &rc->v[rc->nv];
	if (load_variant_dir(v, p, name, o, rc->tsc_hz, rc->tsc_src, ms, nms))
		return -1;
	if (!v->nms) {
		warnx("%s: no measures (latency.N=FROM:TO, period.N=EVENT or span.N=EVENT in its meta.txt): skipped", p);
		variant_free(v);
	} else if (!v->nfiles && !v->nempty) {
		warnx("%s: no data files: skipped", p);
		variant_free(v);
	} else {
		rc->nv++;
	}
	return 0;
}

/* Every named variant (add_variant); frees the names.  -1 when one could not
 * be loaded. */
static int load_variants(struct run_ctx *rc, const char *dir, char **names, size_t nn, const struct aopts *o,
			 const struct measure_def *ms, size_t nms)
{
	rc->v = calloc(nn, sizeof(*rc->v));
	int err = !rc->v;
	for (size_t i = 0; i < nn; i++) {
		if (rc->v && add_variant(rc, dir, names[i], o, ms, nms))
			err = 1;
		free(names[i]);
	}
	return err ? -1 : 0;
}

/* The baseline: --baseline (must exist), else meta `baseline` (warned when
 * missing), else the first variant. */
static void pick_baseline(struct run_ctx *rc, const char *dir, const char *meta, const char *baseline)
{
	char bl[4096] = "", val[4096];
	if (baseline)
		snprintf(bl, sizeof(bl), "%s", baseline);
	else if (nt_meta_get(meta, "baseline", val, sizeof(val)) == 0)
		snprintf(bl, sizeof(bl), "%s", val);
	rc->co.baseline = 0;
	if (!*bl)
		return;
	size_t i;
	for (i = 0; i < rc->nv; i++)
		if (strcmp(rc->v[i].name, bl) == 0)
			break;
	if (i < rc->nv) {
		rc->co.baseline = (int)i;
		return;
	}
	if (baseline)
		die_usage("--baseline: no variant '%s' in %s", bl, dir);
	warnx("%s: baseline '%s' not found, using '%s'", meta, bl, rc->v[0].name);
}

int load_run(const char *dir, const struct aopts *o, struct run_ctx *rc, const char *baseline,
	     const struct measure_def *ms, size_t nms)
{
	char meta[4200];
	snprintf(meta, sizeof(meta), "%s/meta.txt", dir);
	rc->dir = dir;
	if (o->tsc_hz > 0) {
		rc->tsc_hz = o->tsc_hz;
		snprintf(rc->tsc_src, sizeof(rc->tsc_src), "--tsc-hz");
	} else if (tsc_hz_from_meta(meta, &rc->tsc_hz, rc->tsc_src, sizeof(rc->tsc_src)) != 0) {
		rc->tsc_hz = 0;
	}
	char *names[256];
	int nn = variant_names(dir, meta, names, 256);
	if (nn < 0)
		return -1;
	if (!nn) {
		fprintf(stderr, PROG ": %s: no variant folders with data (*.csv, *.bin) found\n", dir);
		return -1;
	}
	if (load_variants(rc, dir, names, (size_t)nn, o, ms, nms))
		return -1;
	if (!rc->nv) {
		fprintf(stderr, PROG ": %s: no variant with measures and data\n", dir);
		return -1;
	}
	if (rc->tsc_hz <= 0)
		for (size_t i = 0; i < rc->nv; i++)
			if (rc->v[i].tsc_hz > 0) {
				rc->tsc_hz = rc->v[i].tsc_hz;
				snprintf(rc->tsc_src, sizeof(rc->tsc_src), "%s", rc->v[i].tsc_src);
				break;
			}
	pick_baseline(rc, dir, meta, baseline);
	return 0;
}

int process_all(struct run_ctx *rc, const struct aopts *o)
{
	for (size_t i = 0; i < rc->nv; i++) {
		if (!o->quiet)
			fprintf(stderr, PROG ": %s: %zu file(s), %zu measure(s)\n", rc->v[i].name, rc->v[i].nfiles,
				rc->v[i].nms);
		if (variant_process(&rc->v[i], o))
			return -1;
		if (g_interrupted) {
			/* Ctrl-C: report what was read; later variants are dropped */
			for (size_t k = i + 1; k < rc->nv; k++)
				variant_free(&rc->v[k]);
			rc->nv = i + 1;
			if (rc->co.baseline >= (int)rc->nv)
				rc->co.baseline = 0;
			break;
		}
	}
	return 0;
}

void free_run(struct run_ctx *rc)
{
	for (size_t i = 0; i < rc->nv; i++)
		variant_free(&rc->v[i]);
	free(rc->v);
	rc->v = NULL;
	rc->nv = 0;
}

int cmp_opt(int c, const char *arg, struct cmp_opts *co, const char **baseline)
{
	uint64_t u;
	double d;
	switch (c) {
	case AO_BASELINE:
		*baseline = arg;
		return 1;
	case AO_RESAMPLES:
		if (nt_parse_u64(arg, 2, 1000000, &u))
			die_usage("bad value for --resamples: '%s' (2..1000000)", arg);
		co->resamples = (unsigned)u;
		return 1;
	case AO_SEED:
		if (nt_parse_u64(arg, 0, UINT64_MAX, &u))
			die_usage("bad value for --seed: '%s'", arg);
		co->seed = u;
		return 1;
	case AO_CONF:
		if (nt_parse_double(arg, 1e-9, 0.999999999, &d))
			die_usage("bad value for --confidence: '%s' (e.g. 0.95)", arg);
		co->conf = d;
		return 1;
	}
	return 0;
}

enum { RO_NO_PLOTS = 256, RO_HIST_BIN };

static const struct nt_opt run_opts[] = {
	{ "hist-bin", "W", RO_HIST_BIN, "histogram bin width in cycles (default: meta hist_bin_cycles,\nelse auto)" },
	{ "no-plots", NULL, RO_NO_PLOTS, "do not run gnuplot" },
	AN_CMP_OPTS,
	AN_COMMON_OPTS,
	{ NULL, NULL, 0, NULL },
};

struct runcmd {
	struct aopts o;
	struct run_ctx rc;
	const char *baseline, *dir;
	int plots;
};

static int run_opt(struct nt_prog *p, int key, const char *arg)
{
	struct runcmd *r = p->ctx;
	if (common_opt(key, arg, &r->o) || cmp_opt(key, arg, &r->rc.co, &r->baseline))
		return 0;
	if (key == RO_NO_PLOTS) {
		r->plots = 0;
		return 0;
	}
	return nt_parse_u64(arg, 1, UINT64_MAX, &r->o.hist_bin);
}

static int run_args(struct nt_prog *p, int argc, char **argv)
{
	struct runcmd *r = p->ctx;
	if (argc != 1)
		nt_usage(p, "run: want exactly one DIR");
	r->dir = argv[0];
	r->o.quiet = p->quiet;
	return 0;
}

/* summary.csv, summary.json, plots/, report.md, results.csv; -1 when one failed */
static int write_outputs(struct runcmd *r)
{
	struct run_ctx *rc = &r->rc;
	int bad = 0, plots_ok = 1;
	char p[4400];
	if (rc->res && rc->res->ndef) {
		snprintf(p, sizeof(p), "%s/results.csv", r->dir);
		bad |= results_write_csv(rc->res, p, rc->co.conf) != 0;
	}
	snprintf(p, sizeof(p), "%s/summary.csv", r->dir);
	bad |= write_summary_csv(rc, p) != 0;
	snprintf(p, sizeof(p), "%s/summary.json", r->dir);
	FILE *f = fopen(p, "w");
	if (!f || write_summary_json(rc, f)) {
		fprintf(stderr, PROG ": %s: cannot write\n", p);
		bad = 1;
	}
	if (f && fclose(f)) {
		fprintf(stderr, PROG ": %s: %s\n", p, strerror(errno));
		bad = 1;
	}
	if (r->plots) {
		snprintf(p, sizeof(p), "%s/plots", r->dir);
		plots_ok = make_plots(rc, p) == 0;
		bad |= !plots_ok;
	}
	snprintf(p, sizeof(p), "%s/report.md", r->dir);
	bad |= write_report_md(rc, p, r->plots ? "plots" : NULL, plots_ok) != 0;
	return bad ? -1 : 0;
}

/* A short summary on stdout: the measures of every variant. */
static void print_tables(struct runcmd *r)
{
	struct run_ctx *rc = &r->rc;
	struct measure_def ms[64];
	size_t nm = run_measures(rc, ms, 64);
	for (size_t i = 0; i < nm; i++) {
		printf("%s %s (%s):\n", ms[i].name, ms[i].def,
		       rc->tsc_hz > 0 ? "us, TSC clock" : "TSC cycles, frequency unknown");
		md_stats_table(stdout, rc, &ms[i], rc->tsc_hz > 0);
	}
	printf("wrote %s/summary.csv, summary.json, report.md%s%s\n", r->dir,
	       rc->res && rc->res->ndef ? ", results.csv" : "", r->plots ? ", plots/" : "");
}

/* A run whose variants recorded no stamps but have workload results (e.g.
 * every configuration's probes failed): the report and results.csv only. */
static int results_only(struct run_ctx *rc, const char *dir)
{
	char p[4400];
	warnx("%s: no stamps to analyse; writing the workload results only", dir);
	snprintf(p, sizeof(p), "%s/results.csv", dir);
	int bad = results_write_csv(rc->res, p, rc->co.conf) != 0;
	snprintf(p, sizeof(p), "%s/report.md", dir);
	FILE *f = fopen(p, "w");
	if (!f) {
		fprintf(stderr, PROG ": %s: %s\n", p, strerror(errno));
		return -1;
	}
	fprintf(f, "# Run `%s`\n\n- no variant recorded stamps: only the workload results are reported\n", dir);
	const char *tl = run_time_label(rc);
	if (tl)
		fprintf(f, "- times: %s\n", tl);
	fputc('\n', f);
	results_report_md(f, rc->res, rc->co.conf, tl);
	if (fclose(f))
		bad = 1;
	printf("wrote %s/report.md, results.csv (workload results only)\n", dir);
	return bad ? -1 : 0;
}

static int run_body(struct nt_prog *p)
{
	struct runcmd *r = p->ctx;
	if (!is_dir(r->dir)) {
		fprintf(stderr, PROG ": %s: not a folder\n", r->dir);
		return NT_EXIT_FAIL;
	}
	r->rc.o = &r->o;
	static struct results res;
	if (results_load(r->dir, &res)) {
		results_free(&res);
		return NT_EXIT_FAIL;
	}
	r->rc.res = &res;
	int bad = load_run(r->dir, &r->o, &r->rc, r->baseline, NULL, 0) || process_all(&r->rc, &r->o);
	if (!bad) {
		bad = write_outputs(r) != 0;
		print_tables(r);
	} else if (res.ndef && !r->rc.nv) {
		bad = results_only(&r->rc, r->dir) != 0;
	}
	free_run(&r->rc);
	results_free(&res);
	if (g_interrupted)
		fprintf(stderr, PROG ": interrupted: outputs cover the input read so far\n");
	return bad ? NT_EXIT_FAIL : NT_EXIT_OK;
}

int cmd_run(int argc, char **argv)
{
	static struct runcmd r = { .plots = 1 };
	aopts_default(&r.o);
	r.rc.co = (struct cmp_opts){ .resamples = 2000, .conf = 0.95, .seed = 1 };
	struct nt_prog p = {
		.synopsis = "run [options] DIR",
		.about = "Analyse a run folder (docs/run-layout.md): for every variant folder, read all *.csv /\n"
			 "*.bin records, compute the measures of its meta.txt (latency.N=FROM:TO, period.N=EVENT,\n"
			 "span.N=EVENT), and write DIR/summary.csv, DIR/summary.json, DIR/report.md and DIR/plots/\n"
			 "(PNG, PDF, gnuplot script and data of each figure).  Workload results of the variants'\n"
			 "meta.txt (result.N=NAME:UNIT, result.NAME.K=VALUE per repetition, grid.row/grid.col) are\n"
			 "tabulated per grid cell with the mean and its confidence interval, in report.md,\n"
			 "summary.json and DIR/results.csv.  The TSC frequency comes from DIR/meta.txt,\n"
			 "else the variant's meta.txt, else the data files' .meta (tsc_hz).",
		.notes = AN_COMMON_NOTES, .opts = run_opts, .opt = run_opt, .args = run_args, .ctx = &r,
	};
	return an_main(&p, argc, argv, run_body);
}
