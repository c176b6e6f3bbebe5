// SPDX-License-Identifier: GPL-2.0
/* nt-flood's measurement loop: frames, back ends, sending threads.  See flood.h. */
#include <errno.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <math.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flood.h"
#include "lg.h"
#include "nt/tsc.h"
#include "qemusock.h"
#include "txring.h"

#define PROG "nt-flood"

const char *const fl_backend_names[FL_NBACKENDS] = { "sendmmsg", "packet", "pcap", "txring", "qemu" };

int fl_backend_parse(const char *s)
{
	for (int i = 0; i < FL_NBACKENDS; i++)
		if (strcmp(s, fl_backend_names[i]) == 0)
			return i;
	return -1;
}

/* ---- threads ----------------------------------------------------------- */

struct fl_shared {
	_Atomic uint64_t next_seq; /* the next sequence number to hand out */
	atomic_int stop;
	atomic_int running;
	uint64_t t0;
};

struct fl_worker {
	const struct fl_cfg *c;
	struct fl_shared *sh;
	int idx, cpu;
	double rate;               /* this thread's share */
	struct fl_tmpl tmpl;
	/* back end */
	int fd;
	pcap_t *pc;
	struct txring ring;
	struct sockaddr_ll sll;
	size_t fsz;                /* bytes per frame / datagram */
	uint8_t *frames;
	struct mmsghdr *mm;
	struct iovec *iov;
	unsigned npend, poff;      /* filled frames not yet accepted: frames[poff, poff + npend) */
	/* pacing */
	uint64_t tbase, sched_sent;
	/* results (sent and errors are read by the reporting thread) */
	_Atomic uint64_t sent, errors;
	uint64_t calls, backlog_dropped, unsent, t_end;
	int last_err, failed, count_reached, duration_reached;
	pthread_t th;
};

/* Claim up to want seqs (fewer near --count); returns how many, first in *first. */
static unsigned claim(struct fl_worker *w, unsigned want, uint64_t *first)
{
	uint64_t cur = atomic_load_explicit(&w->sh->next_seq, memory_order_relaxed);
	for (;;) {
		uint64_t n = want;
		if (w->c->count) {
			if (cur >= w->c->count)
				return 0;
			if (n > w->c->count - cur)
				n = w->c->count - cur;
		}
		if (atomic_compare_exchange_weak_explicit(&w->sh->next_seq, &cur, cur + n, memory_order_relaxed,
							  memory_order_relaxed)) {
			*first = cur;
			return (unsigned)n;
		}
	}
}

static void fill(struct fl_worker *w, uint8_t *f, uint64_t seq, unsigned i, uint64_t tsend)
{
	const double cpp = w->rate > 0 ? w->c->hz / w->rate : 0;
	struct nt_payload p = {
		.magic = NT_PAYLOAD_MAGIC,
		.version = NT_PAYLOAD_VERSION,
		.run_id = w->c->run_id,
		.seq = seq,
		.tsc_sched = w->rate > 0 ? w->tbase + (uint64_t)((double)(w->sched_sent + i) * cpp) : 0,
		.tsc_send = tsend,
	};
	if (w->c->be == FL_SENDMMSG)
		lg_payload_put(f, &p);
	else
		fl_frame_fill(&w->tmpl, f, &p);
}

static uint8_t *frame_at(struct fl_worker *w, unsigned i)
{
	return w->c->be == FL_TXRING ? txring_frame(&w->ring, i) : w->frames + (size_t)i * w->fsz;
}

/* Claim up to want seqs and write that many frames; how many (0 at --count). */
static unsigned claim_fill(struct fl_worker *w, unsigned want)
{
	uint64_t seq;
	unsigned k = claim(w, want, &seq);
	uint64_t tsend = nt_rdtsc();
	for (unsigned i = 0; i < k; i++)
		fill(w, frame_at(w, i), seq + i, i, tsend);
	return k;
}

static void note_error(struct fl_worker *w, int err)
{
	atomic_fetch_add_explicit(&w->errors, 1, memory_order_relaxed);
	w->last_err = err;
}

