// SPDX-License-Identifier: GPL-2.0
/*
 * Unit test of the guest probe's ring (common/ntgp_ring.h, the code the kernel
 * module runs): record contents and order, wrap-around, a full ring counting
 * losses and the lost record that follows, the in-situ cost sample, and a
 * producer thread against a consumer with the reader/writer invariants.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "ntgp_ring.h"
#include "../../tests/nt_test.h"

static struct ntgp_ring *ring_new(uint32_t records)
{
	struct ntgp_ring *r = aligned_alloc(64, sizeof(*r));

	memset(r, 0, sizeof(*r));
	r->rec = calloc(records, sizeof(struct nt_rec));
	r->mask = records - 1;
	r->last_irq = NT_NONE32;
	return r;
}

static void ring_free(struct ntgp_ring *r)
{
	free(r->rec);
	free(r);
}

static void put_seq(struct ntgp_ring *r, uint64_t i)
{
	ntgp_put(r, 1000 + i, NT_EV_GUEST_PKT, 7, NT_NONE16, i, 2000 + i);
}

static void test_fields_order(void)
{
	struct ntgp_ring *r = ring_new(16);
	struct nt_rec out[16];
	uint64_t n;

	ntgp_user_set_cpu(3);
	ntgp_put(r, 42, NT_EV_TIMER, NT_NONE32, 0xec, NT_NONE64, 1);
	for (uint64_t i = 1; i < 10; i++)
		put_seq(r, i);
	CHECK_EQ_U64(r->head, 10);
	CHECK_EQ_U64(r->stamps, 10);
	CHECK_EQ_U64(r->lost_total, 0);
	n = ntgp_ring_take(r, out, 16);
	CHECK_EQ_U64(n, 10);
	CHECK_EQ_U64(r->tail, 10);
	CHECK_EQ_U64(out[0].tsc, 42);
	CHECK_EQ_U64(out[0].event, NT_EV_TIMER);
	CHECK_EQ_U64(out[0].vector, 0xec);
	CHECK_EQ_U64(out[0].irq, NT_NONE32);
	CHECK_EQ_U64(out[0].seq, NT_NONE64);
	CHECK_EQ_U64(out[0].aux, 1);
	for (uint64_t i = 1; i < 10; i++) {
		CHECK_EQ_U64(out[i].tsc, 1000 + i);
		CHECK_EQ_U64(out[i].seq, i);
		CHECK_EQ_U64(out[i].aux, 2000 + i);
		CHECK_EQ_U64(out[i].irq, 7);
		CHECK_EQ_U64(out[i].vector, NT_NONE16);
		CHECK_EQ_U64(out[i].event, NT_EV_GUEST_PKT);
	}
	for (int i = 0; i < 10; i++) {
		CHECK_EQ_U64(out[i].flags, 0);
		CHECK_EQ_U64(out[i].dom, NT_NONE16);
		CHECK_EQ_U64(out[i].cpu, 3);
		CHECK_EQ_U64(out[i].source, NT_SRC_GUEST);
	}
	CHECK_EQ_U64(ntgp_ring_take(r, out, 16), 0);
	ring_free(r);
}

/* 7 records at a time through 16 slots: every take after the first two
 * crosses the end of the array at some point, in two chunks. */
static void test_wrap(void)
{
	struct ntgp_ring *r = ring_new(16);
	struct nt_rec out[16];
	uint64_t next = 0;
	int bad = 0;

	for (uint64_t round = 0; round < 100; round++) {
		for (int k = 0; k < 7; k++)
			put_seq(r, round * 7 + k);
		if (ntgp_ring_take(r, out, 16) != 7)
			bad++;
		for (int k = 0; k < 7; k++)
			if (out[k].seq != next++ || out[k].event != NT_EV_GUEST_PKT)
				bad++;
	}
	CHECK_EQ_U64(bad, 0);
	CHECK_EQ_U64(r->head, 700);
	CHECK_EQ_U64(r->tail, 700);
	CHECK_EQ_U64(r->lost_total, 0);
	/* take with a small max leaves the rest */
	for (int k = 0; k < 10; k++)
		put_seq(r, 700 + k);
	CHECK_EQ_U64(ntgp_ring_take(r, out, 4), 4);
	CHECK_EQ_U64(out[0].seq, 700);
	CHECK_EQ_U64(ntgp_ring_take(r, out, 16), 6);
	CHECK_EQ_U64(out[0].seq, 704);
	CHECK_EQ_U64(out[5].seq, 709);
	ring_free(r);
}

