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
#include <getopt.h>
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
#include "nt/recio.h"
#include "nt/record.h"
#include "nt/tsc.h"
#include "ntgp_decode.h"

#define PROG "nt-guest-read"
#define MAX_WATCH 16
#define CHUNK_RECS 4096

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " -o FILE [options]\n"
		"Drain the guest probe's stamps (nt_guest_probe module) into the record format.\n"
		"  -o, --output FILE     data file: .csv (default) or .bin/.ntr binary, '-' = stdout;\n"
		"                        metadata goes to FILE.meta\n"
		"  -d, --duration SEC    stop after SEC seconds (default: until Ctrl-C or --stop-file)\n"
		"  -i, --interval MS     at most one drain every MS ms, 0..10000 (default 0: as soon as\n"
		"                        records arrive; the reader sleeps in poll() until then)\n"
		"  -w, --watch-irq N     record /proc/interrupts counts of IRQ N at start and end\n"
		"                        in the metadata (repeatable, at most %d)\n"
		"  -s, --stop-file PATH  stop when PATH exists\n"
		"  -r, --ready-file PATH create PATH once draining has started\n"
		"      --dev PATH        record device (default /dev/nt_guest_probe)\n"
		"      --stats PATH      statistics file (default /proc/nt_guest_probe)\n"
		"      --tsc-ms MS       TSC calibration window, 10..2000 ms (default 200)\n"
		"  -q, --quiet           no summary on stderr\n"
		"  -h, --help            this text\n"
		"Exit: 0 done, 1 runtime error, 2 bad usage, 130 stopped by a signal.\n",
		MAX_WATCH);
}

static int parse_num(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

static double mono_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

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

struct out {
	struct nt_writer *w;
	int err;
};

static int emit(void *ctx, const struct nt_rec *r)
{
	struct out *o = ctx;

	if (nt_writer_put(o->w, r)) {
		o->err = errno ? errno : EIO;
		return -1;
	}
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
	int fd;
	const char *dev, *out_path, *stop_file;
	double duration, interval_ms, t_start;
	struct ntgp_join *join;
	struct out *o;
	unsigned char *buf;
	size_t bufsize;
	unsigned long long wakeups; /* ppoll() returns */
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
			fprintf(stderr, PROG ": read %s: %s\n", d->dev, strerror(errno));
			return -1;
		}
		if (n == 0) {
			fprintf(stderr, PROG ": read %s: end of file (a module without blocking reads?)\n", d->dev);
			return -1;
		}
		if (ntgp_decode(d->join, d->buf, (size_t)n, emit, d->o)) {
			fprintf(stderr, PROG ": write %s: %s\n", d->out_path, strerror(d->o->err));
			return -1;
		}
		if ((size_t)n < d->bufsize)
			return 0;
	}
}

/* inotify on the stop file's folder (-1 when there is none or it fails) */
static int stop_watch(const char *stop_file)
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
		fprintf(stderr, PROG ": warning: cannot watch %s (%s): checking the stop file every 100 ms\n", dir,
			strerror(errno));
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

/* milliseconds from now until `until` (CLOCK_MONOTONIC seconds), at least 0 */
static double wait_ms(double until)
{
	double ms = (until - mono_s()) * 1e3;

	return ms < 0 ? 0 : ms;
}