static int sendmmsg_or_pcap(struct fl_worker *w)
{
	uint8_t *f0 = w->frames + (size_t)w->poff * w->fsz;
	if (w->c->be != FL_PCAP)
		return sendmmsg(w->fd, w->mm + w->poff, w->npend, 0);
	int r = 0;
	for (unsigned i = 0; i < w->npend; i++, r++)
		if (pcap_inject(w->pc, f0 + (size_t)i * w->fsz, w->fsz) < 0) {
			if (!atomic_load_explicit(&w->errors, memory_order_relaxed))
				fprintf(stderr, PROG ": pcap_inject: %s\n", pcap_geterr(w->pc));
			if (r > 0)
				return r;
			errno = EIO;
			return -1;
		}
	return r;
}

/* Socket back ends: send n new frames, or first the ones a partial send left.
 * Returns packets sent (>= 0), or -1 on a fatal error, -2 at --count. */
static int send_sock(struct fl_worker *w, unsigned n)
{
	if (w->npend == 0) {
		if ((w->npend = claim_fill(w, n)) == 0)
			return -2;
		w->poff = 0;
	}
	w->calls++;
	int r = sendmmsg_or_pcap(w);
	if (r < 0) {
		if (errno == EINTR)
			return 0;
		note_error(w, errno);
		if (errno != ENOBUFS && errno != EAGAIN && errno != ECONNREFUSED && errno != EIO) {
			fprintf(stderr, PROG ": send: %s\n", strerror(errno));
			return -1;
		}
		return 0;
	}
	if ((unsigned)r < w->npend)
		note_error(w, EAGAIN);
	w->poff += (unsigned)r;
	w->npend -= (unsigned)r;
	return r;
}

/* TX ring: fill up to n free frames and kick.  Returns frames committed,
 * -1 on a fatal error, -2 at --count. */
static int send_ring(struct fl_worker *w, unsigned n)
{
	struct txring *t = &w->ring;
	unsigned avail = txring_reserve(t, n);
	if (avail == 0) {
		if (txring_kick(t) != 0)
			goto fatal;
		avail = txring_reserve(t, n);
		if (avail == 0) {
			txring_wait(t, 1);
			avail = txring_reserve(t, n);
		}
	}
	atomic_store_explicit(&w->sent, t->done, memory_order_relaxed);
	if (avail == 0)
		return 0;
	unsigned k = claim_fill(w, avail);
	if (k == 0)
		return -2;
	txring_commit(t, k, (unsigned)w->fsz);
	w->calls++;
	uint64_t kerr = t->kick_errors;
	if (txring_kick(t) != 0)
		goto fatal;
	if (t->kick_errors != kerr)
		note_error(w, t->last_err);
	return (int)k;
fatal:
	note_error(w, t->last_err);
	fprintf(stderr, PROG ": TX ring send: %s\n", strerror(t->last_err));
	return -1;
}

/* Rate mode: how many packets are due now (0 after a wait). */
static unsigned pace(struct fl_worker *w, uint64_t now)
{
	const double hz = w->c->hz, cpp = hz / w->rate;
	const unsigned batch = w->c->batch;
	const uint64_t backlog_max = (uint64_t)fmax(batch, w->rate * 0.010);
	uint64_t due = (uint64_t)((double)(now - w->tbase) / cpp) + 1;
	if (due > w->sched_sent + backlog_max) {
		/* stalled: do not burst to catch up */
		uint64_t keep = w->sched_sent + batch;
		w->backlog_dropped += due - keep;
		w->tbase = now - (uint64_t)((double)(keep - 1) * cpp);
		due = keep;
	}
	if (due > w->sched_sent)
		return (unsigned)(due - w->sched_sent < batch ? due - w->sched_sent : batch);
	uint64_t next = w->tbase + (uint64_t)((double)w->sched_sent * cpp);
	if (next > now + (uint64_t)(hz * 200e-6)) /* in steps of at most 50 ms: a stop is seen soon */
		nt_sleep_ns((int64_t)fmin(nt_cyc_to_ns((double)(next - now) - hz * 50e-6, hz), 50e6));
	else
		while (nt_rdtsc() < next && !atomic_load_explicit(&w->sh->stop, memory_order_relaxed))
			__builtin_ia32_pause();
	return 0;
}

