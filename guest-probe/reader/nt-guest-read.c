// SPDX-License-Identifier: GPL-2.0
/*
 * nt-guest-read: drain the guest probe's records (/dev/nt_guest_probe) into
 * the project's record format, with a .meta file beside the data (TSC
 * frequency as the guest sees it, kernel, module parameters, probe cost,
 * lost counts, optional /proc/interrupts counts of watched IRQs).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nt/meta.h"
#include "nt/prog.h"
#include "ntgp_decode.h"

#define MAX_WATCH 16
#define CHUNK_RECS 4096

static char *slurp(const char *path, size_t *len)
{
	size_t cap = 8192, n = 0;
	char *buf = malloc(cap + 1);
	int fd = open(path, O_RDONLY);

	if (!buf || fd < 0) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *nb = cap < (1u << 24) ? realloc(buf, cap * 2 + 1) : NULL;

			if (!nb) {
				free(buf);
				close(fd);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			close(fd);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Sum of the per-CPU counts of IRQ `irq` in /proc/interrupts, or -1. */
static long long irq_count(unsigned irq)
{
	size_t len;
	char *t = slurp("/proc/interrupts", &len), *line, *save = NULL;
	long long sum = -1;
	int ncpu = 0;

	if (!t)
		return -1;
	for (line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *p = line, *end;
		unsigned long v;
		int i;

		if (ncpu == 0) { /* header: CPU0 CPU1 ... */
			for (char *q = strstr(p, "CPU"); q; q = strstr(q + 3, "CPU"))
				ncpu++;
			continue;
		}
		while (*p == ' ')
			p++;
		v = strtoul(p, &end, 10);
		if (end == p || *end != ':' || v != irq)
			continue;
		p = end + 1;
		sum = 0;
		for (i = 0; i < ncpu; i++) {
			unsigned long long c = strtoull(p, &end, 10);

			if (end == p)
				break;
			sum += (long long)c;
			p = end;
		}
		break;
	}
	free(t);
	return sum;
}

struct watch {
	unsigned irq;
	long long c0, c1;
	uint64_t t0a, t0b, t1a, t1b;
};

static void watch_take(struct watch *w, int n, int end)
{
	for (int i = 0; i < n; i++) {
		uint64_t a = nt_rdtsc_ordered();
		long long c = irq_count(w[i].irq);
		uint64_t b = nt_rdtsc_ordered();

		if (end) {
			w[i].c1 = c;
			w[i].t1a = a;
			w[i].t1b = b;
		} else {
			w[i].c0 = c;
			w[i].t0a = a;
			w[i].t0b = b;
		}
	}
}

/* Records go to the writer; a write failure is counted there (lost) and
 * said by the close step, so decoding goes on. */
static int emit(void *ctx, const struct nt_rec *r)
{
	struct nt_prog *p = ctx;

	nt_writer_put(p->w, r);
	return 0;
}

static void meta_params(FILE *m)
{
	const char *dir = "/sys/module/nt_guest_probe/parameters";
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[PATH_MAX], key[300];
		size_t len;
		char *v;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		v = slurp(path, &len);
		if (!v)
			continue;
		while (len && (v[len - 1] == '\n' || v[len - 1] == ' '))
			v[--len] = '\0';
		snprintf(key, sizeof(key), "module.%s", e->d_name);
		nt_meta_put(m, key, "%s", v);
		free(v);
	}
	closedir(d);
}

/* ---- the drain loop: sleep in ppoll() until records, the stop file, the
 * end of the duration or a signal; drain with non-blocking reads */
struct drain {
	struct nt_prog *p;
	int fd;
	const char *dev, *stop_file;
	int64_t duration, interval, t_start; /* ns; CLOCK_MONOTONIC */
	struct ntgp_join *join;
	unsigned char *buf;
	size_t bufsize;
	unsigned long long wakeups; /* ppoll() returns */
	uint64_t tsc_last;          /* TSC just before the final drain ... */
	int last_ok;                /* ... which read the rings empty */
};

