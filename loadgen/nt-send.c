// SPDX-License-Identifier: GPL-2.0
/*
 * nt-send: the periodic sender.  N UDP packets at interval I on an absolute
 * TSC schedule; every payload carries magic, run id, seq, scheduled and actual
 * send TSC (include/nt/payload.h).  Writes `send` records and FILE.meta and
 * prints its own send jitter (actual - scheduled).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <net/if.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lg.h"
#include "nt/meta.h"
#include "nt/prog.h"
#include "nt/stats.h"

enum { O_COUNT = LG_O_FREE, O_INTERVAL, O_RUNID, O_SIZE, O_SPIN, O_LATE };

static const struct nt_opt send_opts[] = {
	LG_OPT_DST,
	{ "count", "N", O_COUNT, "packets to send (1..1G)" },
	{ "interval", "DUR", O_INTERVAL, "period, at least 1us: 10ms, 100us, 1s" },
	{ "run-id", "N", O_RUNID, "32-bit run id carried in every payload (default: random)" },
	{ "size", "BYTES", O_SIZE, "UDP payload size, 40..65507 (default 64)" },
	{ "spin", "DUR", O_SPIN, "busy-wait on the TSC for the last DUR before each slot\n(default 0)" },
	{ "late", "DUR", O_LATE, "mark a send late when actual - scheduled exceeds DUR\n(default: half the interval, at most 1ms)" },
	LG_OPT_SRC,
	LG_OPT_IFACE,
	LG_OPT_QEMU,
	LG_OPT_DST_MAC,
	{ NULL, NULL, 0, NULL },
};

struct send {
	struct lg_target t;
	uint64_t count, run_id, size;
	int have_run_id;
	int64_t interval, spin, late;
	/* results */
	int64_t *jit;
	uint64_t sent, errors, nlate, skipped;
	int last_errno;
};

static int send_opt(struct nt_prog *p, int key, const char *arg)
{
	struct send *s = p->ctx;
	switch (key) {
	case O_COUNT: return nt_parse_u64(arg, 1, 1000000000ull, &s->count);
	case O_INTERVAL: return nt_parse_dur(arg, 1000, 86400000000000LL, &s->interval);
	case O_RUNID:
		s->have_run_id = 1;
		return nt_parse_u64(arg, 0, UINT32_MAX, &s->run_id);
	case O_SIZE: return nt_parse_u64(arg, NT_PAYLOAD_MIN, 65507, &s->size);
	case O_SPIN: return nt_parse_dur(arg, 0, 86400000000000LL, &s->spin);
	case O_LATE: return nt_parse_dur(arg, 1, 86400000000000LL, &s->late);
	}
	return lg_target_opt(&s->t, key, arg);
}

static void send_validate(struct nt_prog *p)
{
	struct send *s = p->ctx;
	if (!s->t.have_dst || !s->count || !s->interval)
		nt_usage(p, "--dst, --count and --interval are required");
	if (s->spin >= s->interval)
		nt_usage(p, "--spin must be shorter than --interval");
	lg_target_validate(p, &s->t);
	nt_prog_cpus_check(p);
	if (s->late <= 0)
		s->late = s->interval / 2 < 1000000 ? s->interval / 2 : 1000000;
}

/* Wait for slot `sched`: sleep, then spin the last --spin; -1 on a stop. */
static int wait_slot(uint64_t sched, uint64_t spin_cyc, double hz)
{
	for (;;) {
		uint64_t now = nt_rdtsc();
		if (now + spin_cyc >= sched)
			break;
		if (nt_sleep_ns((int64_t)nt_cyc_to_ns((double)(sched - spin_cyc - now), hz)) != 0)
			return -1;
	}
	while (nt_rdtsc() < sched)
		__builtin_ia32_pause();
	return 0;
}

