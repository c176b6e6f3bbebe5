// SPDX-License-Identifier: GPL-2.0
/* Unit tests: the join rule with the recording window the TO's source
 * declares (docs/run-layout.md "The join rule"): a FROM before its start or
 * after its end takes no TO and is counted (outside_to_window, if its irq
 * could match a TO's under join_irq, else unmatched FROM), its bounds
 * are inside, a seq still joins, no window changes nothing; the value
 * parser and the merge of several files' windows. */
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "nt/recio.h"
#include "../../tests/nt_test.h"

static struct nt_rec rec(int ev, uint64_t tsc, uint32_t irq, uint64_t seq)
{
	struct nt_rec r = nt_rec_blank(ev == NT_EV_HV_ENTRY ? NT_SRC_HV : NT_SRC_GUEST, (enum nt_event)ev);
	r.tsc = tsc;
	r.irq = irq;
	r.seq = seq;
	return r;
}

/* hv_entry:timer, window 100 cycles, through a joiner with join_irq MODE and
 * MAP and the recording window w: the counts and the samples' n, min, max */
struct run {
	struct join_counts c;
	uint64_t n, min, max;
};
static struct run feed(const char *mode, const char *map, const struct recwin *w, const struct nt_rec *rs, size_t n)
{
	struct measure_def m;
	char why[160];
	struct irqmap im;
	struct stalls st;
	struct joiner j;
	memset(&st, 0, sizeof(st));
	if (measure_parse("latency.0", "hv_entry:timer", &m, why, sizeof(why)) ||
	    irqmap_parse(mode, map, &im, why, sizeof(why)))
		abort();
	joiner_init(&j, &m, 100, 0, 0, 1000, &st);
	j.im = &im;
	j.tow = w;
	for (size_t i = 0; i < n; i++)
		if (joiner_feed(&j, &rs[i]))
			abort();
	joiner_finish(&j);
	joiner_summarize(&j);
	struct run out = { j.c, j.sum.n, j.sum.min, j.sum.max };
	joiner_free(&j);
	return out;
}

/* IRQ 0 -> 11, streams of FROM/TO tscs (a TO is marked by a negative value) */
static struct run join(const struct recwin *w, const long long *ev, size_t n, uint64_t seq_from)
{
	struct nt_rec rs[16];
	if (n > sizeof(rs) / sizeof(rs[0]))
		abort();
	for (size_t i = 0; i < n; i++)
		rs[i] = ev[i] >= 0 ? rec(NT_EV_HV_ENTRY, (uint64_t)ev[i], 0, seq_from)
				   : rec(NT_EV_TIMER, (uint64_t)-ev[i], 11, NT_NONE64);
	return feed(NULL, "0:11", w, rs, n);
}

/* every FROM accounted once, with the new term (docs/run-layout.md) */
static int identity(const struct join_counts *c)
{
	return c->from_seen == c->matched + c->negative + c->unmatched_from + c->dup_from + c->outside_to_window &&
	       c->to_seen == c->matched + c->negative - c->shared_to + c->unmatched_to + c->dup_to;
}

