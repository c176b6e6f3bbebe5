// SPDX-License-Identifier: GPL-2.0
/*
 * bench-stamp: the guest probe's stamping fast path, timed on the host CPU.
 *
 * The timed code is the module's own (common/ntgp_ring.h, included by
 * module/nt_guest_probe.c): per stamp, rdtsc, ntgp_put (fill a struct nt_rec
 * and push it into the ring, or count it lost) and ntgp_cost (the one-in-64
 * in-situ cost sample), which is what the module's local-timer probe does
 * after its entry stamp; the IRQ probe adds its filter in front.
 *
 * Each batch is N stamps between two ordered TSC reads (rdtscp, as the
 * module's rdtsc_ordered); the cost per stamp is (batch - empty) / N where
 * "empty" is the median of the same loop calling an empty function.  Modes:
 *   cal    the module's calibration method: the ring is emptied (tail = head)
 *          after each batch, on the same CPU; no consumer running
 *   drain  a consumer thread on another CPU drains the ring every
 *          --drain (acquire head, copy records, release tail: the module's
 *          read(); nt-guest-read drains every 10 ms by default)
 *   spin   the same consumer polling without pause: the worst case, the
 *          reader keeps pulling the producer's cache lines
 *   full   the ring is full and nobody drains it: every stamp takes the lost
 *          path (reload tail, count lost)
 * Also the floor: two back-to-back rdtsc, and two back-to-back rdtscp.
 *
 * User space is not the kernel's interrupt context: no interrupts are masked
 * here (a batch hit by an interrupt or a preemption shows up in p99, not in
 * the median), and raw_smp_processor_id is a thread-local load.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nt/prog.h"
#include "nt/stats.h"
#include "ntgp_ring.h"

/* Order statistics of n values (sorted in place), with the project's one
 * quantile definition (nt/stats.h). */
struct q { double min, med, p99, max; size_t n; };

static struct q quant(uint64_t *v, size_t n)
{
	struct q r = { 0, 0, 0, 0, n };

	if (!n)
		return r;
	qsort(v, n, sizeof(*v), nt_cmp_u64);
	r.min = (double)v[0];
	r.med = nt_quantile_sorted_u64(v, n, 0.5);
	r.p99 = nt_quantile_sorted_u64(v, n, 0.99);
	r.max = (double)v[n - 1];
	return r;
}


/* ------------------------------------------------------------ timed code */

static unsigned int bench_irq = 11; /* any chosen IRQ number */

/* One stamp: the module's probe body after its filter (entry rdtsc, store,
 * lost accounting, in-situ cost sample).  noinline: the kernel calls probes
 * through the tracepoint's function pointer. */
static __attribute__((noinline)) void stamp_one(struct ntgp_ring *r)
{
	uint64_t tsc = ntgp_rdtsc();

	ntgp_put(r, tsc, NT_EV_GUEST_IRQ, bench_irq, NT_NONE16, NT_NONE64,
		 NT_NONE64);
	r->last_irq = bench_irq;
	r->last_irq_tsc = tsc;
	ntgp_cost(r, tsc);
}

static __attribute__((noinline)) void empty_one(struct ntgp_ring *r)
{
	__asm__ __volatile__("" : : "r"(r) : "memory");
}

static inline uint64_t tsc_ord(void)
{
	return ntgp_rdtsc_ordered();
}

static uint64_t batch_stamp(struct ntgp_ring *r, unsigned int n)
{
	uint64_t t0 = tsc_ord(), t1;

	for (unsigned int i = 0; i < n; i++)
		stamp_one(r);
	t1 = tsc_ord();
	return t1 - t0;
}

static uint64_t batch_empty(struct ntgp_ring *r, unsigned int n)
{
	uint64_t t0 = tsc_ord(), t1;

	for (unsigned int i = 0; i < n; i++)
		empty_one(r);
	t1 = tsc_ord();
	return t1 - t0;
}

/* ------------------------------------------------------------ consumer */

