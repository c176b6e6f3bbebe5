// SPDX-License-Identifier: GPL-2.0
/*
 * nt-tick: the native analogue of the real-time guest's periodic timer.
 *
 * One thread (pinned with --cpu, SCHED_FIFO with --fifo, memory locked)
 * sleeps to absolute CLOCK_MONOTONIC deadlines every --period-us and stamps
 * the TSC when it wakes: a `timer` record (source guest: the measured side)
 * per wake-up, aux = the periods that wake-up stands for (1, or more when
 * deadlines were missed and skipped, like a timer interrupt that was not
 * taken).  The timer experiment's measure is the period, stamp to stamp.
 *
 * It also keeps what cyclictest (rt-tests) reports for the same loop: the
 * wake-up latency, CLOCK_MONOTONIC after the wake-up minus the deadline, and
 * prints its min / avg / max in us with a 1 us histogram in FILE.meta.  The
 * two relate as period_i = T + lat_i - lat_(i-1) (T the period): the period
 * jitter is the difference of consecutive wake-up latencies.  Like
 * cyclictest, it holds /dev/cpu_dma_latency at 0 while it runs (when it may).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "nt/meta.h"
#include "nt/recio.h"
#include "nt/tsc.h"

#define PROG "nt-tick"
#define LHIST_US 10000 /* wake-up latency histogram: 1 us bins up to 10 ms */
#define MAX_COUNT 10000000u

struct tick_cfg {
	const char *out;
	long period_ns;
	unsigned long count;
	double duration;
	int cpu, fifo, quiet;
	int dma_held; /* /dev/cpu_dma_latency was held at 0 during the loop */
};

struct tick_res {
	struct nt_rec *rec;
	unsigned long n;         /* wake-ups stamped */
	unsigned long skipped;   /* deadlines swallowed by late wake-ups */
	int64_t lat_min, lat_max;
	double lat_sum;
	uint32_t *lhist;         /* wake-up latency, 1 us bins */
	unsigned long lover;     /* latency >= LHIST_US */
};

static atomic_int stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&stop_flag, 1);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " --out FILE (--count N | --duration SEC) [options]\n"
		"A periodic timer thread: sleep to absolute CLOCK_MONOTONIC deadlines and\n"
		"stamp the TSC at every wake-up (timer records, aux = periods covered).\n"
		"  --out FILE          records (.csv, or .bin); FILE.meta beside it\n"
		"  --period-us N       the period in us (default 1000)\n"
		"  --count N           stop after N wake-ups (N periods need N+1)\n"
		"  --duration SEC      stop after SEC seconds\n"
		"  --cpu N             pin the thread to CPU N\n"
		"  --fifo PRIO         SCHED_FIFO priority 1..99 (default: normal policy)\n"
		"  --quiet             no summary on stdout\n"
		"  -h, --help          this text\n"
		"Also measures cyclictest's wake-up latency (now - deadline, CLOCK_MONOTONIC):\n"
		"min/avg/max in the summary and FILE.meta.  NT_TSC_HZ overrides the TSC\n"
		"frequency calibration.\n"
		"Exit: 0 done, 130 stopped by a signal, 1 runtime error, 2 bad usage.\n");
}

