// SPDX-License-Identifier: GPL-2.0
/*
 * nt-stallmon: detect host stalls beside a measurement.
 *
 * One thread per watched CPU, pinned there.  Two ways to notice that the CPU
 * (or the whole virtual machine) was not running:
 *   tick (default, cheap): sleep to an absolute CLOCK_MONOTONIC deadline every
 *        --period-us; a wake-up later than --threshold-us after its deadline
 *        is a stall (start = the deadline, length = the lateness).
 *   spin: read the TSC in a tight loop; a gap between two reads longer than
 *        --threshold-us is a stall (start = the read before the gap, length =
 *        the gap).  Costs a whole CPU: only for a CPU that is otherwise idle.
 * Stalls are written as `monitor,stall` records (tsc = start, aux = length in
 * TSC cycles, cpu = the watched CPU) to --out, with FILE.meta beside it.  The
 * analyzer marks measurement stamps inside those windows.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "nt/meta.h"
#include "nt/recio.h"
#include "nt/tsc.h"
#include "nt/stats.h"

#define PROG "nt-stallmon"
#define MAX_CPUS 256
#define MAX_STALLS (1u << 16) /* per thread; more are counted as lost */
#define LHIST_US 10000        /* lateness histogram: 1 us bins up to 10 ms */

enum mode { MODE_TICK, MODE_SPIN };

struct mon {
	int cpu;
	pthread_t th;
	int started;
	int pin_err;
	struct nt_rec *stalls;
	unsigned nstalls;
	uint64_t lost;
	uint64_t ticks;       /* tick mode: wake-ups; spin mode: loop passes */
	uint64_t stall_cyc;   /* total stalled cycles */
	uint64_t max_cyc;     /* longest stall */
	uint32_t *lhist;      /* tick mode: wake lateness, 1 us bins */
	uint64_t lover;       /* lateness >= LHIST_US */
};

static struct {
	enum mode mode;
	double thr_us, period_us;
	double hz;
	uint64_t thr_cyc;
} cfg = { MODE_TICK, 200.0, 1000.0, 0, 0 };

static atomic_int stop_flag;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " --out FILE [options]\n"
		"Watch CPUs for stalls (times the CPU did not run) and write them as\n"
		"monitor/stall records (tsc = start, aux = length in TSC cycles).\n"
		"  --out FILE          records (.csv, or .bin for binary); FILE.meta beside it\n"
		"  --mode tick|spin    tick: sleep --period-us and flag late wake-ups (default,\n"
		"                      cheap); spin: busy-read the TSC and flag gaps (uses a CPU)\n"
		"  --threshold-us N    report gaps/lateness above N us (default 200)\n"
		"  --period-us N       tick period in us (default 1000)\n"
		"  --cpu LIST          CPUs to watch, e.g. 0,1 or 0-3 (default: all online)\n"
		"  --duration SEC      stop after SEC seconds (default: until SIGINT/SIGTERM)\n"
		"  --quiet             no summary on stdout\n"
		"  -h, --help          this text\n"
		"Environment: NT_TSC_HZ overrides the TSC frequency calibration.\n"
		"Exit: 0 done, 130 stopped by a signal, 1 runtime error, 2 bad usage.\n");
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

/* "0,2-3" -> list of CPUs; -1 on a malformed list. */
static int parse_cpus(const char *s, int *cpus, int max)
{
	int n = 0;
	const char *p = s;
	if (!*p)
		return -1;
	while (*p) {
		char *end;
		errno = 0;
		long a = strtol(p, &end, 10), b;
		if (errno || end == p || a < 0 || a >= MAX_CPUS)
			return -1;
		b = a;
		p = end;
		if (*p == '-') {
			p++;
			b = strtol(p, &end, 10);
			if (errno || end == p || b < a || b >= MAX_CPUS)
				return -1;
			p = end;
		}
		for (long c = a; c <= b; c++) {
			for (int i = 0; i < n; i++)
				if (cpus[i] == c)
					return -1;
			if (n >= max)
				return -1;
			cpus[n++] = (int)c;
		}
		if (*p == ',')
			p++;
		else if (*p)
			return -1;
	}
	return n;
}

static void add_stall(struct mon *m, uint64_t start, uint64_t len)
{
	m->stall_cyc += len;
	if (len > m->max_cyc)
		m->max_cyc = len;
	if (m->nstalls >= MAX_STALLS) {
		m->lost++;
		return;
	}
	struct nt_rec r = nt_rec_blank(NT_SRC_MONITOR, NT_EV_STALL);
	r.tsc = start;
	r.aux = len;
	r.cpu = (uint16_t)m->cpu;
	m->stalls[m->nstalls++] = r;
}

