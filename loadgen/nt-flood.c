// SPDX-License-Identifier: GPL-2.0
/*
 * nt-flood: UDP flood at a given rate (pps or Mbit/s) or as fast as one core
 * can, for a duration or a count.  Back ends: sendmmsg on a UDP socket
 * (default), AF_PACKET raw Ethernet frames (sendmmsg), libpcap pcap_inject.
 * Every payload is an nt_payload (run id + seq), so nt-recv can account for
 * every packet.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <math.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lg.h"
#include "nt/meta.h"
#include "nt/tsc.h"

#define PROG "nt-flood"
#define MAXBATCH 256
#define L2HDR 42 /* Ethernet 14 + IPv4 20 + UDP 8 */

enum backend { BE_SENDMMSG, BE_PACKET, BE_PCAP };
static const char *const be_names[] = { "sendmmsg", "packet", "pcap" };

static void usage(FILE *o)
{
	fprintf(o,
		"usage: " PROG " --dst ADDR:PORT [options]\n"
		"Flood UDP packets to ADDR:PORT at a rate or as fast as one core can.\n"
		"  --dst ADDR:PORT   destination (numeric IPv4, or [IPv6] with the sendmmsg back end)\n"
		"  --src ADDR        source address (default: the route's / the interface's)\n"
		"  --rate PPS        packets per second (k/M suffixes: 10k, 1M)\n"
		"  --mbps MBIT       Mbit/s counted on Ethernet frames without preamble/FCS\n"
		"                    (UDP payload + 42 bytes for IPv4, + 62 for IPv6)\n"
		"  --max             as fast as possible (the default when no rate is given)\n"
		"  --size BYTES      UDP payload size, %d..1472 (default 64; up to 65507 with sendmmsg)\n"
		"  --duration SEC    stop after SEC (ms/s/m units accepted)\n"
		"  --count N         stop after N packets (default: --duration 10 when neither is given)\n"
		"  --backend B       sendmmsg (default) | packet (AF_PACKET) | pcap (pcap_inject)\n"
		"  --iface IF        interface (required by packet and pcap; SO_BINDTODEVICE for sendmmsg)\n"
		"  --dst-mac MAC     destination MAC for packet/pcap (default: neighbour table)\n"
		"  --batch N         packets per sendmmsg call, 1..%d (default 64)\n"
		"  --qdisc-bypass    packet back end: PACKET_QDISC_BYPASS (skip the qdisc layer)\n"
		"  --run-id N        run id in the payloads (default: random)\n"
		"  --cpu N           pin to CPU N\n"
		"  --summary FILE    write the summary as key=value lines to FILE\n"
		"  --quiet           no per-second lines and no summary on stdout\n"
		"  --help            this text\n"
		"Prints the achieved rate every second (CLOCK: TSC) and a final summary.\n"
		"Exit: 0 ok, 1 runtime failure, 2 bad usage or unreachable target, 130 interrupted.\n",
		NT_PAYLOAD_MIN, MAXBATCH);
}

static int bad(const char *opt, const char *val)
{
	fprintf(stderr, PROG ": bad value for %s: '%s' (see --help)\n", opt, val ? val : "");
	return 2;
}

/* ---- raw frames -------------------------------------------------------- */

struct frame_tmpl {
	uint8_t hdr[L2HDR];
	uint32_t csum_base; /* UDP pseudo header + UDP header (csum 0), unfolded */
	uint16_t ip_id;
	size_t size;        /* UDP payload bytes */
};

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void tmpl_init(struct frame_tmpl *t, const uint8_t dmac[6], const uint8_t smac[6],
		      const struct sockaddr_in *src, const struct sockaddr_in *dst, size_t size)
{
	uint8_t *h = t->hdr;
	memset(t, 0, sizeof(*t));
	t->size = size;
	memcpy(h, dmac, 6);
	memcpy(h + 6, smac, 6);
	h[12] = 0x08, h[13] = 0x00;
	uint8_t *ip = h + 14;
	uint16_t tot = (uint16_t)(20 + 8 + size);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8), ip[3] = (uint8_t)tot;
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, &src->sin_addr, 4);
	memcpy(ip + 16, &dst->sin_addr, 4);
	uint8_t *udp = ip + 20;
	uint16_t ulen = (uint16_t)(8 + size);
	memcpy(udp, &src->sin_port, 2);
	memcpy(udp + 2, &dst->sin_port, 2);
	udp[4] = (uint8_t)(ulen >> 8), udp[5] = (uint8_t)ulen;
	uint32_t s = sum16(ip + 12, 8, 0); /* pseudo header addresses */
	s += IPPROTO_UDP + ulen;
	s = sum16(udp, 8, s);
	t->csum_base = s;
}

