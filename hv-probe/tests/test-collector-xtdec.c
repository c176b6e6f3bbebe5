// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the trace decoder (collector/xtdec.c) on hand-built records:
 * field mapping, 32-bit widening, short and cut records in strict and lenient
 * mode, window-header resynchronisation, the emit stop. */
#include <stdlib.h>
#include <string.h>

#include "natsume_trace.h"
#include "nt/recio.h"
#include "nt_test.h"
#include "xtdec.h"

struct buf {
	uint8_t b[4096];
	size_t n;
};

static void w32(struct buf *b, uint32_t v)
{
	memcpy(b->b + b->n, &v, 4);
	b->n += 4;
}

static void rec(struct buf *b, uint32_t ev, int cyc, uint64_t tsc, unsigned n, const uint32_t *x)
{
	w32(b, ev | (uint32_t)n << 28 | (cyc ? 0x80000000u : 0));
	if (cyc) {
		w32(b, (uint32_t)tsc);
		w32(b, (uint32_t)(tsc >> 32));
	}
	for (unsigned i = 0; i < n; i++)
		w32(b, x[i]);
}

struct got {
	struct nt_rec r[64];
	int n;
	int stop_at;
};

static int keep(void *ctx, const struct nt_rec *r)
{
	struct got *g = ctx;
	if (g->stop_at && g->n == g->stop_at)
		return 1;
	if (g->n < 64)
		g->r[g->n++] = *r;
	return 0;
}

static void widen(void)
{
	CHECK_EQ_U64(xt_widen32(0xfffffff0u, 0x100000010ull), 0xfffffff0ull);
	CHECK_EQ_U64(xt_widen32(0x10u, 0x100000020ull), 0x100000010ull);
	CHECK_EQ_U64(xt_widen32(0x20u, 0x100000020ull), 0x100000020ull);
	CHECK_EQ_U64(xt_widen32(0x12345678u, 0x712345679ull), 0x712345678ull);
	CHECK_EQ_U64(xt_widen32(0x12345680u, 0x712345679ull), 0x612345680ull);
}

static void fields(void)
{
	struct buf b = { .n = 0 };
	uint32_t e[6] = { 0x89abcdefu, 0x12, 0xf1, 0xffffffffu, NATSUME_TRC_F_NATSUME | NATSUME_TRC_F_DIRECT, 321 };
	uint32_t dl[6] = { 0x1000, 0x13, 0x0fff, 0x13, 40, 0x31u << 16 | 7 }; /* 6 words: no flags */
	uint32_t lost[1] = { 5 };
	uint32_t h[3] = { 17, 0xfffffff0u, 0x20u };
	rec(&b, TRC_HW_NATSUME_ENTRY, 1, 0x1300000000ull, 6, e);
	rec(&b, TRC_HW_NATSUME_DELIVER, 0, 0, 6, dl);
	rec(&b, XT_TRC_LOST_RECORDS, 0, 0, 1, lost);
	rec(&b, XT_TRC_HW_IRQ_HANDLED, 1, 0x1400000030ull, 3, h);
	struct got g = { .n = 0 };
	struct xt_opts o = { .stock = 1, .probe_cost = 1 };
	struct xt_dec d;
	xt_dec_init(&d, &o, keep, &g);
	CHECK(xt_dec_window(&d, 5, b.b, b.n, 0) == 0);
	CHECK(g.n == 5);
	/* entry */
	CHECK(g.r[0].event == NT_EV_HV_ENTRY && g.r[0].source == NT_SRC_HV);
	CHECK_EQ_U64(g.r[0].tsc, 0x1289abcdefull);
	CHECK_EQ_U64(g.r[0].vector, 0xf1);
	CHECK_EQ_U64(g.r[0].irq, NT_NONE32);
	CHECK_EQ_U64(g.r[0].flags, NT_F_NATSUME | NT_F_DIRECT); /* the fast handler keeps its flag */
	CHECK_EQ_U64(g.r[0].cpu, 5);
	CHECK_EQ_U64(g.r[0].dom, NT_NONE16);
	/* probe cost */
	CHECK(g.r[1].event == NT_EV_PROBE_COST);
	CHECK_EQ_U64(g.r[1].aux, 321);
	CHECK_EQ_U64(g.r[1].tsc, 0x1300000000ull);
	/* deliver without a header TSC and without the flags word */
	CHECK(g.r[2].event == NT_EV_HV_DELIVER);
	CHECK_EQ_U64(g.r[2].tsc, 0x1300001000ull);
	CHECK_EQ_U64(g.r[2].aux, 0x1300000fffull);
	CHECK_EQ_U64(g.r[2].irq, 40);
	CHECK_EQ_U64(g.r[2].vector, 0x31);
	CHECK_EQ_U64(g.r[2].dom, 7);
	CHECK_EQ_U64(g.r[2].flags, 0);
	CHECK_EQ_U64(d.ival[XT_PATH_STOCK].n, 1);
	CHECK_EQ_U64((uint64_t)d.ival[XT_PATH_STOCK].v[0], 1);
	/* lost without TSC: the last header TSC of the CPU */
	CHECK(g.r[3].event == NT_EV_LOST);
	CHECK_EQ_U64(g.r[3].aux, 5);
	CHECK_EQ_U64(g.r[3].tsc, 0x1300000000ull);
	/* stock record widened across the 2^32 boundary */
	CHECK(g.r[4].event == NT_EV_HV_ENTRY);
	CHECK_EQ_U64(g.r[4].tsc, 0x13fffffff0ull);
	CHECK_EQ_U64(g.r[4].flags, NT_F_TRUNC32);
	CHECK_EQ_U64(g.r[4].irq, 17);
	CHECK_EQ_U64(d.handled.n, 1);
	CHECK_EQ_U64((uint64_t)d.handled.v[0], 0x30);
	CHECK_EQ_U64(d.cpu[5].nocycles, 2);
	CHECK_EQ_U64(d.cpu[5].hdr_back, 0);
	CHECK_EQ_U64(d.errors, 0);
	xt_dec_free(&d);
}

