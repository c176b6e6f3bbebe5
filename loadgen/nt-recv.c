// SPDX-License-Identifier: GPL-2.0
/*
 * nt-recv: receiver/stamper for plain Linux hosts.  Per packet: the kernel's
 * software RX timestamp (SO_TIMESTAMPING, CLOCK_REALTIME, converted to TSC)
 * and the TSC when recvmmsg returned.  Counts loss, reordering and duplicates
 * by the payload's sequence number.
 *
 * The conversion is piecewise linear between CLOCK_REALTIME/TSC pairs (the
 * tightest of many rdtscp brackets) taken at the start, about once a second
 * right after a batch was handled (the socket is then idle) and at the end.
 * Packets wait in memory only until the next pair: records are written as
 * the run goes, so a full disk or a crash loses at most the last second.
 */
#include <errno.h>
#include <inttypes.h>
#include <time.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lg.h"
#include "nt/meta.h"
#include "nt/prog.h"
#include "nt/stats.h"

#define BATCH 32
#define MAXPKT 65536
#define NO_KTS INT64_MIN
#define PAIR_NS 1000000000LL   /* a new clock pair every second */
#define PEND_MAX (1u << 16)    /* ... or when this many packets wait */
#define SAMPLES_MAX 10000000u  /* latency samples kept for the summary */

#ifndef SO_BUSY_POLL
#define SO_BUSY_POLL 46
#endif

enum { O_BIND = 256, O_COUNT, O_TIMEOUT, O_BUSY, O_RUNID, O_RCVBUF };

static const struct nt_opt recv_opts[] = {
	{ "bind", "ADDR:PORT", O_BIND, "local address (numeric IPv4 or [IPv6]; 0.0.0.0 for any)" },
	{ "count", "N", O_COUNT, "expect seq 0..N-1; stop when all have arrived" },
	{ "timeout", "DUR", O_TIMEOUT, "stop when nothing arrived for DUR (default 10s with --count)" },
	{ "busy-poll", NULL, O_BUSY, "spin on non-blocking receives (and SO_BUSY_POLL) instead\nof sleeping" },
	{ "run-id", "N", O_RUNID, "accept only this run id (default: the first packet's)" },
	{ "rcvbuf", "BYTES", O_RCVBUF, "socket receive buffer (default 8M; SO_RCVBUFFORCE when root)" },
	{ NULL, NULL, 0, NULL },
};

struct pkt {
	int64_t kns;       /* kernel RX stamp, CLOCK_REALTIME ns, or NO_KTS */
	uint64_t tsc_user;
	uint64_t seq;
	uint64_t tsc_send; /* from the payload (sender's TSC) */
	uint16_t cpu;
};

struct samples {
	int64_t *v;
	size_t n, cap;
	uint64_t dropped;
};

struct recv {
	struct sockaddr_storage bnd;
	socklen_t bndlen;
	int have_bind, have_run_id, busy, fd;
	char bndtxt[80];
	uint64_t count, run_id, rcvbuf;
	int64_t timeout;
	/* clock: the segment between two pairs */
	struct nt_clkmap map;
	struct nt_clkpair first;
	uint64_t max_width, npairs;
	int64_t next_pair;
	/* packets waiting for the next pair */
	struct pkt *pend;
	size_t npend;
	/* accounting */
	struct lg_seqtrack st;
	uint64_t stray_short, stray_magic, stray_version, stray_run;
	uint64_t no_kts, drops, late_flagged, viol_user, viol_send;
	struct samples lat_send, lat_user;
	uint64_t t_start, t_end;
};