static void test_rule(void)
{
	/* the receiver records [1000, 2000]: FROMs at 950 (before: its TO would be
	 * the first stamp at 1010 without the window), 1000 (the start itself),
	 * 1500 (inside), 2000 (the end itself), 2050 (after: unmatched or
	 * outside) */
	const long long ev[] = { 950, 1000, -1010, 1500, -1520, 2000, -2030, 2050, -2060 };
	struct recwin w = { 1, 1, 1000, 2000 };
	struct run a = join(&w, ev, sizeof(ev) / sizeof(ev[0]), NT_NONE64);
	CHECK_EQ_U64(a.c.from_seen, 5);
	CHECK_EQ_U64(a.c.outside_to_window, 2); /* 950 and 2050 */
	CHECK_EQ_U64(a.c.matched, 3);           /* 1000->1010, 1500->1520, 2000->2030 */
	CHECK_EQ_U64(a.c.shared_to, 0);
	CHECK_EQ_U64(a.c.unmatched_from, 0);
	CHECK_EQ_U64(a.c.unmatched_to, 1);      /* 2060: no FROM waiting (2050 is outside) */
	CHECK_EQ_U64(a.n, 3);
	CHECK_EQ_U64(a.min, 10);
	CHECK_EQ_U64(a.max, 30);
	CHECK(identity(&a.c));

	/* no window declared: exactly today's rule (950 shares 1010 with 1000,
	 * 2050 takes 2060) */
	struct run b = join(NULL, ev, sizeof(ev) / sizeof(ev[0]), NT_NONE64);
	CHECK_EQ_U64(b.c.outside_to_window, 0);
	CHECK_EQ_U64(b.c.matched, 5);
	CHECK_EQ_U64(b.c.shared_to, 1);
	CHECK_EQ_U64(b.c.unmatched_to, 0);
	CHECK_EQ_U64(b.max, 60);
	CHECK(identity(&b.c));

	/* one bound only: the other stays open */
	struct recwin ws = { 1, 0, 1000, 0 }, we = { 0, 1, 0, 2000 };
	struct run c = join(&ws, ev, sizeof(ev) / sizeof(ev[0]), NT_NONE64);
	CHECK_EQ_U64(c.c.outside_to_window, 1); /* 950 */
	CHECK_EQ_U64(c.c.matched, 4);
	CHECK(identity(&c.c));
	struct run d = join(&we, ev, sizeof(ev) / sizeof(ev[0]), NT_NONE64);
	CHECK_EQ_U64(d.c.outside_to_window, 1); /* 2050 */
	CHECK_EQ_U64(d.c.matched, 4);
	CHECK(identity(&d.c));

	/* the FROMs after the end: before, unmatched; now outside */
	const long long tail[] = { 1500, -1520, 2050, 2100 };
	struct run e = join(NULL, tail, 4, NT_NONE64);
	CHECK_EQ_U64(e.c.unmatched_from, 2);
	struct run f = join(&w, tail, 4, NT_NONE64);
	CHECK_EQ_U64(f.c.unmatched_from, 0);
	CHECK_EQ_U64(f.c.outside_to_window, 2);
	CHECK(identity(&f.c));
}

/* The irq of a FROM outside the window under each join_irq mode: counted
 * outside_to_window only when the mode could pair it with a TO's irq (map: a
 * FROM of the map, or no irq), otherwise unmatched as without the window. */
struct iev {
	uint64_t tsc;
	uint32_t irq;
	int to;
};
static struct join_counts join_irq(const char *mode, const char *map, const struct recwin *w, const struct iev *ev,
				   size_t n)
{
	struct nt_rec rs[16];
	if (n > sizeof(rs) / sizeof(rs[0]))
		abort();
	for (size_t i = 0; i < n; i++)
		rs[i] = rec(ev[i].to ? NT_EV_TIMER : NT_EV_HV_ENTRY, ev[i].tsc, ev[i].irq, NT_NONE64);
	return feed(mode, map, w, rs, n).c;
}

static void test_irq(void)
{
	/* the guest records [1000, 2000]; Xen's IRQ 0 (the timer, mapped 0:11)
	 * and IRQ 23 (a NIC, no TO irq it could match) on both sides of it */
	const struct iev ev[] = {
		{ 900, 23, 0 },	 { 950, 0, 0 },	   { 960, NT_NONE32, 0 }, { 1500, 0, 0 },
		{ 1510, 23, 0 }, { 1520, 11, 1 },  { 2050, 23, 0 },	  { 2060, 0, 0 },
		{ 2070, 23, 0 }, { 2080, 11, 1 },
	};
	size_t n = sizeof(ev) / sizeof(ev[0]);
	struct recwin w = { 1, 1, 1000, 2000 };

	/* map: outside are the IRQ 0 entries 950, 2060 and 960 (no irq: it
	 * could match any TO); 900, 2050 and 2070 (IRQ 23, outside) are
	 * unmatched as 1510 (IRQ 23, inside) is */
	struct join_counts a = join_irq("map", "0:11", &w, ev, n);
	CHECK_EQ_U64(a.from_seen, 8);
	CHECK_EQ_U64(a.outside_to_window, 3);
	CHECK_EQ_U64(a.unmatched_from, 4);
	CHECK_EQ_U64(a.matched, 1); /* 1500 -> 1520 */
	CHECK_EQ_U64(a.unmatched_to, 1);
	CHECK(identity(&a));
	/* without the window the four IRQ 23 entries are unmatched FROMs too
	 * (with 950 and 960: no TO within 100 cycles; 2060 takes 2080) */
	struct join_counts a0 = join_irq("map", "0:11", NULL, ev, n);
	CHECK_EQ_U64(a0.outside_to_window, 0);
	CHECK_EQ_U64(a0.unmatched_from, 6);
	CHECK_EQ_U64(a0.matched, 2);
	CHECK(identity(&a0));

	/* same and any: every FROM outside, whatever its irq */
	struct join_counts b = join_irq("same", NULL, &w, ev, n);
	CHECK_EQ_U64(b.outside_to_window, 6);
	CHECK_EQ_U64(b.matched, 0); /* no TO on IRQ 0 or 23 */
	CHECK_EQ_U64(b.unmatched_from, 2);
	CHECK(identity(&b));
	struct join_counts c = join_irq("any", NULL, &w, ev, n);
	CHECK_EQ_U64(c.outside_to_window, 6);
	CHECK_EQ_U64(c.matched, 2); /* 1500 and 1510 share 1520 */
	CHECK_EQ_U64(c.shared_to, 1);
	CHECK_EQ_U64(c.unmatched_from, 0);
	CHECK_EQ_U64(c.unmatched_to, 1);
	CHECK(identity(&c));
}