/* One packet and its record. */
static void send_one(struct nt_prog *p, struct send *s, unsigned char *buf, uint64_t seq, uint64_t sched,
		     uint64_t late_cyc)
{
	uint32_t aux;
	const uint64_t tsend = nt_rdtscp(&aux);
	const int is_late = tsend - sched > late_cyc;
	struct nt_payload pl = {
		.magic = NT_PAYLOAD_MAGIC, .version = NT_PAYLOAD_VERSION, .flags = is_late ? NT_PAYLOAD_F_LATE : 0,
		.run_id = (uint32_t)s->run_id, .seq = seq, .tsc_sched = sched, .tsc_send = tsend,
	};
	lg_payload_put(buf, &pl);
	if (lg_target_send(&s->t, buf, s->size) < 0) {
		s->errors++;
		s->last_errno = errno;
		return;
	}
	s->jit[s->sent++] = (int64_t)(tsend - sched);
	s->nlate += is_late;
	if (p->w) {
		struct nt_rec r = nt_rec_blank(NT_SRC_SENDER, NT_EV_SEND);
		r.tsc = tsend;
		r.seq = seq;
		r.aux = sched;
		r.cpu = nt_stamp_cpu(aux);
		r.flags = is_late ? NT_F_LATE : 0;
		nt_writer_put(p->w, &r);
	}
}

/* The measurement loop: absolute TSC schedule, never a catch-up burst. */
static int send_loop(struct nt_prog *p, struct send *s)
{
	const double hz = p->freq.hz;
	unsigned char *buf = calloc(1, s->size);
	s->jit = malloc(s->count * sizeof(*s->jit));
	if (!buf || !s->jit) {
		free(buf);
		nt_error(p, "out of memory for %" PRIu64 " packets", s->count);
		return NT_EXIT_FAIL;
	}
	const uint64_t icyc = (uint64_t)llround(nt_ns_to_cyc((double)s->interval, hz));
	const uint64_t spin_cyc = (uint64_t)llround(nt_ns_to_cyc((double)s->spin, hz));
	const uint64_t late_cyc = (uint64_t)llround(nt_ns_to_cyc((double)s->late, hz));
	const uint64_t tsc0 = nt_rdtsc() + icyc;
	uint64_t k = 0;
	for (uint64_t seq = 0; seq < s->count; seq++) {
		if (wait_slot(tsc0 + k * icyc, spin_cyc, hz) != 0)
			break;
		send_one(p, s, buf, seq, tsc0 + k * icyc, late_cyc);
		/* next slot; a missed one is skipped, not caught up */
		uint64_t after = nt_rdtsc(), nk = ++k;
		if (tsc0 + k * icyc <= after)
			nk = (after - tsc0) / icyc + 1;
		s->skipped += nk - k;
		k = nk;
	}
	free(buf);
	nt_prog_stop_reason(p, s->sent == s->count ? "count reached" : "sent %" PRIu64 " of %" PRIu64, s->sent,
			    s->count);
	if (s->sent == 0 && !nt_stopping()) {
		nt_error(p, "no packet could be sent: %s", strerror(s->last_errno));
		return NT_EXIT_FAIL;
	}
	return NT_EXIT_OK;
}

static void jitter_stats(struct nt_prog *p, struct nt_summary *st)
{
	struct send *s = p->ctx;
	memset(st, 0, sizeof(*st));
	if (s->sent && p->have_clock)
		nt_summarize_i64(s->jit, s->sent, st);
}

