// SPDX-License-Identifier: GPL-2.0
/* Unit tests: payload parser (common/ntgp_parse.h), record stream decode and
 * seq join, statistics parser (reader/ntgp_decode.c). */
#include <stdlib.h>
#include <string.h>

#include "../../tests/nt_test.h"
#include "nt/recio.h"
#include "ntgp_decode.h"
#include "ntgp_parse.h"

static void put16be(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32le(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put64le(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }

/* IPv4 + UDP + nt payload (+pad bytes); returns the length. */
static size_t mk_ipv4(uint8_t *b, uint64_t seq, uint32_t run, size_t pad)
{
	size_t ulen = 8 + 40 + pad, tot = 20 + ulen;

	memset(b, 0, tot);
	b[0] = 0x45;
	put16be(b + 2, (unsigned)tot);
	b[8] = 64;
	b[9] = 17;
	put16be(b + 20, 40000);
	put16be(b + 22, 9000);
	put16be(b + 24, (unsigned)ulen);
	put32le(b + 28, NT_PAYLOAD_MAGIC);
	put32le(b + 32, NT_PAYLOAD_VERSION | (1u << 16));
	put32le(b + 36, run);
	put64le(b + 44, seq);
	put64le(b + 60, 0x1122334455667788ull);
	return tot;
}

static void test_parse(void)
{
	uint8_t b[256], v6[256];
	struct ntgp_pkt pk;
	size_t n = mk_ipv4(b, 77, 0xabcdef01u, 10);

	CHECK_EQ_U64(ntgp_parse_l3(NTGP_ETH_P_IP, b, n, n, &pk), NTGP_OK);
	CHECK_EQ_U64(pk.seq, 77);
	CHECK_EQ_U64(pk.run_id, 0xabcdef01u);
	CHECK_EQ_U64(pk.dport, 9000);
	CHECK_EQ_U64(pk.sport, 40000);
	CHECK_EQ_U64(pk.flags, 1);
	CHECK_EQ_U64(pk.tsc_send, 0x1122334455667788ull);
	/* wire longer than IP total length (Ethernet padding) is fine */
	CHECK_EQ_U64(ntgp_parse_l3(NTGP_ETH_P_IP, b, n, n + 20, &pk), NTGP_OK);
	/* every truncation of the captured bytes is refused, never read past */
	for (size_t cut = 0; cut < 20 + 8 + 40; cut++) {
		uint8_t *h = malloc(cut ? cut : 1);
		memcpy(h, b, cut);
		CHECK(ntgp_parse_l3(NTGP_ETH_P_IP, h, cut, n, &pk) != NTGP_OK);
		free(h);
	}
	CHECK_EQ_U64(ntgp_parse_l3(NTGP_ETH_P_IP, b, n - 1, n - 1, &pk), NTGP_E_IPHDR);
	CHECK_EQ_U64(ntgp_parse_l3(NTGP_ETH_P_IP, b, n + 1, n, &pk), NTGP_E_SHORT);
	CHECK_EQ_U64(ntgp_parse_l3(0x0806, b, n, n, &pk), NTGP_E_PROTO);
	b[9] = 6;
	CHECK_EQ_U64(ntgp_parse_l3(NTGP_ETH_P_IP, b, n, n, &pk), NTGP_E_NOTUDP);
	b[9] = 17;
	b[6] = 0x20; /* MF */
	CHECK_EQ_U64(ntgp_parse_l3(NTGP_ETH_P_IP, b, n, n, &pk), NTGP_E_FRAG);
	b[6] = 0x40; /* DF is fine */
	CHECK_EQ_U64(ntgp_parse_l3(NTGP_ETH_P_IP, b, n, n, &pk), NTGP_OK);
	b[0] = 0x44; /* ihl 16 bytes */
	CHECK_EQ_U64(ntgp_parse_l3(NTGP_ETH_P_IP, b, n, n, &pk), NTGP_E_IPHDR);
	b[0] = 0x4f; /* ihl 60: UDP would start inside the payload */
	CHECK(ntgp_parse_l3(NTGP_ETH_P_IP, b, n, n, &pk) != NTGP_OK);
	b[0] = 0x45;
	put16be(b + 24, 8 + 39); /* UDP length too short for the payload */
	CHECK_EQ_U64(ntgp_parse_l3(NTGP_ETH_P_IP, b, n, n, &pk), NTGP_E_UDPLEN);
	put16be(b + 24, (unsigned)(n - 20 + 1)); /* longer than the IP packet */
	CHECK_EQ_U64(ntgp_parse_l3(NTGP_ETH_P_IP, b, n, n, &pk), NTGP_E_UDPLEN);
	put16be(b + 24, (unsigned)(n - 20));
	b[28] ^= 1;
	CHECK_EQ_U64(ntgp_parse_l3(NTGP_ETH_P_IP, b, n, n, &pk), NTGP_E_MAGIC);
	b[28] ^= 1;
	b[32] = 2;
	CHECK_EQ_U64(ntgp_parse_l3(NTGP_ETH_P_IP, b, n, n, &pk), NTGP_E_VERSION);

	/* IPv6 */
	memset(v6, 0, sizeof(v6));
	n = mk_ipv4(b, 5, 1, 0);
	v6[0] = 0x60;
	put16be(v6 + 4, 48);
	v6[6] = 17;
	memcpy(v6 + 40, b + 20, 48);
	CHECK_EQ_U64(ntgp_parse_l3(NTGP_ETH_P_IPV6, v6, 88, 88, &pk), NTGP_OK);
	CHECK_EQ_U64(pk.seq, 5);
	v6[6] = 0; /* hop-by-hop extension header: not followed */
	CHECK_EQ_U64(ntgp_parse_l3(NTGP_ETH_P_IPV6, v6, 88, 88, &pk), NTGP_E_NOTUDP);
	v6[6] = 17;
	CHECK_EQ_U64(ntgp_parse_l3(NTGP_ETH_P_IPV6, v6, 87, 87, &pk), NTGP_E_IPHDR);
}

struct sink {
	struct nt_rec r[64];
	int n;
};

static int sink_put(void *ctx, const struct nt_rec *r)
{
	struct sink *s = ctx;

	if (s->n < 64)
		s->r[s->n++] = *r;
	return 0;
}

static void rec(unsigned char *out, unsigned ev, unsigned cpu, uint64_t tsc, uint32_t irq,
		uint64_t seq, uint64_t aux)
{
	struct nt_rec r = nt_rec_blank(NT_SRC_GUEST, (enum nt_event)ev);

	r.cpu = (uint16_t)cpu;
	r.tsc = tsc;
	r.irq = irq;
	r.seq = seq;
	r.aux = aux;
	nt_rec_to_le(&r, out);
}

static void test_join(void)
{
	static struct ntgp_join j;
	struct sink s = { .n = 0 };
	unsigned char b[40 * 10];

	ntgp_join_init(&j);
	rec(b + 0, NT_EV_GUEST_IRQ, 0, 100, 24, NT_NONE64, NT_NONE64);
	rec(b + 40, NT_EV_GUEST_IRQ, 1, 105, 11, NT_NONE64, NT_NONE64);
	rec(b + 80, NT_EV_TIMER, 0, 106, NT_NONE32, NT_NONE64, 1);
	rec(b + 120, NT_EV_GUEST_PKT, 0, 110, 24, 7, 100);  /* ties irq@100 */
	rec(b + 160, NT_EV_GUEST_PKT, 0, 111, 24, 8, 100);  /* second packet: no tie */
	rec(b + 200, NT_EV_GUEST_IRQ, 0, 200, 24, NT_NONE64, NT_NONE64);
	rec(b + 240, NT_EV_GUEST_PKT, 0, 210, 24, 9, 150);  /* stale aux: no tie */
	rec(b + 280, NT_EV_LOST, 1, 300, NT_NONE32, NT_NONE64, 5);
	/* a corrupt record: wrong source */
	rec(b + 320, NT_EV_GUEST_IRQ, 0, 1, 1, NT_NONE64, NT_NONE64);
	b[320 + 38] = NT_SRC_HV;
	/* decoded in two pieces, cut inside the stream at a record boundary */
	CHECK_EQ_U64(ntgp_decode(&j, b, 160, sink_put, &s), 0);
	CHECK_EQ_U64(ntgp_decode(&j, b + 160, 200, sink_put, &s), 0);
	CHECK_EQ_U64(ntgp_join_flush(&j, sink_put, &s), 0);
	CHECK_EQ_U64(j.n_in, 9);
	CHECK_EQ_U64(j.n_bad, 1);
	CHECK_EQ_U64(j.n_irq, 3);
	CHECK_EQ_U64(j.n_pkt, 3);
	CHECK_EQ_U64(j.n_tied, 1);
	CHECK_EQ_U64(j.n_lost, 5);
	CHECK_EQ_U64(j.lost_by_cpu[1], 5);
	CHECK_EQ_U64(s.n, 8);
	/* order: timer, irq@100 (seq 7), pkt 7, pkt 8, irq@200, pkt 9, lost, irq@105 (flush) */
	CHECK_EQ_U64(s.r[0].event, NT_EV_TIMER);
	CHECK_EQ_U64(s.r[1].event, NT_EV_GUEST_IRQ);
	CHECK_EQ_U64(s.r[1].seq, 7);
	CHECK_EQ_U64(s.r[2].seq, 7);
	CHECK_EQ_U64(s.r[3].seq, 8);
	CHECK_EQ_U64(s.r[4].tsc, 200);
	CHECK_EQ_U64(s.r[4].seq, NT_NONE64);
	CHECK_EQ_U64(s.r[6].event, NT_EV_LOST);
	CHECK_EQ_U64(s.r[7].tsc, 105);
	CHECK_EQ_U64(s.r[7].seq, NT_NONE64);
	/* a partial record is bad, not read past */
	CHECK_EQ_U64(ntgp_decode(&j, b, 39, sink_put, &s), 0);
	CHECK_EQ_U64(j.n_bad, 2);
}

/* guest_irq_exit: valid with irq and an entry stamp not after it; emitted as
 * it comes (the held-back guest_irq of its CPU stays held for the packet). */
static void test_exit(void)
{
	static struct ntgp_join j;
	struct sink s = { .n = 0 };
	unsigned char b[40 * 6];

	ntgp_join_init(&j);
	rec(b + 0, NT_EV_GUEST_IRQ, 0, 100, 24, NT_NONE64, NT_NONE64);
	rec(b + 40, NT_EV_GUEST_IRQ_EXIT, 0, 130, 24, NT_NONE64, 100);
	rec(b + 80, NT_EV_GUEST_PKT, 0, 140, 24, 7, 100);
	rec(b + 120, NT_EV_GUEST_IRQ_EXIT, 0, 90, 24, NT_NONE64, 100);        /* before its entry */
	rec(b + 160, NT_EV_GUEST_IRQ_EXIT, 0, 150, NT_NONE32, NT_NONE64, 100); /* no irq */
	rec(b + 200, NT_EV_GUEST_IRQ_EXIT, 0, 150, 24, NT_NONE64, NT_NONE64);  /* no entry */
	CHECK_EQ_U64(ntgp_decode(&j, b, sizeof(b), sink_put, &s), 0);
	CHECK_EQ_U64(ntgp_join_flush(&j, sink_put, &s), 0);
	CHECK_EQ_U64(j.n_exit, 1);
	CHECK_EQ_U64(j.n_bad, 3);
	CHECK_EQ_U64(j.n_tied, 1);
	CHECK_EQ_U64(s.n, 3);
	/* order: exit, irq@100 (seq 7, released by the packet), pkt */
	CHECK_EQ_U64(s.r[0].event, NT_EV_GUEST_IRQ_EXIT);
	CHECK_EQ_U64(s.r[0].aux, 100);
	CHECK_EQ_U64(s.r[1].event, NT_EV_GUEST_IRQ);
	CHECK_EQ_U64(s.r[1].seq, 7);
	CHECK_EQ_U64(s.r[2].event, NT_EV_GUEST_PKT);
}

static void test_stats(void)
{
	static struct ntgp_stats st;
	char why[128];
	const char *t = "version=1\nkernel=6.1.0-56-amd64\ntsc_khz=2400000\nbuf_records=64\n"
			"timer=hrtimer\ntimer_period_us=1000\ntimer_cpu=-1\nrx=1\nirqs=11,24-25\n"
			"cpu=0 stamps=10 lost=3 head=7 tail=7 cost_n=2 cost_sum=100 cost_min=40 cost_max=60 "
			"cal_median=45 cal_min=40 hr_ticks=0 hr_overruns=0\n"
			"cpu=1 stamps=5 lost=0 future_key=9\n";

	CHECK_EQ_U64(ntgp_stats_parse(t, strlen(t), &st, why, sizeof(why)), 0);
	CHECK_STR(st.kernel, "6.1.0-56-amd64");
	CHECK_STR(st.timer, "hrtimer");
	CHECK_STR(st.irqs, "11,24-25");
	CHECK_EQ_U64(st.tsc_khz, 2400000);
	CHECK_EQ_U64(st.buf_records, 64);
	CHECK_EQ_U64(st.ncpu, 2);
	CHECK_EQ_U64(st.cpu[0].lost, 3);
	CHECK_EQ_U64(st.cpu[0].cal_median, 45);
	CHECK_EQ_U64(st.cpu[1].stamps, 5);
	CHECK(st.timer_cpu == -1);
	CHECK(ntgp_stats_parse("cpu=x\n", 6, &st, why, sizeof(why)) == -1);
	CHECK(ntgp_stats_parse("cpu=999\n", 8, &st, why, sizeof(why)) == -1);
	CHECK(ntgp_stats_parse("novalue\n", 8, &st, why, sizeof(why)) == -1);
	CHECK(ntgp_stats_parse("cpu=1 lost=99999999999999999999999\n", 35, &st, why, sizeof(why)) == -1);
}

int main(void)
{
	test_parse();
	test_join();
	test_exit();
	test_stats();
	return nt_test_done("test-ntgp-decode");
}
