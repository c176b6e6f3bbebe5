// SPDX-License-Identifier: GPL-2.0
/*
 * The live reader's ring consumer (collector/ring.c) and decoder against a
 * simulated Xen producer that follows xen/common/trace.c of 4.17: indices
 * modulo 2*size, whole records only, TRC_TRACE_WRAP_BUFFER padding at the end
 * of the ring, records dropped when the ring is full and a TRC_LOST_RECORDS
 * record written (with its own wrap check) before the next record that fits.
 * A producer thread and the consumer also run concurrently.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "natsume_trace.h"
#include "nt/recio.h"
#include "nt_test.h"
#include "ring.h"
#include "xtdec.h"

struct sim {
	uint32_t cons, prod; /* the t_buf header */
	uint8_t *data;
	uint32_t size;
	uint32_t lost;       /* this_cpu(lost_records) */
	uint64_t tsc;
	uint64_t dropped, written, lost_reported, wraps;
};

static uint32_t avail(const struct sim *s)
{
	uint32_t cons = __atomic_load_n(&s->cons, __ATOMIC_ACQUIRE);
	uint32_t used = s->prod >= cons ? s->prod - cons : s->prod + 2 * s->size - cons;
	return s->size - used;
}

static uint32_t to_wrap(const struct sim *s)
{
	return s->size - s->prod % s->size;
}

static void raw_put(struct sim *s, uint32_t ev, unsigned n, int cyc, const uint32_t *x)
{
	uint32_t at = s->prod % s->size;
	uint8_t *p = s->data + at;
	uint32_t h = ev | (uint32_t)n << 28 | (cyc ? 0x80000000u : 0);
	memcpy(p, &h, 4);
	p += 4;
	if (cyc) {
		uint64_t t = ++s->tsc;
		memcpy(p, &t, 8);
		p += 8;
	}
	if (x)
		memcpy(p, x, 4 * n);
	else
		memset(p, 0xa5, 4 * n);
	uint32_t sz = 4 + (cyc ? 8 : 0) + 4 * n;
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* wmb: record, then prod */
	__atomic_store_n(&s->prod, (s->prod + sz) % (2 * s->size), __ATOMIC_RELEASE);
}

static void wrap_put(struct sim *s)
{
	uint32_t left = to_wrap(s);
	uint32_t extra = left - 4;
	int cyc = 0;
	if (extra / 4 > 7) {
		cyc = 1;
		extra -= 8;
	}
	raw_put(s, 0x0001f002, extra / 4, cyc, NULL);
	s->wraps++;
}

/* One ENTRY record whose payload carries a sequence number (entry TSC). */
static void produce(struct sim *s, uint64_t seq)
{
	const uint32_t rec = 4 + 8 + 6 * 4, lostsz = 4 + 8 + 16;
	uint32_t bytes = avail(s), wrapb = to_wrap(s), total = 0;
	if (s->lost) {
		if (lostsz > wrapb) {
			total += wrapb;
			wrapb = s->size;
		}
		total += lostsz;
		wrapb -= lostsz;
		if (wrapb == 0)
			wrapb = s->size;
	}
	if (rec > wrapb)
		total += wrapb;
	total += rec;
	if (total > bytes) {
		s->lost++;
		s->dropped++;
		return;
	}
	if (s->lost) {
		if (lostsz > to_wrap(s))
			wrap_put(s);
		uint32_t x[4] = { s->lost, 0, 0, 0 };
		raw_put(s, 0x0001f001, 4, 1, x);
		s->lost_reported += s->lost;
		s->lost = 0;
	}
	if (rec > to_wrap(s))
		wrap_put(s);
	uint32_t x[6] = { (uint32_t)seq, (uint32_t)(seq >> 32), 0x31, 24, NATSUME_TRC_F_NATSUME, 0 };
	raw_put(s, TRC_HW_NATSUME_ENTRY, 6, 1, x);
	s->written++;
}

struct seen {
	uint64_t next;    /* expected entry TSC (seq) */
	uint64_t entries; /* hv_entry records */
	uint64_t lost;    /* sum of lost records' aux */
	uint64_t gaps;    /* entries skipped (= dropped by the producer) */
	int order_bad;
};

static int on_rec(void *ctx, const struct nt_rec *r)
{
	struct seen *v = ctx;
	if (r->event == NT_EV_HV_ENTRY) {
		if (r->tsc < v->next)
			v->order_bad = 1;
		v->gaps += r->tsc - v->next;
		v->next = r->tsc + 1;
		v->entries++;
		if (r->vector != 0x31 || r->irq != 24 || r->flags != NT_F_NATSUME || r->cpu != 3)
			v->order_bad = 1;
	} else if (r->event == NT_EV_LOST) {
		v->lost += r->aux;
	}
	return 0;
}