static void worker_loop(struct fl_worker *w)
{
	const struct fl_cfg *c = w->c;
	w->tbase = w->sh->t0;
	while (!atomic_load_explicit(&w->sh->stop, memory_order_relaxed)) {
		uint64_t now = nt_rdtsc();
		if (c->end_cyc && now - w->sh->t0 >= c->end_cyc) {
			w->duration_reached = 1;
			break;
		}
		unsigned n = c->batch;
		if (w->rate > 0 && w->npend == 0 && (n = pace(w, now)) == 0)
			continue;
		int r = c->be == FL_TXRING ? send_ring(w, n) : send_sock(w, n);
		if (r == -2) {
			w->count_reached = 1;
			break;
		}
		if (r < 0) {
			w->failed = 1;
			break;
		}
		w->sched_sent += (uint64_t)r;
		if (c->be != FL_TXRING)
			atomic_fetch_add_explicit(&w->sent, (uint64_t)r, memory_order_relaxed);
	}
	if (c->be == FL_TXRING) {
		w->unsent = txring_flush(&w->ring, 1000);
		atomic_store_explicit(&w->sent, w->ring.done, memory_order_relaxed);
	} else {
		w->unsent = w->npend;
	}
}

static void *worker_main(void *arg)
{
	struct fl_worker *w = arg;
	if (w->cpu >= 0 && nt_pin_cpu(w->cpu) != 0) {
		fprintf(stderr, PROG ": --cpu %d: %s\n", w->cpu, strerror(errno));
		w->failed = 1;
	} else {
		worker_loop(w);
	}
	w->t_end = nt_rdtsc();
	if (w->failed)
		atomic_store(&w->sh->stop, 1); /* one thread failed: stop them all */
	atomic_fetch_sub(&w->sh->running, 1);
	return NULL;
}

/* ---- back ends --------------------------------------------------------- */

