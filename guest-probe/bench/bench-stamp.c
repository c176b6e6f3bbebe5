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
 *          --drain-us (acquire head, copy records, release tail: the module's
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

#include "ntgp_ring.h"

static const char *prog = "bench-stamp";
static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [--batch N] [--batches B] [--records R] [--mode MODE]\n"
		"          [--drain-us U] [--cpu C] [--consumer-cpu C]\n"
		"Times the guest probe's stamping fast path (guest-probe/common/ntgp_ring.h,\n"
		"the code the kernel module runs) on this CPU: cycles per stamp (TSC),\n"
		"median and p99 over B batches of N stamps, minus the empty-loop overhead.\n"
		"  --batch N         stamps per batch (1..65536, default 256)\n"
		"  --batches B       batches per mode (16..1000000, default 20000)\n"
		"  --records R       ring size, a power of two 16..1048576 (default 8192)\n"
		"  --mode M          cal, drain, spin, full or all (default all)\n"
		"                    cal: ring emptied after each batch (the module's own\n"
		"                    calibration); drain: a consumer thread drains it every\n"
		"                    --drain-us; spin: the consumer polls without pause;\n"
		"                    full: nobody drains, every stamp takes the lost path\n"
		"  --drain-us U      drain period of the drain mode, 1..100000 us (default 1000)\n"
		"  --cpu C           producer CPU (default: the first allowed CPU)\n"
		"  --consumer-cpu C  consumer thread's CPU in drain/spin modes (default:\n"
		"                    another allowed CPU; skipped when there is only one)\n",
		prog);
}

