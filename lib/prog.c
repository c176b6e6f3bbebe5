// SPDX-License-Identifier: GPL-2.0
/* Option parsing, help, messages and CPU sets of the program skeleton
 * (nt/prog.h).  The run side (start, clock, close) is in run.c. */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "nt/parse.h"
#include "nt/prog.h"

enum { K_META = 200, K_CAL, K_VERSION, K_CHECK, K_FIFO };

struct copt {
	unsigned bit; /* 0: every program */
	int shortopt;
	int key;
	struct nt_opt o;
};

static const struct copt common_opts[] = {
	{ NT_C_OUT, 'o', 'o', { "out", "FILE", 'o', NULL } },
	{ NT_C_FORMAT, 'f', 'f', { "format", "csv|bin", 'f', "record format (default: from the name: .bin or .ntr\nbinary, else CSV)" } },
	{ NT_C_META, 0, K_META, { "meta", "FILE", K_META, "metadata file (default: OUT.meta; none when OUT is -)" } },
	{ NT_C_DURATION, 'd', 'd', { "duration", "DUR", 'd', NULL } },
	{ NT_C_CPU, 'c', 'c', { "cpu", "LIST", 'c', NULL } },
	{ NT_C_CAL, 0, K_CAL, { "cal-ms", "MS", K_CAL, "TSC calibration window, 10..10000 ms, two runs\n(default 100)" } },
	{ NT_C_FIFO, 0, K_FIFO, { "fifo", "PRIO", K_FIFO, "SCHED_FIFO priority 1..99 (plus mlockall), where permitted" } },
	{ 0, 'q', 'q', { "quiet", NULL, 'q', "no summary (failures and losses are still said)" } },
	{ 0, 0, K_CHECK, { "check", NULL, K_CHECK, "check the arguments, run nothing (exit 0 or 2)" } },
	{ 0, 0, K_VERSION, { "version", NULL, K_VERSION, "print the git revision and exit" } },
	{ 0, 'h', 'h', { "help", NULL, 'h', "this text" } },
};
#define NCOMMON (sizeof(common_opts) / sizeof(common_opts[0]))

static const char *common_help(const struct nt_prog *p, const struct copt *c)
{
	switch (c->key) {
	case 'o':
		return p->out_help ? p->out_help
				   : "records: .csv, or .bin/.ntr binary; - = stdout;\nmetadata goes to FILE.meta";
	case 'd':
		return p->duration_help ? p->duration_help : "stop after DUR (e.g. 10s, 500ms, 2m)";
	case 'c':
		return p->cpu_help ? p->cpu_help : "run on these CPUs (e.g. 0, 1-3, 0,2)";
	case K_META:
		return p->common & NT_C_OUT ? c->o.help : "write the metadata and results there (key=value)";
	}
	return c->o.help;
}

static int has_common(const struct nt_prog *p, const struct copt *c)
{
	return c->bit == 0 || (p->common & c->bit);
}

static void put_help_line(FILE *f, const char *shortname, const char *name, const char *arg, const char *help)
{
	char left[96];
	snprintf(left, sizeof(left), "  %s%s--%s%s%s", shortname ? shortname : "    ", shortname ? ", " : "", name,
		 arg ? " " : "", arg ? arg : "");
	fprintf(f, "%-28s", left);
	if (strlen(left) >= 28)
		fprintf(f, "\n%-28s", "");
	for (const char *h = help ? help : ""; *h; h++) {
		fputc(*h, f);
		if (*h == '\n')
			fprintf(f, "%-28s", "");
	}
	fputc('\n', f);
}

void nt_prog_help(const struct nt_prog *p, FILE *f)
{
	fprintf(f, "usage: %s %s\n", p->name, p->synopsis ? p->synopsis : "[options]");
	if (p->about)
		fprintf(f, "%s\n", p->about);
	if (p->opts && p->opts[0].name) {
		fprintf(f, "options:\n");
		for (const struct nt_opt *o = p->opts; o->name; o++)
			put_help_line(f, NULL, o->name, o->arg, o->help);
	}
	fprintf(f, "common options:\n");
	for (size_t i = 0; i < NCOMMON; i++) {
		const struct copt *c = &common_opts[i];
		char sh[3] = { '-', (char)c->shortopt, 0 };
		if (has_common(p, c))
			put_help_line(f, c->shortopt ? sh : NULL, c->o.name, c->o.arg, common_help(p, c));
	}
	if (p->notes)
		fprintf(f, "%s\n", p->notes);
	if (p->common & (NT_C_DURATION | NT_C_CPU))
		fprintf(f, "DUR: a number with a unit ns, us, ms, s, m, h (a bare number is seconds).\n"
			   "LIST: CPU numbers and ranges, e.g. 0,2-3.\n");
	fprintf(f, "Exit: 0 done, 1 runtime failure (also: records that could not be written),\n"
		   "2 bad usage, 128+N stopped by signal N (130 SIGINT, 143 SIGTERM).\n");
}