static int open_sock(struct fl_worker *w)
{
	const struct fl_cfg *c = w->c;
	w->fd = socket(c->dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (w->fd < 0) {
		fprintf(stderr, PROG ": socket: %s\n", strerror(errno));
		return -1;
	}
	if (c->iface && setsockopt(w->fd, SOL_SOCKET, SO_BINDTODEVICE, c->iface, (socklen_t)strlen(c->iface) + 1)) {
		fprintf(stderr, PROG ": --iface %s: %s\n", c->iface, strerror(errno));
		return -1;
	}
	if (c->have_src && bind(w->fd, (const struct sockaddr *)&c->src, c->srclen) != 0) {
		fprintf(stderr, PROG ": --src: cannot bind: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int open_packet(struct fl_worker *w)
{
	w->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (w->fd < 0) {
		fprintf(stderr, PROG ": AF_PACKET socket: %s\n", strerror(errno));
		return -1;
	}
	w->sll = (struct sockaddr_ll){ .sll_family = AF_PACKET, .sll_ifindex = w->c->ifindex, .sll_protocol = 0 };
	if (bind(w->fd, (struct sockaddr *)&w->sll, sizeof(w->sll)) != 0) {
		fprintf(stderr, PROG ": AF_PACKET bind %s: %s\n", w->c->iface, strerror(errno));
		return -1;
	}
	int one = 1;
	if (w->c->qbypass && setsockopt(w->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) != 0) {
		fprintf(stderr, PROG ": PACKET_QDISC_BYPASS: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int open_pcap(struct fl_worker *w)
{
	char eb[PCAP_ERRBUF_SIZE] = "";
	w->pc = pcap_create(w->c->iface, eb);
	if (!w->pc) {
		fprintf(stderr, PROG ": pcap_create %s: %s\n", w->c->iface, eb);
		return -1;
	}
	pcap_set_snaplen(w->pc, 64);
	pcap_set_buffer_size(w->pc, 1 << 20);
	pcap_set_immediate_mode(w->pc, 1);
	if (pcap_activate(w->pc) < 0) {
		fprintf(stderr, PROG ": pcap_activate %s: %s\n", w->c->iface, pcap_geterr(w->pc));
		return -1;
	}
	/* we only inject: capture nothing */
	struct bpf_program bp;
	if (pcap_compile(w->pc, &bp, "less 1", 1, PCAP_NETMASK_UNKNOWN) == 0) {
		pcap_setfilter(w->pc, &bp);
		pcap_freecode(&bp);
	}
	return 0;
}

static int open_buffers(struct fl_worker *w)
{
	const struct fl_cfg *c = w->c;
	w->frames = calloc(c->batch, w->fsz);
	w->mm = calloc(c->batch, sizeof(*w->mm));
	w->iov = calloc(c->batch, sizeof(*w->iov));
	if (!w->frames || !w->mm || !w->iov) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	for (unsigned i = 0; i < c->batch; i++) {
		w->iov[i] = (struct iovec){ .iov_base = w->frames + (size_t)i * w->fsz, .iov_len = w->fsz };
		w->mm[i].msg_hdr.msg_iov = &w->iov[i];
		w->mm[i].msg_hdr.msg_iovlen = 1;
		if (c->be == FL_PACKET) {
			w->mm[i].msg_hdr.msg_name = &w->sll;
			w->mm[i].msg_hdr.msg_namelen = sizeof(w->sll);
		} else if (c->be == FL_QEMU) {
			w->mm[i].msg_hdr.msg_name = (void *)&c->qemu;
			w->mm[i].msg_hdr.msg_namelen = sizeof(c->qemu);
		} else {
			w->mm[i].msg_hdr.msg_name = (void *)&c->dst;
			w->mm[i].msg_hdr.msg_namelen = c->dstlen;
		}
	}
	return 0;
}

static int worker_open(struct fl_worker *w)
{
	const struct fl_cfg *c = w->c;
	w->fd = -1;
	w->ring.fd = -1;
	w->fsz = c->be == FL_SENDMMSG ? c->size : FL_L2HDR + c->size;
	w->tmpl = c->tmpl;
	w->tmpl.ip_id = (uint16_t)(c->tmpl.ip_id + 0x4000u * (unsigned)w->idx);
	switch (c->be) {
	case FL_SENDMMSG:
		return open_sock(w) ? -1 : open_buffers(w);
	case FL_PACKET:
		return open_packet(w) ? -1 : open_buffers(w);
	case FL_PCAP:
		return open_pcap(w) ? -1 : open_buffers(w);
	case FL_QEMU:
		if ((w->fd = lg_qemu_open()) < 0) {
			fprintf(stderr, PROG ": socket: %s\n", strerror(errno));
			return -1;
		}
		return open_buffers(w);
	case FL_TXRING: {
		char why[160];
		if (txring_open(&w->ring, c->ifindex, (unsigned)w->fsz, FL_RING_FRAMES, 1, why, sizeof(why)) != 0) {
			fprintf(stderr, PROG ": %s: %s\n", c->iface, why);
			return -1;
		}
		return 0;
	}
	default:
		return -1;
	}
}

static void worker_close(struct fl_worker *w)
{
	if (w->pc)
		pcap_close(w->pc);
	if (w->fd >= 0)
		close(w->fd);
	if (w->c->be == FL_TXRING)
		txring_close(&w->ring);
	free(w->frames);
	free(w->mm);
	free(w->iov);
}

/* ---- the run ----------------------------------------------------------- */

static void sleep_ms(int ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	nanosleep(&ts, NULL);
}

struct reporter {
	uint64_t sec_t, sec_sent, sec_err;
};

static void report_second(const struct fl_cfg *c, struct fl_worker *ws, int nw, struct reporter *rp,
			  struct fl_result *res, uint64_t t0)
{
	uint64_t now = nt_rdtsc();
	if (now - rp->sec_t < (uint64_t)c->hz)
		return;
	uint64_t sent = 0, err = 0;
	for (int i = 0; i < nw; i++) {
		sent += atomic_load_explicit(&ws[i].sent, memory_order_relaxed);
		err += atomic_load_explicit(&ws[i].errors, memory_order_relaxed);
	}
	double el = (double)(now - rp->sec_t) / c->hz, pps = (double)(sent - rp->sec_sent) / el;
	if (!res->nsec || pps > res->pps_sec_max)
		res->pps_sec_max = pps;
	if (!res->nsec || pps < res->pps_sec_min)
		res->pps_sec_min = pps;
	res->nsec++;
	if (c->progress)
		fprintf(c->progress, PROG ": %7.3f s: %10.0f pps %9.2f Mbit/s, %" PRIu64 " errors (TSC)\n",
			(double)(now - t0) / c->hz, pps, pps * c->frame_bytes * 8 / 1e6, err - rp->sec_err);
	*rp = (struct reporter){ now, sent, err };
}

static void collect(struct fl_worker *ws, int nw, struct fl_result *res, uint64_t t0, double hz)
{
	uint64_t t1 = t0;
	for (int i = 0; i < nw; i++) {
		struct fl_worker *w = &ws[i];
		res->sent_by[i] = atomic_load(&w->sent);
		res->sent += res->sent_by[i];
		res->errors += atomic_load(&w->errors);
		res->calls += w->calls;
		res->backlog_dropped += w->backlog_dropped;
		res->unsent += w->unsent;
		if (w->last_err)
			res->last_err = w->last_err;
		res->failed |= w->failed;
		res->count_reached |= w->count_reached;
		res->duration_reached |= w->duration_reached;
		if (w->t_end > t1)
			t1 = w->t_end;
	}
	res->elapsed_s = (double)(t1 - t0) / hz;
}

static int start_all(struct fl_worker *ws, int nw)
{
	/* the sending threads leave SIGINT/SIGTERM to this one */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	int started = 0;
	for (; started < nw; started++) {
		int e = pthread_create(&ws[started].th, NULL, worker_main, &ws[started]);
		if (e) {
			fprintf(stderr, PROG ": pthread_create: %s\n", strerror(e));
			atomic_store(&ws[0].sh->stop, 1);
			atomic_fetch_sub(&ws[0].sh->running, nw - started);
			break;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return started;
}

int fl_run(const struct fl_cfg *c, struct fl_result *res)
{
	memset(res, 0, sizeof(*res));
	const int nw = c->ncpus > 0 ? c->ncpus : 1;
	struct fl_shared sh = { 0 };
	struct fl_worker *ws = calloc((size_t)nw, sizeof(*ws));
	if (!ws) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	int rc = 0, opened = 0;
	for (; opened < nw && rc == 0; opened++) {
		ws[opened] = (struct fl_worker){ .c = c, .sh = &sh, .idx = opened };
		ws[opened].cpu = c->ncpus > 0 ? c->cpus[opened] : -1;
		ws[opened].rate = c->rate / nw;
		rc = worker_open(&ws[opened]);
	}
	res->nthreads = nw;
	if (rc == 0) {
		atomic_store(&sh.running, nw);
		sh.t0 = nt_rdtsc();
		int started = start_all(ws, nw);
		struct reporter rp = { sh.t0, 0, 0 };
		while (atomic_load(&sh.running) > 0) {
			if (nt_stopping())
				atomic_store(&sh.stop, 1);
			sleep_ms(10);
			report_second(c, ws, nw, &rp, res, sh.t0);
		}
		for (int i = 0; i < started; i++)
			pthread_join(ws[i].th, NULL);
		collect(ws, nw, res, sh.t0, c->hz);
		rc = started == nw ? 0 : -1;
	}
	for (int i = 0; i < opened; i++)
		worker_close(&ws[i]);
	free(ws);
	return rc;
}
