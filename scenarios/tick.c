// SPDX-License-Identifier: GPL-2.0
/*
 * nt-tick: the native analogue of the real-time guest's periodic timer.
 *
 * One thread (pinned with --cpu, SCHED_FIFO with --fifo, memory locked) sleeps
 * to absolute CLOCK_MONOTONIC deadlines every --period and stamps the TSC when
 * it wakes: a `timer` record (source guest: the measured side) per wake-up,
 * aux = the periods that wake-up stands for (1, or more when deadlines passed
 * during a late wake-up: they are skipped, like timer interrupts that were not
 * taken).  The timer experiment's measure is the period, stamp to stamp.
 *
 * It also measures what cyclictest (rt-tests) reports for the same loop, the
 * wake-up latency: CLOCK_MONOTONIC after the wake-up minus the deadline
 * (min / mean / max and a 1 us histogram in FILE.meta).  The two relate as
 * period_i = T + lat_i - lat_(i-1) (T the period).  Like cyclictest it holds
 * /dev/cpu_dma_latency at 0 while it runs, where it may.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "nt/meta.h"
#include "nt/prog.h"

#define LHIST_US 10000 /* wake-up latency histogram: 1 us bins up to 10 ms */

enum { O_COUNT = 256, O_PERIOD };

static const struct nt_opt tick_opts[] = {
	{ "count", "N", O_COUNT, "wake-ups to stamp (1..100M); N periods need N+1" },
	{ "period", "DUR", O_PERIOD, "the period, 20us..1s (default 1ms)" },
	{ NULL, NULL, 0, NULL },
};

struct tick {
	uint64_t count;
	int64_t period;
	int dma_held;
	/* results */
	uint64_t n, skipped;
	int64_t lat_min, lat_max;
	double lat_sum;
	uint32_t *lhist; /* wake-up latency, 1 us bins */
	uint64_t lover;  /* latency >= LHIST_US */
};

static int tick_opt(struct nt_prog *p, int key, const char *arg)
{
	struct tick *t = p->ctx;

	switch (key) {
	case O_COUNT: return nt_parse_u64(arg, 1, 100000000ull, &t->count);
	case O_PERIOD: return nt_parse_dur(arg, 20000, 1000000000LL, &t->period);
	}
	return -1;
}

static void tick_validate(struct nt_prog *p)
{
	struct tick *t = p->ctx;

	if (!t->count && !p->duration_ns)
		nt_usage(p, "give --count or --duration");
	nt_prog_cpus_check(p);
}

/* Pinning, SCHED_FIFO and mlockall, where permitted; the PM QoS like cyclictest. */
static int rt_setup(struct nt_prog *p, struct tick *t, int *dma_fd)
{
	int32_t zero = 0;

	if (nt_prog_realtime(p) != 0)
		return -1;
	*dma_fd = open("/dev/cpu_dma_latency", O_WRONLY | O_CLOEXEC);
	if (*dma_fd >= 0 && write(*dma_fd, &zero, sizeof(zero)) != (ssize_t)sizeof(zero)) {
		close(*dma_fd);
		*dma_fd = -1;
	}
	t->dma_held = *dma_fd >= 0;
	return 0;
}

static void note_latency(struct tick *t, int64_t lat_ns)
{
	uint64_t us = lat_ns > 0 ? (uint64_t)lat_ns / 1000u : 0;

	if (lat_ns < t->lat_min)
		t->lat_min = lat_ns;
	if (lat_ns > t->lat_max)
		t->lat_max = lat_ns;
	t->lat_sum += (double)lat_ns;
	if (us < LHIST_US)
		t->lhist[us]++;
	else
		t->lover++;
}

/* The measurement loop: one stamp per wake-up until --count, --duration or a signal. */
static int tick_loop(struct nt_prog *p, struct tick *t)
{
	const int cpu = p->ncpus ? nt_prog_cpu_at(p, 0) : -1;
	const int64_t start = nt_mono_ns();
	const int64_t end = p->duration_ns ? start + p->duration_ns : INT64_MAX;
	int64_t dl = start + t->period;

	while ((!t->count || t->n < t->count) && !nt_stopping()) {
		struct timespec ts = { dl / 1000000000, dl % 1000000000 };
		int rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		uint64_t tsc = nt_rdtsc_ordered(), periods = 1;
		int64_t now;

		if (rc == EINTR)
			continue;
		now = nt_mono_ns();
		note_latency(t, now - dl);
		for (dl += t->period; dl <= now; dl += t->period)
			periods++; /* deadlines that passed during the wake-up */
		t->skipped += periods - 1;
		t->n++;
		if (p->w) {
			struct nt_rec r = nt_rec_blank(NT_SRC_GUEST, NT_EV_TIMER);

			r.tsc = tsc;
			r.aux = periods;
			r.cpu = (uint16_t)(cpu >= 0 ? cpu : sched_getcpu());
			nt_writer_put(p->w, &r);
		}
		if (now >= end)
			break;
	}
	if (t->count && t->n == t->count)
		nt_prog_stop_reason(p, "count reached");
	else if (!nt_stopping())
		nt_prog_stop_reason(p, "duration reached");
	return NT_EXIT_OK;
}