static int drain_loop(struct drain *d)
{
	sigset_t block, old;
	int ino = d->stop_file ? stop_watch(d->stop_file) : -1, rc = 0;
	double next = 0; /* earliest time of the next drain (--interval) */

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old); /* delivered only inside ppoll() */
	for (;;) {
		struct pollfd p[2] = { { d->fd, 0, 0 }, { ino, POLLIN, 0 } };
		double now = mono_s(), until = 1e300;
		struct timespec ts, *tp = NULL;
		int r;

		if (g_stop || (d->duration > 0 && now - d->t_start >= d->duration) ||
		    stop_file_there(d, ino))
			break;
		if (now >= next)
			p[0].events = POLLIN;
		else
			until = next;
		if (d->duration > 0 && d->t_start + d->duration < until)
			until = d->t_start + d->duration;
		if (d->stop_file && ino < 0 && now + 0.1 < until)
			until = now + 0.1;
		if (until < 1e300) {
			double ms = wait_ms(until);

			ts.tv_sec = (time_t)(ms / 1e3);
			ts.tv_nsec = (long)((ms - 1e3 * (double)ts.tv_sec) * 1e6);
			tp = &ts;
		}
		r = ppoll(p, ino >= 0 ? 2 : 1, tp, &old);
		d->wakeups++;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || (p[0].revents & (POLLERR | POLLNVAL))) {
			fprintf(stderr, PROG ": poll %s: %s\n", d->dev, r < 0 ? strerror(errno) : "error");
			rc = -1;
			break;
		}
		if (!(p[0].revents & POLLIN))
			continue;
		if (drain_now(d)) {
			rc = -1;
			break;
		}
		if (nt_writer_flush(d->o->w)) {
			fprintf(stderr, PROG ": write %s: %s\n", d->out_path, strerror(errno));
			rc = -1;
			break;
		}
		next = mono_s() + d->interval_ms / 1e3;
	}
	/* what was stamped up to now */
	if (!rc && drain_now(d))
		rc = -1;
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, 0, 'o' },
		{ "duration", required_argument, 0, 'd' },
		{ "interval", required_argument, 0, 'i' },
		{ "watch-irq", required_argument, 0, 'w' },
		{ "stop-file", required_argument, 0, 's' },
		{ "ready-file", required_argument, 0, 'r' },
		{ "dev", required_argument, 0, 1 },
		{ "stats", required_argument, 0, 2 },
		{ "tsc-ms", required_argument, 0, 3 },
		{ "quiet", no_argument, 0, 'q' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *out_path = NULL, *dev = "/dev/nt_guest_probe";
	const char *stats_path = "/proc/nt_guest_probe", *stop_file = NULL;
	const char *ready_file = NULL;
	double duration = 0, interval_ms = 0, tsc_ms = 200, v;
	struct watch watch[MAX_WATCH];
	int nwatch = 0, quiet = 0, c, fd, rc = 0, stopped_by_signal;
	static struct ntgp_join join;
	static struct ntgp_stats st;
	static unsigned char buf[CHUNK_RECS * sizeof(struct nt_rec)];
	struct nt_tsc_props props;
	struct nt_tsc_freq freq;
	struct out o = { 0 };
	char meta_path[PATH_MAX], why[128];
	double t_start, t_end, hz;
	uint64_t tsc_start, tsc_end;
	int tsc_rc;
	unsigned long long wakeups = 0;
	FILE *meta;

	while ((c = getopt_long(argc, argv, "o:d:i:w:s:r:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out_path = optarg; break;
		case 'd':
			if (parse_num(optarg, 0.001, 1e7, &duration)) {
				fprintf(stderr, PROG ": --duration: '%s' is not 0.001..1e7 seconds\n", optarg);
				return 2;
			}
			break;
		case 'i':
			if (parse_num(optarg, 0, 10000, &interval_ms)) {
				fprintf(stderr, PROG ": --interval: '%s' is not 0..10000 ms\n", optarg);
				return 2;
			}
			break;
		case 'w':
			if (nwatch == MAX_WATCH || parse_num(optarg, 0, 1e6, &v) || v != (unsigned)v) {
				fprintf(stderr, PROG ": --watch-irq: '%s' is not an IRQ number (at most %d of them)\n",
					optarg, MAX_WATCH);
				return 2;
			}
			memset(&watch[nwatch], 0, sizeof(watch[0]));
			watch[nwatch++].irq = (unsigned)v;
			break;
		case 's': stop_file = optarg; break;
		case 'r': ready_file = optarg; break;
		case 1: dev = optarg; break;
		case 2: stats_path = optarg; break;
		case 3:
			if (parse_num(optarg, 10, 2000, &tsc_ms)) {
				fprintf(stderr, PROG ": --tsc-ms: '%s' is not 10..2000 ms\n", optarg);
				return 2;
			}
			break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!out_path) {
		fprintf(stderr, PROG ": -o FILE is required\n");
		usage(stderr);
		return 2;
	}
	fd = open(dev, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, PROG ": cannot open %s: %s (%s)\n", dev, strerror(errno),
			errno == EBUSY ? "another reader has it open; there can be only one"
				       : "is nt_guest_probe.ko loaded?");
		return 1;
	}
	o.w = nt_writer_open(out_path, nt_fmt_from_path(out_path));
	if (!o.w) {
		fprintf(stderr, PROG ": cannot write %s: %s\n", out_path, strerror(errno));
		close(fd);
		return 1;
	}
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	ntgp_join_init(&join);
	watch_take(watch, nwatch, 0);
	t_start = mono_s();
	tsc_start = nt_rdtsc();
	if (ready_file) {
		int rf = open(ready_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (rf < 0)
			fprintf(stderr, PROG ": warning: cannot create %s: %s\n", ready_file,
				strerror(errno));
		else
			close(rf);
	}
	{
		struct drain d = { .fd = fd, .dev = dev, .out_path = out_path, .stop_file = stop_file,
				   .duration = duration, .interval_ms = interval_ms, .t_start = t_start,
				   .join = &join, .o = &o, .buf = buf, .bufsize = sizeof(buf) };

		if (drain_loop(&d))
			rc = 1;
		wakeups = d.wakeups;
	}
	stopped_by_signal = g_stop;
	t_end = mono_s();
	tsc_end = nt_rdtsc();
	watch_take(watch, nwatch, 1);

	/* statistics: lost records not yet reported in the stream, probe cost */
	{
		size_t len;
		char *t = slurp(stats_path, &len);

		if (!t || ntgp_stats_parse(t, len, &st, why, sizeof(why))) {
			fprintf(stderr, PROG ": cannot read %s: %s\n", stats_path,
				t ? why : strerror(errno));
			rc = 1;
			memset(&st, 0, sizeof(st));
		}
		free(t);
	}
	for (int cpu = 0; cpu < st.ncpu && !rc; cpu++) {
		struct nt_rec r;

		if (!st.cpu[cpu].present || st.cpu[cpu].lost <= join.lost_by_cpu[cpu])
			continue;
		r = nt_rec_blank(NT_SRC_GUEST, NT_EV_LOST);
		r.cpu = (uint16_t)cpu;
		r.tsc = tsc_end;
		r.aux = st.cpu[cpu].lost - join.lost_by_cpu[cpu];
		join.n_lost += r.aux;
		join.n_lost_recs++;
		join.lost_by_cpu[cpu] = st.cpu[cpu].lost;
		if (emit(&o, &r))
			rc = 1;
	}
	if (!rc && ntgp_join_flush(&join, emit, &o))
		rc = 1;

	tsc_rc = nt_tsc_freq_find(&freq, (unsigned)tsc_ms, 2000);
	hz = freq.hz > 0 ? freq.hz : (double)st.tsc_khz * 1000.0;
	nt_tsc_props_read(&props);

	/* probe cost: one probe_cost record per CPU (calibrated median) */
	uint64_t cal[NTGP_MAX_CPUS];
	int ncal = 0;
	unsigned long long ins_n = 0, ins_sum = 0, ins_min = 0, ins_max = 0;
	for (int cpu = 0; cpu < st.ncpu; cpu++) {
		const struct ntgp_cpu_stats *cs = &st.cpu[cpu];

		if (!cs->present)
			continue;
		if (cs->cal_median) {
			struct nt_rec r = nt_rec_blank(NT_SRC_GUEST, NT_EV_PROBE_COST);

			r.cpu = (uint16_t)cpu;
			r.tsc = tsc_end;
			r.aux = cs->cal_median;
			cal[ncal++] = cs->cal_median;
			if (!rc && emit(&o, &r))
				rc = 1;
		}
		if (cs->cost_n) {
			if (!ins_n || cs->cost_min < ins_min)
				ins_min = cs->cost_min;
			if (cs->cost_max > ins_max)
				ins_max = cs->cost_max;
			ins_n += cs->cost_n;
			ins_sum += cs->cost_sum;
		}
	}
	qsort(cal, (size_t)ncal, sizeof(cal[0]), cmp_u64);
	nt_writer_flush(o.w);
	unsigned long long nrec = nt_writer_count(o.w); /* records that reached the file */
	if (nt_writer_close(o.w)) {
		fprintf(stderr, PROG ": write %s: %s\n", out_path, strerror(errno));
		rc = 1;
	}
	close(fd);

	/* metadata */
	if (strcmp(out_path, "-") == 0)
		snprintf(meta_path, sizeof(meta_path), "%s", "nt-guest-read.meta");
	else if (nt_meta_path_for(out_path, meta_path, sizeof(meta_path)))
		snprintf(meta_path, sizeof(meta_path), "%s.meta", out_path);
	meta = fopen(meta_path, "w");
	if (!meta) {
		fprintf(stderr, PROG ": cannot write %s: %s\n", meta_path, strerror(errno));
		rc = 1;
	} else {
		size_t hl;
		char *hv = slurp("/sys/hypervisor/type", &hl);

		nt_meta_put(meta, "source", "guest");
		nt_meta_put(meta, "tool", PROG);
		nt_host_describe(meta, &props, &freq);
		if (tsc_rc < 0)
			nt_meta_put(meta, "tsc_hz_unstable", "1");
		while (hv && hl && (hv[hl - 1] == '\n' || hv[hl - 1] == ' '))
			hv[--hl] = '\0';
		nt_meta_put(meta, "hypervisor", "%s", hv && hl ? hv : "none");
		free(hv);
		nt_meta_put(meta, "guest.kernel", "%s", st.kernel);
		nt_meta_put(meta, "guest.kernel_tsc_khz", "%llu", st.tsc_khz);
		meta_params(meta);
		nt_meta_put(meta, "guest.duration_s", "%.3f", t_end - t_start);
		nt_meta_put(meta, "guest.reader_wakeups", "%llu", wakeups);
		{
			struct rusage ru;

			if (getrusage(RUSAGE_SELF, &ru) == 0)
				nt_meta_put(meta, "guest.reader_voluntary_switches", "%ld", ru.ru_nvcsw);
		}
		nt_meta_put(meta, "guest.tsc_start", "%" PRIu64, tsc_start);
		nt_meta_put(meta, "guest.tsc_end", "%" PRIu64, tsc_end);
		nt_meta_put(meta, "guest.records", "%llu", nrec);
		nt_meta_put(meta, "guest.irq_records", "%llu", join.n_irq);
		nt_meta_put(meta, "guest.irq_tied", "%llu", join.n_tied);
		nt_meta_put(meta, "guest.pkt_records", "%llu", join.n_pkt);
		nt_meta_put(meta, "guest.pkt_without_irq", "%llu", join.n_pkt_noirq);
		nt_meta_put(meta, "guest.timer_records", "%llu", join.n_timer);
		nt_meta_put(meta, "guest.irq_exit_records", "%llu", join.n_exit);
		nt_meta_put(meta, "guest.lost", "%llu", join.n_lost);
		nt_meta_put(meta, "guest.bad_records", "%llu", join.n_bad);
		nt_meta_put(meta, "guest.seq_join", "guest_irq.seq = seq of the first guest_pkt on the same CPU whose aux equals the IRQ stamp");
		if (ncal) {
			nt_meta_put(meta, "probe_cost_cycles", "%" PRIu64, cal[ncal / 2]);
			nt_meta_put(meta, "probe_cost_cycles_min_cpu", "%" PRIu64, cal[0]);
			nt_meta_put(meta, "probe_cost_cycles_max_cpu", "%" PRIu64, cal[ncal - 1]);
			nt_meta_put(meta, "probe_cost_method",
				    "calibrated at load: median of 16 batches of 256 back-to-back stamps, per CPU, IRQs off; median over CPUs");
		}
		nt_meta_put(meta, "probe_cost_insitu_samples", "%llu", ins_n);
		if (ins_n) {
			nt_meta_put(meta, "probe_cost_insitu_mean_cycles", "%.1f", (double)ins_sum / ins_n);
			nt_meta_put(meta, "probe_cost_insitu_min_cycles", "%llu", ins_min);
			nt_meta_put(meta, "probe_cost_insitu_max_cycles", "%llu", ins_max);
		}
		for (int cpu = 0; cpu < st.ncpu; cpu++) {
			char k[64];

			if (!st.cpu[cpu].present)
				continue;
			snprintf(k, sizeof(k), "guest.cpu%d.stamps", cpu);
			nt_meta_put(meta, k, "%llu", st.cpu[cpu].stamps);
			snprintf(k, sizeof(k), "guest.cpu%d.lost", cpu);
			nt_meta_put(meta, k, "%llu", st.cpu[cpu].lost);
			if (st.cpu[cpu].hr_ticks) {
				snprintf(k, sizeof(k), "guest.cpu%d.hrtimer_overruns", cpu);
				nt_meta_put(meta, k, "%llu", st.cpu[cpu].hr_overruns);
			}
		}
		for (int i = 0; i < nwatch; i++) {
			char k[64];

			snprintf(k, sizeof(k), "irq.%u.count_start", watch[i].irq);
			nt_meta_put(meta, k, "%lld", watch[i].c0);
			snprintf(k, sizeof(k), "irq.%u.count_end", watch[i].irq);
			nt_meta_put(meta, k, "%lld", watch[i].c1);
			snprintf(k, sizeof(k), "irq.%u.tsc_start", watch[i].irq);
			nt_meta_put(meta, k, "%" PRIu64 " %" PRIu64, watch[i].t0a, watch[i].t0b);
			snprintf(k, sizeof(k), "irq.%u.tsc_end", watch[i].irq);
			nt_meta_put(meta, k, "%" PRIu64 " %" PRIu64, watch[i].t1a, watch[i].t1b);
		}
		if (fclose(meta)) {
			fprintf(stderr, PROG ": write %s: %s\n", meta_path, strerror(errno));
			rc = 1;
		}
	}

	if (!quiet) {
		fprintf(stderr,
			PROG ": %.2f s (CLOCK_MONOTONIC): guest_irq %llu (%llu tied to a packet seq), "
			"guest_irq_exit %llu, guest_pkt %llu, timer %llu, lost %llu stamps, %llu bad records\n",
			t_end - t_start, join.n_irq, join.n_tied, join.n_exit, join.n_pkt, join.n_timer,
			join.n_lost, join.n_bad);
		if (ncal)
			fprintf(stderr,
				PROG ": probe cost %" PRIu64 " cycles/stamp (calibrated, median over %d CPUs, "
				"%.1f ns at TSC %.3f MHz)\n",
				cal[ncal / 2], ncal, hz > 0 ? cal[ncal / 2] * 1e9 / hz : 0.0, hz / 1e6);
		if (ins_n)
			fprintf(stderr,
				PROG ": in-situ probe cost mean %.1f cycles (TSC; %llu samples, min %llu, max %llu)\n",
				(double)ins_sum / ins_n, ins_n, ins_min, ins_max);
		if (tsc_rc < 0)
			fprintf(stderr, PROG ": warning: TSC calibration unstable (%s)\n", freq.warning);
	}
	if (rc)
		return 1;
	return stopped_by_signal ? 130 : 0;
}