void nt_usage(const struct nt_prog *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	nt_vusage(p, fmt, ap);
}

void nt_vusage(const struct nt_prog *p, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	for (char *c = msg; *c; c++)
		if (*c == '\n')
			*c = ' ';
	fprintf(stderr, "%s: %s (see %s --help)\n", p->name, msg, p->name);
	exit(NT_EXIT_USAGE);
}

static void vsay(FILE *f, const char *name, const char *what, const char *fmt, va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(f, "%s: %s%s\n", name, what, msg);
}

void nt_error(struct nt_prog *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(stderr, p->name, "", fmt, ap);
	va_end(ap);
	p->failed = 1;
}

void nt_warn(const struct nt_prog *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	nt_vwarn(p, fmt, ap);
	va_end(ap);
}

void nt_vwarn(const struct nt_prog *p, const char *fmt, va_list ap)
{
	vsay(stderr, p->name, "warning: ", fmt, ap);
}

/* The getopt table: common options the program takes, then its own. */
static struct option *build_longopts(const struct nt_prog *p, char *shorts, size_t slen)
{
	size_t n = 0, k = 0, s = 0;
	for (const struct nt_opt *o = p->opts; o && o->name; o++)
		n++;
	struct option *lo = calloc(n + NCOMMON + 1, sizeof(*lo));
	if (!lo)
		return NULL;
	shorts[s++] = ':';
	for (size_t i = 0; i < NCOMMON; i++) {
		const struct copt *c = &common_opts[i];
		if (!has_common(p, c))
			continue;
		lo[k++] = (struct option){ c->o.name, c->o.arg ? required_argument : no_argument, 0, c->key };
		if (c->shortopt && s + 3 < slen) {
			shorts[s++] = (char)c->shortopt;
			if (c->o.arg)
				shorts[s++] = ':';
		}
	}
	shorts[s] = '\0';
	for (const struct nt_opt *o = p->opts; o && o->name; o++)
		lo[k++] = (struct option){ o->name, o->arg ? required_argument : no_argument, 0, o->key };
	return lo;
}

static const char *opt_name(const struct nt_prog *p, int key)
{
	for (size_t i = 0; i < NCOMMON; i++)
		if (common_opts[i].key == key)
			return common_opts[i].o.name;
	for (const struct nt_opt *o = p->opts; o && o->name; o++)
		if (o->key == key)
			return o->name;
	return "?";
}

static void bad_value(const struct nt_prog *p, int key, const char *arg, const char *what)
{
	nt_usage(p, "bad value for --%s: '%s'%s%s", opt_name(p, key), arg ? arg : "", what ? ": " : "",
		 what ? what : "");
}

static void skeleton_opt(struct nt_prog *p, int key, const char *arg)
{
	static const char *const fmts[] = { "csv", "bin", NULL };
	uint64_t v;
	int i;
	switch (key) {
	case 'o':
		if (!*arg)
			bad_value(p, key, arg, "an empty file name");
		p->out = arg;
		break;
	case 'f':
		if (nt_parse_word(arg, fmts, &i))
			bad_value(p, key, arg, "csv or bin");
		p->fmt = i ? NT_FMT_BIN : NT_FMT_CSV;
		p->fmt_given = 1;
		break;
	case K_META:
		if (!*arg)
			bad_value(p, key, arg, "an empty file name");
		p->meta_path = arg;
		break;
	case 'd':
		if (nt_parse_dur(arg, 1000000, 7 * 86400 * 1000000000LL, &p->duration_ns))
			bad_value(p, key, arg, "a duration from 1ms to 7 days, e.g. 10s");
		break;
	case 'c':
		if (nt_parse_cpulist(arg, NT_CPUS_MAX, p->cpus, &p->ncpus))
			bad_value(p, key, arg, "a CPU list such as 0, 1-3 or 0,2");
		break;
	case K_CAL:
		if (nt_parse_u64(arg, 10, 10000, &v))
			bad_value(p, key, arg, "10..10000 ms");
		p->cal_ms = (unsigned)v;
		break;
	case K_FIFO:
		if (nt_parse_u64(arg, 1, 99, &v))
			bad_value(p, key, arg, "a SCHED_FIFO priority 1..99");
		p->fifo = (int)v;
		break;
	case 'q':
		p->quiet = 1;
		break;
	}
}