/* Fill frame f (L2HDR + size bytes, padding already zero) with payload p. */
static void frame_fill(struct frame_tmpl *t, uint8_t *f, const struct nt_payload *p)
{
	memcpy(f, t->hdr, L2HDR);
	uint8_t *ip = f + 14, *udp = f + 34, *pl = f + L2HDR;
	uint16_t id = t->ip_id++;
	ip[4] = (uint8_t)(id >> 8), ip[5] = (uint8_t)id;
	uint16_t ic = fold(sum16(ip, 20, 0));
	ip[10] = (uint8_t)(ic >> 8), ip[11] = (uint8_t)ic;
	lg_payload_put(pl, p);
	/* the padding after the nt_payload is zero and adds nothing */
	uint16_t uc = fold(sum16(pl, NT_PAYLOAD_MIN, t->csum_base));
	if (uc == 0)
		uc = 0xffff;
	udp[6] = (uint8_t)(uc >> 8), udp[7] = (uint8_t)uc;
}

static int if_info(const char *ifn, uint8_t mac[6], struct in_addr *addr, int *is_lo, int *have_addr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifn);
	int rc = -1;
	if (ioctl(s, SIOCGIFHWADDR, &ifr) == 0) {
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
		rc = 0;
	}
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0)
		*is_lo = !!(ifr.ifr_flags & IFF_LOOPBACK);
	memset(&ifr.ifr_addr, 0, sizeof(ifr.ifr_addr));
	ifr.ifr_addr.sa_family = AF_INET;
	*have_addr = 0;
	if (ioctl(s, SIOCGIFADDR, &ifr) == 0) {
		*addr = ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr;
		*have_addr = 1;
	}
	close(s);
	return rc;
}