static void send_meta(struct nt_prog *p, FILE *m)
{
	struct send *s = p->ctx;
	double hz = p->freq.hz;
	nt_meta_put(m, "run_id", "%" PRIu64, s->run_id);
	nt_meta_put(m, "dst", "%s", s->t.dsttxt);
	nt_meta_put(m, "count_planned", "%" PRIu64, s->count);
	nt_meta_put(m, "count", "%" PRIu64, s->sent);
	nt_meta_put(m, "send_errors", "%" PRIu64, s->errors);
	nt_meta_put(m, "interval_ns", "%" PRId64, s->interval);
	nt_meta_put(m, "size", "%" PRIu64, s->size);
	nt_meta_put(m, "spin_ns", "%" PRId64, s->spin);
	nt_meta_put(m, "late_threshold_ns", "%" PRId64, s->late);
	nt_meta_put(m, "late", "%" PRIu64, s->nlate);
	nt_meta_put(m, "skipped_slots", "%" PRIu64, s->skipped);
	nt_meta_put(m, "cpu", "%d", p->ncpus ? nt_prog_cpu_at(p, 0) : -1);
	struct nt_summary st;
	jitter_stats(p, &st);
	if (!st.n)
		return;
	nt_meta_put(m, "jitter_unit", "ns (TSC)");
	const char *k[] = { "jitter_min_ns", "jitter_median_ns", "jitter_mean_ns", "jitter_p99_ns", "jitter_max_ns",
			    "jitter_stddev_ns" };
	double x[] = { st.min, st.median, st.mean, st.p99, st.max, st.stddev };
	for (int i = 0; i < 6; i++)
		nt_meta_put(m, k[i], "%.1f", nt_cyc_to_ns(x[i], hz));
}

static void send_summary(struct nt_prog *p)
{
	struct send *s = p->ctx;
	nt_say(p, "sent %" PRIu64 " of %" PRIu64 " packets to %s every %.3f ms, run_id %" PRIu64 ", %" PRIu64
		  " send errors%s%s, %" PRIu64 " late (> %.1f us), %" PRIu64 " slots skipped%s%s",
	       s->sent, s->count, s->t.dsttxt, s->interval / 1e6, s->run_id, s->errors, s->errors ? ": " : "",
	       s->errors ? strerror(s->last_errno) : "", s->nlate, s->late / 1e3, s->skipped,
	       p->fifo_ok ? ", SCHED_FIFO" : "", p->ncpus ? ", pinned" : "");
	struct nt_summary st;
	jitter_stats(p, &st);
	double hz = p->freq.hz;
	if (st.n)
		nt_say(p, "send jitter (actual - scheduled) in us, TSC @ %.3f MHz: min %.2f median %.2f mean %.2f "
			  "p99 %.2f max %.2f (n=%zu)",
		       hz / 1e6, nt_cyc_to_ns(st.min, hz) / 1e3, nt_cyc_to_ns(st.median, hz) / 1e3,
		       nt_cyc_to_ns(st.mean, hz) / 1e3, nt_cyc_to_ns(st.p99, hz) / 1e3, nt_cyc_to_ns(st.max, hz) / 1e3,
		       st.n);
}

int main(int argc, char **argv)
{
	struct send s = { .size = 64, .late = -1 };
	struct nt_prog p = {
		.name = "nt-send", .synopsis = "--dst ADDR:PORT --count N --interval DUR [options]",
		.about = "Send N UDP packets, one every DUR, on an absolute TSC schedule (no catch-up bursts\n"
			 "after a stall: a late packet is marked and the next one waits for its own slot).\n"
			 "Writes `send` records (aux = scheduled TSC) and prints the send jitter.",
		.common = NT_C_RECORDS | NT_C_CPU | NT_C_FIFO, .opts = send_opts, .opt = send_opt, .validate = send_validate,
		.meta = send_meta, .summary = send_summary, .source = "sender", .ctx = &s,
	};
	nt_prog_parse(&p, argc, argv);
	if (!s.have_run_id)
		s.run_id = lg_random_u32();
	int rc = NT_EXIT_OK; /* a failed step says so and marks p failed */
	if (lg_target_open(&p, &s.t) == 0 && nt_prog_start(&p) == 0 && nt_prog_clock(&p) == 0 &&
	    nt_prog_realtime(&p) == 0)
		rc = send_loop(&p, &s);
	rc = nt_prog_close(&p, rc);
	lg_target_close(&s.t);
	free(s.jit);
	return rc;
}