static void getopt_failed(const struct nt_prog *p, int c, char **argv)
{
	const char *a = argv[optind - 1];
	if (c == ':')
		nt_usage(p, "option '%s' needs an argument", a);
	if (optopt && optopt != '?')
		nt_usage(p, "unknown option '-%c'", optopt);
	nt_usage(p, "unknown option '%s'", a);
}

void nt_prog_parse(struct nt_prog *p, int argc, char **argv)
{
	nt_signals_install();
	p->argc = argc;
	p->argv = argv;
	p->meta_fd = -1;
	if (!p->cal_ms)
		p->cal_ms = NT_CAL_MS_DEFAULT;
	char shorts[32];
	struct option *lo = build_longopts(p, shorts, sizeof(shorts));
	if (!lo) {
		fprintf(stderr, "%s: out of memory\n", p->name);
		exit(NT_EXIT_FAIL);
	}
	int c, check = 0;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		if (c == '?' || c == ':')
			getopt_failed(p, c, argv);
		if (c == 'h') {
			nt_prog_help(p, stdout);
			exit(fflush(stdout) ? NT_EXIT_FAIL : NT_EXIT_OK);
		}
		if (c == K_VERSION) {
			printf("%s %s\n", p->name, nt_version());
			exit(fflush(stdout) ? NT_EXIT_FAIL : NT_EXIT_OK);
		}
		if (c == K_CHECK)
			check = 1;
		else if (c < 256)
			skeleton_opt(p, c, optarg);
		else if (!p->opt || p->opt(p, c, optarg) != 0)
			bad_value(p, c, optarg, NULL);
	}
	free(lo);
	if (p->args) {
		if (p->args(p, argc - optind, argv + optind) != 0)
			nt_usage(p, "bad arguments");
	} else if (optind < argc) {
		nt_usage(p, "unexpected argument '%s'", argv[optind]);
	}
	if (p->ncpus && !(p->common & NT_C_CPU))
		p->ncpus = 0;
	if (p->validate)
		p->validate(p);
	if (check) {
		printf("%s: arguments ok\n", p->name);
		exit(NT_EXIT_OK);
	}
}

/* ---- CPUs ------------------------------------------------------------------ */

void nt_prog_cpus_check(const struct nt_prog *p)
{
	cpu_set_t allowed;
	if (!p->ncpus || sched_getaffinity(0, sizeof(allowed), &allowed) != 0)
		return;
	uint8_t ok[NT_CPUS_MAX / 8] = { 0 };
	for (unsigned c = 0; c < NT_CPUS_MAX && c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &allowed))
			ok[c / 8] |= (uint8_t)(1u << (c % 8));
	for (unsigned c = 0; c < NT_CPUS_MAX; c++) {
		if (!(p->cpus[c / 8] & (1u << (c % 8))) || (ok[c / 8] & (1u << (c % 8))))
			continue;
		char have[256];
		nt_cpulist_format(ok, NT_CPUS_MAX, have, sizeof(have));
		nt_usage(p, "--cpu: CPU %u is not available here (this process may use CPUs %s)", c, have);
	}
}

int nt_prog_cpu_at(const struct nt_prog *p, unsigned n)
{
	for (unsigned c = 0; c < NT_CPUS_MAX; c++)
		if ((p->cpus[c / 8] & (1u << (c % 8))) && n-- == 0)
			return (int)c;
	return -1;
}

int nt_pin_cpu(int cpu)
{
	cpu_set_t set;
	if (cpu < 0 || cpu >= CPU_SETSIZE) {
		errno = EINVAL;
		return -1;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

int nt_prog_realtime(struct nt_prog *p)
{
	if (p->ncpus && nt_prog_pin(p) != 0) {
		nt_error(p, "--cpu: %s", strerror(errno));
		return -1;
	}
	if (!p->fifo)
		return 0;
	struct sched_param sp = { .sched_priority = p->fifo };
	p->mlock_ok = mlockall(MCL_CURRENT | MCL_FUTURE) == 0;
	if (!p->mlock_ok)
		nt_warn(p, "mlockall: %s", strerror(errno));
	p->fifo_ok = sched_setscheduler(0, SCHED_FIFO, &sp) == 0;
	if (!p->fifo_ok)
		nt_warn(p, "SCHED_FIFO %d: %s (running SCHED_OTHER)", p->fifo, strerror(errno));
	return 0;
}

int nt_prog_pin(const struct nt_prog *p)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	for (unsigned c = 0; c < NT_CPUS_MAX && c < CPU_SETSIZE; c++)
		if (p->cpus[c / 8] & (1u << (c % 8)))
			CPU_SET(c, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}