/* Look dst up in /proc/net/arp on interface ifn. */
static int arp_lookup(const char *ifn, struct in_addr dst, uint8_t mac[6])
{
	FILE *f = fopen("/proc/net/arp", "r");
	if (!f)
		return -1;
	char line[256], ip[64], hw[64], dev[64];
	unsigned type, flags;
	int rc = -1;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char mask[32];
		if (sscanf(line, "%63s 0x%x 0x%x %63s %31s %63s", ip, &type, &flags, hw, mask, dev) != 6)
			continue;
		struct in_addr a;
		if (inet_pton(AF_INET, ip, &a) != 1 || a.s_addr != dst.s_addr || strcmp(dev, ifn) != 0)
			continue;
		if (!(flags & 0x2)) /* ATF_COM: complete */
			continue;
		if (lg_parse_mac(hw, mac) == 0) {
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

static int resolve_mac(const char *ifn, const struct sockaddr_in *dst, uint8_t mac[6])
{
	if (arp_lookup(ifn, dst->sin_addr, mac) == 0)
		return 0;
	/* provoke neighbour resolution with one datagram through the interface */
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, ifn, (socklen_t)strlen(ifn) + 1);
	static const char probe[] = "nt-flood neighbour probe";
	sendto(s, probe, sizeof(probe), 0, (const struct sockaddr *)dst, sizeof(*dst));
	close(s);
	for (int i = 0; i < 100; i++) {
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
		if (arp_lookup(ifn, dst->sin_addr, mac) == 0)
			return 0;
	}
	return -1;
}

/* ---- main -------------------------------------------------------------- */

int main(int argc, char **argv)
{
	struct sockaddr_storage dst, src;
	socklen_t dstlen = 0, srclen = 0;
	int qbypass = 0;
	int have_dst = 0, have_src = 0, quiet = 0, cpu = -1, have_mac = 0, have_run_id = 0, maxrate = 0;
	uint64_t count = 0, size = 64, batch = 64, run_id = 0, v;
	double rate = 0, mbps = 0;
	int64_t duration = 0;
	enum backend be = BE_SENDMMSG;
	const char *iface = NULL, *sumpath = NULL;
	uint8_t dmac[6] = { 0 };
	static const struct option opts[] = {
		{ "dst", required_argument, 0, 'd' },	  { "src", required_argument, 0, 'a' },
		{ "rate", required_argument, 0, 'r' },	  { "mbps", required_argument, 0, 'm' },
		{ "max", no_argument, 0, 'X' },		  { "size", required_argument, 0, 's' },
		{ "duration", required_argument, 0, 'D' }, { "count", required_argument, 0, 'n' },
		{ "backend", required_argument, 0, 'b' }, { "iface", required_argument, 0, 'I' },
		{ "dst-mac", required_argument, 0, 'M' }, { "batch", required_argument, 0, 'B' },
		{ "run-id", required_argument, 0, 'R' },  { "cpu", required_argument, 0, 'c' },
		{ "summary", required_argument, 0, 'S' }, { "quiet", no_argument, 0, 'q' },
		{ "qdisc-bypass", no_argument, 0, 'Q' },
		{ "help", no_argument, 0, 'h' },	  { 0, 0, 0, 0 },
	};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (lg_parse_addr(optarg, 1, &dst, &dstlen) != 0)
				return bad("--dst", optarg);
			have_dst = 1;
			break;
		case 'a':
			if (lg_parse_ip(optarg, &src, &srclen) != 0)
				return bad("--src", optarg);
			have_src = 1;
			break;
		case 'r':
			if (lg_parse_u64(optarg, 1, 100000000ull, 1, &v) != 0)
				return bad("--rate", optarg);
			rate = (double)v;
			break;
		case 'm':
			if (lg_parse_double(optarg, 0.001, 1e6, &mbps) != 0)
				return bad("--mbps", optarg);
			break;
		case 'X':
			maxrate = 1;
			break;
		case 's':
			if (lg_parse_u64(optarg, NT_PAYLOAD_MIN, 65507, 0, &size) != 0)
				return bad("--size", optarg);
			break;
		case 'D':
			if (lg_parse_dur(optarg, 1e9, &duration) != 0)
				return bad("--duration", optarg);
			break;
		case 'n':
			if (lg_parse_u64(optarg, 1, UINT64_MAX / 2, 1, &count) != 0)
				return bad("--count", optarg);
			break;
		case 'b':
			if (!strcmp(optarg, "sendmmsg"))
				be = BE_SENDMMSG;
			else if (!strcmp(optarg, "packet"))
				be = BE_PACKET;
			else if (!strcmp(optarg, "pcap"))
				be = BE_PCAP;
			else
				return bad("--backend", optarg);
			break;
		case 'I':
			if (!*optarg || strlen(optarg) >= IFNAMSIZ || if_nametoindex(optarg) == 0)
				return bad("--iface", optarg);
			iface = optarg;
			break;
		case 'M':
			if (lg_parse_mac(optarg, dmac) != 0)
				return bad("--dst-mac", optarg);
			have_mac = 1;
			break;
		case 'B':
			if (lg_parse_u64(optarg, 1, MAXBATCH, 0, &batch) != 0)
				return bad("--batch", optarg);
			break;
		case 'R':
			if (lg_parse_u64(optarg, 0, UINT32_MAX, 0, &run_id) != 0)
				return bad("--run-id", optarg);
			have_run_id = 1;
			break;
		case 'c':
			if (lg_parse_u64(optarg, 0, CPU_SETSIZE - 1, 0, &v) != 0)
				return bad("--cpu", optarg);
			cpu = (int)v;
			break;
		case 'S':
			sumpath = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'Q':
			qbypass = 1;
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
	if (!have_dst) {
		fprintf(stderr, PROG ": --dst is required (see --help)\n");
		return 2;
	}
	if ((rate > 0) + (mbps > 0) + maxrate > 1) {
		fprintf(stderr, PROG ": --rate, --mbps and --max exclude each other\n");
		return 2;
	}
	if (have_src && src.ss_family != dst.ss_family) {
		fprintf(stderr, PROG ": --src and --dst are of different address families\n");
		return 2;
	}
	if (qbypass && be != BE_PACKET) {
		fprintf(stderr, PROG ": --qdisc-bypass needs --backend packet\n");
		return 2;
	}
	if (be != BE_SENDMMSG) {
		if (!iface) {
			fprintf(stderr, PROG ": --backend %s needs --iface\n", be_names[be]);
			return 2;
		}
		if (dst.ss_family != AF_INET) {
			fprintf(stderr, PROG ": --backend %s builds IPv4 frames only\n", be_names[be]);
			return 2;
		}
		if (size > 1472) {
			fprintf(stderr, PROG ": --size %" PRIu64 " does not fit one 1500-byte frame\n", size);
			return 2;
		}
	}
	if (!count && !duration)
		duration = 10000000000LL;
	const unsigned frame_bytes = (unsigned)size + (dst.ss_family == AF_INET6 ? 62 : 42);
	if (mbps > 0)
		rate = mbps * 1e6 / (8.0 * frame_bytes);
	if (!have_run_id) {
		uint32_t r = 0;
		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r = (uint32_t)getpid();
		run_id = r;
	}
	char dsttxt[80];
	lg_fmt_addr(&dst, dsttxt, sizeof(dsttxt));

	/* the route must exist; it also gives the source address */
	struct sockaddr_storage route_src;
	socklen_t rslen = sizeof(route_src);
	int fd = socket(dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, PROG ": socket: %s\n", strerror(errno));
		return 1;
	}
	if (iface && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, iface, (socklen_t)strlen(iface) + 1) != 0) {
		fprintf(stderr, PROG ": --iface %s: %s\n", iface, strerror(errno));
		return 1;
	}
	if (have_src && bind(fd, (struct sockaddr *)&src, srclen) != 0) {
		fprintf(stderr, PROG ": --src: cannot bind: %s\n", strerror(errno));
		return errno == EADDRNOTAVAIL ? 2 : 1;
	}
	if (connect(fd, (struct sockaddr *)&dst, dstlen) != 0) {
		fprintf(stderr, PROG ": %s: unreachable: %s\n", dsttxt, strerror(errno));
		return 2;
	}
	getsockname(fd, (struct sockaddr *)&route_src, &rslen);
	/* send unconnected: ICMP port-unreachable from a target that does not
	 * listen (the usual case for a flood) must not fail later sends */
	{
		struct sockaddr un = { .sa_family = AF_UNSPEC };
		connect(fd, &un, sizeof(un));
	}

	/* back end setup */
	int pfd = -1;
	pcap_t *pc = NULL;
	struct frame_tmpl tmpl;
	struct sockaddr_ll sll;
	if (be != BE_SENDMMSG) {
		uint8_t smac[6] = { 0 };
		struct in_addr ifaddr;
		int is_lo = 0, have_ifaddr = 0;
		if (if_info(iface, smac, &ifaddr, &is_lo, &have_ifaddr) != 0) {
			fprintf(stderr, PROG ": %s: cannot read the MAC address: %s\n", iface, strerror(errno));
			return 1;
		}
		struct sockaddr_in s4 = *(struct sockaddr_in *)&route_src;
		if (have_src)
			s4.sin_addr = ((struct sockaddr_in *)&src)->sin_addr;
		else if (have_ifaddr)
			s4.sin_addr = ifaddr;
		if (!have_mac) {
			if (is_lo)
				memset(dmac, 0, 6);
			else if (resolve_mac(iface, (struct sockaddr_in *)&dst, dmac) != 0) {
				fprintf(stderr,
					PROG ": cannot resolve the MAC of %s on %s (not in the neighbour table); "
					     "give --dst-mac\n",
					dsttxt, iface);
				return 2;
			}
		}
		tmpl_init(&tmpl, dmac, smac, &s4, (struct sockaddr_in *)&dst, size);
		tmpl.ip_id = (uint16_t)run_id;
		if (be == BE_PACKET) {
			pfd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
			if (pfd < 0) {
				fprintf(stderr, PROG ": AF_PACKET socket: %s\n", strerror(errno));
				return 1;
			}
			memset(&sll, 0, sizeof(sll));
			sll.sll_family = AF_PACKET;
			sll.sll_ifindex = (int)if_nametoindex(iface);
			sll.sll_protocol = 0; /* send only */
			if (bind(pfd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
				fprintf(stderr, PROG ": AF_PACKET bind %s: %s\n", iface, strerror(errno));
				return 1;
			}
			int one = 1;
			if (qbypass && setsockopt(pfd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) != 0) {
				fprintf(stderr, PROG ": PACKET_QDISC_BYPASS: %s\n", strerror(errno));
				return 1;
			}
		} else {
			char eb[PCAP_ERRBUF_SIZE] = "";
			pc = pcap_create(iface, eb);
			if (!pc) {
				fprintf(stderr, PROG ": pcap_create %s: %s\n", iface, eb);
				return 1;
			}
			pcap_set_snaplen(pc, 64);
			pcap_set_buffer_size(pc, 1 << 20);
			pcap_set_immediate_mode(pc, 1);
			int arc = pcap_activate(pc);
			if (arc < 0) {
				fprintf(stderr, PROG ": pcap_activate %s: %s\n", iface, pcap_geterr(pc));
				return 1;
			}
			/* we only inject: capture nothing */
			struct bpf_program bp;
			if (pcap_compile(pc, &bp, "less 1", 1, PCAP_NETMASK_UNKNOWN) == 0) {
				pcap_setfilter(pc, &bp);
				pcap_freecode(&bp);
			}
		}
	}
	if (cpu >= 0 && lg_pin_cpu(cpu) != 0) {
		fprintf(stderr, PROG ": --cpu %d: %s\n", cpu, strerror(errno));
		return 2;
	}

	struct nt_tsc_props props;
	struct nt_tsc_freq freq;
	nt_tsc_props_read(&props);
	int frc = nt_tsc_freq_find(&freq, 50, 200);
	if (frc < 0) {
		fprintf(stderr, PROG ": TSC frequency: %s\n", freq.warning);
		return 1;
	}
	if (frc > 0)
		fprintf(stderr, PROG ": warning: %s\n", freq.warning);
	const double hz = freq.hz;

	/* buffers */
	const size_t fsz = be == BE_SENDMMSG ? size : L2HDR + size;
	uint8_t *frames = calloc(batch, fsz);
	struct mmsghdr *mm = calloc(batch, sizeof(*mm));
	struct iovec *iov = calloc(batch, sizeof(*iov));
	if (!frames || !mm || !iov) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < batch; i++) {
		iov[i].iov_base = frames + i * fsz;
		iov[i].iov_len = fsz;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		if (be == BE_PACKET) {
			mm[i].msg_hdr.msg_name = &sll;
			mm[i].msg_hdr.msg_namelen = sizeof(sll);
		} else {
			mm[i].msg_hdr.msg_name = &dst;
			mm[i].msg_hdr.msg_namelen = dstlen;
		}
	}
	lg_signals();
	FILE *so = quiet ? NULL : stdout;
	if (so)
		fprintf(so,
			PROG ": %s -> %s, backend %s, %" PRIu64 " B payload (%u B frames), %s%.0f pps, run_id %" PRIu64
			     "\n",
			iface ? iface : "route", dsttxt, be_names[be], size, frame_bytes, rate > 0 ? "" : "max, ",
			rate, run_id);

	const uint64_t t0 = nt_rdtsc();
	uint64_t tbase = t0;            /* rate schedule origin (moved after stalls) */
	uint64_t sched_sent = 0;        /* packets counted against tbase */
	const uint64_t end_cyc = duration ? (uint64_t)nt_ns_to_cyc((double)duration, hz) : 0;
	const double cyc_per_pkt = rate > 0 ? hz / rate : 0;
	const uint64_t backlog_max = rate > 0 ? (uint64_t)fmax(batch, rate * 0.010) : 0;
	uint64_t sent = 0, errors = 0, calls = 0, debt_dropped = 0;
	uint64_t sec_t = t0, sec_sent = 0, sec_err = 0;
	int last_err = 0, rt_fail = 0;
	double max_pps_sec = 0, min_pps_sec = 0;
	int nsec = 0;
	const char *why = "count reached";

	while (!lg_stop) {
		uint64_t now = nt_rdtsc();
		if (end_cyc && now - t0 >= end_cyc) {
			why = "duration reached";
			break;
		}
		if (count && sent >= count)
			break;
		if (now - sec_t >= (uint64_t)hz) {
			double el = (double)(now - sec_t) / hz;
			double pps = (double)(sent - sec_sent) / el;
			if (!nsec || pps > max_pps_sec)
				max_pps_sec = pps;
			if (!nsec || pps < min_pps_sec)
				min_pps_sec = pps;
			nsec++;
			if (so)
				fprintf(so, PROG ": %7.3f s: %10.0f pps %9.2f Mbit/s, %" PRIu64 " errors (TSC)\n",
					(double)(now - t0) / hz, pps, pps * frame_bytes * 8 / 1e6, errors - sec_err);
			sec_t = now;
			sec_sent = sent;
			sec_err = errors;
		}
		uint64_t n = batch;
		if (rate > 0) {
			uint64_t due = (uint64_t)((double)(now - tbase) / cyc_per_pkt) + 1;
			if (due > sched_sent + backlog_max) {
				/* stalled: do not burst to catch up */
				uint64_t keep = sched_sent + batch;
				debt_dropped += due - keep;
				tbase = now - (uint64_t)((double)(keep - 1) * cyc_per_pkt);
				due = keep;
			}
			if (due <= sched_sent) {
				uint64_t next = tbase + (uint64_t)((double)sched_sent * cyc_per_pkt);
				if (next > now + (uint64_t)(hz * 200e-6)) {
					lg_sleep_until(lg_mono_ns() +
						       (int64_t)nt_cyc_to_ns((double)(next - now) - hz * 50e-6, hz));
				} else {
					while (nt_rdtsc() < next && !lg_stop)
						__builtin_ia32_pause();
				}
				continue;
			}
			n = due - sched_sent;
			if (n > batch)
				n = batch;
		}
		if (count && n > count - sent)
			n = count - sent;
		const uint64_t tsend = nt_rdtsc();
		for (uint64_t i = 0; i < n; i++) {
			struct nt_payload p = {
				.magic = NT_PAYLOAD_MAGIC,
				.version = NT_PAYLOAD_VERSION,
				.run_id = (uint32_t)run_id,
				.seq = sent + i,
				.tsc_sched = rate > 0 ? tbase + (uint64_t)((double)(sched_sent + i) * cyc_per_pkt) : 0,
				.tsc_send = tsend,
			};
			uint8_t *f = frames + i * fsz;
			if (be == BE_SENDMMSG)
				lg_payload_put(f, &p);
			else
				frame_fill(&tmpl, f, &p);
		}
		int r;
		calls++;
		if (be == BE_PCAP) {
			r = 0;
			for (uint64_t i = 0; i < n; i++) {
				if (pcap_inject(pc, frames + i * fsz, fsz) < 0) {
					if (r == 0)
						r = -1;
					break;
				}
				r++;
			}
			if (r < 0) {
				errno = EIO;
				if (!errors)
					fprintf(stderr, PROG ": pcap_inject: %s\n", pcap_geterr(pc));
			}
		} else {
			r = sendmmsg(be == BE_PACKET ? pfd : fd, mm, (unsigned)n, 0);
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			errors++;
			last_err = errno;
			if (errno != ENOBUFS && errno != EAGAIN && errno != ECONNREFUSED && errno != EIO) {
				fprintf(stderr, PROG ": send: %s\n", strerror(errno));
				rt_fail = 1;
				break;
			}
			if (errors > 1000000 && sent == 0) {
				fprintf(stderr, PROG ": every send fails: %s\n", strerror(last_err));
				rt_fail = 1;
				break;
			}
			continue;
		}
		sent += (uint64_t)r;
		sched_sent += (uint64_t)r;
		if ((uint64_t)r < n)
			errors++;
	}
	const uint64_t t1 = nt_rdtsc();
	const int interrupted = lg_stop != 0;
	if (interrupted)
		why = "interrupted";
	const double el = (double)(t1 - t0) / hz;
	const double pps = el > 0 ? (double)sent / el : 0;

	FILE *outs[2] = { so, NULL };
	if (sumpath) {
		outs[1] = fopen(sumpath, "w");
		if (!outs[1])
			fprintf(stderr, PROG ": %s: %s\n", sumpath, strerror(errno));
	}
	char secbuf[96] = "";
	if (nsec)
		snprintf(secbuf, sizeof(secbuf), ", per-second pps min %.0f max %.0f over %d s", min_pps_sec,
			 max_pps_sec, nsec);
	if (so)
		fprintf(so,
			PROG ": %s: sent %" PRIu64 " packets in %.3f s (TSC @ %.3f MHz) = %.0f pps, %.2f Mbit/s "
			     "(frames), %" PRIu64 " send errors%s%s, %" PRIu64 " calls, backlog dropped after stalls %" PRIu64
			     "%s\n",
			why, sent, el, hz / 1e6, pps, pps * frame_bytes * 8 / 1e6, errors, errors ? ": " : "",
			errors ? strerror(last_err) : "", calls, debt_dropped, secbuf);
	if (outs[1]) {
		FILE *m = outs[1];
		lg_meta_common(m, PROG, argc, argv);
		nt_host_describe(m, &props, &freq);
		nt_meta_put(m, "backend", "%s", be_names[be]);
		nt_meta_put(m, "qdisc_bypass", "%d", qbypass);
		nt_meta_put(m, "dst", "%s", dsttxt);
		nt_meta_put(m, "iface", "%s", iface ? iface : "");
		nt_meta_put(m, "run_id", "%" PRIu64, run_id);
		nt_meta_put(m, "size", "%" PRIu64, size);
		nt_meta_put(m, "frame_bytes", "%u", frame_bytes);
		nt_meta_put(m, "rate_target_pps", "%.3f", rate);
		nt_meta_put(m, "sent", "%" PRIu64, sent);
		nt_meta_put(m, "send_errors", "%" PRIu64, errors);
		nt_meta_put(m, "calls", "%" PRIu64, calls);
		nt_meta_put(m, "elapsed_s", "%.6f", el);
		nt_meta_put(m, "pps", "%.1f", pps);
		nt_meta_put(m, "mbps_frames", "%.3f", pps * frame_bytes * 8 / 1e6);
		nt_meta_put(m, "pps_sec_min", "%.1f", min_pps_sec);
		nt_meta_put(m, "pps_sec_max", "%.1f", max_pps_sec);
		nt_meta_put(m, "backlog_dropped", "%" PRIu64, debt_dropped);
		nt_meta_put(m, "cpu", "%d", cpu);
		nt_meta_put(m, "stop_reason", "%s", why);
		nt_meta_put(m, "interrupted", "%d", interrupted);
		if (fclose(m) != 0)
			rt_fail = 1;
	}
	if (pc)
		pcap_close(pc);
	if (pfd >= 0)
		close(pfd);
	close(fd);
	free(frames);
	free(mm);
	free(iov);
	if (rt_fail)
		return 1;
	return interrupted ? 130 : 0;
}