/* a FROM with a seq outside the window is still joined by its seq, never by
 * the first TO after it */
static void test_seq(void)
{
	struct measure_def m;
	char why[160];
	struct stalls st;
	struct joiner j;
	memset(&st, 0, sizeof(st));
	if (measure_parse("latency.0", "send:rx_kernel", &m, why, sizeof(why)))
		abort();
	struct recwin w = { 1, 1, 1000, 2000 };
	joiner_init(&j, &m, 100, 0, 0, 1000, &st);
	j.tow = &w;
	struct nt_rec s1 = nt_rec_blank(NT_SRC_SENDER, NT_EV_SEND), s2 = s1;
	struct nt_rec r1 = nt_rec_blank(NT_SRC_RECEIVER, NT_EV_RX_KERNEL), r2 = r1;
	s1.tsc = 900; /* sent before the receiver began: its packet arrives at 1005 */
	s1.seq = 7;
	s2.tsc = 950; /* sent before too, lost; a TO without seq must not take it */
	s2.seq = 8;
	r1.tsc = 1005;
	r1.seq = 7;
	r2.tsc = 1010;
	CHECK(!joiner_feed(&j, &s1) && !joiner_feed(&j, &s2) && !joiner_feed(&j, &r1) && !joiner_feed(&j, &r2));
	joiner_finish(&j);
	CHECK_EQ_U64(j.c.by_seq, 1);
	CHECK_EQ_U64(j.c.by_near, 0);
	CHECK_EQ_U64(j.c.outside_to_window, 0);
	CHECK_EQ_U64(j.c.unmatched_from, 1);
	CHECK_EQ_U64(j.c.unmatched_to, 1);
	CHECK(identity(&j.c));
	joiner_free(&j);
}

static void test_parse_merge(void)
{
	uint64_t x = 0;
	char why[160];
	CHECK(recwin_value_parse("18027389883", &x, why, sizeof(why)) == 0 && x == 18027389883ull);
	CHECK(recwin_value_parse("18446744073709551615", &x, why, sizeof(why)) == 0 && x == UINT64_MAX);
	CHECK(recwin_value_parse("18446744073709551616", &x, why, sizeof(why)) == -1);
	CHECK(recwin_value_parse("", &x, why, sizeof(why)) == -1);
	CHECK(recwin_value_parse("-1", &x, why, sizeof(why)) == -1);
	CHECK(recwin_value_parse("12 ", &x, why, sizeof(why)) == -1);
	CHECK(recwin_value_parse("0x10", &x, why, sizeof(why)) == -1);
	CHECK(strstr(why, "0x10") != NULL);

	struct recwin w, a = { 1, 1, 100, 200 }, b = { 1, 1, 50, 150 }, c = { 0, 1, 0, 300 };
	recwin_merge(&w, &a, 1);
	recwin_merge(&w, &b, 0);
	CHECK(w.has_start && w.has_end && w.start == 50 && w.end == 200);
	recwin_merge(&w, &c, 0);
	CHECK(!w.has_start && w.has_end && w.end == 300);
	CHECK(!recwin_outside(&w, 0) && recwin_outside(&w, 301) && !recwin_outside(&w, 300));
}

int main(void)
{
	test_rule();
	test_irq();
	test_seq();
	test_parse_merge();
	return nt_test_done("test-join-window");
}
