// SPDX-License-Identifier: GPL-2.0
/*
 * nt-hostinfo: print the run metadata about this host and its TSC (kernel,
 * CPU, TSC properties, frequency and how it was found) as key=value lines
 * (nt/meta.h), for the runner's meta.txt.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nt/meta.h"
#include "nt/tsc.h"

#define PROG "nt-hostinfo"

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " [--cal-ms N] [--tol-ppm X] [--out FILE]\n"
		   "Print host and TSC metadata as key=value lines (to FILE or stdout).\n"
		   "  --cal-ms N    calibration window against CLOCK_MONOTONIC_RAW, ms (default 200)\n"
		   "  --tol-ppm X   cross-check tolerance in ppm (default 50)\n"
		   "  --out FILE    append to FILE instead of stdout\n"
		   "Environment: NT_TSC_HZ overrides the calibration.\n"
		   "Exit: 0 trusted, 1 calibration failed, 2 bad usage.  A disagreeing\n"
		   "cross-check is reported as tsc_warning= and on stderr.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cal-ms", required_argument, 0, 'c' },
		{ "tol-ppm", required_argument, 0, 't' },
		{ "out", required_argument, 0, 'o' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	unsigned long ms = 200;
	double tol = 50;
	const char *out = NULL;
	int c;
	char *end;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			errno = 0;
			ms = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || ms < 10 || ms > 10000) {
				fprintf(stderr, PROG ": bad --cal-ms '%s' (10..10000)\n", optarg);
				return 2;
			}
			break;
		case 't':
			errno = 0;
			tol = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(tol > 0)) {
				fprintf(stderr, PROG ": bad --tol-ppm '%s'\n", optarg);
				return 2;
			}
			break;
		case 'o': out = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	FILE *f = stdout;
	if (out && !(f = fopen(out, "a"))) {
		fprintf(stderr, PROG ": cannot open %s: %s\n", out, strerror(errno));
		return 1;
	}
	struct nt_tsc_props p;
	struct nt_tsc_freq fq;
	nt_tsc_props_read(&p);
	int r = nt_tsc_freq_find(&fq, (unsigned)ms, tol);
	nt_host_describe(f, &p, r < 0 && !(fq.hz > 0) ? NULL : &fq);
	if (!nt_tsc_props_ok(&p))
		fprintf(stderr, PROG ": warning: the TSC is not flagged invariant/constant here; "
				"stamps across CPUs or idle may not compare\n");
	if (fq.warning[0])
		fprintf(stderr, PROG ": warning: %s\n", fq.warning);
	if (f != stdout && fclose(f)) {
		fprintf(stderr, PROG ": write %s: %s\n", out, strerror(errno));
		return 1;
	}
	if (r < 0 && !(fq.hz > 0)) {
		fprintf(stderr, PROG ": TSC calibration failed\n");
		return 1;
	}
	return 0;
}