struct cons {
	struct ntgp_ring *r;
	unsigned int cpu;
	unsigned long period_us; /* 0: poll without pause */
	volatile int run;    /* written by main, read by the thread */
	uint64_t taken;
	int pin_err;
};

static void *consumer(void *p)
{
	struct cons *c = p;
	struct nt_rec buf[512];

	c->pin_err = nt_pin_cpu((int)c->cpu) ? errno : 0;
	uint64_t n;

	while (__atomic_load_n(&c->run, __ATOMIC_ACQUIRE)) {
		while ((n = ntgp_ring_take(c->r, buf, 512)) != 0)
			c->taken += n;
		if (c->period_us) {
			struct timespec ts = { (time_t)(c->period_us / 1000000),
					       (long)(c->period_us % 1000000) * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	while ((n = ntgp_ring_take(c->r, buf, 512)) != 0)
		c->taken += n;
	return NULL;
}

/*
 * Drain and spin modes: before a batch (outside the timed region) wait until
 * the ring has room for it, so that the timed stamps are stored while the
 * consumer works on the same ring, rather than dropped because a tight loop
 * outruns any reader (a real interrupt rate does not).  Bounded: 2 s.
 */
static void wait_room(struct ntgp_ring *r, unsigned long n)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (r->head - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) + n + 1 >
	       (uint64_t)r->mask + 1) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 2)
			break;
		sched_yield();
	}
}

/* ------------------------------------------------------------ options */

enum { O_BATCH = 256, O_BATCHES, O_RECORDS, O_MODE, O_DRAIN, O_CCPU };

static const struct nt_opt bs_opts[] = {
	{ "batch", "N", O_BATCH, "stamps per batch (1..65536, default 256)" },
	{ "batches", "B", O_BATCHES, "batches per mode (16..1000000, default 20000)" },
	{ "records", "R", O_RECORDS, "ring size, a power of two 16..1048576 (default 8192)" },
	{ "mode", "M", O_MODE, "cal, drain, spin, full or all (default all)\ncal: ring emptied after each batch (the module's own\ncalibration); drain: a consumer thread drains it every\n--drain; spin: the consumer polls without pause;\nfull: nobody drains, every stamp takes the lost path" },
	{ "drain", "DUR", O_DRAIN, "drain period of the drain mode, 1us..100ms (default 1ms)" },
	{ "consumer-cpu", "C", O_CCPU, "consumer thread's CPU in drain/spin modes (default:\nanother allowed CPU; skipped when there is only one)" },
	{ NULL, NULL, 0, NULL },
};

static const char *const mode_names[] = { "cal", "drain", "spin", "full", "all", NULL };

struct result {
	const char *mode;
	struct q raw;     /* batch cycles */
	double net_med, net_p99, net_min; /* cycles per stamp, empty subtracted */
	uint64_t stamps, lost, recs_written, taken;
	double insitu_mean; uint64_t insitu_n;
	int done;
};

struct bs {
	uint64_t batch, batches, records, ccpu;
	int64_t drain_ns;
	int want[4], have_ccpu, cpu;
	uint64_t *samp, *samp2;
	struct nt_rec *rec;
	struct ntgp_ring *r;
	struct q floor_rdtsc, floor_rdtscp, empty;
	struct result res[4];
	int rc;
};

static int bs_opt(struct nt_prog *p, int key, const char *arg)
{
	struct bs *b = p->ctx;
	int m;
	switch (key) {
	case O_BATCH: return nt_parse_u64(arg, 1, 65536, &b->batch);
	case O_BATCHES: return nt_parse_u64(arg, 16, 1000000, &b->batches);
	case O_RECORDS: return nt_parse_u64(arg, 16, 1u << 20, &b->records);
	case O_DRAIN: return nt_parse_dur(arg, 1000, 100000000, &b->drain_ns);
	case O_CCPU:
		b->have_ccpu = 1;
		return nt_parse_u64(arg, 0, NT_CPUS_MAX - 1, &b->ccpu);
	case O_MODE:
		if (nt_parse_word(arg, mode_names, &m))
			return -1;
		for (int i = 0; i < 4; i++)
			b->want[i] = m == 4 || m == i;
		return 0;
	}
	return -1;
}