/* Read until the rings are empty (EAGAIN) or a read comes back short. */
static int drain_now(struct drain *d)
{
	for (;;) {
		ssize_t n = read(d->fd, d->buf, d->bufsize);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0) {
			nt_error(d->p, "read %s: %s", d->dev, strerror(errno));
			return -1;
		}
		if (n == 0) {
			nt_error(d->p, "read %s: end of file (a module without blocking reads?)", d->dev);
			return -1;
		}
		ntgp_decode(d->join, d->buf, (size_t)n, emit, d->p);
		if ((size_t)n < d->bufsize)
			return 0;
	}
}

/* inotify on the stop file's folder (-1 when there is none or it fails) */
static int stop_watch(const struct nt_prog *p, const char *stop_file)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(stop_file, '/');
	int fd;

	if (slash == stop_file)
		snprintf(dir, sizeof(dir), "/");
	else if (slash)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - stop_file), stop_file);
	else
		snprintf(dir, sizeof(dir), ".");
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd >= 0 && inotify_add_watch(fd, dir, IN_CREATE | IN_MOVED_TO | IN_ATTRIB | IN_CLOSE_WRITE) < 0) {
		nt_warn(p, "cannot watch %s (%s): checking the stop file every 100 ms", dir, strerror(errno));
		close(fd);
		fd = -1;
	}
	return fd;
}

static int stop_file_there(const struct drain *d, int ino)
{
	struct stat sb;
	char ev[4096];

	if (ino >= 0)
		while (read(ino, ev, sizeof(ev)) > 0)
			;
	return d->stop_file && stat(d->stop_file, &sb) == 0;
}

/* A stop: a signal, the end of --duration, the stop file. */
static int stopping(const struct drain *d, int ino)
{
	if (nt_stopping())
		return 1;
	if (d->duration > 0 && nt_mono_ns() - d->t_start >= d->duration) {
		nt_prog_stop_reason(d->p, "duration reached");
		return 1;
	}
	if (stop_file_there(d, ino)) {
		nt_prog_stop_reason(d->p, "stop file");
		return 1;
	}
	return 0;
}

/* The ppoll() timeout: the next drain (--interval), the end of --duration,
 * or the stop file's 100 ms check without inotify; NULL: none. */
static struct timespec *wait_until(const struct drain *d, int ino, int64_t next, struct timespec *ts)
{
	int64_t now = nt_mono_ns(), until = INT64_MAX;
	if (now < next)
		until = next;
	if (d->duration > 0 && d->t_start + d->duration < until)
		until = d->t_start + d->duration;
	if (d->stop_file && ino < 0 && now + 100000000 < until)
		until = now + 100000000;
	if (until == INT64_MAX)
		return NULL;
	int64_t left = until > now ? until - now : 0;
	*ts = (struct timespec){ (time_t)(left / 1000000000), (long)(left % 1000000000) };
	return ts;
}

