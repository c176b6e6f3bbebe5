/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The program skeleton every harness program is built on (docs/conventions.md
 * is the user's side of it).  A program describes itself in a struct nt_prog
 * (name, synopsis, its own options, which common options it takes, hooks for
 * its metadata and summary) and keeps only its measurement loop:
 *
 *	nt_prog_parse(&p, argc, argv);    signals first; exits on -h, --version,
 *	                                  --check and bad usage (2)
 *	...program set-up (sockets, devices; a bad target is nt_usage())...
 *	if (nt_prog_start(&p) == 0 &&     opens --out and its .meta
 *	    nt_prog_clock(&p) == 0)       the one calibration policy (interruptible)
 *		rc = loop(&p);            checks nt_stopping()
 *	return nt_prog_close(&p, rc);     flush, lost records, .meta, summary,
 *	                                  exit code
 *
 * Exit codes: 0 done, 1 runtime failure (including records that could not be
 * written), 2 bad usage, 128+N stopped by signal N (130 SIGINT, 143 SIGTERM,
 * 129 SIGHUP) when nothing failed.
 */
#ifndef NT_PROG_H
#define NT_PROG_H

#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "nt/parse.h"
#include "nt/recio.h"
#include "nt/sig.h"
#include "nt/version.h"
#include "nt/tsc.h"

#define NT_EXIT_OK 0
#define NT_EXIT_FAIL 1
#define NT_EXIT_USAGE 2

/* Common options a program takes (bits of nt_prog.common).  -h/--help,
 * --version, --check and -q/--quiet are always there. */
enum {
	NT_C_OUT = 1 << 0,      /* -o, --out FILE   records (or the program's output) */
	NT_C_FORMAT = 1 << 1,   /* -f, --format csv|bin */
	NT_C_META = 1 << 2,     /* --meta FILE      metadata (default OUT.meta) */
	NT_C_DURATION = 1 << 3, /* -d, --duration DUR */
	NT_C_CPU = 1 << 4,      /* -c, --cpu LIST */
	NT_C_CAL = 1 << 5,      /* --cal-ms MS      TSC calibration window */
	NT_C_FIFO = 1 << 6,     /* --fifo PRIO      SCHED_FIFO + mlockall (nt_prog_realtime) */
	NT_C_RECORDS = NT_C_OUT | NT_C_FORMAT | NT_C_META | NT_C_CAL, /* a record source */
};

/* One program-specific option. */
struct nt_opt {
	const char *name; /* long name without "--" */
	const char *arg;  /* argument name in the help ("DUR"), NULL for a flag */
	int key;          /* passed to nt_prog.opt; use values >= 256 */
	const char *help; /* help text; '\n' continues it on the next line */
};

#define NT_CPUS_MAX 1024 /* CPU numbers a local CPU list may hold */
#define NT_CAL_MS_DEFAULT 100
#define NT_CAL_TOL_PPM 100.0

struct nt_prog;
/* Handle option `key` with argument `arg` (NULL for flags): 0 when fine, -1
 * for a bad value (the skeleton says "bad value for --NAME: 'ARG'" and exits
 * 2), or call nt_usage() with a better message. */
typedef int (*nt_opt_fn)(struct nt_prog *p, int key, const char *arg);

struct nt_prog {
	/* ---- filled in by the program */
	const char *name;     /* "nt-send" */
	const char *synopsis; /* after "usage: NAME ", e.g. "--dst ADDR:PORT [options]" */
	const char *about;    /* what it does, a few lines */
	const char *notes;    /* more help after the options (may be NULL) */
	unsigned common;      /* NT_C_* */
	const struct nt_opt *opts; /* terminated by { NULL } */
	nt_opt_fn opt;
	/* positional arguments (argv after the options); NULL: none allowed */
	int (*args)(struct nt_prog *p, int argc, char **argv);
	/* cross-option checks after parsing (call nt_usage on failure); NULL: none */
	void (*validate)(struct nt_prog *p);
	/* the program's own .meta keys and summary lines; NULL: none */
	void (*meta)(struct nt_prog *p, FILE *m);
	void (*summary)(struct nt_prog *p); /* lines via nt_say() */
	const char *source;   /* record source name for .meta ("sender"), or NULL;
	                       * with NT_C_OUT, --out is then a records file */
	/* help of the common options when the default text does not fit */
	const char *out_help, *duration_help, *cpu_help;
	void *ctx;            /* the program's options and state */

	/* ---- common options (defaults may be set before nt_prog_parse) */
	const char *out;      /* NULL when not given; "-" is stdout */
	const char *meta_path;
	enum nt_fmt fmt;
	int fmt_given;
	int64_t duration_ns;  /* 0: not given */
	uint8_t cpus[NT_CPUS_MAX / 8];
	unsigned ncpus;       /* 0: --cpu not given */
	unsigned cal_ms;
	int fifo;             /* --fifo PRIO, 0: not given */
	int quiet;
	int argc;
	char **argv;

	/* ---- run state, kept by the skeleton */
	int started;
	struct timespec t_start, t_end;  /* CLOCK_REALTIME */
	int64_t mono_start, mono_end;    /* CLOCK_MONOTONIC ns */
	struct nt_tsc_props props;
	struct nt_tsc_freq freq;
	int have_clock;                  /* freq.hz is usable */
	int fifo_ok, mlock_ok;           /* nt_prog_realtime got them */
	struct nt_writer *w;             /* when NT_C_OUT and a record source */
	int meta_fd;
	uint64_t lost_source;            /* records lost before the writer */
	char lost_why[128];
	char stop_reason[160];
	int failed;
	int exit_code;
};

/* ---- parsing and messages ----------------------------------------------- */

/* Install the signal handlers, then parse argv.  Exits 0 after -h/--help,
 * --version or a successful --check, 2 on bad usage. */
void nt_prog_parse(struct nt_prog *p, int argc, char **argv);
/* "NAME: message (see NAME --help)" on stderr, exit 2. */
void nt_usage(const struct nt_prog *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
void nt_vusage(const struct nt_prog *p, const char *fmt, va_list ap) __attribute__((noreturn));
/* "NAME: message" on stderr (a runtime error; sets p->failed). */
void nt_error(struct nt_prog *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "NAME: warning: message" on stderr. */
void nt_warn(const struct nt_prog *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void nt_vwarn(const struct nt_prog *p, const char *fmt, va_list ap);
/* The help text on f. */
void nt_prog_help(const struct nt_prog *p, FILE *f);

/* --cpu LIST: the CPUs must be allowed for this process (sched_getaffinity);
 * nt_usage otherwise.  Programs whose CPU list names another machine's CPUs
 * (nt-hvcollect) do not call it. */
void nt_prog_cpus_check(const struct nt_prog *p);
/* Pin the calling thread to the --cpu set; 0 or -1 (errno). */
int nt_prog_pin(const struct nt_prog *p);
/* Pin the calling thread to one CPU; 0 or -1 (errno). */
int nt_pin_cpu(int cpu);
/* The real-time set-up of the calling thread: pin it to --cpu (a failure is
 * an error: -1), then with --fifo PRIO mlockall and SCHED_FIFO where
 * permitted (a refusal is a warning; fifo_ok and mlock_ok say what held and
 * the metadata keys fifo and mlockall record it). */
int nt_prog_realtime(struct nt_prog *p);
/* The n-th CPU (0-based) of the --cpu set, or -1. */
int nt_prog_cpu_at(const struct nt_prog *p, unsigned n);

/* ---- run ------------------------------------------------------------------- */

/* Note the start time and open --out (records writer, when the program is a
 * record source) and its metadata file, so that an unwritable path fails
 * before the measurement.  0, or -1 after an error message. */
int nt_prog_start(struct nt_prog *p);
/* The clock policy: TSC properties, then nt_tsc_freq_find over --cal-ms
 * (default 100 ms, two runs, NT_CAL_TOL_PPM); a cross-check that disagrees or
 * an unstable calibration is a warning (and tsc_warning= in the .meta), a
 * failed one an error.  -1 when the clock is unusable or a stop signal came
 * during calibration. */
int nt_prog_clock(struct nt_prog *p);
/* Records lost before they reached the writer (a full buffer, a ring that
 * overflowed): counted in records_lost and said in the summary. */
void nt_prog_lost(struct nt_prog *p, uint64_t n, const char *why);
/* Why the loop ended ("count reached"); a signal or a failure overrides it. */
void nt_prog_stop_reason(struct nt_prog *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * The close step: flush and close the writer (records that could not be
 * written are counted as lost), write the .meta (envelope + p->meta), print
 * the summary (p->summary + the outcome line) and return the exit code.
 * `rc` is NT_EXIT_OK or NT_EXIT_FAIL from the loop.
 */
int nt_prog_close(struct nt_prog *p, int rc);
/* The stream the summary goes to: stderr when the records go to stdout. */
FILE *nt_prog_sumfile(const struct nt_prog *p);
/* "NAME: " + text + "\n" on the summary stream, unless --quiet. */
void nt_say(const struct nt_prog *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The metadata envelope alone (program, version, command, start/end, host,
 * clock, records, exit status); nt_prog_close writes it. */
void nt_prog_envelope(const struct nt_prog *p, FILE *m);

#endif