static void bs_validate(struct nt_prog *p)
{
	struct bs *b = p->ctx;
	if (b->records & (b->records - 1))
		nt_usage(p, "--records %" PRIu64 " is not a power of two", b->records);
	if (p->ncpus > 1)
		nt_usage(p, "--cpu: one producer CPU");
	nt_prog_cpus_check(p);
	cpu_set_t allowed;
	if (b->have_ccpu && sched_getaffinity(0, sizeof(allowed), &allowed) == 0 && !CPU_ISSET(b->ccpu, &allowed))
		nt_usage(p, "--consumer-cpu %" PRIu64 ": not an allowed CPU", b->ccpu);
}

/* ------------------------------------------------------------ set-up */

/* Producer (--cpu, else the first allowed CPU) and consumer CPUs, pinning,
 * buffers. */
static int setup(struct nt_prog *p, struct bs *b)
{
	cpu_set_t allowed;
	long cpu = p->ncpus ? nt_prog_cpu_at(p, 0) : -1, ccpu = b->have_ccpu ? (long)b->ccpu : -1;

	if (sched_getaffinity(0, sizeof(allowed), &allowed)) {
		nt_error(p, "sched_getaffinity: %s", strerror(errno));
		return -1;
	}
	for (int c = 0; c < CPU_SETSIZE && (cpu < 0 || ccpu < 0); c++) {
		if (!CPU_ISSET(c, &allowed))
			continue;
		if (cpu < 0)
			cpu = c;
		else if (ccpu < 0 && c != cpu)
			ccpu = c;
	}
	if (cpu < 0 || nt_pin_cpu((int)cpu)) {
		nt_error(p, "cannot run on CPU %ld: %s", cpu, strerror(errno));
		return -1;
	}
	b->cpu = (int)cpu;
	b->ccpu = (uint64_t)ccpu;
	b->have_ccpu = ccpu >= 0;
	ntgp_user_set_cpu((unsigned int)cpu);
	b->samp = calloc(b->batches, sizeof(*b->samp));
	b->samp2 = calloc(b->batches, sizeof(*b->samp2));
	b->rec = aligned_alloc(64, b->records * sizeof(*b->rec));
	b->r = aligned_alloc(64, sizeof(*b->r));
	if (!b->samp || !b->samp2 || !b->rec || !b->r) {
		nt_error(p, "out of memory");
		return -1;
	}
	memset(b->rec, 0, b->records * sizeof(*b->rec));
	return 0;
}

static void ring_reset(struct bs *b)
{
	memset(b->r, 0, sizeof(*b->r));
	b->r->rec = b->rec;
	b->r->mask = (uint32_t)(b->records - 1);
	b->r->last_irq = NT_NONE32;
}

/* The floors (back-to-back TSC reads) and the empty loop. */
static void floors(struct bs *b)
{
	for (uint64_t i = 0; i < b->batches; i++) {
		uint64_t a0 = ntgp_rdtsc(), a1 = ntgp_rdtsc();
		uint64_t c0 = tsc_ord(), c1 = tsc_ord();

		b->samp[i] = a1 - a0;
		b->samp2[i] = c1 - c0;
	}
	b->floor_rdtsc = quant(b->samp, b->batches);
	b->floor_rdtscp = quant(b->samp2, b->batches);
	ring_reset(b);
	uint64_t ne = 0;
	for (; ne < b->batches && !nt_stopping(); ne++)
		b->samp[ne] = batch_empty(b->r, (unsigned int)b->batch);
	b->empty = quant(b->samp, ne);
}

/* ------------------------------------------------------------ the modes */