static int parse_u(const char *s, unsigned long lo, unsigned long hi,
		   unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Order statistics of n values (sorted in place). */
struct q { uint64_t min, med, p99, max; size_t n; };

static struct q quant(uint64_t *v, size_t n)
{
	struct q r = { 0, 0, 0, 0, n };

	if (!n)
		return r;
	qsort(v, n, sizeof(*v), cmp_u64);
	r.min = v[0];
	r.med = v[n / 2];
	r.p99 = v[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1];
	r.max = v[n - 1];
	return r;
}

static int pin(unsigned int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	return sched_setaffinity(0, sizeof(s), &s);
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

	c->pin_err = pin(c->cpu) ? errno : 0;
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

/* ------------------------------------------------------------ main */

struct result {
	const char *mode;
	struct q raw;     /* batch cycles */
	double net_med, net_p99, net_min; /* cycles per stamp, empty subtracted */
	uint64_t stamps, lost, recs_written, taken;
	double insitu_mean; uint64_t insitu_n;
	int done;
};

static void print_result(const struct result *res, unsigned int n,
			 double empty_med)
{
	if (!res->done) {
		printf("%-6s skipped\n", res->mode);
		return;
	}
	printf("%-6s %8.1f %8.1f %8.1f   raw %6.1f %6.1f   %6zu  lost %" PRIu64
	       "/%" PRIu64 "  in-situ mean %.1f (%" PRIu64 " samples)\n",
	       res->mode, res->net_med, res->net_p99, res->net_min,
	       res->raw.med / (double)n, res->raw.p99 / (double)n,
	       res->raw.n, res->lost, res->stamps, res->insitu_mean,
	       res->insitu_n);
	(void)empty_med;
}

int main(int argc, char **argv)
{
	unsigned long batch = 256, batches = 20000, records = 8192, v;
	long cpu = -1, ccpu = -1;
	uint64_t *samp, *samp2;
	struct nt_rec *rec;
	struct ntgp_ring *r;
	struct result res[4] = { { .mode = "cal" }, { .mode = "drain" },
				 { .mode = "spin" }, { .mode = "full" } };
	int want[4] = { 1, 1, 1, 1 };
	unsigned long drain_us = 1000;
	struct q floor_rdtsc, floor_rdtscp, empty;
	cpu_set_t allowed;
	struct sigaction sa;
	int rc = 0;

	if (sched_getaffinity(0, sizeof(allowed), &allowed)) {
		fprintf(stderr, "%s: sched_getaffinity: %s\n", prog, strerror(errno));
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(a, "--batch") || !strcmp(a, "--batches") ||
		    !strcmp(a, "--records") || !strcmp(a, "--cpu") ||
		    !strcmp(a, "--consumer-cpu") || !strcmp(a, "--mode") ||
		    !strcmp(a, "--drain-us")) {
			if (!val) {
				fprintf(stderr, "%s: %s needs a value\n", prog, a);
				return 2;
			}
			i++;
		} else {
			fprintf(stderr, "%s: unknown option '%s' (see --help)\n", prog, a);
			return 2;
		}
		if (!strcmp(a, "--mode")) {
			int any = 0;

			for (int m = 0; m < 4; m++)
				any |= want[m] = !strcmp(val, res[m].mode) ||
						 !strcmp(val, "all");
			if (!any) {
				fprintf(stderr, "%s: bad --mode '%s' (cal, drain, spin, full or all)\n",
					prog, val);
				return 2;
			}
			continue;
		}
		if (!strcmp(a, "--batch") ? parse_u(val, 1, 65536, &batch) :
		    !strcmp(a, "--batches") ? parse_u(val, 16, 1000000, &batches) :
		    !strcmp(a, "--records") ? parse_u(val, 16, 1u << 20, &records) :
		    !strcmp(a, "--drain-us") ? parse_u(val, 1, 100000, &drain_us) :
		    parse_u(val, 0, CPU_SETSIZE - 1, &v)) {
			fprintf(stderr, "%s: bad value '%s' for %s\n", prog, val, a);
			return 2;
		}
		if (!strcmp(a, "--cpu") || !strcmp(a, "--consumer-cpu")) {
			if (!CPU_ISSET(v, &allowed)) {
				fprintf(stderr, "%s: %s %lu: not an allowed CPU\n", prog, a, v);
				return 2;
			}
		}
		if (!strcmp(a, "--cpu"))
			cpu = (long)v;
		else if (!strcmp(a, "--consumer-cpu"))
			ccpu = (long)v;
	}
	if (records & (records - 1)) {
		fprintf(stderr, "%s: --records %lu is not a power of two\n", prog, records);
		return 2;
	}

	for (int c = 0; c < CPU_SETSIZE && (cpu < 0 || ccpu < 0); c++) {
		if (!CPU_ISSET(c, &allowed))
			continue;
		if (cpu < 0)
			cpu = c;
		else if (ccpu < 0 && c != cpu)
			ccpu = c;
	}
	if (cpu < 0 || pin((unsigned int)cpu)) {
		fprintf(stderr, "%s: cannot run on CPU %ld: %s\n", prog, cpu,
			strerror(errno));
		return 1;
	}
	ntgp_user_set_cpu((unsigned int)cpu);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	samp = calloc(batches, sizeof(*samp));
	samp2 = calloc(batches, sizeof(*samp2));
	rec = aligned_alloc(64, records * sizeof(*rec));
	r = aligned_alloc(64, sizeof(*r));
	if (!samp || !samp2 || !rec || !r) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 1;
	}
	memset(rec, 0, records * sizeof(*rec));

	/* floors: back-to-back TSC reads */
	for (unsigned long b = 0; b < batches; b++) {
		uint64_t a0 = ntgp_rdtsc(), a1 = ntgp_rdtsc();
		uint64_t c0 = tsc_ord(), c1 = tsc_ord();

		samp[b] = a1 - a0;
		samp2[b] = c1 - c0;
	}
	floor_rdtsc = quant(samp, batches);
	floor_rdtscp = quant(samp2, batches);

	memset(r, 0, sizeof(*r));
	r->rec = rec;
	r->mask = (uint32_t)(records - 1);
	r->last_irq = NT_NONE32;
	{
		unsigned long ne = 0;

		for (; ne < batches && !stop_flag; ne++)
			samp[ne] = batch_empty(r, (unsigned int)batch);
		empty = quant(samp, ne);
	}

	for (int m = 0; m < 4 && !stop_flag; m++) {
		struct result *o = &res[m];
		int threaded = m == 1 || m == 2;
		struct cons cs = { .r = r, .cpu = (unsigned int)ccpu, .run = 1,
				   .period_us = m == 1 ? drain_us : 0 };
		pthread_t th;
		unsigned long nb = 0;
		uint64_t *net = samp2;

		if (!want[m])
			continue;
		if (threaded && ccpu < 0) {
			fprintf(stderr, "%s: %s mode needs two CPUs: skipped\n", prog, o->mode);
			continue;
		}
		memset(r, 0, sizeof(*r));
		r->rec = rec;
		r->mask = (uint32_t)(records - 1);
		r->last_irq = NT_NONE32;
		if (m == 3) {
			/* fill the ring, then one more stamp makes it lose */
			while (r->head - r->tail < records)
				stamp_one(r);
			stamp_one(r);
			if (!r->lost_pending) {
				fprintf(stderr, "%s: internal error: full ring did not count a loss\n",
					prog);
				return 1;
			}
		}
		if (threaded && pthread_create(&th, NULL, consumer, &cs)) {
			fprintf(stderr, "%s: cannot start the consumer thread\n", prog);
			return 1;
		}
		/* warm-up batch, not counted */
		batch_stamp(r, (unsigned int)batch);
		if (m == 0)
			r->tail = r->head;
		else if (threaded)
			wait_room(r, batch);
		{
			uint64_t s0 = r->stamps, l0 = r->lost_total, h0 = r->head;
			uint64_t cn0 = r->cost_n, cs0 = r->cost_sum;

			for (nb = 0; nb < batches && !stop_flag; nb++) {
				if (threaded)
					wait_room(r, batch);
				samp[nb] = batch_stamp(r, (unsigned int)batch);
				if (m == 0)
					r->tail = r->head; /* consume, as the module's calibration */
			}
			o->stamps = r->stamps - s0;
			o->lost = r->lost_total - l0;
			o->recs_written = r->head - h0;
			o->insitu_n = r->cost_n - cn0;
			o->insitu_mean = o->insitu_n ?
				(double)(r->cost_sum - cs0) / (double)o->insitu_n : 0;
		}
		if (threaded) {
			__atomic_store_n(&cs.run, 0, __ATOMIC_RELEASE);
			pthread_join(th, NULL);
			if (cs.pin_err)
				fprintf(stderr, "%s: consumer not pinned to CPU %ld: %s\n",
					prog, ccpu, strerror(cs.pin_err));
			o->taken = cs.taken;
			/* reader invariant: every record published was taken */
			if (r->tail != r->head) {
				fprintf(stderr, "%s: ring invariant broken: tail %" PRIu64
					" != head %" PRIu64 " after the consumer stopped\n",
					prog, r->tail, r->head);
				rc = 1;
			}
		}
		if (m == 3 && o->lost != o->stamps) {
			fprintf(stderr, "%s: full ring stored records (%" PRIu64 " lost of %" PRIu64 ")\n",
				prog, o->lost, o->stamps);
			rc = 1;
		}
		for (unsigned long b = 0; b < nb; b++)
			net[b] = samp[b];
		o->raw = quant(samp, nb);
		/* net per stamp from order statistics of the raw batches */
		o->net_med = ((double)o->raw.med - (double)empty.med) / (double)batch;
		o->net_p99 = ((double)o->raw.p99 - (double)empty.med) / (double)batch;
		o->net_min = ((double)o->raw.min - (double)empty.med) / (double)batch;
		o->done = nb > 0;
	}

	printf("bench-stamp: guest-probe stamping fast path (common/ntgp_ring.h) on the host CPU %ld%s\n",
	       cpu, stop_flag ? " (interrupted: partial)" : "");
	printf("clock: TSC, figures in TSC cycles; %lu batches of %lu stamps per mode, ring %lu records, drain every %lu us\n",
	       batches, batch, records, drain_us);
	printf("floor  rdtsc;rdtsc    median %" PRIu64 " p99 %" PRIu64 " min %" PRIu64 " cycles (TSC)\n",
	       floor_rdtsc.med, floor_rdtsc.p99, floor_rdtsc.min);
	printf("floor  rdtscp;rdtscp  median %" PRIu64 " p99 %" PRIu64 " min %" PRIu64 " cycles (TSC)\n",
	       floor_rdtscp.med, floor_rdtscp.p99, floor_rdtscp.min);
	printf("empty  loop+call      median %.2f p99 %.2f cycles per iteration (TSC), subtracted below\n",
	       (double)empty.med / (double)batch, (double)empty.p99 / (double)batch);
	printf("mode   cycles/stamp (TSC, empty loop subtracted)   raw/stamp      batches  lost/stamps  in-situ (entry rdtsc -> after store)\n");
	printf("         median      p99      min   median    p99\n");
	for (int m = 0; m < 4; m++)
		print_result(&res[m], (unsigned int)batch, (double)empty.med);
	for (int m = 0; m < 4; m++) {
		if (!res[m].done)
			continue;
		printf("result mode=%s median_cycles=%.1f p99_cycles=%.1f raw_median_cycles=%.1f lost=%" PRIu64 " stamps=%" PRIu64 "\n",
		       res[m].mode, res[m].net_med, res[m].net_p99,
		       res[m].raw.med / (double)batch, res[m].lost, res[m].stamps);
	}
	printf("result floor_rdtsc_cycles=%" PRIu64 " floor_rdtscp_cycles=%" PRIu64 " empty_cycles=%.2f\n",
	       floor_rdtsc.med, floor_rdtscp.med, (double)empty.med / (double)batch);
	free(samp);
	free(samp2);
	free(rec);
	free(r);
	if (stop_flag)
		return 130;
	return rc;
}
