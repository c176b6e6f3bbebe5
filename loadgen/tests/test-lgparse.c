// SPDX-License-Identifier: GPL-2.0
/* Unit tests of loadgen's parsers, payload codec and sequence accounting. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>

#include "../../tests/nt_test.h"
#include "lg.h"

static void test_addr(void)
{
	struct sockaddr_storage ss;
	socklen_t l;
	char b[80];
	CHECK(lg_parse_addr("192.0.2.1:9000", 1, &ss, &l) == 0);
	CHECK(ss.ss_family == AF_INET && l == sizeof(struct sockaddr_in));
	CHECK(ntohs(((struct sockaddr_in *)&ss)->sin_port) == 9000);
	lg_fmt_addr(&ss, b, sizeof(b));
	CHECK_STR(b, "192.0.2.1:9000");
	CHECK(lg_parse_addr("[2001:db8::1]:53", 1, &ss, &l) == 0);
	CHECK(ss.ss_family == AF_INET6);
	lg_fmt_addr(&ss, b, sizeof(b));
	CHECK_STR(b, "[2001:db8::1]:53");
	CHECK(lg_parse_addr("2001:db8::1", 0, &ss, &l) == 0);
	CHECK(lg_parse_addr("192.0.2.1", 0, &ss, &l) == 0);
	const char *badv[] = { "192.0.2.1", "192.0.2.1:", "192.0.2.1:0", "192.0.2.1:65536", "192.0.2.1:-1",
			       "999.0.2.1:80", "host.example:80", ":80", "", "[192.0.2.1]:80", "[2001:db8::1]x",
			       "192.0.2.1:80x", "2001:db8::1", "[2001:db8::1", "1.2.3:4" };
	for (size_t i = 0; i < sizeof(badv) / sizeof(badv[0]); i++) {
		int rc = lg_parse_addr(badv[i], 1, &ss, &l);
		if (rc == 0)
			fprintf(stderr, "accepted bad address '%s'\n", badv[i]);
		CHECK(rc == -1);
	}
}

/* (numbers, durations: lib/tests/test-parse.c; the loadgen keeps addresses) */
static void test_mac(void)
{
	uint8_t mac[6];
	CHECK(lg_parse_mac("02:00:5e:10:00:0a", mac) == 0 && mac[0] == 2 && mac[5] == 10);
	CHECK(lg_parse_mac("02:00:5e:10:00", mac) == -1);
	CHECK(lg_parse_mac("02:00:5e:10:00:0a:11", mac) == -1);
	CHECK(lg_parse_mac("zz:00:5e:10:00:0a", mac) == -1);
}

static void test_payload(void)
{
	unsigned char b[64];
	struct nt_payload p = { NT_PAYLOAD_MAGIC, NT_PAYLOAD_VERSION, 1, 0xdeadbeef, 0, 1234567890123ull,
				0x0102030405060708ull, 0x1112131415161718ull },
			  q;
	lg_payload_put(b, &p);
	/* wire layout: little endian, magic "MSTN" */
	CHECK(b[0] == 'M' && b[1] == 'S' && b[2] == 'T' && b[3] == 'N');
	CHECK(b[24] == 0x08 && b[31] == 0x01);
	CHECK(lg_payload_get(b, 40, &q) == LG_PL_OK);
	CHECK(memcmp(&p, &q, sizeof(p)) == 0);
	CHECK(lg_payload_get(b, 39, &q) == LG_PL_SHORT);
	b[4] = 2;
	CHECK(lg_payload_get(b, 40, &q) == LG_PL_VERSION);
	b[0] = 'X';
	CHECK(lg_payload_get(b, 64, &q) == LG_PL_MAGIC);
	CHECK_STR(lg_pl_status_name(LG_PL_SHORT), "short");
}

static void test_seq(void)
{
	struct lg_seqtrack t;
	/* 0 1 2 2 4 3 6 with 7 expected: dup 1, reordered 1, lost 1 (5) */
	lg_seq_init(&t, 7, 0);
	uint64_t s[] = { 0, 1, 2, 2, 4, 3, 6 };
	enum lg_seq_kind k[] = { LG_SEQ_NEW, LG_SEQ_NEW, LG_SEQ_NEW, LG_SEQ_DUP, LG_SEQ_NEW, LG_SEQ_REORDERED,
				 LG_SEQ_NEW };
	for (int i = 0; i < 7; i++)
		CHECK(lg_seq_add(&t, s[i]) == k[i]);
	CHECK(lg_seq_add(&t, 7) == LG_SEQ_RANGE);
	CHECK(lg_seq_add(&t, UINT64_MAX) == LG_SEQ_RANGE);
	CHECK_EQ_U64(t.unique, 6);
	CHECK_EQ_U64(t.dups, 1);
	CHECK_EQ_U64(t.reordered, 1);
	CHECK_EQ_U64(t.out_of_range, 2);
	CHECK_EQ_U64(lg_seq_lost(&t), 1);
	lg_seq_free(&t);
	/* unknown count: loss up to the highest seen; growth past 4096 */
	lg_seq_init(&t, 0, 0);
	CHECK(lg_seq_add(&t, 100000) == LG_SEQ_NEW);
	CHECK(lg_seq_add(&t, 5) == LG_SEQ_REORDERED);
	CHECK(lg_seq_add(&t, 100000) == LG_SEQ_DUP);
	CHECK_EQ_U64(lg_seq_lost(&t), 100001 - 2);
	CHECK(lg_seq_add(&t, 1ull << 28) == LG_SEQ_RANGE);
	lg_seq_free(&t);
	/* nothing received */
	lg_seq_init(&t, 10, 0);
	CHECK_EQ_U64(lg_seq_lost(&t), 10);
	lg_seq_free(&t);
	/* all of 100000 in reverse order: every one but the first is reordered */
	lg_seq_init(&t, 100000, 0);
	for (uint64_t i = 100000; i-- > 0;)
		lg_seq_add(&t, i);
	CHECK_EQ_U64(t.unique, 100000);
	CHECK_EQ_U64(t.reordered, 99999);
	CHECK_EQ_U64(lg_seq_lost(&t), 0);
	lg_seq_free(&t);
}

int main(void)
{
	test_addr();
	test_mac();
	test_payload();
	test_seq();
	return nt_test_done("test-lgparse");
}
