// SPDX-License-Identifier: GPL-2.0
/*
 * nt-hostinfo: print the run metadata about this host and its TSC (kernel,
 * CPU, TSC properties, frequency and how it was found) as key=value lines
 * (nt/meta.h), for the runner's meta.txt.  The clock is found by the one
 * clock policy of the program skeleton (nt_prog_clock).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nt/meta.h"
#include "nt/prog.h"

/* Append the host and clock keys to --out (or stdout); -1 on a failure. */
static int describe(struct nt_prog *p)
{
	FILE *f = p->out && strcmp(p->out, "-") ? fopen(p->out, "a") : stdout;
	if (!f) {
		nt_error(p, "cannot open %s: %s", p->out, strerror(errno));
		return -1;
	}
	nt_host_describe(f, &p->props, &p->freq);
	int rc = fflush(f);
	if (f != stdout)
		rc |= fclose(f);
	if (rc) {
		nt_error(p, "writing %s: %s", f == stdout ? "stdout" : p->out, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct nt_prog p = {
		.name = "nt-hostinfo", .synopsis = "[--cal-ms MS] [--out FILE]",
		.about = "Print host and TSC metadata as key=value lines (to FILE or stdout).  A\n"
			 "disagreeing cross-check is reported as tsc_warning= and on stderr.",
		.notes = "Environment: NT_TSC_HZ (a frequency) replaces the calibration.",
		.common = NT_C_OUT | NT_C_CAL, .out_help = "append to FILE instead of writing to stdout",
	};
	nt_prog_parse(&p, argc, argv);
	p.quiet = 1; /* the output is the metadata: no summary */
	int rc = NT_EXIT_OK;
	if (nt_prog_start(&p) == 0 && nt_prog_clock(&p) == 0)
		rc = describe(&p) == 0 ? NT_EXIT_OK : NT_EXIT_FAIL;
	return nt_prog_close(&p, rc);
}