static void test_full_lost(void)
{
	struct ntgp_ring *r = ring_new(16);
	struct nt_rec out[16];

	for (uint64_t i = 0; i < 16; i++)
		put_seq(r, i);
	CHECK_EQ_U64(r->head, 16);          /* all 16 slots used */
	CHECK_EQ_U64(r->lost_total, 0);
	for (uint64_t i = 16; i < 21; i++)
		put_seq(r, i);
	CHECK_EQ_U64(r->head, 16);          /* nothing overwritten */
	CHECK_EQ_U64(r->lost_total, 5);
	CHECK_EQ_U64(r->lost_pending, 5);
	CHECK_EQ_U64(r->stamps, 21);
	/* one free slot is not enough: lost record + record need two */
	CHECK_EQ_U64(ntgp_ring_take(r, out, 1), 1);
	CHECK_EQ_U64(out[0].seq, 0);
	put_seq(r, 21);
	CHECK_EQ_U64(r->head, 16);
	CHECK_EQ_U64(r->lost_pending, 6);
	CHECK_EQ_U64(r->lost_total, 6);
	/* two free slots: the lost record, then the stamp */
	CHECK_EQ_U64(ntgp_ring_take(r, out, 1), 1);
	CHECK_EQ_U64(out[0].seq, 1);
	put_seq(r, 22);
	CHECK_EQ_U64(r->head, 18);
	CHECK_EQ_U64(r->lost_pending, 0);
	CHECK_EQ_U64(r->lost_total, 6);
	CHECK_EQ_U64(r->stamps, 23);
	CHECK_EQ_U64(ntgp_ring_take(r, out, 16), 16);
	for (int k = 0; k < 14; k++)
		CHECK_EQ_U64(out[k].seq, 2 + k);
	CHECK_EQ_U64(out[14].event, NT_EV_LOST);
	CHECK_EQ_U64(out[14].aux, 6);
	CHECK_EQ_U64(out[14].tsc, 1000 + 22);  /* stamped with the next record */
	CHECK_EQ_U64(out[14].seq, NT_NONE64);
	CHECK_EQ_U64(out[14].irq, NT_NONE32);
	CHECK_EQ_U64(out[15].event, NT_EV_GUEST_PKT);
	CHECK_EQ_U64(out[15].seq, 22);
	/* after the loss, normal operation */
	put_seq(r, 23);
	CHECK_EQ_U64(ntgp_ring_take(r, out, 16), 1);
	CHECK_EQ_U64(out[0].seq, 23);
	CHECK_EQ_U64(r->lost_total, 6);
	ring_free(r);
}

static void test_cost(void)
{
	struct ntgp_ring *r = ring_new(16);
	struct nt_rec out[16];
	uint64_t t;

	for (int i = 0; i < 3 * NTGP_COST_EVERY; i++) {
		t = ntgp_rdtsc();
		ntgp_put(r, t, NT_EV_TIMER, NT_NONE32, NT_NONE16, NT_NONE64, 1);
		ntgp_cost(r, t);
		ntgp_ring_take(r, out, 16);
	}
	CHECK_EQ_U64(r->cost_n, 3);
	CHECK(r->cost_min <= r->cost_max);
	CHECK(r->cost_sum >= 3 * r->cost_min && r->cost_sum <= 3 * r->cost_max);
	CHECK_EQ_U64(r->stamps, 3 * NTGP_COST_EVERY);
	ring_free(r);
}

/* ---------------------------------------------- producer vs consumer */

#define CONC_N 300000u

static int consumer_ready;

