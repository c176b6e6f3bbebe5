// SPDX-License-Identifier: GPL-2.0
/*
 * nt-stallmon: detect host stalls beside a measurement.
 *
 * One thread per watched CPU, pinned there.  Two ways to notice that the CPU
 * (or the whole virtual machine) was not running:
 *   tick (default, cheap): sleep to an absolute CLOCK_MONOTONIC deadline every
 *        --period; a wake-up later than --threshold after its deadline is a
 *        stall (start = the deadline, length = the lateness).
 *   spin: read the TSC in a tight loop; a gap between two reads longer than
 *        --threshold is a stall (start = the read before the gap, length =
 *        the gap).  Costs a whole CPU: only for a CPU that is otherwise idle.
 * Stalls are written as `monitor,stall` records (tsc = start, aux = length in
 * TSC cycles, cpu = the watched CPU) to --out, with FILE.meta beside it.  The
 * analyzer marks measurement stamps inside those windows.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "nt/meta.h"
#include "nt/prog.h"

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
	int mode;            /* enum mode */
	int64_t thr_ns, period_ns;
	double hz;
	uint64_t thr_cyc;
} cfg = { MODE_TICK, 200000, 1000000, 0, 0 };

static atomic_int stop_flag;
static const char *const mode_names[] = { "tick", "spin", NULL };

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
	const long per_ns = (long)cfg.period_ns;
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
	if (nt_pin_cpu(m->cpu) != 0) {
		m->pin_err = errno;
		return NULL;
	}
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

/* ---- options ----------------------------------------------------------- */

enum { O_MODE = 256, O_THRESHOLD, O_PERIOD };

static const struct nt_opt sm_opts[] = {
	{ "mode", "tick|spin", O_MODE, "tick: sleep --period and flag late wake-ups (default,\ncheap); spin: busy-read the TSC and flag gaps (uses a CPU)" },
	{ "threshold", "DUR", O_THRESHOLD, "report gaps/lateness above DUR, 1us..10s (default 200us)" },
	{ "period", "DUR", O_PERIOD, "tick period, 50us..1s (default 1ms)" },
	{ NULL, NULL, 0, NULL },
};

struct sm {
	struct mon *mons;
	int ncpu;
	uint64_t t_start, t_end;
	int64_t w_start, w_end; /* CLOCK_MONOTONIC ns */
	size_t nstalls;
};

static int sm_opt(struct nt_prog *p, int key, const char *arg)
{
	switch (key) {
	case O_MODE: return nt_parse_word(arg, mode_names, &cfg.mode);
	case O_THRESHOLD: return nt_parse_dur(arg, 1000, 10000000000LL, &cfg.thr_ns);
	case O_PERIOD: return nt_parse_dur(arg, 50000, 1000000000LL, &cfg.period_ns);
	}
	return -1;
}

static void sm_validate(struct nt_prog *p)
{
	if (!p->out)
		nt_usage(p, "--out FILE is required");
	nt_prog_cpus_check(p);
}

/* The watched CPUs: --cpu, else every CPU this process may use. */
static int cpus_watched(struct nt_prog *p, struct sm *s)
{
	cpu_set_t set;
	s->mons = calloc(CPU_SETSIZE, sizeof(*s->mons));
	if (!s->mons || sched_getaffinity(0, sizeof(set), &set) != 0) {
		nt_error(p, "cannot list the CPUs: %s", strerror(errno));
		return -1;
	}
	for (int c = 0; c < CPU_SETSIZE && c < NT_CPUS_MAX; c++)
		if (p->ncpus ? (p->cpus[c / 8] & (1u << (c % 8))) != 0 : CPU_ISSET(c, &set))
			s->mons[s->ncpu++].cpu = c;
	return 0;
}

/* ---- the watch ------------------------------------------------------------- */

/* The threads start with the stop signals blocked: the main thread takes
 * them. */