static int recv_opt(struct nt_prog *p, int key, const char *arg)
{
	struct recv *r = p->ctx;
	switch (key) {
	case O_BIND:
		r->have_bind = lg_parse_addr(arg, 1, &r->bnd, &r->bndlen) == 0;
		lg_fmt_addr(&r->bnd, r->bndtxt, sizeof(r->bndtxt));
		return r->have_bind ? 0 : -1;
	case O_COUNT: return nt_parse_u64(arg, 1, 1000000000ull, &r->count);
	case O_TIMEOUT: return nt_parse_dur(arg, 1000000, 7 * 86400000000000LL, &r->timeout);
	case O_BUSY: r->busy = 1; return 0;
	case O_RUNID:
		r->have_run_id = 1;
		return nt_parse_u64(arg, 0, UINT32_MAX, &r->run_id);
	case O_RCVBUF: return nt_parse_u64(arg, 4096, 1u << 30, &r->rcvbuf);
	}
	return -1;
}

static void recv_validate(struct nt_prog *p)
{
	struct recv *r = p->ctx;
	if (!r->have_bind || (!r->count && !p->duration_ns))
		nt_usage(p, "--bind and one of --count or --duration are required");
	nt_prog_cpus_check(p);
	if (r->timeout < 0)
		r->timeout = r->count ? 10000000000LL : 0;
}

/* Has a datagram from s to itself a kernel RX stamp? */
static int ts_probe(int s, const struct sockaddr_in *self)
{
	char b[8], ctrl[512];
	struct iovec iov = { b, sizeof(b) };
	struct msghdr h = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof(ctrl) };
	if (sendto(s, "t", 1, 0, (const struct sockaddr *)self, sizeof(*self)) != 1 || recvmsg(s, &h, 0) < 0)
		return -1;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&h); cm; cm = CMSG_NXTHDR(&h, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_TIMESTAMPING) {
			struct scm_timestamping tss;
			memcpy(&tss, CMSG_DATA(cm), sizeof(tss));
			return tss.ts[0].tv_sec || tss.ts[0].tv_nsec ? 1 : 0;
		}
	return 0;
}

/*
 * The kernel turns software RX stamping on for all sockets through a static
 * key that it flips later, from a work queue: packets that arrive before
 * that carry no stamp.  Wait (at most 1 s) until a datagram over loopback
 * comes back stamped.
 */
static void ts_wait(struct nt_prog *p)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), tsflags = SOF_TIMESTAMPING_RX_SOFTWARE |
									    SOF_TIMESTAMPING_SOFTWARE;
	struct sockaddr_in self = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(self);
	struct timeval tv = { 0, 100000 };
	int rc = -1;
	if (s >= 0 && bind(s, (struct sockaddr *)&self, sizeof(self)) == 0 &&
	    getsockname(s, (struct sockaddr *)&self, &l) == 0 &&
	    setsockopt(s, SOL_SOCKET, SO_TIMESTAMPING, &tsflags, sizeof(tsflags)) == 0 &&
	    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0)
		for (int i = 0; i < 100 && (rc = ts_probe(s, &self)) == 0 && nt_sleep_ns(10000000) == 0; i++)
			;
	if (rc == 0 && !nt_stopping())
		nt_warn(p, "the kernel does not stamp received packets yet; rx_kernel stamps may be missing");
	if (s >= 0)
		close(s);
}

