// SPDX-License-Identifier: GPL-2.0
/*
 * nt-recv: receiver/stamper for plain Linux hosts.  Per packet: the kernel's
 * software RX timestamp (SO_TIMESTAMPING, CLOCK_REALTIME, converted to TSC by
 * bracketing at start and end) and the TSC when recvmmsg returned.  Counts
 * loss, reordering and duplicates by the payload's sequence number.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <time.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <math.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lg.h"
#include "nt/meta.h"
#include "nt/recio.h"
#include "nt/stats.h"
#include "nt/tsc.h"

#define PROG "nt-recv"
#define BATCH 32
#define MAXPKT 65536
#define NO_KTS INT64_MIN

#ifndef SO_BUSY_POLL
#define SO_BUSY_POLL 46
#endif

static void usage(FILE *o)
{
	fprintf(o,
		"usage: " PROG " --bind ADDR:PORT (--count N | --duration SEC) [options]\n"
		"Receive nt-send packets, stamp each with the kernel's software RX timestamp\n"
		"(CLOCK_REALTIME converted to TSC) and the TSC when recvmmsg returned; count loss,\n"
		"reordering and duplicates by sequence number.\n"
		"  --bind ADDR:PORT  local address (numeric IPv4 or [IPv6]; 0.0.0.0 for any)\n"
		"  --count N         expect seq 0..N-1; stop when all have arrived\n"
		"  --duration SEC    stop after SEC (units ms/s/m accepted)\n"
		"  --timeout SEC     stop when nothing arrived for SEC (default 10 with --count)\n"
		"  --cpu N           pin to CPU N\n"
		"  --busy-poll       spin on non-blocking receives (and SO_BUSY_POLL) instead of sleeping\n"
		"  --run-id N        accept only this run id (default: the first packet's)\n"
		"  --rcvbuf BYTES    socket receive buffer (default 8M; SO_RCVBUFFORCE when root)\n"
		"  --max-records N   keep at most N packets in memory for --out (default 10M)\n"
		"  --cal-ms MS       TSC calibration window, 2 runs (default 100)\n"
		"  --out FILE        write rx_kernel and rx_user records (.bin binary, else CSV; - stdout)\n"
		"                    and metadata to FILE.meta\n"
		"  --quiet           no summary\n"
		"  --help            this text\n"
		"Exit: 0 ok (loss is reported, not an error), 1 runtime failure, 2 bad usage or\n"
		"address, 130 interrupted.\n");
}

static int bad(const char *opt, const char *val)
{
	fprintf(stderr, PROG ": bad value for %s: '%s' (see --help)\n", opt, val ? val : "");
	return 2;
}

struct pkt {
	int64_t kns;      /* kernel RX stamp, CLOCK_REALTIME ns, or NO_KTS */
	uint64_t tsc_user;
	uint64_t seq;
	uint64_t tsc_send; /* from the payload (sender's TSC) */
	uint16_t cpu;
};

