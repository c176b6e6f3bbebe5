// SPDX-License-Identifier: GPL-2.0
/* nt-analyze: turns recorded stamps into the papers' tables and figures.
 *   nt-analyze run DIR          a run folder (docs/run-layout.md)
 *   nt-analyze stats FILE...    statistics of one measure over some files
 *   nt-analyze compare ...      variants against a baseline
 *   nt-analyze convert IN OUT   CSV <-> binary record files */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze.h"

volatile int g_interrupted;

void die_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, PROG ": ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see " PROG " --help)\n");
	va_end(ap);
	exit(2);
}

void warnx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, PROG ": warning: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int parse_u64(const char *s, uint64_t *out)
{
	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int parse_double(const char *s, double *out)
{
	if (!s || !*s)
		return -1;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

double cyc_to_us(double c, double hz)
{
	return hz > 0 ? c / hz * 1e6 : NAN;
}

static void on_signal(int sig)
{
	(void)sig;
	g_interrupted = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " run [options] DIR\n"
		"       " PROG " stats [options] (--latency FROM:TO | --period EVENT)... FILE...\n"
		"       " PROG " compare [options] DIR | VARIANT_DIR... | FILE...\n"
		"       " PROG " convert [options] IN OUT\n"
		"\n"
		"Statistics of interrupt latencies recorded in the project's record format\n"
		"(docs/record-format.md; CSV or binary).  Every figure is in TSC cycles and,\n"
		"when the TSC frequency is known (meta files or --tsc-hz), in microseconds.\n"
		"\n"
		"  run DIR      analyse a run folder (docs/run-layout.md): each variant's measures,\n"
		"               DIR/summary.csv, DIR/summary.json, DIR/report.md, DIR/plots/\n"
		"  stats        statistics of measures over the given files (one population)\n"
		"  compare      improvement of each variant over a baseline, with bootstrap CIs\n"
		"  convert      a record file from CSV to binary or back, every field kept\n"
		"\n"
		"Run `" PROG " COMMAND --help` for the options of a command.\n");
}

int main(int argc, char **argv)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	g_threads = ncpu > 1 ? (int)(ncpu < 1024 ? ncpu : 1024) : 1;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (argc < 2)
		die_usage("missing command (run, stats, compare, convert)");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "stats") == 0)
		return cmd_stats(argc - 1, argv + 1);
	if (strcmp(argv[1], "compare") == 0)
		return cmd_compare(argc - 1, argv + 1);
	if (strcmp(argv[1], "convert") == 0)
		return cmd_convert(argc - 1, argv + 1);
	die_usage("unknown command '%s'", argv[1]);
}