/* Socket options; a failure is reported and returns -1. */
static int sock_setup(struct nt_prog *p, struct recv *r)
{
	int one = 1, tsflags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE, rb = (int)r->rcvbuf;
	if (setsockopt(r->fd, SOL_SOCKET, SO_TIMESTAMPING, &tsflags, sizeof(tsflags)) != 0) {
		nt_error(p, "SO_TIMESTAMPING: %s", strerror(errno));
		return -1;
	}
	ts_wait(p);
	setsockopt(r->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	if (setsockopt(r->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rb, sizeof(rb)) != 0)
		setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb));
	if (r->busy) {
		int us = 50;
		if (setsockopt(r->fd, SOL_SOCKET, SO_BUSY_POLL, &us, sizeof(us)) != 0)
			nt_warn(p, "SO_BUSY_POLL: %s (spinning in user space only)", strerror(errno));
	} else {
		struct timeval tv = { 0, 100000 };
		setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	if (p->ncpus && nt_prog_pin(p) != 0) {
		nt_error(p, "--cpu: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Bind (an address that is not local is a usage error), then options. */
static int sock_open(struct nt_prog *p, struct recv *r)
{
	r->fd = socket(r->bnd.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (r->fd < 0) {
		nt_error(p, "socket: %s", strerror(errno));
		return -1;
	}
	if (bind(r->fd, (struct sockaddr *)&r->bnd, r->bndlen) != 0) {
		if (errno == EADDRNOTAVAIL)
			nt_usage(p, "cannot bind %s: %s", r->bndtxt, strerror(errno));
		nt_error(p, "cannot bind %s: %s", r->bndtxt, strerror(errno));
		return -1;
	}
	return sock_setup(p, r);
}

static void sample_add(struct samples *s, int64_t v)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 4096;
		int64_t *nv = nc <= SAMPLES_MAX ? realloc(s->v, nc * sizeof(*nv)) : NULL;
		if (!nv) {
			s->dropped++;
			return;
		}
		s->v = nv;
		s->cap = nc;
	}
	s->v[s->n++] = v;
}

/* Convert the waiting packets with the current segment and write them. */
static void pend_write(struct nt_prog *p, struct recv *r)
{
	const double unc_cyc = (double)r->max_width / 2;
	for (size_t i = 0; i < r->npend; i++) {
		const struct pkt *q = &r->pend[i];
		struct nt_rec rec = nt_rec_blank(NT_SRC_RECEIVER, NT_EV_RX_KERNEL);
		rec.seq = q->seq;
		if (q->kns != NO_KTS) {
			uint64_t kt = nt_clkmap_to_tsc(&r->map, q->kns);
			r->viol_user += (double)kt > (double)q->tsc_user + unc_cyc;
			r->viol_send += (double)kt + unc_cyc < (double)q->tsc_send;
			sample_add(&r->lat_user, (int64_t)(q->tsc_user - kt));
			sample_add(&r->lat_send, (int64_t)(kt - q->tsc_send));
			rec.tsc = kt;
			rec.flags = NT_F_CONVERTED;
			if (p->w)
				nt_writer_put(p->w, &rec);
		}
		rec.event = NT_EV_RX_USER;
		rec.tsc = q->tsc_user;
		rec.cpu = q->cpu;
		rec.flags = 0;
		if (p->w)
			nt_writer_put(p->w, &rec);
	}
	r->npend = 0;
}

/* A new pair closes the segment: its packets are converted and written. */
static int clock_pair(struct nt_prog *p, struct recv *r, int tries)
{
	struct nt_clkpair b;
	r->next_pair = nt_mono_ns() + PAIR_NS;
	if (nt_clkpair_take(CLOCK_REALTIME, tries, &b) != 0 || b.ns <= r->map.a.ns || b.tsc <= r->map.a.tsc)
		return -1; /* keep the segment open; the next pair closes it */
	r->map.b = b;
	r->map.have_end = 1;
	pend_write(p, r);
	if (p->w)
		nt_writer_flush(p->w); /* on disk about once a second */
	r->map.a = b;
	r->map.have_end = 0;
	r->npairs++;
	if (b.width > r->max_width)
		r->max_width = b.width;
	return 0;
}

static int clock_begin(struct nt_prog *p, struct recv *r)
{
	if (nt_clkmap_begin(&r->map, CLOCK_REALTIME, p->freq.hz, 1000) != 0) {
		nt_error(p, "CLOCK_REALTIME/TSC pair: %s", strerror(errno));
		return -1;
	}
	r->first = r->map.a;
	r->max_width = r->map.a.width;
	r->npairs = 1;
	r->next_pair = nt_mono_ns() + PAIR_NS;
	r->pend = malloc(PEND_MAX * sizeof(*r->pend));
	if (!r->pend) {
		nt_error(p, "out of memory");
		return -1;
	}
	return 0;
}

/* The kernel stamp and the drop counter of one message. */
static int64_t msg_stamps(struct recv *r, struct msghdr *h)
{
	int64_t kns = NO_KTS;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(h); cm; cm = CMSG_NXTHDR(h, cm)) {
		if (cm->cmsg_level != SOL_SOCKET)
			continue;
		if (cm->cmsg_type == SO_TIMESTAMPING) {
			struct scm_timestamping tss;
			memcpy(&tss, CMSG_DATA(cm), sizeof(tss));
			if (tss.ts[0].tv_sec || tss.ts[0].tv_nsec)
				kns = nt_ts_ns(&tss.ts[0]);
		} else if (cm->cmsg_type == SO_RXQ_OVFL) {
			uint32_t d;
			memcpy(&d, CMSG_DATA(cm), sizeof(d));
			r->drops = d;
		}
	}
	return kns;
}

/* Account one datagram; 0, or -1 when out of memory. */
static int on_packet(struct nt_prog *p, struct recv *r, const unsigned char *buf, struct mmsghdr *mm,
		     uint64_t tu, uint16_t cpu)
{
	struct nt_payload pl;
	int64_t kns = msg_stamps(r, &mm->msg_hdr);
	enum lg_pl_status ps = lg_payload_get(buf, mm->msg_len, &pl);
	if (ps != LG_PL_OK) {
		r->stray_short += ps == LG_PL_SHORT;
		r->stray_magic += ps == LG_PL_MAGIC;
		r->stray_version += ps == LG_PL_VERSION;
		return 0;
	}
	if (!r->have_run_id) {
		r->run_id = pl.run_id;
		r->have_run_id = 1;
	} else if (pl.run_id != r->run_id) {
		r->stray_run++;
		return 0;
	}
	if (lg_seq_add(&r->st, pl.seq) == LG_SEQ_NOMEM) {
		nt_error(p, "out of memory tracking seq %" PRIu64, pl.seq);
		return -1;
	}
	r->late_flagged += (pl.flags & NT_PAYLOAD_F_LATE) != 0;
	r->no_kts += kns == NO_KTS;
	if (r->npend == PEND_MAX && clock_pair(p, r, 200) != 0)
		pend_write(p, r); /* no pair now: the open segment extrapolates */
	r->pend[r->npend++] = (struct pkt){ kns, tu, pl.seq, pl.tsc_send, cpu };
	return 0;
}

static int rx_batch(struct nt_prog *p, struct recv *r)
{
	static unsigned char bufs[BATCH][MAXPKT];
	static char ctrls[BATCH][512];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ bufs[i], MAXPKT };
		mm[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1, .msg_control = ctrls[i],
						 .msg_controllen = sizeof(ctrls[i]) };
	}
	int n = recvmmsg(r->fd, mm, BATCH, r->busy ? MSG_DONTWAIT : MSG_WAITFORONE, NULL);
	uint32_t aux;
	const uint64_t tu = nt_rdtscp(&aux);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
	const uint16_t cpu = nt_stamp_cpu(aux);
	for (int i = 0; i < n; i++)
		if (on_packet(p, r, bufs[i], &mm[i], tu, cpu) != 0)
			return -2;
	return n;
}