static int start_threads(struct nt_prog *p, struct sm *s)
{
	nt_signals_block_thread();
	int rc = 0;
	for (int i = 0; i < s->ncpu; i++) {
		struct mon *m = &s->mons[i];
		m->stalls = malloc(sizeof(struct nt_rec) * MAX_STALLS);
		m->lhist = calloc(LHIST_US, sizeof(uint32_t));
		if (!m->stalls || !m->lhist) {
			nt_error(p, "out of memory");
			rc = -1;
			break;
		}
		int e = pthread_create(&m->th, NULL, thread_main, m);
		if (e) {
			nt_error(p, "pthread_create: %s", strerror(e));
			rc = -1;
			break;
		}
		m->started = 1;
	}
	nt_signals_unblock_thread();
	return rc;
}

/* Watch until --duration or a signal; then stop and join the threads. */
static int watch(struct nt_prog *p, struct sm *s)
{
	cfg.hz = p->freq.hz;
	cfg.thr_cyc = (uint64_t)nt_ns_to_cyc((double)cfg.thr_ns, cfg.hz);
	/* timer slack 1 ns: the default 50 us would read as lateness */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	s->t_start = nt_rdtsc();
	s->w_start = nt_mono_ns();
	int rc = start_threads(p, s);
	if (rc == 0)
		nt_sleep_until(p->duration_ns ? s->w_start + p->duration_ns : INT64_MAX);
	atomic_store(&stop_flag, 1);
	for (int i = 0; i < s->ncpu; i++)
		if (s->mons[i].started)
			pthread_join(s->mons[i].th, NULL);
	s->t_end = nt_rdtsc();
	s->w_end = nt_mono_ns();
	if (!nt_stopping())
		nt_prog_stop_reason(p, "duration reached");
	for (int i = 0; i < s->ncpu; i++)
		if (s->mons[i].pin_err) {
			nt_error(p, "cannot pin to CPU %d: %s", s->mons[i].cpu, strerror(s->mons[i].pin_err));
			rc = -1;
		}
	return rc ? NT_EXIT_FAIL : NT_EXIT_OK;
}

/* Every thread's stalls in time order, then a lost record for the rest. */
static void write_stalls(struct nt_prog *p, struct sm *s)
{
	size_t tot = 0, k = 0;
	uint64_t lost = 0;
	for (int i = 0; i < s->ncpu; i++) {
		tot += s->mons[i].nstalls;
		lost += s->mons[i].lost;
	}
	struct nt_rec *all = malloc(sizeof(*all) * (tot ? tot : 1));
	if (!all) {
		nt_error(p, "out of memory: %zu stalls not written", tot);
		nt_prog_lost(p, tot, "out of memory");
		return;
	}
	for (int i = 0; i < s->ncpu; i++)
		for (unsigned j = 0; j < s->mons[i].nstalls; j++)
			all[k++] = s->mons[i].stalls[j];
	qsort(all, tot, sizeof(*all), cmp_rec_tsc);
	for (size_t i = 0; i < tot; i++)
		nt_writer_put(p->w, &all[i]);
	free(all);
	s->nstalls = tot;
	if (lost) {
		struct nt_rec r = nt_rec_blank(NT_SRC_MONITOR, NT_EV_LOST);
		r.tsc = s->t_end;
		r.aux = lost;
		nt_writer_put(p->w, &r);
		nt_prog_lost(p, lost, "stalls: per-CPU buffer full");
	}
}

/* ---- metadata and summary ------------------------------------------------- */

static double wall_s(const struct sm *s)
{
	return (double)(s->w_end - s->w_start) / 1e9;
}