static void malformed(void)
{
	for (int strict = 0; strict < 2; strict++) {
		struct buf b = { .n = 0 };
		uint32_t e[6] = { 1, 0, 0x31, 9, 0, 0 };
		rec(&b, TRC_HW_NATSUME_ENTRY, 1, 100, 4, e); /* too short */
		rec(&b, TRC_HW_NATSUME_ENTRY, 1, 90, 6, e);  /* header TSC goes back */
		size_t whole = b.n;
		rec(&b, TRC_HW_NATSUME_ENTRY, 1, 200, 6, e);
		struct got g = { .n = 0 };
		struct xt_opts o = { .strict = strict };
		struct xt_dec d;
		xt_dec_init(&d, &o, keep, &g);
		int rc = xt_dec_window(&d, 0, b.b, b.n - 4, 0); /* the last record is cut */
		if (strict) {
			CHECK(rc == -1);
			CHECK(strstr(d.err, "NATSUME_ENTRY with 4 data words") != NULL);
			CHECK(g.n == 0);
		} else {
			CHECK(rc == 0);
			CHECK(g.n == 1);
			CHECK_EQ_U64(d.cpu[0].malformed, 2);
			CHECK_EQ_U64(d.errors, 3); /* the two malformed records and the TSC that went back */
			CHECK_EQ_U64(d.cpu[0].hdr_back, 1);
			CHECK_EQ_U64(d.cpu[0].hdr_back_max, 10);
			CHECK(strstr(d.err, "byte 0:") != NULL);
		}
		xt_dec_free(&d);
		xt_dec_init(&d, &o, keep, &g);
		g.n = 0;
		rc = xt_dec_window(&d, 0, b.b + 28, whole - 28 + 4, 1000); /* cut after 4 bytes */
		CHECK(rc == (strict ? -1 : 0));
		CHECK(strstr(d.err, "byte 1036: record cut") != NULL);
		xt_dec_free(&d);
	}
}

static void file_resync(void)
{
	struct buf b = { .n = 0 };
	uint32_t e[6] = { 7, 0, 0x31, 9, 0, 0 };
	w32(&b, XT_CPU_CHANGE_HDR); w32(&b, 1); w32(&b, 36);
	rec(&b, TRC_HW_NATSUME_ENTRY, 1, 100, 6, e);
	w32(&b, XT_CPU_CHANGE_HDR); w32(&b, 70000); w32(&b, 36); /* bogus cpu */
	w32(&b, 0x11111111);
	w32(&b, XT_CPU_CHANGE_HDR); w32(&b, 2); w32(&b, 5); /* size not a u32 multiple */
	w32(&b, XT_CPU_CHANGE_HDR); w32(&b, 0); w32(&b, 36);
	e[0] = 8;
	rec(&b, TRC_HW_NATSUME_ENTRY, 1, 101, 6, e);
	for (int strict = 0; strict < 2; strict++) {
		FILE *f = fmemopen(b.b, b.n, "rb");
		struct got g = { .n = 0 };
		struct xt_opts o = { .strict = strict };
		struct xt_dec d;
		xt_dec_init(&d, &o, keep, &g);
		int rc = xt_dec_file(&d, f);
		fclose(f);
		CHECK(strstr(d.err, "byte 48: implausible window header (cpu 70000") != NULL);
		if (strict) {
			CHECK(rc == -1);
			CHECK(g.n == 1);
		} else {
			CHECK(rc == 0);
			CHECK(g.n == 2);
			CHECK_EQ_U64(g.r[1].tsc, 8);
			CHECK_EQ_U64(g.r[1].cpu, 0);
			CHECK_EQ_U64(d.resync_bytes, 28);
			CHECK_EQ_U64(d.errors, 1);
			CHECK(!d.truncated);
		}
		xt_dec_free(&d);
	}
	/* emit asks to stop */
	FILE *f = fmemopen(b.b, b.n, "rb");
	struct got g = { .n = 0, .stop_at = 1 };
	struct xt_dec d;
	xt_dec_init(&d, NULL, keep, &g);
	CHECK(xt_dec_file(&d, f) == -1);
	CHECK(d.stopped);
	CHECK(g.n == 1);
	fclose(f);
	xt_dec_free(&d);
}

int main(void)
{
	widen();
	fields();
	malformed();
	file_resync();
	return nt_test_done("test-collector-xtdec");
}