static void ts_add_ns(struct timespec *t, long ns)
{
	t->tv_nsec += ns;
	while (t->tv_nsec >= 1000000000L) {
		t->tv_nsec -= 1000000000L;
		t->tv_sec++;
	}
}

static void *tick_loop(struct mon *m)
{
	const long per_ns = (long)(cfg.period_us * 1000.0);
	struct timespec dl, now;
	clock_gettime(CLOCK_MONOTONIC, &dl);
	ts_add_ns(&dl, per_ns);
	while (!atomic_load_explicit(&stop_flag, memory_order_relaxed)) {
		int rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl, NULL);
		if (rc == EINTR)
			continue;
		uint64_t t = nt_rdtsc();
		clock_gettime(CLOCK_MONOTONIC, &now);
		int64_t late_ns = nt_ts_ns(&now) - nt_ts_ns(&dl);
		if (late_ns < 0)
			late_ns = 0;
		m->ticks++;
		uint64_t late_us = (uint64_t)late_ns / 1000u;
		if (late_us < LHIST_US)
			m->lhist[late_us]++;
		else
			m->lover++;
		uint64_t late_cyc = (uint64_t)nt_ns_to_cyc((double)late_ns, cfg.hz);
		if (late_cyc > cfg.thr_cyc)
			add_stall(m, t > late_cyc ? t - late_cyc : 0, late_cyc);
		/* Next deadline; skip the ones a long stall swallowed. */
		ts_add_ns(&dl, per_ns);
		if (nt_ts_ns(&dl) <= nt_ts_ns(&now)) {
			dl = now;
			ts_add_ns(&dl, per_ns);
		}
	}
	return NULL;
}

static void *spin_loop(struct mon *m)
{
	uint64_t prev = nt_rdtsc();
	unsigned n = 0;
	for (;;) {
		uint64_t t = nt_rdtsc();
		uint64_t gap = t - prev;
		if (gap > cfg.thr_cyc)
			add_stall(m, prev, gap);
		prev = t;
		if (++n == 4096) {
			n = 0;
			m->ticks += 4096;
			if (atomic_load_explicit(&stop_flag, memory_order_relaxed))
				break;
		}
	}
	return NULL;
}

static void *thread_main(void *arg)
{
	struct mon *m = arg;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(m->cpu, &set);
	m->pin_err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (m->pin_err)
		return NULL;
	if (cfg.mode == MODE_TICK)
		return tick_loop(m);
	return spin_loop(m);
}

static int cmp_rec_tsc(const void *a, const void *b)
{
	const struct nt_rec *x = a, *y = b;
	return x->tsc < y->tsc ? -1 : x->tsc > y->tsc;
}

