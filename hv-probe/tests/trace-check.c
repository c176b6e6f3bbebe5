/* SPDX-License-Identifier: GPL-2.0 */
/*
 * trace-check: check a file written by xentrace for the interrupt latency
 * probe records of hv-probe/patches (TRC_HW_NATSUME_*, natsume_trace.h).
 * A test helper of the emulated testbed (tests/test-xen-qemu.sh); the
 * project's decoder is the collector (nt-hvcollect).
 *
 *   trace-check [--natsume on|off|any] [--fast] [--fast-dom D] [--min N] FILE
 *
 * Checks: the file parses (CPU windows, records of the size their header
 * says); per CPU the header TSCs never go back; every ENTRY/DELIVER stamp is
 * not later than the header TSC of its record (written after the stamp);
 * every DELIVER that carries the entry stamp has entry <= notify; at least N
 * ENTRY and N DELIVER records; with --natsume on at least one record with
 * the NATSUME flag, with off none; with --fast at least one from the Natsume
 * fast handler (NATSUME and DIRECT flags); with --fast-dom D every fast-handler
 * DELIVER record goes to domain D.  Prints counts and the median of
 * notify - entry and of the probe cost, in TSC cycles.
 * Exit 0 when every check holds, 1 when one fails, 2 on bad usage or I/O.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../include/natsume_trace.h"

#define TRC_TRACE_CPU_CHANGE 0x0001f003u
#define TRC_LOST_RECORDS 0x0001f001u
#define MAX_CPUS 256

static const char *prog = "trace-check";

struct vec {
	uint64_t *v;
	size_t n, cap;
};

static void vpush(struct vec *a, uint64_t x)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 256;
		a->v = realloc(a->v, a->cap * sizeof(*a->v));
		if (!a->v) {
			fprintf(stderr, "%s: out of memory\n", prog);
			exit(2);
		}
	}
	a->v[a->n++] = x;
}

static int cmp64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t median(struct vec *a)
{
	if (!a->n)
		return 0;
	qsort(a->v, a->n, sizeof(*a->v), cmp64);
	return a->v[a->n / 2];
}

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: %s [--natsume on|off|any] [--fast] [--fast-dom D] [--min N] FILE\n", prog);
}

int main(int argc, char **argv)
{
	const char *natsume = "any", *path = NULL;
	unsigned long min = 1;
	int fast = 0;
	long fast_dom = -1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--natsume") && i + 1 < argc) {
			natsume = argv[++i];
			if (strcmp(natsume, "on") && strcmp(natsume, "off") && strcmp(natsume, "any")) {
				fprintf(stderr, "%s: bad --natsume value '%s'\n", prog, natsume);
				return 2;
			}
		} else if (!strcmp(argv[i], "--fast")) {
			fast = 1;
		} else if (!strcmp(argv[i], "--fast-dom") && i + 1 < argc) {
			char *end;
			errno = 0;
			fast_dom = strtol(argv[++i], &end, 10);
			if (errno || *end || end == argv[i] || fast_dom < 0 || fast_dom > 0x7fef) {
				fprintf(stderr, "%s: bad --fast-dom value '%s'\n", prog, argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "--min") && i + 1 < argc) {
			char *end;
			errno = 0;
			min = strtoul(argv[++i], &end, 10);
			if (errno || *end || end == argv[i]) {
				fprintf(stderr, "%s: bad --min value '%s'\n", prog, argv[i]);
				return 2;
			}
		} else if (argv[i][0] == '-' || path) {
			fprintf(stderr, "%s: bad argument '%s'\n", prog, argv[i]);
			usage(stderr);
			return 2;
		} else {
			path = argv[i];
		}
	}
	if (!path) {
		usage(stderr);
		return 2;
	}
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return 2;
	}
	size_t cap = 1 << 20, len = 0;
	unsigned char *buf = malloc(cap);
	for (size_t r; buf && (r = fread(buf + len, 1, cap - len, f)) > 0;) {
		len += r;
		if (len == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	if (!buf) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 2;
	}

	static uint64_t last_tsc[MAX_CPUS];
	unsigned long n_entry = 0, n_deliver = 0, n_config = 0, n_nat = 0, n_lost = 0, n_fast = 0;
	unsigned long n_fast_other_dom = 0;
	unsigned long bad_order = 0, bad_stamp = 0, bad_pair = 0, n_other = 0;
	struct vec lat = {0}, cost = {0};
	size_t off = 0;
	int fail = 0;
	while (off + 12 <= len) {
		if ((rd32(buf + off) & 0x0fffffff) != TRC_TRACE_CPU_CHANGE) {
			fprintf(stderr, "%s: no CPU window at offset %zu\n", prog, off);
			fail = 1;
			break;
		}
		uint32_t cpu = rd32(buf + off + 4), wsize = rd32(buf + off + 8);
		off += 12;
		if (wsize > len - off) {
			fprintf(stderr, "%s: window at %zu truncated (%u bytes, %zu left)\n", prog,
				off - 12, wsize, len - off);
			wsize = (uint32_t)(len - off);
			fail = 1;
		}
		if (cpu >= MAX_CPUS) {
			fprintf(stderr, "%s: CPU %u out of range\n", prog, cpu);
			return 1;
		}
		size_t end = off + wsize;
		while (off + 4 <= end) {
			uint32_t h = rd32(buf + off);
			uint32_t ev = h & 0x0fffffff, nx = (h >> 28) & 7, cyc = h >> 31;
			size_t rs = 4 + (cyc ? 8 : 0) + 4 * nx;
			if (off + rs > end) {
				fprintf(stderr, "%s: record at %zu runs past its window\n", prog, off);
				fail = 1;
				break;
			}
			const unsigned char *p = buf + off + 4;
			uint64_t tsc = 0;
			if (cyc) {
				tsc = rd32(p) | (uint64_t)rd32(p + 4) << 32;
				p += 8;
				if (tsc < last_tsc[cpu])
					bad_order++;
				last_tsc[cpu] = tsc;
			}
			uint32_t d[7] = {0};
			for (uint32_t i = 0; i < nx; i++)
				d[i] = rd32(p + 4 * i);
			if (ev == TRC_HW_NATSUME_ENTRY && nx >= 6 && cyc) {
				uint64_t te = d[0] | (uint64_t)d[1] << 32;
				n_entry++;
				if (te > tsc)
					bad_stamp++;
				if (d[4] & NATSUME_TRC_F_NATSUME)
					n_nat++;
				if ((d[4] & NATSUME_TRC_F_NATSUME) && (d[4] & NATSUME_TRC_F_DIRECT))
					n_fast++;
				if (d[5])
					vpush(&cost, d[5]);
			} else if (ev == TRC_HW_NATSUME_DELIVER && nx >= 7 && cyc) {
				uint64_t tn = d[0] | (uint64_t)d[1] << 32;
				uint64_t te = d[2] | (uint64_t)d[3] << 32;
				n_deliver++;
				if (tn > tsc)
					bad_stamp++;
				if (te && te > tn)
					bad_pair++;
				else if (te)
					vpush(&lat, tn - te);
				if (d[6] & NATSUME_TRC_F_NATSUME)
					n_nat++;
				if ((d[6] & NATSUME_TRC_F_NATSUME) && (d[6] & NATSUME_TRC_F_DIRECT)) {
					n_fast++;
					if (fast_dom >= 0 && (long)(d[5] & 0xffff) != fast_dom)
						n_fast_other_dom++;
				}
			} else if (ev == TRC_HW_NATSUME_CONFIG) {
				n_config++;
				printf("config: sbdf %04x:%02x:%02x.%u cpu %u vector 0x%x state %u\n",
				       d[0] >> 16, (d[0] >> 8) & 0xff, (d[0] >> 3) & 0x1f, d[0] & 7, d[1],
				       d[2], d[3]);
			} else if (ev == TRC_LOST_RECORDS) {
				n_lost += d[0];
			} else {
				n_other++;
			}
			off += rs;
		}
		off = end;
	}
	if (off != len && !fail) {
		fprintf(stderr, "%s: %zu trailing bytes\n", prog, len - off);
		fail = 1;
	}
	free(buf);
	printf("records: entry %lu, deliver %lu, config %lu, natsume-flagged %lu (fast handler %lu), "
	       "other %lu, lost %lu\n", n_entry, n_deliver, n_config, n_nat, n_fast, n_other, n_lost);
	printf("entry->notify: median %" PRIu64 " cycles (TSC) over %zu interrupts\n",
	       median(&lat), lat.n);
	printf("probe cost: median %" PRIu64 " cycles (TSC) over %zu interrupts\n",
	       median(&cost), cost.n);
	free(lat.v);
	free(cost.v);
	if (bad_order)
		printf("FAIL: %lu header TSCs went back on their CPU\n", bad_order), fail = 1;
	if (bad_stamp)
		printf("FAIL: %lu stamps later than their record\n", bad_stamp), fail = 1;
	if (bad_pair)
		printf("FAIL: %lu deliveries stamped before their entry\n", bad_pair), fail = 1;
	if (n_entry < min || n_deliver < min)
		printf("FAIL: fewer than %lu ENTRY or DELIVER records\n", min), fail = 1;
	if (!strcmp(natsume, "on") && !n_nat)
		printf("FAIL: no record with the NATSUME flag\n"), fail = 1;
	if (n_fast_other_dom)
		printf("FAIL: %lu fast-handler deliveries not to domain %ld\n", n_fast_other_dom,
		       fast_dom), fail = 1;
	if (fast && !n_fast)
		printf("FAIL: no record from the Natsume fast handler\n"), fail = 1;
	if (!strcmp(natsume, "off") && n_nat)
		printf("FAIL: %lu records with the NATSUME flag\n", n_nat), fail = 1;
	printf("%s\n", fail ? "trace-check: FAIL" : "trace-check: ok");
	return fail;
}