static int drain_loop(struct drain *d)
{
	sigset_t block, old;
	int ino = d->stop_file ? stop_watch(d->p, d->stop_file) : -1, rc = 0;
	int64_t next = 0; /* earliest time of the next drain (--interval) */

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old); /* delivered only inside ppoll() */
	while (!stopping(d, ino)) {
		struct pollfd p[2] = { { d->fd, nt_mono_ns() >= next ? POLLIN : 0, 0 }, { ino, POLLIN, 0 } };
		struct timespec ts;
		int r = ppoll(p, ino >= 0 ? 2 : 1, wait_until(d, ino, next, &ts), &old);

		d->wakeups++;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || (p[0].revents & (POLLERR | POLLNVAL))) {
			nt_error(d->p, "poll %s: %s", d->dev, r < 0 ? strerror(errno) : "error");
			rc = -1;
			break;
		}
		if (!(p[0].revents & POLLIN))
			continue;
		if (drain_now(d)) {
			rc = -1;
			break;
		}
		nt_writer_flush(d->p->w); /* a failure is counted and said at the close */
		next = nt_mono_ns() + d->interval;
	}
	/* what was stamped up to now: every stamp taken before tsc_last */
	if (!rc) {
		d->tsc_last = nt_rdtsc_ordered();
		if (drain_now(d))
			rc = -1;
		else
			d->last_ok = 1;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (ino >= 0)
		close(ino);
	return rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* ---- options ----------------------------------------------------------- */

enum { O_INTERVAL = 256, O_WATCH, O_STOP, O_READY, O_DEV, O_STATS };

static const struct nt_opt gr_opts[] = {
	{ "interval", "DUR", O_INTERVAL, "at most one drain every DUR, 0..10s (default 0: as soon as\nrecords arrive; the reader sleeps in poll() until then)" },
	{ "watch-irq", "N", O_WATCH, "record /proc/interrupts counts of IRQ N at start and end\nin the metadata (repeatable, at most 16)" },
	{ "stop-file", "PATH", O_STOP, "stop when PATH exists" },
	{ "ready-file", "PATH", O_READY, "create PATH once draining has started" },
	{ "dev", "PATH", O_DEV, "record device (default /dev/nt_guest_probe)" },
	{ "stats", "PATH", O_STATS, "statistics file (default /proc/nt_guest_probe)" },
	{ NULL, NULL, 0, NULL },
};

struct gr {
	int64_t interval;
	struct watch watch[MAX_WATCH];
	int nwatch, fd;
	const char *stop_file, *ready_file, *dev, *stats_path;
	struct ntgp_join join;
	struct ntgp_stats st;
	int64_t t_start, t_end;   /* CLOCK_MONOTONIC ns */
	uint64_t tsc_start, tsc_end;
	/* the module's recording window (guest.stamp_tsc_*): from when it began
	 * stamping to just before the final drain; has_*: known */
	uint64_t stamp_start, stamp_end;
	int has_stamp_start, has_stamp_end;
	/* probe cost: calibrated medians per CPU, in-situ samples */
	uint64_t cal[NTGP_MAX_CPUS];
	int ncal;
	unsigned long long ins_n, ins_sum, ins_min, ins_max;
	unsigned long long wakeups;
	long nvcsw; /* voluntary context switches (getrusage), -1 unknown */
};

static int gr_opt(struct nt_prog *p, int key, const char *arg)
{
	struct gr *g = p->ctx;
	uint64_t v;
	switch (key) {
	case O_INTERVAL: return nt_parse_dur(arg, 0, 10000000000LL, &g->interval);
	case O_WATCH:
		if (g->nwatch == MAX_WATCH || nt_parse_u64(arg, 0, 1000000, &v))
			return -1;
		g->watch[g->nwatch++] = (struct watch){ .irq = (unsigned)v };
		return 0;
	case O_STOP: g->stop_file = arg; return 0;
	case O_READY: g->ready_file = arg; return 0;
	case O_DEV: g->dev = arg; return 0;
	case O_STATS: g->stats_path = arg; return 0;
	}
	return -1;
}

static void gr_validate(struct nt_prog *p)
{
	if (!p->out)
		nt_usage(p, "--out FILE is required");
}

static int dev_open(struct nt_prog *p, struct gr *g)
{
	g->fd = open(g->dev, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (g->fd < 0) {
		nt_error(p, "cannot open %s: %s (%s)", g->dev, strerror(errno),
			 errno == EBUSY ? "another reader has it open; there can be only one"
					: "is nt_guest_probe.ko loaded?");
		return -1;
	}
	return 0;
}

/* ---- draining ------------------------------------------------------------ */

static void ready(struct nt_prog *p, struct gr *g)
{
	int rf = g->ready_file ? open(g->ready_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
	if (g->ready_file && rf < 0)
		nt_warn(p, "cannot create %s: %s", g->ready_file, strerror(errno));
	if (rf >= 0)
		close(rf);
}

/* The module's stamp_tsc_start parameter (the TSC when it began stamping),
 * read while the open device keeps the module loaded: 1 and *tsc, or 0 (an
 * older module without it). */
static int stamp_start(uint64_t *tsc)
{
	size_t len;
	char *t = slurp("/sys/module/nt_guest_probe/parameters/stamp_tsc_start", &len), *end;
	int ok = 0;

	if (t) {
		unsigned long long v = strtoull(t, &end, 10);

		ok = end != t && (*end == '\n' || !*end) && v > 0;
		*tsc = v;
	}
	free(t);
	return ok;
}

/* Drain until a stop, with the watched IRQs counted around it. */
static int drain(struct nt_prog *p, struct gr *g)
{
	static unsigned char buf[CHUNK_RECS * sizeof(struct nt_rec)];
	struct drain d = { .p = p, .fd = g->fd, .dev = g->dev, .stop_file = g->stop_file,
			   .duration = p->duration_ns, .interval = g->interval, .join = &g->join, .buf = buf,
			   .bufsize = sizeof(buf) };
	ntgp_join_init(&g->join);
	g->has_stamp_start = stamp_start(&g->stamp_start);
	watch_take(g->watch, g->nwatch, 0);
	g->t_start = d.t_start = nt_mono_ns();
	g->tsc_start = nt_rdtsc();
	ready(p, g);
	int rc = drain_loop(&d);
	struct rusage ru;
	g->nvcsw = getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_nvcsw : -1;
	g->t_end = nt_mono_ns();
	g->tsc_end = nt_rdtsc();
	g->has_stamp_end = d.last_ok;
	g->stamp_end = d.tsc_last;
	watch_take(g->watch, g->nwatch, 1);
	g->wakeups = d.wakeups;
	return rc;
}

/* ---- after the run: the module's statistics --------------------------------- */

/* Lost records the stream did not report yet, then the held-back ones. */
static int lost_from_stats(struct nt_prog *p, struct gr *g)
{
	size_t len;
	char why[128], *t = slurp(g->stats_path, &len);
	if (!t || ntgp_stats_parse(t, len, &g->st, why, sizeof(why))) {
		nt_error(p, "cannot read %s: %s", g->stats_path, t ? why : strerror(errno));
		memset(&g->st, 0, sizeof(g->st));
		free(t);
		return -1;
	}
	free(t);
	for (int cpu = 0; cpu < g->st.ncpu; cpu++) {
		struct ntgp_join *j = &g->join;
		if (!g->st.cpu[cpu].present || g->st.cpu[cpu].lost <= j->lost_by_cpu[cpu])
			continue;
		struct nt_rec r = nt_rec_blank(NT_SRC_GUEST, NT_EV_LOST);
		r.cpu = (uint16_t)cpu;
		r.tsc = g->tsc_end;
		r.aux = g->st.cpu[cpu].lost - j->lost_by_cpu[cpu];
		j->n_lost += r.aux;
		j->n_lost_recs++;
		j->lost_by_cpu[cpu] = g->st.cpu[cpu].lost;
		emit(p, &r);
	}
	return ntgp_join_flush(&g->join, emit, p);
}

/* One probe_cost record per CPU (its calibrated median), in-situ totals. */
static void probe_cost(struct nt_prog *p, struct gr *g)
{
	for (int cpu = 0; cpu < g->st.ncpu; cpu++) {
		const struct ntgp_cpu_stats *cs = &g->st.cpu[cpu];
		if (!cs->present)
			continue;
		if (cs->cal_median) {
			struct nt_rec r = nt_rec_blank(NT_SRC_GUEST, NT_EV_PROBE_COST);
			r.cpu = (uint16_t)cpu;
			r.tsc = g->tsc_end;
			r.aux = cs->cal_median;
			g->cal[g->ncal++] = cs->cal_median;
			emit(p, &r);
		}
		if (cs->cost_n) {
			if (!g->ins_n || cs->cost_min < g->ins_min)
				g->ins_min = cs->cost_min;
			if (cs->cost_max > g->ins_max)
				g->ins_max = cs->cost_max;
			g->ins_n += cs->cost_n;
			g->ins_sum += cs->cost_sum;
		}
	}
	qsort(g->cal, (size_t)g->ncal, sizeof(g->cal[0]), cmp_u64);
}

/* ---- metadata and summary ---------------------------------------------------- */

static void meta_run(FILE *m, const struct gr *g)
{
	size_t hl;
	char *hv = slurp("/sys/hypervisor/type", &hl);
	while (hv && hl && (hv[hl - 1] == '\n' || hv[hl - 1] == ' '))
		hv[--hl] = '\0';
	nt_meta_put(m, "hypervisor", "%s", hv && hl ? hv : "none");
	free(hv);
	nt_meta_put(m, "guest.kernel", "%s", g->st.kernel);
	nt_meta_put(m, "guest.kernel_tsc_khz", "%llu", g->st.tsc_khz);
	meta_params(m);
	nt_meta_put(m, "guest.duration_s", "%.3f", (double)(g->t_end - g->t_start) / 1e9);
	nt_meta_put(m, "guest.tsc_start", "%" PRIu64, g->tsc_start);
	nt_meta_put(m, "guest.tsc_end", "%" PRIu64, g->tsc_end);
	/* the recording window (docs/run-layout.md "The join rule") */
	if (g->has_stamp_start)
		nt_meta_put(m, "guest.stamp_tsc_start", "%" PRIu64, g->stamp_start);
	if (g->has_stamp_end)
		nt_meta_put(m, "guest.stamp_tsc_end", "%" PRIu64, g->stamp_end);
	nt_meta_put(m, "guest.reader_wakeups", "%llu", g->wakeups);
	if (g->nvcsw >= 0)
		nt_meta_put(m, "guest.reader_voluntary_switches", "%ld", g->nvcsw);
	const struct ntgp_join *j = &g->join;
	nt_meta_put(m, "guest.irq_records", "%llu", j->n_irq);
	nt_meta_put(m, "guest.irq_tied", "%llu", j->n_tied);
	nt_meta_put(m, "guest.pkt_records", "%llu", j->n_pkt);
	nt_meta_put(m, "guest.pkt_without_irq", "%llu", j->n_pkt_noirq);
	nt_meta_put(m, "guest.timer_records", "%llu", j->n_timer);
	nt_meta_put(m, "guest.irq_exit_records", "%llu", j->n_exit);
	nt_meta_put(m, "guest.lost", "%llu", j->n_lost);
	nt_meta_put(m, "guest.bad_records", "%llu", j->n_bad);
	nt_meta_put(m, "guest.seq_join",
		    "guest_irq.seq = seq of the first guest_pkt on the same CPU whose aux equals the IRQ stamp");
}

static void meta_cost(FILE *m, const struct gr *g)
{
	if (g->ncal) {
		nt_meta_put(m, "probe_cost_cycles", "%" PRIu64, g->cal[g->ncal / 2]);
		nt_meta_put(m, "probe_cost_cycles_min_cpu", "%" PRIu64, g->cal[0]);
		nt_meta_put(m, "probe_cost_cycles_max_cpu", "%" PRIu64, g->cal[g->ncal - 1]);
		nt_meta_put(m, "probe_cost_method", "calibrated at load: median of 16 batches of 256 back-to-back "
						    "stamps, per CPU, IRQs off; median over CPUs");
	}
	nt_meta_put(m, "probe_cost_insitu_samples", "%llu", g->ins_n);
	if (g->ins_n) {
		nt_meta_put(m, "probe_cost_insitu_mean_cycles", "%.1f", (double)g->ins_sum / g->ins_n);
		nt_meta_put(m, "probe_cost_insitu_min_cycles", "%llu", g->ins_min);
		nt_meta_put(m, "probe_cost_insitu_max_cycles", "%llu", g->ins_max);
	}
}

static void meta_cpus(FILE *m, const struct gr *g)
{
	char k[64];
	for (int cpu = 0; cpu < g->st.ncpu; cpu++) {
		if (!g->st.cpu[cpu].present)
			continue;
		snprintf(k, sizeof(k), "guest.cpu%d.stamps", cpu);
		nt_meta_put(m, k, "%llu", g->st.cpu[cpu].stamps);
		snprintf(k, sizeof(k), "guest.cpu%d.lost", cpu);
		nt_meta_put(m, k, "%llu", g->st.cpu[cpu].lost);
		if (g->st.cpu[cpu].hr_ticks) {
			snprintf(k, sizeof(k), "guest.cpu%d.hrtimer_overruns", cpu);
			nt_meta_put(m, k, "%llu", g->st.cpu[cpu].hr_overruns);
		}
	}
	for (int i = 0; i < g->nwatch; i++) {
		const struct watch *w = &g->watch[i];
		snprintf(k, sizeof(k), "irq.%u.count_start", w->irq);
		nt_meta_put(m, k, "%lld", w->c0);
		snprintf(k, sizeof(k), "irq.%u.count_end", w->irq);
		nt_meta_put(m, k, "%lld", w->c1);
		snprintf(k, sizeof(k), "irq.%u.tsc_start", w->irq);
		nt_meta_put(m, k, "%" PRIu64 " %" PRIu64, w->t0a, w->t0b);
		snprintf(k, sizeof(k), "irq.%u.tsc_end", w->irq);
		nt_meta_put(m, k, "%" PRIu64 " %" PRIu64, w->t1a, w->t1b);
	}
}

static void gr_meta(struct nt_prog *p, FILE *m)
{
	struct gr *g = p->ctx;
	nt_meta_put(m, "tsc_clock", "the guest's TSC (see hypervisor and tsc_* keys)");
	meta_run(m, g);
	meta_cost(m, g);
	meta_cpus(m, g);
}

static void gr_summary(struct nt_prog *p)
{
	struct gr *g = p->ctx;
	const struct ntgp_join *j = &g->join;
	double hz = p->have_clock ? p->freq.hz : (double)g->st.tsc_khz * 1000.0;
	nt_say(p, "%.2f s (CLOCK_MONOTONIC): guest_irq %llu (%llu tied to a packet seq), guest_irq_exit %llu, "
		  "guest_pkt %llu, timer %llu, lost %llu stamps, %llu bad records",
	       (double)(g->t_end - g->t_start) / 1e9, j->n_irq, j->n_tied, j->n_exit, j->n_pkt, j->n_timer, j->n_lost,
	       j->n_bad);
	if (g->ncal)
		nt_say(p, "probe cost %" PRIu64 " cycles/stamp (calibrated, median over %d CPUs, %.1f ns at TSC %.3f MHz)",
		       g->cal[g->ncal / 2], g->ncal, hz > 0 ? g->cal[g->ncal / 2] * 1e9 / hz : 0.0, hz / 1e6);
	if (g->ins_n)
		nt_say(p, "in-situ probe cost mean %.1f cycles (TSC; %llu samples, min %llu, max %llu)",
		       (double)g->ins_sum / g->ins_n, g->ins_n, g->ins_min, g->ins_max);
}

int main(int argc, char **argv)
{
	static struct gr g = { .interval = 0, .fd = -1, .dev = "/dev/nt_guest_probe",
			       .stats_path = "/proc/nt_guest_probe" };
	struct nt_prog p = {
		.name = "nt-guest-read", .synopsis = "--out FILE [options]",
		.about = "Drain the guest probe's stamps (nt_guest_probe module) into the record format,\n"
			 "until --duration, --stop-file or a signal.",
		.common = NT_C_RECORDS | NT_C_DURATION, .opts = gr_opts, .opt = gr_opt, .validate = gr_validate,
		.meta = gr_meta, .summary = gr_summary, .source = "guest", .ctx = &g,
	};
	nt_prog_parse(&p, argc, argv);
	int rc = NT_EXIT_OK;
	/* the device first: a second reader is refused at once */
	if (dev_open(&p, &g) == 0 && nt_prog_start(&p) == 0 && nt_prog_clock(&p) == 0 && drain(&p, &g) == 0 &&
	    lost_from_stats(&p, &g) == 0)
		probe_cost(&p, &g);
	if (g.fd >= 0)
		close(g.fd);
	return nt_prog_close(&p, rc);
}
