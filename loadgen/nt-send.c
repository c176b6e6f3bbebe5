// SPDX-License-Identifier: GPL-2.0
/*
 * nt-send: the periodic sender.  N UDP packets at interval I on an absolute
 * TSC schedule; every payload carries magic, run id, seq, scheduled and actual
 * send TSC (include/nt/payload.h).  Writes `send` records and FILE.meta and
 * prints its own send jitter (actual - scheduled).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lg.h"
#include "qemusock.h"
#include "nt/meta.h"
#include "nt/recio.h"
#include "nt/stats.h"
#include "nt/tsc.h"

#define PROG "nt-send"

static void usage(FILE *o)
{
	fprintf(o,
		"usage: " PROG " --dst ADDR:PORT --count N --interval DUR [options]\n"
		"Send N UDP packets, one every DUR, on an absolute TSC schedule (no catch-up bursts\n"
		"after a stall: a late packet is marked and the next one waits for its own slot).\n"
		"  --dst ADDR:PORT   destination (numeric IPv4 or [IPv6])\n"
		"  --count N         packets to send (1..1e9)\n"
		"  --interval DUR    period: 10ms, 100us, 1s, 500000ns\n"
		"  --run-id N        32-bit run id carried in every payload (default: random)\n"
		"  --cpu N           pin to CPU N\n"
		"  --fifo PRIO       SCHED_FIFO priority 1..99 (plus mlockall), where permitted\n"
		"  --size BYTES      UDP payload size, %d..65507 (default 64)\n"
		"  --spin DUR        busy-wait on the TSC for the last DUR before each slot (default 0)\n"
		"  --late DUR        mark a send late when actual - scheduled exceeds DUR\n"
		"                    (default: half the interval, at most 1ms)\n"
		"  --src ADDR        source address to bind\n"
		"  --iface IF        send through interface IF (SO_BINDTODEVICE)\n"
		"  --qemu [127.0.0.1:]PORT  send each packet as a whole Ethernet frame in one UDP datagram\n"
		"                    to the local address of a QEMU socket netdev (the emulated testbed);\n"
		"                    --dst is then the guest NIC's address, --src the frames' source\n"
		"  --dst-mac MAC     with --qemu: the guest NIC's MAC\n"
		"  --cal-ms MS       TSC calibration window, 2 runs (default 100)\n"
		"  --out FILE        write `send` records to FILE (.bin binary, else CSV; - stdout)\n"
		"                    and metadata to FILE.meta\n"
		"  --quiet           no summary on success\n"
		"  --help            this text\n"
		"Exit: 0 ok, 1 runtime failure, 2 bad usage or unreachable target, 130 interrupted.\n",
		NT_PAYLOAD_MIN);
}

static int bad(const char *opt, const char *val)
{
	fprintf(stderr, PROG ": bad value for %s: '%s' (see --help)\n", opt, val ? val : "");
	return 2;
}

/* The UDP socket to dst (bound to src / iface when given); an unreachable
 * target is a usage error.  0, or the exit code (message printed). */
