/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest probe's per-CPU record ring and its stamping fast path: fill a
 * struct nt_rec, push it, count what a full ring drops.  Shared by the kernel
 * module (module/nt_guest_probe.c, which owns one ring per CPU) and by user
 * space (tests/test-ntgp-ring.c, bench/bench-stamp.c), so that the code the
 * bench times on the host CPU is the code the module runs.
 *
 * Protocol (single producer, single consumer):
 *   - the producer runs on the ring's CPU with interrupts off (in the module),
 *     so a ring never has two writers; it owns head, tail_seen, lost_*,
 *     stamps and the cost_* fields;
 *   - the consumer owns tail (on its own cache line); it reads head with
 *     acquire, copies records [tail, head) and publishes the new tail with
 *     release;
 *   - the producer publishes a record by storing head with release, and only
 *     reads the consumer's tail (acquire) when the ring looks full;
 *   - a full ring drops the record and counts it (lost_pending, lost_total);
 *     the next record that fits is preceded by an NT_EV_LOST record whose aux
 *     is the number dropped (it needs two free slots, so the lost record is
 *     never left without room for the record after it).
 *
 * The only kernel/user differences are the names of the primitives below:
 * smp_load_acquire/smp_store_release (on x86 plain loads and stores with a
 * compiler barrier; the GCC __atomic acquire/release builtins compile to the
 * same), likely/unlikely, raw_smp_processor_id (a per-CPU load in the kernel,
 * a thread-local load here: set it with ntgp_user_set_cpu), rdtsc and
 * rdtsc_ordered (in the kernel an alternative: rdtscp, or lfence; rdtsc; here
 * rdtscp).
 */
#ifndef NTGP_RING_H
#define NTGP_RING_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/cache.h>
#include <linux/compiler.h>
#include <linux/smp.h>
#include <asm/barrier.h>
#include <asm/msr.h>
#define NTGP_CACHE_ALIGNED         ____cacheline_aligned
#define ntgp_likely(x)             likely(x)
#define ntgp_unlikely(x)           unlikely(x)
#define ntgp_load_acquire(p)       smp_load_acquire(p)
#define ntgp_store_release(p, v)   smp_store_release(p, v)
#define ntgp_this_cpu()            raw_smp_processor_id()
#define ntgp_rdtsc()               rdtsc()
#define ntgp_rdtsc_ordered()       rdtsc_ordered()
#define NTGP_ALWAYS_INLINE         __always_inline
#else
#include <stdint.h>
#define NTGP_CACHE_ALIGNED         __attribute__((aligned(64)))
#define ntgp_likely(x)             __builtin_expect(!!(x), 1)
#define ntgp_unlikely(x)           __builtin_expect(!!(x), 0)
#define ntgp_load_acquire(p)       __atomic_load_n(p, __ATOMIC_ACQUIRE)
#define ntgp_store_release(p, v)   __atomic_store_n(p, v, __ATOMIC_RELEASE)
#define NTGP_ALWAYS_INLINE         inline __attribute__((always_inline))
/* The CPU number stored in records: the kernel's is a per-CPU variable. */
static __thread unsigned int ntgp_user_cpu;
static inline void ntgp_user_set_cpu(unsigned int cpu) { ntgp_user_cpu = cpu; }
#define ntgp_this_cpu()            ntgp_user_cpu
#if defined(__x86_64__) || defined(__i386__)
static NTGP_ALWAYS_INLINE uint64_t ntgp_rdtsc(void)
{
	return __builtin_ia32_rdtsc();
}
static NTGP_ALWAYS_INLINE uint64_t ntgp_rdtsc_ordered(void)
{
	unsigned int aux;

	return __builtin_ia32_rdtscp(&aux);
}
#else
#error "ntgp_ring.h: x86 only (the probe stamps the TSC)"
#endif
#endif
#include "nt/record.h"

#define NTGP_COST_EVERY 64 /* in-situ cost sample: one stamp in 64 */