static int recv_loop(struct nt_prog *p, struct recv *r)
{
	const double hz = p->freq.hz;
	const uint64_t dur = p->duration_ns ? (uint64_t)nt_ns_to_cyc((double)p->duration_ns, hz) : 0;
	const uint64_t to = r->timeout ? (uint64_t)nt_ns_to_cyc((double)r->timeout, hz) : 0;
	uint64_t t_last = r->t_start = nt_rdtsc();
	int rc = NT_EXIT_OK;
	while (!nt_stopping()) {
		uint64_t now = nt_rdtsc();
		if (dur && now - r->t_start >= dur) {
			nt_prog_stop_reason(p, "duration reached");
			break;
		}
		if (to && now - t_last >= to) {
			nt_prog_stop_reason(p, "timeout (nothing received)");
			break;
		}
		int n = rx_batch(p, r);
		if (n < 0) {
			if (n == -1)
				nt_error(p, "recvmmsg: %s", strerror(errno));
			rc = NT_EXIT_FAIL;
			break;
		}
		if (n > 0)
			t_last = nt_rdtsc();
		if (nt_mono_ns() >= r->next_pair)
			clock_pair(p, r, 200);
		if (r->count && r->st.unique >= r->count) {
			nt_prog_stop_reason(p, "all expected packets received");
			break;
		}
	}
	r->t_end = nt_rdtsc();
	if (clock_pair(p, r, 1000) != 0) {
		nt_warn(p, "end CLOCK_REALTIME/TSC pair failed (%s); extrapolating", strerror(errno));
		pend_write(p, r);
	}
	return rc;
}