static void single_threaded(uint32_t size, unsigned seed)
{
	struct sim s = { .size = size };
	s.data = calloc(1, size);
	uint8_t *out = malloc(size);
	struct seen v = { 0 };
	struct xt_dec d;
	xt_dec_init(&d, NULL, on_rec, &v);
	struct xt_ring r = { .cons = &s.cons, .prod = &s.prod, .data = s.data, .size = size };
	uint64_t seq = 0;
	srand(seed);
	int bad = 0;
	for (int round = 0; round < 4000; round++) {
		int k = rand() % (int)(size / 18 + 2); /* up to twice what fits: drops */
		for (int i = 0; i < k; i++)
			produce(&s, seq++);
		if (rand() % 3 == 0)
			continue; /* let the ring fill up */
		char why[160];
		long got = xt_ring_take(&r, out, why, sizeof(why));
		if (got < 0) {
			bad = 1;
			fprintf(stderr, "ring: %s\n", why);
			break;
		}
		if (got && xt_dec_window(&d, 3, out, (size_t)got, 0) != 0)
			bad = 1;
	}
	/* drain (the producer's pending lost count is only reported by a record
	 * that fits, as in Xen) */
	char why[160];
	long got = xt_ring_take(&r, out, why, sizeof(why));
	if (got > 0)
		xt_dec_window(&d, 3, out, (size_t)got, 0);
	produce(&s, seq++);
	got = xt_ring_take(&r, out, why, sizeof(why));
	if (got > 0)
		xt_dec_window(&d, 3, out, (size_t)got, 0);
	CHECK_EQ_U64(s.lost, 0);
	CHECK(!bad);
	CHECK(!v.order_bad);
	CHECK_EQ_U64(v.entries, s.written);
	CHECK_EQ_U64(v.entries + s.dropped, seq);
	CHECK_EQ_U64(v.lost, s.lost_reported);
	CHECK_EQ_U64(v.gaps, s.lost_reported); /* every gap was reported as lost */
	CHECK_EQ_U64(d.cpu[3].wrap, s.wraps);
	CHECK_EQ_U64(d.cpu[3].malformed, 0);
	CHECK_EQ_U64(d.errors, 0);
	CHECK(s.dropped > 0);  /* the run did overflow */
	CHECK(s.wraps > 10);   /* and wrapped with padding */
	printf("ring size %u: %llu written, %llu dropped, %llu wraps\n", size, (unsigned long long)s.written,
	       (unsigned long long)s.dropped, (unsigned long long)s.wraps);
	xt_dec_free(&d);
	free(s.data);
	free(out);
}

/* concurrent: a producer thread, the consumer polling */
struct conc {
	struct sim s;
	uint64_t n;
	int done;
};

static void *producer(void *arg)
{
	struct conc *c = arg;
	for (uint64_t i = 0; i < c->n; i++) {
		produce(&c->s, i);
		if (i % 64 == 63)
			sched_yield(); /* bursts, so that both drops and reads happen */
	}
	/* a last record reports any pending lost count (retry until it fits) */
	for (uint64_t i = c->n; c->s.lost; i++)
		produce(&c->s, i);
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void concurrent(void)
{
	struct conc c = { .s = { .size = 4096 - 8 }, .n = 100000 };
	c.s.data = calloc(1, c.s.size);
	uint8_t *out = malloc(c.s.size);
	struct seen v = { 0 };
	struct xt_dec d;
	xt_dec_init(&d, NULL, on_rec, &v);
	struct xt_ring r = { .cons = &c.s.cons, .prod = &c.s.prod, .data = c.s.data, .size = c.s.size };
	pthread_t t;
	pthread_create(&t, NULL, producer, &c);
	int bad = 0;
	for (;;) {
		int fin = __atomic_load_n(&c.done, __ATOMIC_ACQUIRE);
		char why[160];
		long got = xt_ring_take(&r, out, why, sizeof(why));
		if (got < 0) {
			bad = 1;
			fprintf(stderr, "ring: %s\n", why);
		}
		if (got > 0 && xt_dec_window(&d, 3, out, (size_t)got, 0) != 0)
			bad = 1;
		if (fin && got == 0)
			break;
	}
	pthread_join(t, NULL);
	CHECK(!bad);
	CHECK(!v.order_bad);
	CHECK_EQ_U64(v.entries, c.s.written);
	CHECK_EQ_U64(v.lost, c.s.lost_reported);
	CHECK_EQ_U64(v.gaps, c.s.lost_reported);
	CHECK_EQ_U64(d.cpu[3].malformed, 0);
	CHECK_EQ_U64(d.errors, 0);
	printf("concurrent: %llu written, %llu dropped, %llu wraps\n", (unsigned long long)c.s.written,
	       (unsigned long long)c.s.dropped, (unsigned long long)c.s.wraps);
	xt_dec_free(&d);
	free(c.s.data);
	free(out);
}

static void bad_indices(void)
{
	uint8_t data[64], out[64];
	uint32_t cons = 0, prod = 200;
	struct xt_ring r = { .cons = &cons, .prod = &prod, .data = data, .size = 64 };
	char why[160] = "";
	CHECK(xt_ring_take(&r, out, why, sizeof(why)) == -1);
	CHECK(strstr(why, "out of range") != NULL);
	CHECK_EQ_U64(cons, 0); /* prod is bogus: cons untouched */
	prod = 100;            /* window 100 > 64 */
	CHECK(xt_ring_take(&r, out, why, sizeof(why)) == -1);
	CHECK_EQ_U64(cons, 100);
	CHECK(xt_ring_take(&r, out, why, sizeof(why)) == 0);
	/* a wrapped window comes out linear */
	for (int i = 0; i < 64; i++)
		data[i] = (uint8_t)i;
	cons = 56; /* offset 56 */
	prod = 72; /* offset 8 of the second lap */
	CHECK(xt_ring_take(&r, out, why, sizeof(why)) == 16);
	CHECK(out[0] == 56 && out[7] == 63 && out[8] == 0 && out[15] == 7);
	CHECK_EQ_U64(cons, 72);
	cons = 120; /* 2*size wrap of the indices: 120 -> 8 */
	prod = 8;
	CHECK(xt_ring_take(&r, out, why, sizeof(why)) == 16);
	CHECK(out[0] == 56 && out[15] == 7);
}

int main(void)
{
	single_threaded(4096 - 8, 1);
	single_threaded(3 * 4096 - 8, 2);
	single_threaded(1000, 3); /* not a page multiple, still a u32 multiple */
	concurrent();
	bad_indices();
	return nt_test_done("test-collector-ring");
}