struct ntgp_ring {
	/* producer side (this CPU, interrupts off) */
	uint64_t head;
	uint64_t tail_seen;  /* last tail read: the consumer's line is only
				touched when the ring looks full */
	uint64_t lost_pending;
	uint64_t lost_total;
	uint64_t stamps;     /* events accepted by the filters (incl. lost) */
	uint64_t last_irq_tsc;
	uint32_t last_irq;
	/* exit stamps: the stamped interrupt whose handler has not returned
	 * (its irqaction, NULL when none is open) and whether the whole line was
	 * chosen (by number: it closes at the line's last handler) */
	uint32_t open_line;
	const void *open_action;
	uint32_t cost_tick;
	uint64_t cost_n, cost_sum, cost_min, cost_max;
	uint64_t hr_ticks, hr_overruns;
	uint32_t mask;       /* records - 1 */
	struct nt_rec *rec;
	/* consumer side */
	uint64_t tail NTGP_CACHE_ALIGNED;
	/* calibration result (cycles per stamp) */
	uint64_t cal_median, cal_min;
} NTGP_CACHE_ALIGNED;

static NTGP_ALWAYS_INLINE void ntgp_fill(struct nt_rec *e, uint64_t tsc,
					 uint8_t ev, uint32_t irq, uint16_t vec,
					 uint64_t seq, uint64_t aux)
{
	e->tsc = tsc;
	e->seq = seq;
	e->aux = aux;
	e->irq = irq;
	e->flags = 0;
	e->vector = vec;
	e->dom = NT_NONE16;
	e->cpu = (uint16_t)ntgp_this_cpu();
	e->source = NT_SRC_GUEST;
	e->event = ev;
}

/* Caller runs on the ring's CPU with interrupts disabled. */
static NTGP_ALWAYS_INLINE void ntgp_put(struct ntgp_ring *r, uint64_t tsc,
					uint8_t ev, uint32_t irq, uint16_t vec,
					uint64_t seq, uint64_t aux)
{
	uint64_t head = r->head;
	uint64_t used = head - r->tail_seen;

	if (ntgp_unlikely(used + 2 > (uint64_t)r->mask + 1)) {
		r->tail_seen = ntgp_load_acquire(&r->tail);
		used = head - r->tail_seen;
	}
	r->stamps++;
	if (ntgp_unlikely(r->lost_pending)) {
		if (used + 2 > (uint64_t)r->mask + 1) {
			r->lost_pending++;
			r->lost_total++;
			return;
		}
		ntgp_fill(&r->rec[head & r->mask], tsc, NT_EV_LOST,
			  NT_NONE32, NT_NONE16, NT_NONE64, r->lost_pending);
		r->lost_pending = 0;
		head++;
	} else if (ntgp_unlikely(used >= (uint64_t)r->mask + 1)) {
		r->lost_pending = 1;
		r->lost_total++;
		return;
	}
	ntgp_fill(&r->rec[head & r->mask], tsc, ev, irq, vec, seq, aux);
	ntgp_store_release(&r->head, head + 1);
}

/* In-situ cost: cycles from the entry stamp to after the store. */
static NTGP_ALWAYS_INLINE void ntgp_cost(struct ntgp_ring *r, uint64_t tsc)
{
	uint64_t c;

	if (ntgp_likely(++r->cost_tick % NTGP_COST_EVERY))
		return;
	c = ntgp_rdtsc_ordered() - tsc;
	r->cost_n++;
	r->cost_sum += c;
	if (c < r->cost_min || r->cost_n == 1)
		r->cost_min = c;
	if (c > r->cost_max)
		r->cost_max = c;
}

#ifndef __KERNEL__
/*
 * User-space consumer, the same steps as the module's read(): acquire head,
 * copy [tail, head) (at most max records, in at most two chunks at the wrap),
 * release the new tail.  Returns the number of records copied into out.
 */
static inline uint64_t ntgp_ring_take(struct ntgp_ring *r, struct nt_rec *out,
				      uint64_t max)
{
	uint64_t head = ntgp_load_acquire(&r->head);
	uint64_t tail = r->tail, n = head - tail, done = 0;

	if (n > max)
		n = max;
	while (n) {
		uint32_t at = (uint32_t)(tail & r->mask);
		uint64_t chunk = (uint64_t)r->mask + 1 - at;

		if (chunk > n)
			chunk = n;
		__builtin_memcpy(out + done, &r->rec[at],
				 chunk * sizeof(struct nt_rec));
		tail += chunk;
		done += chunk;
		n -= chunk;
	}
	ntgp_store_release(&r->tail, tail);
	return done;
}
#endif

#endif
