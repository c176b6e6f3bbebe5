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

int load_variant_dir(struct variant *v, const char *dir, const char *name, const struct aopts *o, double run_hz,
		     const char *run_src, const struct measure_def *ms, size_t nms)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	snprintf(v->dir, sizeof(v->dir), "%s", dir);
	if (list_data_files(dir, &v->files, &v->nfiles))
		return -1;
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
		if (parse_double(val, &d) || d < 0)
			warnx("%s: ignoring bad join_window_us '%s'", meta, val);
		else
			v->window_us = d;
	}
	if (nt_meta_get(meta, "hist_bin_cycles", val, sizeof(val)) == 0) {
		if (parse_u64(val, &u) || !u)
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

int load_run(const char *dir, const struct aopts *o, struct run_ctx *rc, const char *baseline,
	     const struct measure_def *ms, size_t nms)
{
	char meta[4200], val[4096];
	snprintf(meta, sizeof(meta), "%s/meta.txt", dir);
	rc->dir = dir;
	if (o->tsc_hz > 0) {
		rc->tsc_hz = o->tsc_hz;
		snprintf(rc->tsc_src, sizeof(rc->tsc_src), "--tsc-hz");
	} else if (tsc_hz_from_meta(meta, &rc->tsc_hz, rc->tsc_src, sizeof(rc->tsc_src)) != 0) {
		rc->tsc_hz = 0;
	}
	/* variant names: meta `variants` (the scenario's order), else sub-folders by name */
	char *names[256];
	size_t nn = 0;
	if (nt_meta_get(meta, "variants", val, sizeof(val)) == 0) {
		for (char *sp, *t = strtok_r(val, " \t,", &sp); t && nn < 256; t = strtok_r(NULL, " \t,", &sp)) {
			char p[4400];
			snprintf(p, sizeof(p), "%s/%s", dir, t);
			if (is_dir(p))
				names[nn++] = strdup(t);
			else
				warnx("%s: variant '%s' listed in meta.txt has no folder (not run?)", dir, t);
		}
	} else {
		DIR *d = opendir(dir);
		if (!d) {
			fprintf(stderr, PROG ": %s: %s\n", dir, strerror(errno));
			return -1;
		}
		struct dirent *e;
		while ((e = readdir(d)) && nn < 256) {
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
	}
	if (!nn) {
		fprintf(stderr, PROG ": %s: no variant folders with data (*.csv, *.bin) found\n", dir);
		return -1;
	}
	rc->v = calloc(nn, sizeof(*rc->v));
	if (!rc->v)
		return -1;
	int err = 0;
	for (size_t i = 0; i < nn; i++) {
		char p[4400];
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		struct variant *v = &rc->v[rc->nv];
		if (load_variant_dir(v, p, names[i], o, rc->tsc_hz, rc->tsc_src, ms, nms)) {
			err = 1;
		} else if (!v->nms) {
			warnx("%s: no measures (latency.N=FROM:TO, period.N=EVENT or span.N=EVENT in its meta.txt): skipped", p);
			variant_free(v);
		} else if (!v->nfiles) {
			warnx("%s: no data files: skipped", p);
			variant_free(v);
		} else {
			rc->nv++;
		}
		free(names[i]);
	}
	if (err)
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
	char bl[4096] = "";
	if (baseline)
		snprintf(bl, sizeof(bl), "%s", baseline);
	else if (nt_meta_get(meta, "baseline", val, sizeof(val)) == 0)
		snprintf(bl, sizeof(bl), "%s", val);
	rc->co.baseline = 0;
	if (*bl) {
		size_t i;
		for (i = 0; i < rc->nv; i++)
			if (strcmp(rc->v[i].name, bl) == 0)
				break;
		if (i == rc->nv) {
			if (baseline)
				die_usage("--baseline: no variant '%s' in %s", bl, dir);
			warnx("%s: baseline '%s' not found, using '%s'", meta, bl, rc->v[0].name);
		} else {
			rc->co.baseline = (int)i;
		}
	}
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
	case 2001:
		*baseline = arg;
		return 1;
	case 2002:
		if (parse_u64(arg, &u) || u < 2 || u > 1000000)
			die_usage("--resamples: bad count '%s' (2..1000000)", arg);
		co->resamples = (unsigned)u;
		return 1;
	case 2003:
		if (parse_u64(arg, &u))
			die_usage("--seed: bad value '%s'", arg);
		co->seed = u;
		return 1;
	case 2004:
		if (parse_double(arg, &d) || !(d > 0 && d < 1))
			die_usage("--confidence: bad value '%s' (e.g. 0.95)", arg);
		co->conf = d;
		return 1;
	}
	return 0;
}

/* A run whose variants recorded no stamps but have workload results (e.g.
 * every configuration's probes failed): the report and results.csv only. */
static int results_only(struct run_ctx *rc, const char *dir)
{
	char p[4400];
	warnx("%s: no stamps to analyse; writing the workload results only", dir);
	snprintf(p, sizeof(p), "%s/results.csv", dir);
	int rcode = results_write_csv(rc->res, p, rc->co.conf) ? 1 : 0;
	snprintf(p, sizeof(p), "%s/report.md", dir);
	FILE *f = fopen(p, "w");
	if (!f) {
		perror(p);
		return 1;
	}
	fprintf(f, "# Run `%s`\n\n- no variant recorded stamps: only the workload results are reported\n", dir);
	if (rc->time_label && *rc->time_label)
		fprintf(f, "- times: %s\n", rc->time_label);
	fputc('\n', f);
	results_report_md(f, rc->res, rc->co.conf);
	if (fclose(f))
		rcode = 1;
	printf("wrote %s/report.md, results.csv (workload results only)\n", dir);
	return rcode;
}

static void run_help(void)
{
	printf("usage: " PROG " run [options] DIR\n"
	       "\n"
	       "Analyse a run folder (docs/run-layout.md): for every variant folder, read all *.csv /\n"
	       "*.bin records, compute the measures of its meta.txt (latency.N=FROM:TO, period.N=EVENT, span.N=EVENT),\n"
	       "and write DIR/summary.csv, DIR/summary.json, DIR/report.md and DIR/plots/ (PNG, PDF,\n"
	       "gnuplot script and data of each figure).  Workload results of the variants' meta.txt\n"
	       "(result.N=NAME:UNIT, result.NAME.K=VALUE per repetition, grid.row/grid.col) are\n"
	       "tabulated per grid cell with the mean and its confidence interval, in report.md,\n"
	       "summary.json and DIR/results.csv.  The TSC frequency comes from DIR/meta.txt,\n"
	       "else the variant's meta.txt, else the data files' .meta (tsc_hz).\n"
	       "\n" CMP_HELP "  --hist-bin W           histogram bin width in cycles (default: meta hist_bin_cycles, "
	       "else auto)\n"
	       "  --no-plots             do not run gnuplot\n" COMMON_HELP "  -h, --help             this text\n" JOIN_HELP
	       "Exit status: 0 ok, 1 bad input or runtime failure (e.g. gnuplot), 2 usage error, 130 interrupted.\n");
}

int cmd_run(int argc, char **argv)
{
	static const struct option lo[] = { { "help", no_argument, 0, 'h' },
					    { "no-plots", no_argument, 0, 'P' },
					    { "hist-bin", required_argument, 0, 'b' },
					    CMP_LONGOPTS,
					    COMMON_LONGOPTS,
					    { 0, 0, 0, 0 } };
	struct aopts o;
	aopts_default(&o);
	struct run_ctx rc;
	memset(&rc, 0, sizeof(rc));
	rc.co = (struct cmp_opts){ .resamples = 2000, .conf = 0.95, .seed = 1 };
	const char *baseline = NULL;
	int plots = 1, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "hq", lo, NULL)) != -1) {
		if (common_opt(c, optarg, &o) || cmp_opt(c, optarg, &rc.co, &baseline))
			continue;
		switch (c) {
		case 'h':
			run_help();
			return 0;
		case 'P':
			plots = 0;
			break;
		case 'b':
			if (parse_u64(optarg, &o.hist_bin) || !o.hist_bin)
				die_usage("--hist-bin: bad width '%s'", optarg);
			break;
		default:
			die_usage("run: bad option");
		}
	}
	if (optind != argc - 1)
		die_usage("run: want exactly one DIR");
	const char *dir = argv[optind];
	if (!is_dir(dir)) {
		fprintf(stderr, PROG ": %s: not a folder\n", dir);
		return 1;
	}
	rc.o = &o;
	static struct results res;
	if (results_load(dir, &res)) {
		results_free(&res);
		return 1;
	}
	rc.res = &res;
	rc.time_label = res.time_label;
	if (load_run(dir, &o, &rc, baseline, NULL, 0) || process_all(&rc, &o)) {
		int rr = res.ndef && !rc.nv ? results_only(&rc, dir) : 1;
		free_run(&rc);
		results_free(&res);
		return rr;
	}
	int rcode = 0;
	char p[4400];
	if (res.ndef) {
		snprintf(p, sizeof(p), "%s/results.csv", dir);
		if (results_write_csv(&res, p, rc.co.conf))
			rcode = 1;
	}
	snprintf(p, sizeof(p), "%s/summary.csv", dir);
	if (write_summary_csv(&rc, p))
		rcode = 1;
	snprintf(p, sizeof(p), "%s/summary.json", dir);
	FILE *f = fopen(p, "w");
	if (!f || write_summary_json(&rc, f)) {
		fprintf(stderr, PROG ": %s: cannot write\n", p);
		rcode = 1;
	}
	if (f && fclose(f))
		rcode = 1;
	int plots_ok = 1;
	if (plots) {
		snprintf(p, sizeof(p), "%s/plots", dir);
		if (make_plots(&rc, p)) {
			plots_ok = 0;
			rcode = 1;
		}
	}
	snprintf(p, sizeof(p), "%s/report.md", dir);
	if (write_report_md(&rc, p, plots ? "plots" : NULL, plots_ok))
		rcode = 1;
	/* a short summary on stdout: the primary measure of every variant */
	struct measure_def ms[64];
	size_t nm = run_measures(&rc, ms, 64);
	for (size_t i = 0; i < nm; i++) {
		printf("%s %s (%s):\n", ms[i].name, ms[i].def,
		       rc.tsc_hz > 0 ? "us, TSC clock" : "TSC cycles, frequency unknown");
		md_stats_table(stdout, &rc, &ms[i], rc.tsc_hz > 0);
	}
	printf("wrote %s/summary.csv, summary.json, report.md%s%s\n", dir, res.ndef ? ", results.csv" : "",
	       plots ? ", plots/" : "");
	free_run(&rc);
	results_free(&res);
	if (g_interrupted) {
		fprintf(stderr, PROG ": interrupted: outputs cover the input read so far\n");
		return 130;
	}
	return rcode;
}