static void sm_meta(struct nt_prog *p, FILE *m)
{
	struct sm *s = p->ctx;
	double us_per_cyc = p->have_clock ? 1e6 / cfg.hz : 0;
	uint64_t scyc = 0, mcyc = 0;
	char cl[1024] = "";
	size_t off = 0;
	for (int i = 0; i < s->ncpu; i++) {
		scyc += s->mons[i].stall_cyc;
		if (s->mons[i].max_cyc > mcyc)
			mcyc = s->mons[i].max_cyc;
		if (off < sizeof(cl) - 8)
			off += (size_t)snprintf(cl + off, sizeof(cl) - off, "%s%d", i ? "," : "", s->mons[i].cpu);
	}
	nt_meta_put(m, "stall_mode", "%s", mode_names[cfg.mode]);
	nt_meta_put(m, "stall_threshold_us", "%.3f", cfg.thr_ns / 1e3);
	if (cfg.mode == MODE_TICK)
		nt_meta_put(m, "stall_period_us", "%.3f", cfg.period_ns / 1e3);
	nt_meta_put(m, "stall_cpus", "%s", cl);
	nt_meta_put(m, "tsc_start", "%" PRIu64, s->t_start);
	nt_meta_put(m, "tsc_end", "%" PRIu64, s->t_end);
	nt_meta_put(m, "duration_s", "%.3f", wall_s(s));
	nt_meta_put(m, "stalls", "%zu", s->nstalls);
	nt_meta_put(m, "stall_total_us", "%.1f", (double)scyc * us_per_cyc);
	nt_meta_put(m, "stall_max_us", "%.1f", (double)mcyc * us_per_cyc);
}

static void sm_summary(struct nt_prog *p)
{
	struct sm *s = p->ctx;
	if (!p->have_clock)
		return;
	double us_per_cyc = 1e6 / cfg.hz, w = wall_s(s);
	nt_say(p, "%.1f s watched (CLOCK_MONOTONIC), mode %s, threshold %.0f us, TSC @ %.3f MHz", w,
	       mode_names[cfg.mode], cfg.thr_ns / 1e3, cfg.hz / 1e6);
	for (int i = 0; i < s->ncpu; i++) {
		struct mon *m = &s->mons[i];
		double tot = (double)m->stall_cyc * us_per_cyc;
		char late[160] = "";
		if (cfg.mode == MODE_TICK)
			snprintf(late, sizeof(late), "; wake lateness median <= %.0f us, p99 <= %.0f us over %" PRIu64 " ticks",
				 lhist_q(m, 0.5), lhist_q(m, 0.99), m->ticks);
		nt_say(p, "cpu %d: %u stalls, total %.1f us (%.2f %% of wall time), max %.1f us%s", m->cpu, m->nstalls,
		       tot, w > 0 ? 100.0 * tot / 1e6 / w : 0, (double)m->max_cyc * us_per_cyc, late);
	}
}

int main(int argc, char **argv)
{
	struct sm s = { 0 };
	struct nt_prog p = {
		.name = "nt-stallmon", .synopsis = "--out FILE [options]",
		.about = "Watch CPUs for stalls (times the CPU did not run) and write them as monitor/stall\n"
			 "records (tsc = start, aux = length in TSC cycles); until --duration or a signal.",
		.common = NT_C_RECORDS | NT_C_DURATION | NT_C_CPU, .opts = sm_opts, .opt = sm_opt,
		.validate = sm_validate, .meta = sm_meta, .summary = sm_summary, .source = "monitor", .ctx = &s,
		.cpu_help = "CPUs to watch, one thread each (default: all this process\nmay use)",
		.duration_help = "stop after DUR (default: at SIGINT/SIGTERM)",
	};
	nt_prog_parse(&p, argc, argv);
	int rc = NT_EXIT_OK;
	if (cpus_watched(&p, &s) == 0 && nt_prog_start(&p) == 0 && nt_prog_clock(&p) == 0) {
		rc = watch(&p, &s);
		write_stalls(&p, &s);
	}
	rc = nt_prog_close(&p, rc);
	for (int i = 0; i < s.ncpu; i++) {
		free(s.mons[i].stalls);
		free(s.mons[i].lhist);
	}
	free(s.mons);
	return rc;
}