/* Lateness quantile from the 1 us histogram, in us (upper bin edge). */
static double lhist_q(const struct mon *m, double q)
{
	uint64_t tot = m->lover;
	for (int i = 0; i < LHIST_US; i++)
		tot += m->lhist[i];
	if (!tot)
		return 0;
	uint64_t want = (uint64_t)(q * (double)(tot - 1)) + 1, acc = 0;
	for (int i = 0; i < LHIST_US; i++) {
		acc += m->lhist[i];
		if (acc >= want)
			return i + 1;
	}
	return LHIST_US;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, 0, 'o' },
		{ "mode", required_argument, 0, 'm' },
		{ "threshold-us", required_argument, 0, 't' },
		{ "period-us", required_argument, 0, 'p' },
		{ "cpu", required_argument, 0, 'c' },
		{ "duration", required_argument, 0, 'd' },
		{ "quiet", no_argument, 0, 'q' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *out = NULL, *cpulist = NULL;
	double duration = 0;
	int quiet = 0, c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'm':
			if (!strcmp(optarg, "tick"))
				cfg.mode = MODE_TICK;
			else if (!strcmp(optarg, "spin"))
				cfg.mode = MODE_SPIN;
			else {
				fprintf(stderr, PROG ": --mode must be tick or spin, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 't':
			if (parse_double(optarg, 1, 10e6, &cfg.thr_us)) {
				fprintf(stderr, PROG ": bad --threshold-us '%s' (1..10000000)\n", optarg);
				return 2;
			}
			break;
		case 'p':
			if (parse_double(optarg, 50, 1e6, &cfg.period_us)) {
				fprintf(stderr, PROG ": bad --period-us '%s' (50..1000000)\n", optarg);
				return 2;
			}
			break;
		case 'c': cpulist = optarg; break;
		case 'd':
			if (parse_double(optarg, 0.001, 86400 * 7, &duration)) {
				fprintf(stderr, PROG ": bad --duration '%s' (seconds, >0)\n", optarg);
				return 2;
			}
			break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!out) {
		fprintf(stderr, PROG ": --out FILE is required (see --help)\n");
		return 2;
	}

	int cpus[MAX_CPUS], ncpu;
	if (cpulist) {
		ncpu = parse_cpus(cpulist, cpus, MAX_CPUS);
		if (ncpu <= 0) {
			fprintf(stderr, PROG ": bad --cpu list '%s' (e.g. 0,1 or 0-3)\n", cpulist);
			return 2;
		}
	} else {
		cpu_set_t set;
		if (sched_getaffinity(0, sizeof(set), &set)) {
			perror(PROG ": sched_getaffinity");
			return 1;
		}
		ncpu = 0;
		for (int i = 0; i < MAX_CPUS && i < CPU_SETSIZE; i++)
			if (CPU_ISSET(i, &set))
				cpus[ncpu++] = i;
	}

	struct nt_tsc_props props;
	struct nt_tsc_freq fq;
	nt_tsc_props_read(&props);
	if (nt_tsc_freq_find(&fq, 100, 50.0) < 0 || !(fq.hz > 0)) {
		fprintf(stderr, PROG ": cannot find the TSC frequency (%s)\n",
			fq.warning[0] ? fq.warning : "calibration failed");
		return 1;
	}
	cfg.hz = fq.hz;
	cfg.thr_cyc = (uint64_t)nt_ns_to_cyc(cfg.thr_us * 1000.0, cfg.hz);

	struct nt_writer *w = nt_writer_open(out, nt_fmt_from_path(out));
	if (!w) {
		fprintf(stderr, PROG ": cannot open %s: %s\n", out, strerror(errno));
		return 1;
	}

	/* Timer slack 1 ns: the default 50 us would read as lateness. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

	/* Blocked here (threads inherit the mask) and taken by sigwait below.
	 * A shell starts background jobs with SIGINT ignored: undo that. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);

	struct mon *mons = calloc((size_t)ncpu, sizeof(*mons));
	if (!mons) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}
	int rc = 0;
	uint64_t t_start = nt_rdtsc();
	struct timespec w_start;
	clock_gettime(CLOCK_MONOTONIC, &w_start);
	for (int i = 0; i < ncpu; i++) {
		mons[i].cpu = cpus[i];
		mons[i].stalls = malloc(sizeof(struct nt_rec) * MAX_STALLS);
		mons[i].lhist = calloc(LHIST_US, sizeof(uint32_t));
		if (!mons[i].stalls || !mons[i].lhist) {
			fprintf(stderr, PROG ": out of memory\n");
			rc = 1;
			break;
		}
		int e = pthread_create(&mons[i].th, NULL, thread_main, &mons[i]);
		if (e) {
			fprintf(stderr, PROG ": pthread_create: %s\n", strerror(e));
			rc = 1;
			break;
		}
		mons[i].started = 1;
	}

	int sig = 0;
	if (!rc) {
		if (duration > 0) {
			/* sigtimedwait returns EINTR after SIGSTOP/SIGCONT: wait
			 * again for what is left of the duration. */
			int64_t end = nt_ts_ns(&w_start) + (int64_t)(duration * 1e9);
			for (;;) {
				struct timespec now;
				clock_gettime(CLOCK_MONOTONIC, &now);
				int64_t left = end - nt_ts_ns(&now);
				if (left <= 0)
					break;
				struct timespec to = { (time_t)(left / 1000000000),
						       (long)(left % 1000000000) };
				int s = sigtimedwait(&sigs, NULL, &to);
				if (s > 0) {
					sig = s;
					break;
				}
				if (errno != EINTR)
					break;
			}
		} else {
			int s;
			if (sigwait(&sigs, &s) == 0)
				sig = s;
		}
	}
	atomic_store(&stop_flag, 1);
	for (int i = 0; i < ncpu; i++)
		if (mons[i].started)
			pthread_join(mons[i].th, NULL);
	uint64_t t_end = nt_rdtsc();
	struct timespec w_end;
	clock_gettime(CLOCK_MONOTONIC, &w_end);

	/* All stalls, in time order. */
	size_t tot = 0;
	uint64_t lost = 0;
	for (int i = 0; i < ncpu; i++) {
		if (mons[i].pin_err) {
			fprintf(stderr, PROG ": cannot pin to CPU %d: %s\n", mons[i].cpu,
				strerror(mons[i].pin_err));
			rc = 1;
		}
		tot += mons[i].nstalls;
		lost += mons[i].lost;
	}
	struct nt_rec *all = malloc(sizeof(*all) * (tot ? tot : 1));
	if (!all) {
		fprintf(stderr, PROG ": out of memory\n");
		rc = 1;
		tot = 0;
	} else {
		size_t k = 0;
		for (int i = 0; i < ncpu; i++)
			for (unsigned j = 0; j < mons[i].nstalls; j++)
				all[k++] = mons[i].stalls[j];
		qsort(all, tot, sizeof(*all), cmp_rec_tsc);
	}
	for (size_t i = 0; i < tot; i++)
		if (nt_writer_put(w, &all[i])) {
			fprintf(stderr, PROG ": write %s: %s\n", out, strerror(errno));
			rc = 1;
			break;
		}
	if (lost) {
		struct nt_rec r = nt_rec_blank(NT_SRC_MONITOR, NT_EV_LOST);
		r.tsc = t_end;
		r.aux = lost;
		nt_writer_put(w, &r);
	}
	if (nt_writer_close(w)) {
		fprintf(stderr, PROG ": close %s: %s\n", out, strerror(errno));
		rc = 1;
	}

	double wall_s = (double)(nt_ts_ns(&w_end) - nt_ts_ns(&w_start)) / 1e9;
	double us_per_cyc = 1e6 / cfg.hz;
	char mpath[4096];
	FILE *mf = NULL;
	if (nt_meta_path_for(out, mpath, sizeof(mpath)) == 0)
		mf = fopen(mpath, "w");
	if (!mf) {
		fprintf(stderr, PROG ": cannot write the metadata for %s\n", out);
		rc = 1;
	} else {
		nt_meta_put(mf, "source", "monitor");
		nt_meta_put(mf, "program", PROG);
		nt_host_describe(mf, &props, &fq);
		nt_meta_put(mf, "stall_mode", "%s", cfg.mode == MODE_TICK ? "tick" : "spin");
		nt_meta_put(mf, "stall_threshold_us", "%.3f", cfg.thr_us);
		if (cfg.mode == MODE_TICK)
			nt_meta_put(mf, "stall_period_us", "%.3f", cfg.period_us);
		char cl[1024] = "";
		size_t off = 0;
		for (int i = 0; i < ncpu && off < sizeof(cl) - 8; i++)
			off += (size_t)snprintf(cl + off, sizeof(cl) - off, "%s%d", i ? "," : "", cpus[i]);
		nt_meta_put(mf, "stall_cpus", "%s", cl);
		nt_meta_put(mf, "tsc_start", "%" PRIu64, t_start);
		nt_meta_put(mf, "tsc_end", "%" PRIu64, t_end);
		nt_meta_put(mf, "duration_s", "%.3f", wall_s);
		nt_meta_put(mf, "stalls", "%zu", tot);
		nt_meta_put(mf, "stalls_lost", "%" PRIu64, lost);
		uint64_t scyc = 0, mcyc = 0;
		for (int i = 0; i < ncpu; i++) {
			scyc += mons[i].stall_cyc;
			if (mons[i].max_cyc > mcyc)
				mcyc = mons[i].max_cyc;
		}
		nt_meta_put(mf, "stall_total_us", "%.1f", (double)scyc * us_per_cyc);
		nt_meta_put(mf, "stall_max_us", "%.1f", (double)mcyc * us_per_cyc);
		if (sig)
			nt_meta_put(mf, "stopped_by", "%s", sig == SIGINT ? "SIGINT" : "SIGTERM");
		if (fclose(mf)) {
			fprintf(stderr, PROG ": write %s: %s\n", mpath, strerror(errno));
			rc = 1;
		}
	}

	if (!quiet) {
		printf(PROG ": %.1f s watched (CLOCK_MONOTONIC), mode %s, threshold %.0f us, "
		       "TSC @ %.3f MHz\n",
		       wall_s, cfg.mode == MODE_TICK ? "tick" : "spin", cfg.thr_us, cfg.hz / 1e6);
		for (int i = 0; i < ncpu; i++) {
			struct mon *m = &mons[i];
			double share = wall_s > 0 ? 100.0 * (double)m->stall_cyc * us_per_cyc / 1e6 / wall_s : 0;
			printf("  cpu %d: %u stalls, total %.1f us (%.2f %% of wall time), max %.1f us",
			       m->cpu, m->nstalls, (double)m->stall_cyc * us_per_cyc, share,
			       (double)m->max_cyc * us_per_cyc);
			if (cfg.mode == MODE_TICK)
				printf("; wake lateness median <= %.0f us, p99 <= %.0f us over %" PRIu64 " ticks",
				       lhist_q(m, 0.5), lhist_q(m, 0.99), m->ticks);
			printf("\n");
		}
		if (lost)
			printf("  %" PRIu64 " stalls not recorded (buffer full)\n", lost);
	}
	for (int i = 0; i < ncpu; i++) {
		free(mons[i].stalls);
		free(mons[i].lhist);
	}
	free(mons);
	free(all);
	if (rc)
		return rc;
	return sig ? 130 : 0;
}