/* The timed batches of mode m; the counters before and after them. */
static uint64_t timed_batches(struct bs *b, int m, struct result *o)
{
	struct ntgp_ring *r = b->r;
	int threaded = m == 1 || m == 2;
	uint64_t s0 = r->stamps, l0 = r->lost_total, h0 = r->head, cn0 = r->cost_n, cs0 = r->cost_sum, nb;

	for (nb = 0; nb < b->batches && !nt_stopping(); nb++) {
		if (threaded)
			wait_room(r, b->batch);
		b->samp[nb] = batch_stamp(r, (unsigned int)b->batch);
		if (m == 0)
			r->tail = r->head; /* consume, as the module's calibration */
	}
	o->stamps = r->stamps - s0;
	o->lost = r->lost_total - l0;
	o->recs_written = r->head - h0;
	o->insitu_n = r->cost_n - cn0;
	o->insitu_mean = o->insitu_n ? (double)(r->cost_sum - cs0) / (double)o->insitu_n : 0;
	return nb;
}

/* The consumer thread's end: stop it, check the reader invariant. */
static void consumer_end(struct nt_prog *p, struct bs *b, struct cons *cs, pthread_t th, struct result *o)
{
	__atomic_store_n(&cs->run, 0, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	if (cs->pin_err)
		nt_warn(p, "consumer not pinned to CPU %" PRIu64 ": %s", b->ccpu, strerror(cs->pin_err));
	o->taken = cs->taken;
	if (b->r->tail != b->r->head) {
		nt_error(p, "ring invariant broken: tail %" PRIu64 " != head %" PRIu64 " after the consumer stopped",
			 b->r->tail, b->r->head);
		b->rc = 1;
	}
}

static void run_mode(struct nt_prog *p, struct bs *b, int m)
{
	struct result *o = &b->res[m];
	int threaded = m == 1 || m == 2;
	struct cons cs = { .r = b->r, .cpu = (unsigned int)b->ccpu, .run = 1,
			   .period_us = m == 1 ? (unsigned long)(b->drain_ns / 1000) : 0 };
	pthread_t th;

	if (threaded && !b->have_ccpu) {
		nt_warn(p, "%s mode needs two CPUs: skipped", o->mode);
		return;
	}
	ring_reset(b);
	if (m == 3) { /* fill the ring, then one more stamp makes it lose */
		while (b->r->head - b->r->tail < b->records)
			stamp_one(b->r);
		stamp_one(b->r);
	}
	if (threaded && pthread_create(&th, NULL, consumer, &cs)) {
		nt_error(p, "cannot start the consumer thread");
		b->rc = 1;
		return;
	}
	batch_stamp(b->r, (unsigned int)b->batch); /* warm-up, not counted */
	if (m == 0)
		b->r->tail = b->r->head;
	else if (threaded)
		wait_room(b->r, b->batch);
	uint64_t nb = timed_batches(b, m, o);
	if (threaded)
		consumer_end(p, b, &cs, th, o);
	if (m == 3 && o->lost != o->stamps) {
		nt_error(p, "full ring stored records (%" PRIu64 " lost of %" PRIu64 ")", o->lost, o->stamps);
		b->rc = 1;
	}
	o->raw = quant(b->samp, nb);
	/* net per stamp from order statistics of the raw batches */
	o->net_med = (o->raw.med - b->empty.med) / (double)b->batch;
	o->net_p99 = (o->raw.p99 - b->empty.med) / (double)b->batch;
	o->net_min = (o->raw.min - b->empty.med) / (double)b->batch;
	o->done = nb > 0;
}

/* ------------------------------------------------------------ results */

static void print_result(const struct result *res, unsigned int n)
{
	if (!res->done) {
		printf("%-6s skipped\n", res->mode);
		return;
	}
	printf("%-6s %8.1f %8.1f %8.1f   raw %6.1f %6.1f   %6zu  lost %" PRIu64 "/%" PRIu64
	       "  in-situ mean %.1f (%" PRIu64 " samples)\n",
	       res->mode, res->net_med, res->net_p99, res->net_min, res->raw.med / (double)n,
	       res->raw.p99 / (double)n, res->raw.n, res->lost, res->stamps, res->insitu_mean, res->insitu_n);
}

static void bs_summary(struct nt_prog *p)
{
	struct bs *b = p->ctx;
	printf("bench-stamp: guest-probe stamping fast path (common/ntgp_ring.h) on the host CPU %d%s\n", b->cpu,
	       nt_stopping() ? " (interrupted: partial)" : "");
	printf("clock: TSC, figures in TSC cycles; %" PRIu64 " batches of %" PRIu64 " stamps per mode, ring %" PRIu64
	       " records, drain every %.0f us\n",
	       b->batches, b->batch, b->records, b->drain_ns / 1e3);
	printf("floor  rdtsc;rdtsc    median %.1f p99 %.1f min %.0f cycles (TSC)\n", b->floor_rdtsc.med,
	       b->floor_rdtsc.p99, b->floor_rdtsc.min);
	printf("floor  rdtscp;rdtscp  median %.1f p99 %.1f min %.0f cycles (TSC)\n", b->floor_rdtscp.med,
	       b->floor_rdtscp.p99, b->floor_rdtscp.min);
	printf("empty  loop+call      median %.2f p99 %.2f cycles per iteration (TSC), subtracted below\n",
	       b->empty.med / (double)b->batch, b->empty.p99 / (double)b->batch);
	printf("mode   cycles/stamp (TSC, empty loop subtracted)   raw/stamp      batches  lost/stamps  in-situ (entry rdtsc -> after store)\n");
	printf("         median      p99      min   median    p99\n");
	for (int m = 0; m < 4; m++)
		print_result(&b->res[m], (unsigned int)b->batch);
	for (int m = 0; m < 4; m++)
		if (b->res[m].done)
			printf("result mode=%s median_cycles=%.1f p99_cycles=%.1f raw_median_cycles=%.1f lost=%" PRIu64
			       " stamps=%" PRIu64 "\n",
			       b->res[m].mode, b->res[m].net_med, b->res[m].net_p99, b->res[m].raw.med / (double)b->batch,
			       b->res[m].lost, b->res[m].stamps);
	printf("result floor_rdtsc_cycles=%.1f floor_rdtscp_cycles=%.1f empty_cycles=%.2f\n", b->floor_rdtsc.med,
	       b->floor_rdtscp.med, b->empty.med / (double)b->batch);
}

int main(int argc, char **argv)
{
	static struct bs b = { .batch = 256, .batches = 20000, .records = 8192, .drain_ns = 1000000,
			       .want = { 1, 1, 1, 1 },
			       .res = { { .mode = "cal" }, { .mode = "drain" }, { .mode = "spin" }, { .mode = "full" } } };
	struct nt_prog p = {
		.name = "bench-stamp", .synopsis = "[options]",
		.about = "Times the guest probe's stamping fast path (guest-probe/common/ntgp_ring.h, the code\n"
			 "the kernel module runs) on this CPU: cycles per stamp (TSC), median and p99 over B\n"
			 "batches of N stamps, minus the empty-loop overhead.",
		.common = NT_C_CPU, .opts = bs_opts, .opt = bs_opt, .validate = bs_validate, .summary = bs_summary,
		.ctx = &b, .cpu_help = "producer CPU (default: the first allowed CPU)",
	};
	nt_prog_parse(&p, argc, argv);
	if (nt_prog_start(&p) == 0 && setup(&p, &b) == 0) {
		floors(&b);
		for (int m = 0; m < 4 && !nt_stopping(); m++)
			if (b.want[m])
				run_mode(&p, &b, m);
	}
	int rc = nt_prog_close(&p, b.rc ? NT_EXIT_FAIL : NT_EXIT_OK);
	free(b.samp);
	free(b.samp2);
	free(b.rec);
	free(b.r);
	return rc;
}