static int parse_num(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

static void parse_args(int argc, char **argv, struct tick_cfg *c)
{
	static const struct option opts[] = {
		{ "out", required_argument, 0, 'o' },	   { "period-us", required_argument, 0, 'p' },
		{ "count", required_argument, 0, 'n' },	   { "duration", required_argument, 0, 'd' },
		{ "cpu", required_argument, 0, 'c' },	   { "fifo", required_argument, 0, 'f' },
		{ "quiet", no_argument, 0, 'q' },	   { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 }
	};
	double v;
	int o;

	while ((o = getopt_long(argc, argv, "o:p:n:d:c:f:qh", opts, NULL)) != -1) {
		switch (o) {
		case 'o': c->out = optarg; break;
		case 'p':
			if (parse_num(optarg, 20, 1e6, &v))
				goto bad_val;
			c->period_ns = (long)(v * 1000.0);
			break;
		case 'n':
			if (parse_num(optarg, 1, MAX_COUNT, &v) || v != (unsigned long)v)
				goto bad_val;
			c->count = (unsigned long)v;
			break;
		case 'd':
			if (parse_num(optarg, 0.001, 86400, &v))
				goto bad_val;
			c->duration = v;
			break;
		case 'c':
			if (parse_num(optarg, 0, CPU_SETSIZE - 1, &v) || v != (int)v)
				goto bad_val;
			c->cpu = (int)v;
			break;
		case 'f':
			if (parse_num(optarg, 1, 99, &v) || v != (int)v)
				goto bad_val;
			c->fifo = (int)v;
			break;
		case 'q': c->quiet = 1; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
		continue;
bad_val:
		fprintf(stderr, PROG ": bad value '%s' for --%s\n", optarg,
			o == 'p' ? "period-us (20..1000000)" : o == 'n' ? "count (1..10000000)" :
			o == 'd' ? "duration (seconds)" : o == 'c' ? "cpu" : "fifo (1..99)");
		exit(2);
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
		exit(2);
	}
	if (!c->out || (!c->count && c->duration <= 0)) {
		fprintf(stderr, PROG ": --out and one of --count or --duration are required\n");
		usage(stderr);
		exit(2);
	}
}

/* Pin, FIFO, lock memory: each refusal is fatal (a measurement without them
 * would not be what was asked for). */
static int setup_thread(const struct tick_cfg *c)
{
	if (c->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(c->cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			fprintf(stderr, PROG ": cannot pin to CPU %d: %s\n", c->cpu, strerror(errno));
			return -1;
		}
	}
	if (c->fifo > 0) {
		struct sched_param sp = { .sched_priority = c->fifo };

		if (sched_setscheduler(0, SCHED_FIFO, &sp)) {
			fprintf(stderr, PROG ": cannot set SCHED_FIFO %d: %s (root needed)\n", c->fifo,
				strerror(errno));
			return -1;
		}
	}
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		fprintf(stderr, PROG ": warning: mlockall: %s\n", strerror(errno));
	return 0;
}

/* As cyclictest does: no deep C-state exits while the fd is held open. */
static int hold_dma_latency(void)
{
	int32_t zero = 0;
	int fd = open("/dev/cpu_dma_latency", O_WRONLY | O_CLOEXEC);

	if (fd >= 0 && write(fd, &zero, sizeof(zero)) != (ssize_t)sizeof(zero)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void ts_add_ns(struct timespec *t, long ns)
{
	t->tv_nsec += ns;
	while (t->tv_nsec >= 1000000000L) {
		t->tv_nsec -= 1000000000L;
		t->tv_sec++;
	}
}

static void note_latency(struct tick_res *r, int64_t lat_ns)
{
	uint64_t us = lat_ns > 0 ? (uint64_t)lat_ns / 1000u : 0;

	if (lat_ns < r->lat_min)
		r->lat_min = lat_ns;
	if (lat_ns > r->lat_max)
		r->lat_max = lat_ns;
	r->lat_sum += (double)lat_ns;
	if (us < LHIST_US)
		r->lhist[us]++;
	else
		r->lover++;
}

/* The measurement loop: stamp every wake-up until count, duration or a signal. */
static void tick_loop(const struct tick_cfg *c, struct tick_res *r, unsigned long cap)
{
	struct timespec dl, now;
	int64_t end_ns;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	end_ns = c->duration > 0 ? nt_ts_ns(&dl) + (int64_t)(c->duration * 1e9) : INT64_MAX;
	ts_add_ns(&dl, c->period_ns);
	while (r->n < cap && !atomic_load_explicit(&stop_flag, memory_order_relaxed)) {
		int rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl, NULL);
		uint64_t tsc = nt_rdtsc_ordered(), periods = 1;
		int64_t lat;

		if (rc == EINTR)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &now);
		lat = nt_ts_ns(&now) - nt_ts_ns(&dl);
		note_latency(r, lat);
		ts_add_ns(&dl, c->period_ns);
		while (nt_ts_ns(&dl) <= nt_ts_ns(&now)) { /* missed deadlines */
			ts_add_ns(&dl, c->period_ns);
			periods++;
		}
		r->skipped += periods - 1;
		struct nt_rec *x = &r->rec[r->n++];
		*x = nt_rec_blank(NT_SRC_GUEST, NT_EV_TIMER);
		x->tsc = tsc;
		x->aux = periods;
		x->cpu = (uint16_t)(c->cpu >= 0 ? c->cpu : sched_getcpu());
		if (nt_ts_ns(&now) >= end_ns)
			break;
	}
}

static int write_out(const struct tick_cfg *c, const struct tick_res *r,
		     const struct nt_tsc_freq *f, const struct nt_tsc_props *p)
{
	char mpath[4096];
	struct nt_writer *w = nt_writer_open(c->out, nt_fmt_from_path(c->out));
	FILE *m;
	unsigned long i;
	int rc = 0;

	if (!w) {
		fprintf(stderr, PROG ": cannot write %s: %s\n", c->out, strerror(errno));
		return -1;
	}
	for (i = 0; i < r->n && !rc; i++)
		rc = nt_writer_put(w, &r->rec[i]);
	if (nt_writer_close(w) || rc) {
		fprintf(stderr, PROG ": writing %s failed: %s\n", c->out, strerror(errno));
		return -1;
	}
	if (nt_meta_path_for(c->out, mpath, sizeof(mpath)) || !(m = fopen(mpath, "w"))) {
		fprintf(stderr, PROG ": cannot write the meta of %s\n", c->out);
		return -1;
	}
	nt_meta_put(m, "source", "guest");
	nt_meta_put(m, "program", PROG);
	nt_host_describe(m, p, f);
	nt_meta_put(m, "timer", "clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)");
	nt_meta_put(m, "period_ns", "%ld", c->period_ns);
	nt_meta_put(m, "cpu", "%d", c->cpu);
	nt_meta_put(m, "sched", c->fifo > 0 ? "SCHED_FIFO %d" : "SCHED_OTHER", c->fifo);
	nt_meta_put(m, "cpu_dma_latency", c->dma_held ? "0 (held)" : "not set (no access)");
	nt_meta_put(m, "wakeups", "%lu", r->n);
	nt_meta_put(m, "skipped_deadlines", "%lu", r->skipped);
	if (r->n) {
		nt_meta_put(m, "wake_latency_min_us", "%.3f", r->lat_min / 1e3);
		nt_meta_put(m, "wake_latency_avg_us", "%.3f", r->lat_sum / (double)r->n / 1e3);
		nt_meta_put(m, "wake_latency_max_us", "%.3f", r->lat_max / 1e3);
		for (i = 0; i < LHIST_US; i++)
			if (r->lhist[i])
				nt_meta_put(m, "wake_latency_hist_us", "%lu:%u", i, r->lhist[i]);
		nt_meta_put(m, "wake_latency_over_10ms", "%lu", r->lover);
	}
	if (fclose(m)) {
		fprintf(stderr, PROG ": writing %s failed\n", mpath);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct tick_cfg c = { .period_ns = 1000000, .cpu = -1 };
	int dma_fd;
	struct tick_res r = { .lat_min = INT64_MAX, .lat_max = INT64_MIN };
	struct nt_tsc_props props;
	struct nt_tsc_freq freq;
	struct sigaction sa = { .sa_handler = on_signal };
	unsigned long cap;

	parse_args(argc, argv, &c);
	cap = c.count ? c.count : (unsigned long)(c.duration * 1e9 / (double)c.period_ns) + 2;
	if (cap > MAX_COUNT)
		cap = MAX_COUNT;
	r.rec = calloc(cap, sizeof(*r.rec));
	r.lhist = calloc(LHIST_US, sizeof(*r.lhist));
	if (!r.rec || !r.lhist) {
		fprintf(stderr, PROG ": out of memory for %lu records\n", cap);
		return 1;
	}
	nt_tsc_props_read(&props);
	if (nt_tsc_freq_find(&freq, 200, 200.0)) {
		fprintf(stderr, PROG ": cannot find the TSC frequency\n");
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (setup_thread(&c))
		return 1;
	dma_fd = hold_dma_latency();
	c.dma_held = dma_fd >= 0;
	tick_loop(&c, &r, cap);
	if (dma_fd >= 0)
		close(dma_fd);
	if (write_out(&c, &r, &freq, &props))
		return 1;
	if (!c.quiet && r.n)
		printf(PROG ": %lu wake-ups every %.3f us (%lu deadlines skipped); wake-up latency "
		       "min %.1f avg %.1f max %.1f us (CLOCK_MONOTONIC)\n",
		       r.n, c.period_ns / 1e3, r.skipped, r.lat_min / 1e3, r.lat_sum / (double)r.n / 1e3,
		       r.lat_max / 1e3);
	free(r.rec);
	free(r.lhist);
	return atomic_load(&stop_flag) ? 130 : 0;
}