static int open_sock(const struct sockaddr_storage *dst, socklen_t dstlen, const struct sockaddr_storage *src,
		     socklen_t srclen, const char *iface, const char *dsttxt, int *fdp)
{
	int fd = socket(dst->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	*fdp = fd;
	if (fd < 0) {
		fprintf(stderr, PROG ": socket: %s\n", strerror(errno));
		return 1;
	}
	if (iface && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, iface, (socklen_t)strlen(iface) + 1) != 0) {
		fprintf(stderr, PROG ": --iface %s: %s\n", iface, strerror(errno));
		return 1;
	}
	if (src && bind(fd, (const struct sockaddr *)src, srclen) != 0) {
		fprintf(stderr, PROG ": --src: cannot bind: %s\n", strerror(errno));
		return errno == EADDRNOTAVAIL ? 2 : 1;
	}
	{
		int probe = socket(dst->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && iface)
			setsockopt(probe, SOL_SOCKET, SO_BINDTODEVICE, iface, (socklen_t)strlen(iface) + 1);
		if (probe >= 0 && connect(probe, (const struct sockaddr *)dst, dstlen) != 0) {
			fprintf(stderr, PROG ": %s: unreachable: %s\n", dsttxt, strerror(errno));
			close(probe);
			return 2;
		}
		if (probe >= 0)
			close(probe);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage dst, src;
	socklen_t dstlen = 0, srclen = 0;
	int have_dst = 0, have_src = 0, quiet = 0, fifo = 0, cpu = -1;
	uint64_t count = 0, run_id = 0, size = 64, cal_ms = 100;
	int have_run_id = 0;
	int64_t interval = 0, spin = 0, late = -1;
	const char *out = NULL, *iface = NULL;
	struct sockaddr_in qemu;
	uint8_t dmac[6];
	int have_qemu = 0, have_mac = 0;
	static const struct option opts[] = {
		{ "dst", required_argument, 0, 'd' },	  { "count", required_argument, 0, 'n' },
		{ "interval", required_argument, 0, 'i' }, { "run-id", required_argument, 0, 'r' },
		{ "cpu", required_argument, 0, 'c' },	  { "fifo", required_argument, 0, 'f' },
		{ "size", required_argument, 0, 's' },	  { "spin", required_argument, 0, 'S' },
		{ "late", required_argument, 0, 'L' },	  { "src", required_argument, 0, 'a' },
		{ "iface", required_argument, 0, 'I' },	  { "cal-ms", required_argument, 0, 'C' },
		{ "out", required_argument, 0, 'o' },	  { "quiet", no_argument, 0, 'q' },
		{ "qemu", required_argument, 0, 'U' },	  { "dst-mac", required_argument, 0, 'M' },
		{ "help", no_argument, 0, 'h' },	  { 0, 0, 0, 0 },
	};
	int c;
	uint64_t v;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (lg_parse_addr(optarg, 1, &dst, &dstlen) != 0)
				return bad("--dst", optarg);
			have_dst = 1;
			break;
		case 'n':
			if (lg_parse_u64(optarg, 1, 1000000000ull, 1, &count) != 0)
				return bad("--count", optarg);
			break;
		case 'i':
			if (lg_parse_dur(optarg, 1e9, &interval) != 0 || interval < 1000)
				return bad("--interval", optarg);
			break;
		case 'r':
			if (lg_parse_u64(optarg, 0, UINT32_MAX, 0, &run_id) != 0)
				return bad("--run-id", optarg);
			have_run_id = 1;
			break;
		case 'c':
			if (lg_parse_u64(optarg, 0, CPU_SETSIZE - 1, 0, &v) != 0)
				return bad("--cpu", optarg);
			cpu = (int)v;
			break;
		case 'f':
			if (lg_parse_u64(optarg, 1, 99, 0, &v) != 0)
				return bad("--fifo", optarg);
			fifo = (int)v;
			break;
		case 's':
			if (lg_parse_u64(optarg, NT_PAYLOAD_MIN, 65507, 0, &size) != 0)
				return bad("--size", optarg);
			break;
		case 'S':
			if (lg_parse_dur(optarg, 1e9, &spin) != 0)
				return bad("--spin", optarg);
			break;
		case 'L':
			if (lg_parse_dur(optarg, 1e9, &late) != 0)
				return bad("--late", optarg);
			break;
		case 'a':
			if (lg_parse_ip(optarg, &src, &srclen) != 0)
				return bad("--src", optarg);
			have_src = 1;
			break;
		case 'I':
			if (!*optarg || strlen(optarg) >= IFNAMSIZ || if_nametoindex(optarg) == 0)
				return bad("--iface", optarg);
			iface = optarg;
			break;
		case 'C':
			if (lg_parse_u64(optarg, 10, 10000, 0, &cal_ms) != 0)
				return bad("--cal-ms", optarg);
			break;
		case 'o':
			out = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'U':
			if (lg_qemu_parse(optarg, &qemu) != 0)
				return bad("--qemu", optarg);
			have_qemu = 1;
			break;
		case 'M':
			if (lg_parse_mac(optarg, dmac) != 0)
				return bad("--dst-mac", optarg);
			have_mac = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, PROG ": unknown or incomplete option '%s' (see --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}
	if (!have_dst || !count || !interval) {
		fprintf(stderr, PROG ": --dst, --count and --interval are required (see --help)\n");
		return 2;
	}
	if (have_src && src.ss_family != dst.ss_family) {
		fprintf(stderr, PROG ": --src and --dst are of different address families\n");
		return 2;
	}
	if (have_qemu && (!have_mac || !have_src || dst.ss_family != AF_INET || iface || size > 1472)) {
		fprintf(stderr, PROG ": --qemu needs --dst-mac, --src and an IPv4 --dst, no --iface, --size <= 1472\n");
		return 2;
	}
	if (have_mac && !have_qemu) {
		fprintf(stderr, PROG ": --dst-mac goes with --qemu\n");
		return 2;
	}
	if (spin >= interval) {
		fprintf(stderr, PROG ": --spin must be shorter than --interval\n");
		return 2;
	}
	if (late < 0)
		late = interval / 2 < 1000000 ? interval / 2 : 1000000;
	if (!have_run_id) {
		uint32_t r = 0;
		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r = (uint32_t)getpid() ^ (uint32_t)nt_rdtsc();
		run_id = r;
	}
	FILE *sum = (out && !strcmp(out, "-")) ? stderr : stdout;
	char dsttxt[80];
	lg_fmt_addr(&dst, dsttxt, sizeof(dsttxt));

	/* socket (an unreachable target is a usage error), or the QEMU netdev */
	int fd = -1;
	struct lg_qemu_tx qt = { .fd = -1 };
	if (have_qemu) {
		if (lg_qemu_tx_open(&qt, &qemu, dmac, (const struct sockaddr_in *)&src,
				    (const struct sockaddr_in *)&dst, size) != 0) {
			fprintf(stderr, PROG ": --qemu: %s\n", strerror(errno));
			return 1;
		}
	} else {
		int rc = open_sock(&dst, dstlen, have_src ? &src : NULL, srclen, iface, dsttxt, &fd);
		if (rc)
			return rc;
	}

	/* clock */
	struct nt_tsc_props props;
	struct nt_tsc_freq freq;
	nt_tsc_props_read(&props);
	if (!nt_tsc_props_ok(&props))
		fprintf(stderr, PROG ": warning: the TSC is not invariant on this host; stamps may drift\n");
	int frc = nt_tsc_freq_find(&freq, (unsigned)cal_ms, 100);
	if (frc < 0) {
		fprintf(stderr, PROG ": TSC frequency: %s\n", freq.warning);
		return 1;
	}
	if (frc > 0)
		fprintf(stderr, PROG ": warning: %s\n", freq.warning);
	const double hz = freq.hz;

	/* real-time setup, where permitted */
	int fifo_ok = 0, mlock_ok = 0, pinned = 0;
	if (cpu >= 0) {
		if (lg_pin_cpu(cpu) != 0) {
			fprintf(stderr, PROG ": --cpu %d: %s\n", cpu, strerror(errno));
			return 2;
		}
		pinned = 1;
	}
	if (fifo) {
		mlock_ok = mlockall(MCL_CURRENT | MCL_FUTURE) == 0;
		if (!mlock_ok)
			fprintf(stderr, PROG ": warning: mlockall: %s\n", strerror(errno));
		struct sched_param sp = { .sched_priority = fifo };
		fifo_ok = sched_setscheduler(0, SCHED_FIFO, &sp) == 0;
		if (!fifo_ok)
			fprintf(stderr, PROG ": warning: SCHED_FIFO %d: %s (running SCHED_OTHER)\n", fifo,
				strerror(errno));
	}

	struct nt_writer *w = NULL;
	if (out) {
		w = nt_writer_open(out, nt_fmt_from_path(out));
		if (!w) {
			fprintf(stderr, PROG ": %s: %s\n", out, strerror(errno));
			return 1;
		}
	}
	int64_t *jit = malloc(count * sizeof(*jit));
	unsigned char *buf = calloc(1, size);
	if (!jit || !buf) {
		fprintf(stderr, PROG ": out of memory for %" PRIu64 " packets\n", count);
		return 1;
	}
	lg_signals();

	const uint64_t icyc = (uint64_t)llround(nt_ns_to_cyc((double)interval, hz));
	const uint64_t spin_cyc = (uint64_t)llround(nt_ns_to_cyc((double)spin, hz));
	const uint64_t late_cyc = (uint64_t)llround(nt_ns_to_cyc((double)late, hz));
	const uint64_t tsc0 = nt_rdtsc() + icyc;
	uint64_t k = 0, sent = 0, errors = 0, nlate = 0, skipped = 0;
	int werr = 0, last_errno = 0;
	char started[64];
	{
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	uint64_t seq;
	for (seq = 0; seq < count && !lg_stop; seq++) {
		const uint64_t sched = tsc0 + k * icyc;
		for (;;) {
			uint64_t now = nt_rdtsc();
			if (now + spin_cyc >= sched)
				break;
			int64_t mono = lg_mono_ns();
			lg_sleep_until(mono + (int64_t)nt_cyc_to_ns((double)(sched - spin_cyc - now), hz));
			if (lg_stop)
				break;
		}
		if (lg_stop)
			break;
		while (nt_rdtsc() < sched)
			__builtin_ia32_pause();
		uint32_t aux;
		const uint64_t tsend = nt_rdtscp(&aux);
		const int is_late = tsend - sched > late_cyc;
		struct nt_payload p = {
			.magic = NT_PAYLOAD_MAGIC,
			.version = NT_PAYLOAD_VERSION,
			.flags = is_late ? NT_PAYLOAD_F_LATE : 0,
			.run_id = (uint32_t)run_id,
			.seq = seq,
			.tsc_sched = sched,
			.tsc_send = tsend,
		};
		lg_payload_put(buf, &p);
		ssize_t r = have_qemu ? lg_qemu_tx_send(&qt, &p)
				      : sendto(fd, buf, size, 0, (struct sockaddr *)&dst, dstlen);
		if (r < 0) {
			errors++;
			last_errno = errno;
			if (errno == EINTR && lg_stop)
				break;
		} else {
			jit[sent++] = (int64_t)(tsend - sched);
			nlate += is_late;
			if (w) {
				struct nt_rec rec = nt_rec_blank(NT_SRC_SENDER, NT_EV_SEND);
				rec.tsc = tsend;
				rec.seq = seq;
				rec.aux = sched;
				rec.cpu = lg_aux_cpu(aux);
				rec.flags = is_late ? NT_F_LATE : 0;
				if (nt_writer_put(w, &rec) != 0)
					werr = errno;
			}
		}
		/* next slot; never send back to back to catch up */
		k++;
		uint64_t after = nt_rdtsc();
		if (tsc0 + k * icyc <= after) {
			uint64_t nk = (after - tsc0) / icyc + 1;
			skipped += nk - k;
			k = nk;
		}
	}
	const int interrupted = lg_stop != 0;

	struct nt_summary s = { 0 };
	int have_stats = sent > 0 && nt_summarize_i64(jit, sent, &s) == 0;
	if (w && nt_writer_close(w) != 0 && !werr)
		werr = errno;
	if (werr)
		fprintf(stderr, PROG ": writing %s: %s\n", out, strerror(werr));
	FILE *m = out && strcmp(out, "-") ? lg_meta_open(PROG, out) : NULL;
	if (m) {
		lg_meta_common(m, PROG, argc, argv);
		nt_meta_put(m, "source", "sender");
		nt_host_describe(m, &props, &freq);
		nt_meta_put(m, "run_id", "%" PRIu64, run_id);
		nt_meta_put(m, "dst", "%s", dsttxt);
		nt_meta_put(m, "count_planned", "%" PRIu64, count);
		nt_meta_put(m, "count", "%" PRIu64, sent);
		nt_meta_put(m, "send_errors", "%" PRIu64, errors);
		nt_meta_put(m, "interval_ns", "%" PRId64, interval);
		nt_meta_put(m, "size", "%" PRIu64, size);
		nt_meta_put(m, "spin_ns", "%" PRId64, spin);
		nt_meta_put(m, "late_threshold_ns", "%" PRId64, late);
		nt_meta_put(m, "late", "%" PRIu64, nlate);
		nt_meta_put(m, "skipped_slots", "%" PRIu64, skipped);
		nt_meta_put(m, "cpu", "%d", cpu);
		nt_meta_put(m, "fifo", "%d", fifo_ok ? fifo : 0);
		nt_meta_put(m, "mlockall", "%d", mlock_ok);
		nt_meta_put(m, "send_started", "%s", started);
		nt_meta_put(m, "interrupted", "%d", interrupted);
		if (have_stats) {
			nt_meta_put(m, "jitter_unit", "ns (TSC)");
			nt_meta_put(m, "jitter_min_ns", "%.1f", nt_cyc_to_ns(s.min, hz));
			nt_meta_put(m, "jitter_median_ns", "%.1f", nt_cyc_to_ns(s.median, hz));
			nt_meta_put(m, "jitter_mean_ns", "%.1f", nt_cyc_to_ns(s.mean, hz));
			nt_meta_put(m, "jitter_p99_ns", "%.1f", nt_cyc_to_ns(s.p99, hz));
			nt_meta_put(m, "jitter_max_ns", "%.1f", nt_cyc_to_ns(s.max, hz));
			nt_meta_put(m, "jitter_stddev_ns", "%.1f", nt_cyc_to_ns(s.stddev, hz));
		}
		if (fclose(m) != 0)
			werr = errno ? errno : EIO;
	} else if (out && strcmp(out, "-")) {
		werr = werr ? werr : EIO;
	}
	if (!quiet || interrupted || errors) {
		fprintf(sum, PROG ": sent %" PRIu64 " of %" PRIu64 " packets to %s every %.3f ms, run_id %" PRIu64
			     ", %" PRIu64 " send errors%s%s, %" PRIu64 " late (> %.1f us), %" PRIu64
			     " slots skipped%s%s\n",
			sent, count, dsttxt, interval / 1e6, run_id, errors, errors ? ": " : "",
			errors ? strerror(last_errno) : "", nlate, late / 1e3, skipped,
			fifo_ok ? ", SCHED_FIFO" : "", pinned ? ", pinned" : "");
		if (have_stats)
			fprintf(sum,
				PROG ": send jitter (actual - scheduled) in us, TSC @ %.3f MHz: min %.2f median %.2f "
				     "mean %.2f p99 %.2f max %.2f (n=%zu)\n",
				hz / 1e6, nt_cyc_to_ns(s.min, hz) / 1e3, nt_cyc_to_ns(s.median, hz) / 1e3,
				nt_cyc_to_ns(s.mean, hz) / 1e3, nt_cyc_to_ns(s.p99, hz) / 1e3,
				nt_cyc_to_ns(s.max, hz) / 1e3, s.n);
		if (interrupted)
			fprintf(sum, PROG ": interrupted by signal %d\n", (int)lg_signal);
	}
	free(jit);
	free(buf);
	if (fd >= 0)
		close(fd);
	lg_qemu_tx_close(&qt);
	if (werr)
		return 1;
	if (interrupted)
		return 130;
	return sent == 0 ? 1 : 0;
}