/* min/median/p99/max of a latency in ns; NULL m: a summary line. */
static void put_stats(struct nt_prog *p, FILE *m, const char *what, struct samples *s)
{
	struct nt_summary st;
	double hz = p->freq.hz;
	if (s->n == 0 || nt_summarize_i64(s->v, s->n, &st) != 0)
		return;
	if (!m) {
		nt_say(p, "%s in us (TSC @ %.3f MHz): min %.2f median %.2f p99 %.2f max %.2f (n=%zu%s)", what,
		       hz / 1e6, nt_cyc_to_ns(st.min, hz) / 1e3, nt_cyc_to_ns(st.median, hz) / 1e3,
		       nt_cyc_to_ns(st.p99, hz) / 1e3, nt_cyc_to_ns(st.max, hz) / 1e3, st.n,
		       s->dropped ? ", the first ones only" : "");
		return;
	}
	const char *k[] = { "median", "p99", "min", "max" };
	double x[] = { st.median, st.p99, st.min, st.max };
	for (int i = 0; i < 4; i++) {
		char key[64];
		snprintf(key, sizeof(key), "%s_%s_ns", what, k[i]);
		nt_meta_put(m, key, "%.1f", nt_cyc_to_ns(x[i], hz));
	}
}

static double uncert_ns(const struct nt_prog *p, const struct recv *r)
{
	return p->have_clock ? nt_cyc_to_ns((double)r->max_width / 2, p->freq.hz) : 0;
}

static double rate_hz(const struct recv *r)
{
	return nt_tsc_hz_between(&r->first, &r->map.a);
}

static void recv_meta(struct nt_prog *p, FILE *m)
{
	struct recv *r = p->ctx;
	const struct lg_seqtrack *st = &r->st;
	struct {
		const char *k;
		uint64_t v;
	} kv[] = {
		{ "run_id", r->run_id }, { "count_expected", r->count }, { "count", st->received + st->out_of_range },
		{ "received", st->received + st->out_of_range }, { "unique", st->unique },
		{ "packets_lost", lg_seq_lost(st) }, { "reordered", st->reordered }, { "duplicates", st->dups },
		{ "out_of_range", st->out_of_range }, { "max_seq", st->any ? st->max_seq : 0 },
		{ "stray", r->stray_short + r->stray_magic + r->stray_version + r->stray_run },
		{ "stray_short", r->stray_short }, { "stray_bad_magic", r->stray_magic },
		{ "stray_bad_version", r->stray_version }, { "stray_other_run", r->stray_run },
		{ "sender_late", r->late_flagged }, { "kernel_drops", r->drops }, { "no_kernel_ts", r->no_kts },
		{ "order_violations_kernel_after_user", r->viol_user },
		{ "order_violations_kernel_before_send", r->viol_send }, { "clock_pairs", r->npairs },
	};
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		nt_meta_put(m, kv[i].k, "%" PRIu64, kv[i].v);
	nt_meta_put(m, "bind", "%s", r->bndtxt);
	nt_meta_put(m, "clock_convert", "CLOCK_REALTIME->TSC, piecewise linear between the tightest rdtscp "
					"brackets taken about every second");
	nt_meta_put(m, "clock_convert_uncert_ns", "%.1f", uncert_ns(p, r));
	nt_meta_put(m, "clock_convert_rate_hz", "%.1f", rate_hz(r));
	nt_meta_put(m, "busy_poll", "%d", r->busy);
	nt_meta_put(m, "cpu", "%d", p->ncpus ? nt_prog_cpu_at(p, 0) : -1);
	if (p->have_clock)
		nt_meta_put(m, "duration_s", "%.6f", nt_cyc_to_ns((double)(r->t_end - r->t_start), p->freq.hz) / 1e9);
	put_stats(p, m, "send_to_rx_kernel", &r->lat_send);
	put_stats(p, m, "rx_kernel_to_rx_user", &r->lat_user);
}

