// SPDX-License-Identifier: GPL-2.0
/* nt-analyze on the program skeleton (nt/prog.h): its messages and the run
 * of one command. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "analyze.h"

/* the program as messages name it */
static const struct nt_prog an_prog = { .name = PROG };

void die_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	nt_vusage(&an_prog, fmt, ap);
}

void warnx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	nt_vwarn(&an_prog, fmt, ap);
	va_end(ap);
}

double cyc_to_us(double c, double hz)
{
	return hz > 0 ? c / hz * 1e6 : NAN;
}

int an_main(struct nt_prog *p, int argc, char **argv, int (*body)(struct nt_prog *p))
{
	p->name = PROG;
	nt_prog_parse(p, argc, argv);
	nt_prog_start(p);
	int rc = body(p);
	/* the analysis is the output: the outcome line only when it went wrong */
	p->quiet = 1;
	return nt_prog_close(p, rc);
}

