// SPDX-License-Identifier: GPL-2.0
/* nt-analyze compare: each variant against a baseline.  The papers'
 * improvement (baseline - variant) / baseline x 100 on max, min and mean, and
 * percentile-bootstrap intervals on the median and p99 differences. */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analyze.h"

static void help(void)
{
	printf("usage: " PROG " compare [options] DIR\n"
	       "       " PROG " compare [options] VARIANT_DIR VARIANT_DIR...\n"
	       "       " PROG " compare [options] (--latency FROM:TO | --period EVENT) FILE FILE...\n"
	       "\n"
	       "Compare variants against a baseline (the first, or --baseline, or the run's\n"
	       "meta.txt baseline=).  DIR is a run folder; a VARIANT_DIR holds data files and a\n"
	       "meta.txt with the measures; a FILE is a variant of its own (named after the file).\n"
	       "Prints Markdown (or --json): improvement %% = (baseline - variant) / baseline x 100\n"
	       "on max, min, mean; median and p99 differences with bootstrap intervals.\n"
	       "\n"
	       "  --latency FROM:TO, --period EVENT   measures (override the meta files)\n"
	       "  --json                 JSON on stdout\n" CMP_HELP COMMON_HELP
	       "  -h, --help             this text\n" JOIN_HELP);
}

int cmd_compare(int argc, char **argv)
{
	static const struct option lo[] = { { "help", no_argument, 0, 'h' },
					    { "json", no_argument, 0, 'j' },
					    { "latency", required_argument, 0, 'l' },
					    { "period", required_argument, 0, 'p' },
					    CMP_LONGOPTS,
					    COMMON_LONGOPTS,
					    { 0, 0, 0, 0 } };
	struct aopts o;
	aopts_default(&o);
	struct run_ctx rc;
	memset(&rc, 0, sizeof(rc));
	rc.co = (struct cmp_opts){ .resamples = 2000, .conf = 0.95, .seed = 1 };
	const char *baseline = NULL;
	struct measure_def ms[16];
	size_t nms = 0;
	int json = 0, c, nl = 0, np = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "hq", lo, NULL)) != -1) {
		if (common_opt(c, optarg, &o) || cmp_opt(c, optarg, &rc.co, &baseline))
			continue;
		char key[32], why[160];
		switch (c) {
		case 'h':
			help();
			return 0;
		case 'j':
			json = 1;
			break;
		case 'l':
		case 'p':
			if (nms == 16)
				die_usage("too many measures");
			snprintf(key, sizeof(key), "%s.%d", c == 'l' ? "latency" : "period", c == 'l' ? nl++ : np++);
			if (measure_parse(key, optarg, &ms[nms], why, sizeof(why)))
				die_usage("--%s: %s", c == 'l' ? "latency" : "period", why);
			nms++;
			break;
		default:
			die_usage("compare: bad option");
		}
	}
	int nargs = argc - optind;
	if (nargs < 1)
		die_usage("compare: give a run folder, variant folders or files");
	rc.o = &o;
	struct stat st;
	if (nargs == 1) {
		if (stat(argv[optind], &st) || !S_ISDIR(st.st_mode) || dir_has_data(argv[optind]))
			die_usage("compare: one argument must be a run folder (with variant folders)");
		if (load_run(argv[optind], &o, &rc, baseline, ms, nms)) {
			free_run(&rc);
			return 1;
		}
	} else {
		rc.dir = "";
		rc.v = calloc((size_t)nargs, sizeof(*rc.v));
		if (!rc.v)
			return 1;
		for (int i = 0; i < nargs; i++) {
			const char *a = argv[optind + i];
			char tmp[4096], name[128];
			snprintf(tmp, sizeof(tmp), "%s", a);
			snprintf(name, sizeof(name), "%s", basename(tmp));
			struct variant *v = &rc.v[rc.nv];
			if (stat(a, &st)) {
				fprintf(stderr, PROG ": %s: no such file or folder\n", a);
				free_run(&rc);
				return 1;
			}
			if (S_ISDIR(st.st_mode)) {
				if (load_variant_dir(v, a, name, &o, 0, "", ms, nms)) {
					free_run(&rc);
					return 1;
				}
			} else {
				if (!nms)
					die_usage("compare: FILE arguments need --latency or --period");
				memset(v, 0, sizeof(*v));
				char *dot = strrchr(name, '.');
				if (dot && dot != name)
					*dot = '\0';
				snprintf(v->name, sizeof(v->name), "%s", name);
				v->nfiles = 1;
				v->files = calloc(1, sizeof(char *));
				v->files[0] = strdup(a);
				memcpy(v->ms, ms, nms * sizeof(*ms));
				v->nms = nms;
				char why[200];
				if (irqmap_parse(o.join_irq, o.join_irq_map, &v->im, why, sizeof(why)))
					die_usage("%s", why);
				if (o.tsc_hz > 0) {
					v->tsc_hz = o.tsc_hz;
					snprintf(v->tsc_src, sizeof(v->tsc_src), "--tsc-hz");
				} else {
					tsc_from_files(v);
				}
			}
			rc.nv++;
		}
		for (size_t i = 0; i < rc.nv && rc.tsc_hz <= 0; i++)
			if (rc.v[i].tsc_hz > 0) {
				rc.tsc_hz = rc.v[i].tsc_hz;
				snprintf(rc.tsc_src, sizeof(rc.tsc_src), "%s", rc.v[i].tsc_src);
			}
		if (baseline) {
			size_t i;
			for (i = 0; i < rc.nv; i++)
				if (strcmp(rc.v[i].name, baseline) == 0)
					break;
			if (i == rc.nv)
				die_usage("--baseline: no variant named '%s'", baseline);
			rc.co.baseline = (int)i;
		}
	}
	if (rc.nv < 2) {
		fprintf(stderr, PROG ": compare: need at least two variants (have %zu)\n", rc.nv);
		free_run(&rc);
		return 1;
	}
	if (process_all(&rc, &o)) {
		free_run(&rc);
		return 1;
	}
	struct variant *b = &rc.v[rc.co.baseline];
	if (json) {
		json_comparison(stdout, &rc);
		fputc('\n', stdout);
	} else {
		for (size_t m = 0; m < b->nms; m++) {
			printf("## %s %s\n\n", b->ms[m].name, b->ms[m].def);
			if (rc.tsc_hz > 0) {
				printf("In us (TSC @ %.3f MHz, from %s):\n\n", rc.tsc_hz / 1e6, rc.tsc_src);
				md_stats_table(stdout, &rc, &b->ms[m], 1);
				printf("\n");
			}
			printf("In TSC cycles:\n\n");
			md_stats_table(stdout, &rc, &b->ms[m], 0);
			printf("\n");
			md_comparison(stdout, &rc, m);
		}
	}
	free_run(&rc);
	if (g_interrupted)
		return 130;
	return 0;
}