static void recv_summary(struct nt_prog *p)
{
	struct recv *r = p->ctx;
	const struct lg_seqtrack *st = &r->st;
	if (!p->have_clock)
		return;
	nt_say(p, "after %.3f s (TSC): run_id %" PRIu64 ", received %" PRIu64 " (%" PRIu64 " unique%s), lost %" PRIu64
		  ", reordered %" PRIu64 ", duplicates %" PRIu64 ", out of range %" PRIu64 ", stray %" PRIu64
		  ", kernel drops %" PRIu64,
	       nt_cyc_to_ns((double)(r->t_end - r->t_start), p->freq.hz) / 1e9, r->run_id,
	       st->received + st->out_of_range, st->unique, r->count ? " of the expected" : "", lg_seq_lost(st),
	       st->reordered, st->dups, st->out_of_range,
	       r->stray_short + r->stray_magic + r->stray_version + r->stray_run, r->drops);
	nt_say(p, "CLOCK_REALTIME->TSC: uncertainty %.1f ns, observed rate %.3f MHz over %" PRIu64
		  " pairs; kernel stamp after user stamp: %" PRIu64 ", before send stamp: %" PRIu64 ", missing: %" PRIu64,
	       uncert_ns(p, r), rate_hz(r) / 1e6, r->npairs, r->viol_user, r->viol_send, r->no_kts);
	put_stats(p, NULL, "send->rx_kernel (sender's TSC: same host only)", &r->lat_send);
	put_stats(p, NULL, "rx_kernel->rx_user", &r->lat_user);
}

int main(int argc, char **argv)
{
	struct recv r = { .rcvbuf = 8u << 20, .timeout = -1, .fd = -1 };
	struct nt_prog p = {
		.name = "nt-recv", .synopsis = "--bind ADDR:PORT (--count N | --duration DUR) [options]",
		.about = "Receive nt-send packets, stamp each with the kernel's software RX timestamp\n"
			 "(CLOCK_REALTIME converted to TSC) and the TSC when recvmmsg returned; count loss,\n"
			 "reordering and duplicates by sequence number (loss is reported, not an error).",
		.common = NT_C_RECORDS | NT_C_DURATION | NT_C_CPU, .opts = recv_opts, .opt = recv_opt,
		.validate = recv_validate, .meta = recv_meta, .summary = recv_summary, .source = "receiver",
		.ctx = &r,
	};
	nt_prog_parse(&p, argc, argv);
	lg_seq_init(&r.st, r.count, 0);
	int rc = NT_EXIT_OK;
	/* the clock first: once the port is bound, packets are stamped right away */
	if (nt_prog_start(&p) == 0 && nt_prog_clock(&p) == 0 && sock_open(&p, &r) == 0 && clock_begin(&p, &r) == 0)
		rc = recv_loop(&p, &r);
	rc = nt_prog_close(&p, rc);
	free(r.pend);
	free(r.lat_send.v);
	free(r.lat_user.v);
	lg_seq_free(&r.st);
	if (r.fd >= 0)
		close(r.fd);
	return rc;
}