static void tick_meta(struct nt_prog *p, FILE *m)
{
	struct tick *t = p->ctx;

	nt_meta_put(m, "timer", "clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)");
	nt_meta_put(m, "period_ns", "%" PRId64, t->period);
	nt_meta_put(m, "count_planned", "%" PRIu64, t->count);
	nt_meta_put(m, "wakeups", "%" PRIu64, t->n);
	nt_meta_put(m, "skipped_deadlines", "%" PRIu64, t->skipped);
	nt_meta_put(m, "cpu", "%d", p->ncpus ? nt_prog_cpu_at(p, 0) : -1);
	nt_meta_put(m, "cpu_dma_latency", "%s", t->dma_held ? "0 (held)" : "not set (no access)");
	if (!t->n)
		return;
	nt_meta_put(m, "wake_latency_clock", "CLOCK_MONOTONIC (now - deadline), as cyclictest");
	nt_meta_put(m, "wake_latency_min_us", "%.3f", t->lat_min / 1e3);
	nt_meta_put(m, "wake_latency_avg_us", "%.3f", t->lat_sum / (double)t->n / 1e3);
	nt_meta_put(m, "wake_latency_max_us", "%.3f", t->lat_max / 1e3);
	for (unsigned i = 0; i < LHIST_US; i++)
		if (t->lhist[i])
			nt_meta_put(m, "wake_latency_hist_us", "%u:%u", i, t->lhist[i]);
	nt_meta_put(m, "wake_latency_over_10ms", "%" PRIu64, t->lover);
}

static void tick_summary(struct nt_prog *p)
{
	struct tick *t = p->ctx;

	nt_say(p, "%" PRIu64 " wake-ups every %.3f us, %" PRIu64 " deadlines skipped%s%s", t->n, t->period / 1e3,
	       t->skipped, p->fifo_ok ? ", SCHED_FIFO" : "", p->ncpus ? ", pinned" : "");
	if (t->n)
		nt_say(p, "wake-up latency (CLOCK_MONOTONIC, now - deadline) in us: min %.1f avg %.1f max %.1f",
		       t->lat_min / 1e3, t->lat_sum / (double)t->n / 1e3, t->lat_max / 1e3);
}

int main(int argc, char **argv)
{
	struct tick t = { .period = 1000000, .lat_min = INT64_MAX, .lat_max = INT64_MIN };
	struct nt_prog p = {
		.name = "nt-tick", .synopsis = "(--count N | --duration DUR) [options]",
		.about = "A periodic timer thread: sleep to absolute CLOCK_MONOTONIC deadlines every --period\n"
			 "and stamp the TSC at each wake-up (`timer` records, aux = periods covered).  Also\n"
			 "measures cyclictest's wake-up latency (now - deadline) for the same loop.",
		.common = NT_C_RECORDS | NT_C_CPU | NT_C_DURATION | NT_C_FIFO, .opts = tick_opts, .opt = tick_opt,
		.validate = tick_validate, .meta = tick_meta, .summary = tick_summary, .source = "guest", .ctx = &t,
	};
	int rc = NT_EXIT_OK, dma_fd = -1;

	nt_prog_parse(&p, argc, argv);
	t.lhist = calloc(LHIST_US, sizeof(*t.lhist));
	if (!t.lhist) {
		nt_error(&p, "out of memory");
		rc = NT_EXIT_FAIL;
	} else if (nt_prog_start(&p) == 0 && nt_prog_clock(&p) == 0 && rt_setup(&p, &t, &dma_fd) == 0) {
		rc = tick_loop(&p, &t);
	}
	if (dma_fd >= 0)
		close(dma_fd);
	rc = nt_prog_close(&p, rc);
	free(t.lhist);
	return rc;
}