/* Rounds of 1000 stamps: paced in even rounds (the consumer keeps up, the
 * ring wraps many times), bursts in odd rounds (the ring usually fills and
 * counts losses).  Which happens depends on scheduling; the invariants
 * checked hold either way. */
static void *producer(void *p)
{
	struct ntgp_ring *r = p;
	volatile unsigned int spin;

	ntgp_user_set_cpu(1);
	for (unsigned int k = 0; k < 100000000u &&
	     !__atomic_load_n(&consumer_ready, __ATOMIC_ACQUIRE); k++)
		;
	for (uint64_t i = 0; i < CONC_N; i++) {
		put_seq(r, i);
		if (!((i / 1000) & 1))
			for (spin = 0; spin < 200; spin++)
				;
	}
	return NULL;
}

static void test_concurrent(void)
{
	struct ntgp_ring *r = ring_new(64);
	struct nt_rec out[64];
	pthread_t th;
	uint64_t stored = 0, lost_recs = 0, lost_sum = 0, next = 0;
	uint64_t pending_lost = 0, bad_order = 0, bad_lost = 0, bad_room = 0;
	int have_lost = 0, joined = 0;
	uint64_t lost_tsc = 0;

	CHECK(pthread_create(&th, NULL, producer, r) == 0);
	__atomic_store_n(&consumer_ready, 1, __ATOMIC_RELEASE);
	for (;;) {
		uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
		uint64_t n;

		if (head - r->tail > (uint64_t)r->mask + 1)
			bad_room++;
		n = ntgp_ring_take(r, out, 64);
		for (uint64_t k = 0; k < n; k++) {
			const struct nt_rec *e = &out[k];

			if (e->event == NT_EV_LOST) {
				/* never two lost records in a row */
				if (have_lost || e->aux == 0)
					bad_lost++;
				have_lost = 1;
				lost_recs++;
				lost_sum += e->aux;
				pending_lost = e->aux;
				lost_tsc = e->tsc;
				continue;
			}
			/* the records dropped are exactly the seq gap */
			if (e->seq != next + (have_lost ? pending_lost : 0))
				bad_order++;
			if (have_lost && lost_tsc != e->tsc)
				bad_lost++;
			if (e->tsc != 1000 + e->seq || e->cpu != 1)
				bad_order++;
			next = e->seq + 1;
			have_lost = 0;
			pending_lost = 0;
			stored++;
		}
		if (joined && n == 0)
			break;
		if (!joined && n == 0 &&
		    __atomic_load_n(&r->stamps, __ATOMIC_RELAXED) == CONC_N) {
			pthread_join(th, NULL);
			joined = 1;
		}
	}
	CHECK_EQ_U64(bad_room, 0);
	CHECK_EQ_U64(bad_order, 0);
	CHECK_EQ_U64(bad_lost, 0);
	CHECK(!have_lost);  /* a lost record is always followed by its record */
	CHECK_EQ_U64(r->stamps, CONC_N);
	CHECK_EQ_U64(r->head, r->tail);
	/* every stamp is either stored, or counted in a lost record, or still
	 * pending (dropped after the last record that fitted) */
	CHECK_EQ_U64(stored + lost_sum + r->lost_pending, CONC_N);
	CHECK_EQ_U64(r->lost_total, lost_sum + r->lost_pending);
	CHECK_EQ_U64(r->head, stored + lost_recs);
	/* the last stored record is the last stamp unless some were pending */
	if (!r->lost_pending)
		CHECK_EQ_U64(next, CONC_N);
	else
		CHECK_EQ_U64(next + r->lost_pending, CONC_N);
	printf("concurrent: %u stamps, %llu stored, %llu lost in %llu lost records, %llu pending\n",
	       CONC_N, (unsigned long long)stored, (unsigned long long)lost_sum,
	       (unsigned long long)lost_recs, (unsigned long long)r->lost_pending);
	ring_free(r);
}

int main(void)
{
	test_fields_order();
	test_wrap();
	test_full_lost();
	test_cost();
	test_concurrent();
	return nt_test_done("test-ntgp-ring");
}