static void put_stats(FILE *sum, FILE *m, const char *what, const char *key, int64_t *v, size_t n, double hz)
{
	struct nt_summary s;
	if (n == 0 || nt_summarize_i64(v, n, &s) != 0)
		return;
	if (sum)
		fprintf(sum, PROG ": %s in us (TSC @ %.3f MHz): min %.2f median %.2f p99 %.2f max %.2f (n=%zu)\n",
			what, hz / 1e6, nt_cyc_to_ns(s.min, hz) / 1e3, nt_cyc_to_ns(s.median, hz) / 1e3,
			nt_cyc_to_ns(s.p99, hz) / 1e3, nt_cyc_to_ns(s.max, hz) / 1e3, s.n);
	if (m) {
		char k[64];
		snprintf(k, sizeof(k), "%s_median_ns", key);
		nt_meta_put(m, k, "%.1f", nt_cyc_to_ns(s.median, hz));
		snprintf(k, sizeof(k), "%s_p99_ns", key);
		nt_meta_put(m, k, "%.1f", nt_cyc_to_ns(s.p99, hz));
		snprintf(k, sizeof(k), "%s_min_ns", key);
		nt_meta_put(m, k, "%.1f", nt_cyc_to_ns(s.min, hz));
		snprintf(k, sizeof(k), "%s_max_ns", key);
		nt_meta_put(m, k, "%.1f", nt_cyc_to_ns(s.max, hz));
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_storage bnd;
	socklen_t bndlen = 0;
	int have_bind = 0, quiet = 0, busy = 0, cpu = -1, have_run_id = 0;
	uint64_t count = 0, run_id = 0, rcvbuf = 8u << 20, max_records = 10000000, cal_ms = 100, v;
	int64_t duration = 0, timeout = -1;
	const char *out = NULL;
	static const struct option opts[] = {
		{ "bind", required_argument, 0, 'b' },	  { "count", required_argument, 0, 'n' },
		{ "duration", required_argument, 0, 'D' }, { "timeout", required_argument, 0, 't' },
		{ "cpu", required_argument, 0, 'c' },	  { "busy-poll", no_argument, 0, 'B' },
		{ "run-id", required_argument, 0, 'r' },  { "rcvbuf", required_argument, 0, 'R' },
		{ "max-records", required_argument, 0, 'M' }, { "cal-ms", required_argument, 0, 'C' },
		{ "out", required_argument, 0, 'o' },	  { "quiet", no_argument, 0, 'q' },
		{ "help", no_argument, 0, 'h' },	  { 0, 0, 0, 0 },
	};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (lg_parse_addr(optarg, 1, &bnd, &bndlen) != 0)
				return bad("--bind", optarg);
			have_bind = 1;
			break;
		case 'n':
			if (lg_parse_u64(optarg, 1, 1000000000ull, 1, &count) != 0)
				return bad("--count", optarg);
			break;
		case 'D':
			if (lg_parse_dur(optarg, 1e9, &duration) != 0)
				return bad("--duration", optarg);
			break;
		case 't':
			if (lg_parse_dur(optarg, 1e9, &timeout) != 0)
				return bad("--timeout", optarg);
			break;
		case 'c':
			if (lg_parse_u64(optarg, 0, CPU_SETSIZE - 1, 0, &v) != 0)
				return bad("--cpu", optarg);
			cpu = (int)v;
			break;
		case 'B':
			busy = 1;
			break;
		case 'r':
			if (lg_parse_u64(optarg, 0, UINT32_MAX, 0, &run_id) != 0)
				return bad("--run-id", optarg);
			have_run_id = 1;
			break;
		case 'R':
			if (lg_parse_u64(optarg, 4096, 1u << 30, 1, &rcvbuf) != 0)
				return bad("--rcvbuf", optarg);
			break;
		case 'M':
			if (lg_parse_u64(optarg, 0, 1000000000ull, 1, &max_records) != 0)
				return bad("--max-records", optarg);
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
	if (!have_bind || (!count && !duration)) {
		fprintf(stderr, PROG ": --bind and one of --count or --duration are required (see --help)\n");
		return 2;
	}
	if (timeout < 0)
		timeout = count ? 10000000000LL : 0;
	FILE *sum = quiet ? NULL : ((out && !strcmp(out, "-")) ? stderr : stdout);
	char bndtxt[80];
	lg_fmt_addr(&bnd, bndtxt, sizeof(bndtxt));

	/* the clock first: once the port is bound, packets are stamped right away */
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
	int fd = socket(bnd.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, PROG ": socket: %s\n", strerror(errno));
		return 1;
	}
	int one = 1;
	if (bind(fd, (struct sockaddr *)&bnd, bndlen) != 0) {
		int e = errno;
		fprintf(stderr, PROG ": cannot bind %s: %s\n", bndtxt, strerror(e));
		close(fd);
		return e == EADDRNOTAVAIL ? 2 : 1;
	}
	int tsflags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &tsflags, sizeof(tsflags)) != 0) {
		fprintf(stderr, PROG ": SO_TIMESTAMPING: %s\n", strerror(errno));
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	int rb = (int)rcvbuf;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rb, sizeof(rb)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb));
	if (busy) {
		int us = 50;
		if (setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &us, sizeof(us)) != 0 && sum)
			fprintf(stderr, PROG ": note: SO_BUSY_POLL: %s (spinning in user space only)\n",
				strerror(errno));
	} else {
		struct timeval tv = { 0, 100000 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	if (cpu >= 0 && lg_pin_cpu(cpu) != 0) {
		fprintf(stderr, PROG ": --cpu %d: %s\n", cpu, strerror(errno));
		return 2;
	}

	struct nt_clkmap map;
	if (nt_clkmap_begin(&map, CLOCK_REALTIME, hz, 1000) != 0) {
		fprintf(stderr, PROG ": CLOCK_REALTIME/TSC pair: %s\n", strerror(errno));
		return 1;
	}

	struct nt_writer *w = NULL;
	if (out) {
		w = nt_writer_open(out, nt_fmt_from_path(out));
		if (!w) {
			fprintf(stderr, PROG ": %s: %s\n", out, strerror(errno));
			return 1;
		}
	}

	static unsigned char bufs[BATCH][MAXPKT];
	static char ctrls[BATCH][512];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	struct lg_seqtrack st;
	lg_seq_init(&st, count, 0);
	struct pkt *pk = NULL;
	size_t npk = 0, cappk = 0;
	uint64_t not_recorded = 0, stray_short = 0, stray_magic = 0, stray_version = 0, stray_run = 0;
	uint64_t no_kts = 0, drops = 0, pkts_all = 0, late_flagged = 0;
	int locked = have_run_id, rt_err = 0;
	lg_signals();
	const uint64_t t_start = nt_rdtsc();
	const uint64_t dur_cyc = duration ? (uint64_t)nt_ns_to_cyc((double)duration, hz) : 0;
	const uint64_t to_cyc = timeout ? (uint64_t)nt_ns_to_cyc((double)timeout, hz) : 0;
	uint64_t t_last = t_start;
	const char *why = "?";

	while (!lg_stop) {
		uint64_t now = nt_rdtsc();
		if (dur_cyc && now - t_start >= dur_cyc) {
			why = "duration reached";
			break;
		}
		if (to_cyc && now - t_last >= to_cyc) {
			why = "timeout (nothing received)";
			break;
		}
		for (int i = 0; i < BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = MAXPKT;
			memset(&mm[i].msg_hdr, 0, sizeof(mm[i].msg_hdr));
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_control = ctrls[i];
			mm[i].msg_hdr.msg_controllen = sizeof(ctrls[i]);
		}
		int n = recvmmsg(fd, mm, BATCH, busy ? MSG_DONTWAIT : MSG_WAITFORONE, NULL);
		uint32_t aux;
		const uint64_t tu = nt_rdtscp(&aux);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				continue;
			fprintf(stderr, PROG ": recvmmsg: %s\n", strerror(errno));
			rt_err = 1;
			break;
		}
		t_last = tu;
		for (int i = 0; i < n; i++) {
			pkts_all++;
			struct nt_payload p;
			enum lg_pl_status ps = lg_payload_get(bufs[i], mm[i].msg_len, &p);
			int64_t kns = NO_KTS;
			for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mm[i].msg_hdr); cm;
			     cm = CMSG_NXTHDR(&mm[i].msg_hdr, cm)) {
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
					drops = d;
				}
			}
			if (ps != LG_PL_OK) {
				stray_short += ps == LG_PL_SHORT;
				stray_magic += ps == LG_PL_MAGIC;
				stray_version += ps == LG_PL_VERSION;
				continue;
			}
			if (!locked) {
				run_id = p.run_id;
				locked = 1;
			} else if (p.run_id != run_id) {
				stray_run++;
				continue;
			}
			if (lg_seq_add(&st, p.seq) == LG_SEQ_NOMEM) {
				fprintf(stderr, PROG ": out of memory tracking seq %" PRIu64 "\n", p.seq);
				rt_err = 1;
				break;
			}
			late_flagged += (p.flags & NT_PAYLOAD_F_LATE) != 0;
			if (kns == NO_KTS)
				no_kts++;
			if (npk < max_records) {
				if (npk == cappk) {
					size_t nc = cappk ? cappk * 2 : 4096;
					if (nc > max_records)
						nc = max_records;
					struct pkt *np = realloc(pk, nc * sizeof(*pk));
					if (!np) {
						not_recorded++;
						continue;
					}
					pk = np;
					cappk = nc;
				}
				pk[npk++] = (struct pkt){ kns, tu, p.seq, p.tsc_send, lg_aux_cpu(aux) };
			} else {
				not_recorded++;
			}
		}
		if (rt_err)
			break;
		if (count && st.unique >= count) {
			why = "all expected packets received";
			break;
		}
	}
	const int interrupted = lg_stop != 0;
	if (interrupted)
		why = "interrupted";
	const uint64_t t_end = nt_rdtsc();
	if (nt_clkmap_end(&map, 1000) != 0)
		fprintf(stderr, PROG ": warning: end CLOCK_REALTIME/TSC pair failed (%s); extrapolating\n",
			strerror(errno));
	const double unc_ns = nt_clkmap_uncert_ns(&map);
	const double rate = nt_clkmap_rate(&map);
	const double unc_cyc = nt_ns_to_cyc(unc_ns, hz);

	/* records and the checks that need the converted stamps */
	int64_t *lat_send = malloc((npk ? npk : 1) * sizeof(int64_t));
	int64_t *lat_user = malloc((npk ? npk : 1) * sizeof(int64_t));
	size_t nls = 0, nlu = 0;
	uint64_t viol_user = 0, viol_send = 0;
	int werr = 0;
	for (size_t i = 0; i < npk; i++) {
		const struct pkt *q = &pk[i];
		if (q->kns != NO_KTS) {
			uint64_t kt = nt_clkmap_to_tsc(&map, q->kns);
			if ((double)kt > (double)q->tsc_user + unc_cyc)
				viol_user++;
			if ((double)kt + unc_cyc < (double)q->tsc_send)
				viol_send++;
			if (lat_user)
				lat_user[nlu++] = (int64_t)(q->tsc_user - kt);
			if (lat_send)
				lat_send[nls++] = (int64_t)(kt - q->tsc_send);
			if (w) {
				struct nt_rec r = nt_rec_blank(NT_SRC_RECEIVER, NT_EV_RX_KERNEL);
				r.tsc = kt;
				r.seq = q->seq;
				r.flags = NT_F_CONVERTED;
				if (nt_writer_put(w, &r) != 0 && !werr)
					werr = errno;
			}
		}
		if (w) {
			struct nt_rec r = nt_rec_blank(NT_SRC_RECEIVER, NT_EV_RX_USER);
			r.tsc = q->tsc_user;
			r.seq = q->seq;
			r.cpu = q->cpu;
			if (nt_writer_put(w, &r) != 0 && !werr)
				werr = errno;
		}
	}
	if (w && not_recorded) {
		struct nt_rec r = nt_rec_blank(NT_SRC_RECEIVER, NT_EV_LOST);
		r.tsc = t_end;
		r.aux = not_recorded;
		if (nt_writer_put(w, &r) != 0 && !werr)
			werr = errno;
	}
	if (w && nt_writer_close(w) != 0 && !werr)
		werr = errno;
	if (werr)
		fprintf(stderr, PROG ": writing %s: %s\n", out, strerror(werr));

	const uint64_t lost = lg_seq_lost(&st);
	const uint64_t stray = stray_short + stray_magic + stray_version + stray_run;
	FILE *m = out && strcmp(out, "-") ? lg_meta_open(PROG, out) : NULL;
	if (m) {
		lg_meta_common(m, PROG, argc, argv);
		nt_meta_put(m, "source", "receiver");
		nt_host_describe(m, &props, &freq);
		nt_meta_put(m, "bind", "%s", bndtxt);
		nt_meta_put(m, "run_id", "%" PRIu64, run_id);
		nt_meta_put(m, "count_expected", "%" PRIu64, count);
		nt_meta_put(m, "count", "%" PRIu64, st.received + st.out_of_range);
		nt_meta_put(m, "received", "%" PRIu64, st.received + st.out_of_range);
		nt_meta_put(m, "unique", "%" PRIu64, st.unique);
		nt_meta_put(m, "lost", "%" PRIu64, lost);
		nt_meta_put(m, "reordered", "%" PRIu64, st.reordered);
		nt_meta_put(m, "duplicates", "%" PRIu64, st.dups);
		nt_meta_put(m, "out_of_range", "%" PRIu64, st.out_of_range);
		nt_meta_put(m, "max_seq", "%" PRIu64, st.any ? st.max_seq : 0);
		nt_meta_put(m, "stray", "%" PRIu64, stray);
		nt_meta_put(m, "stray_short", "%" PRIu64, stray_short);
		nt_meta_put(m, "stray_bad_magic", "%" PRIu64, stray_magic);
		nt_meta_put(m, "stray_bad_version", "%" PRIu64, stray_version);
		nt_meta_put(m, "stray_other_run", "%" PRIu64, stray_run);
		nt_meta_put(m, "sender_late", "%" PRIu64, late_flagged);
		nt_meta_put(m, "kernel_drops", "%" PRIu64, drops);
		nt_meta_put(m, "no_kernel_ts", "%" PRIu64, no_kts);
		nt_meta_put(m, "records_packets", "%zu", npk);
		nt_meta_put(m, "not_recorded", "%" PRIu64, not_recorded);
		nt_meta_put(m, "clock_convert", "CLOCK_REALTIME->TSC, tightest rdtscp bracket at start and end, "
						 "linear interpolation");
		nt_meta_put(m, "clock_convert_uncert_ns", "%.1f", unc_ns);
		nt_meta_put(m, "clock_convert_rate_hz", "%.1f", rate);
		nt_meta_put(m, "order_violations_kernel_after_user", "%" PRIu64, viol_user);
		nt_meta_put(m, "order_violations_kernel_before_send", "%" PRIu64, viol_send);
		nt_meta_put(m, "busy_poll", "%d", busy);
		nt_meta_put(m, "cpu", "%d", cpu);
		nt_meta_put(m, "duration_s", "%.6f", nt_cyc_to_ns((double)(t_end - t_start), hz) / 1e9);
		nt_meta_put(m, "stop_reason", "%s", why);
		nt_meta_put(m, "interrupted", "%d", interrupted);
		put_stats(NULL, m, NULL, "send_to_rx_kernel", lat_send, nls, hz);
		put_stats(NULL, m, NULL, "rx_kernel_to_rx_user", lat_user, nlu, hz);
		if (fclose(m) != 0 && !werr)
			werr = EIO;
	} else if (out && strcmp(out, "-")) {
		werr = werr ? werr : EIO;
	}
	if (sum) {
		fprintf(sum,
			PROG ": %s after %.3f s (TSC): run_id %" PRIu64 ", received %" PRIu64 " (%" PRIu64
			     " unique%s), lost %" PRIu64 ", reordered %" PRIu64 ", duplicates %" PRIu64
			     ", out of range %" PRIu64 ", stray %" PRIu64 ", kernel drops %" PRIu64 "\n",
			why, nt_cyc_to_ns((double)(t_end - t_start), hz) / 1e9, run_id, st.received + st.out_of_range,
			st.unique, count ? " of the expected" : "", lost, st.reordered, st.dups, st.out_of_range,
			stray, drops);
		fprintf(sum,
			PROG ": CLOCK_REALTIME->TSC: uncertainty %.1f ns, observed rate %.3f MHz; kernel stamp after "
			     "user stamp: %" PRIu64 ", before send stamp: %" PRIu64 ", missing: %" PRIu64 "\n",
			unc_ns, rate / 1e6, viol_user, viol_send, no_kts);
		put_stats(sum, NULL, "send->rx_kernel (sender's TSC: same host only)", NULL, lat_send, nls, hz);
		put_stats(sum, NULL, "rx_kernel->rx_user", NULL, lat_user, nlu, hz);
		if (not_recorded)
			fprintf(sum, PROG ": %" PRIu64 " packets not recorded (--max-records)\n", not_recorded);
	}
	free(lat_send);
	free(lat_user);
	free(pk);
	lg_seq_free(&st);
	close(fd);
	if (werr || rt_err)
		return 1;
	return interrupted ? 130 : 0;
}
