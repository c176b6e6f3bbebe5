// SPDX-License-Identifier: GPL-2.0
/*
 * nt-flood: UDP flood at a given rate (pps or Mbit/s) or as fast as it can,
 * for a duration or a count, from one sending thread per given CPU.  Back
 * ends: an AF_PACKET TX ring with qdisc bypass (txring), sendmmsg on a UDP
 * socket, AF_PACKET raw frames by sendmmsg (packet), libpcap pcap_inject.
 * The default (auto) is txring where it can be used, else sendmmsg.  Every
 * payload is an nt_payload (run id + seq), so nt-recv can account for every
 * packet.  The sending loop is flood.c; this file is options and set-up.
 */
#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "flood.h"
#include "lg.h"
#include "nt/meta.h"
#include "nt/tsc.h"

#define PROG "nt-flood"
#define BE_AUTO (-1)

static void usage(FILE *o)
{
	fprintf(o,
		"usage: " PROG " --dst ADDR:PORT [options]\n"
		"Flood UDP packets to ADDR:PORT at a rate or as fast as it can.\n"
		"  --dst ADDR:PORT   destination (numeric IPv4, or [IPv6] with the sendmmsg back end)\n"
		"  --src ADDR        source address (default: the route's / the interface's)\n"
		"  --rate PPS        packets per second in all (k/M suffixes: 10k, 1M)\n"
		"  --mbps MBIT       Mbit/s counted on Ethernet frames without preamble/FCS\n"
		"                    (UDP payload + 42 bytes for IPv4, + 62 for IPv6)\n"
		"  --max             as fast as possible (the default when no rate is given)\n"
		"  --size BYTES      UDP payload size, %d..1472 (default 64; up to 65507 with sendmmsg)\n"
		"  --duration SEC    stop after SEC (ms/s/m units accepted)\n"
		"  --count N         stop after N packets (default: --duration 10 when neither is given)\n"
		"  --backend B       auto (default: txring where possible, else sendmmsg; the summary says\n"
		"                    which and why) | txring (AF_PACKET PACKET_TX_RING, qdisc bypass) |\n"
		"                    sendmmsg | packet (AF_PACKET sendmmsg) | pcap (pcap_inject)\n"
		"  --iface IF        interface (default for txring/packet/pcap: the route's; for\n"
		"                    sendmmsg: SO_BINDTODEVICE)\n"
		"  --dst-mac MAC     destination MAC for txring/packet/pcap (default: neighbour table)\n"
		"  --batch N         packets per send call / ring kick, 1..%d (default 64)\n"
		"  --qdisc-bypass    packet back end: PACKET_QDISC_BYPASS (txring always bypasses)\n"
		"  --run-id N        run id in the payloads (default: random)\n"
		"  --cpu LIST        one sending thread pinned to each CPU of LIST (e.g. 1 or 0,1 or 0-3);\n"
		"                    rate and count are shared; default: one unpinned thread\n"
		"  --summary FILE    write the summary as key=value lines to FILE\n"
		"  --quiet           no per-second lines and no summary on stdout\n"
		"  --help            this text\n"
		"Prints the achieved rate every second (CLOCK: TSC) and a final summary.\n"
		"Exit: 0 ok, 1 runtime failure, 2 bad usage or unreachable target, 130 interrupted.\n",
		NT_PAYLOAD_MIN, FL_MAXBATCH);
}

static int bad(const char *opt, const char *val)
{
	fprintf(stderr, PROG ": bad value for %s: '%s' (see --help)\n", opt, val ? val : "");
	return 2;
}

/* ---- interface and neighbour ----------------------------------------- */

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

/* MAC of next hop nh (dst itself, or the route's gateway) on ifn; provokes
 * neighbour resolution with one datagram to dst when it is not known yet. */
static int resolve_mac(const char *ifn, const struct sockaddr_in *dst, struct in_addr nh, uint8_t mac[6])
{
	if (arp_lookup(ifn, nh, mac) == 0)
		return 0;
	/* provoke neighbour resolution with one datagram through the interface */
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, ifn, (socklen_t)strlen(ifn) + 1);
	/* to the discard port, not the flood's: a receiver there would count it as a stray */
	static const char probe[] = "nt-flood neighbour probe";
	struct sockaddr_in d = *dst;
	d.sin_port = htons(9);
	sendto(s, probe, sizeof(probe), 0, (const struct sockaddr *)&d, sizeof(d));
	close(s);
	for (int i = 0; i < 100; i++) {
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
		if (arp_lookup(ifn, nh, mac) == 0)
			return 0;
	}
	return -1;
}

/* Line rate of ifn in packets/s for frames of frame_bytes (preamble, FCS and
 * inter-frame gap added: 24 bytes, 64-byte minimum frame), from the driver's
 * link speed.  0 with the reason in why when there is none. */
static double line_rate_pps(const char *ifn, unsigned frame_bytes, char *why, size_t wl)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;
	struct ethtool_drvinfo di = { .cmd = ETHTOOL_GDRVINFO };
	struct ethtool_cmd ec = { .cmd = ETHTOOL_GSET };
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifn);
	ifr.ifr_data = (void *)&di;
	int have_di = s >= 0 && ioctl(s, SIOCETHTOOL, &ifr) == 0;
	ifr.ifr_data = (void *)&ec;
	int have_ec = s >= 0 && ioctl(s, SIOCETHTOOL, &ifr) == 0;
	if (s >= 0)
		close(s);
	if (!have_di || !di.bus_info[0]) {
		snprintf(why, wl, "%s is a virtual device (%s): no line rate", ifn, have_di ? di.driver : "no driver info");
		return 0;
	}
	uint32_t mbps = have_ec ? ethtool_cmd_speed(&ec) : 0;
	if (!mbps || mbps == (uint32_t)SPEED_UNKNOWN) {
		snprintf(why, wl, "%s (%s): link speed unknown", ifn, di.driver);
		return 0;
	}
	unsigned wire = (frame_bytes + 4 < 64 ? 64 : frame_bytes + 4) + 20;
	snprintf(why, wl, "%s (%s): %" PRIu32 " Mbit/s link, %u bytes per frame on the wire", ifn, di.driver, mbps, wire);
	return mbps * 1e6 / (8.0 * wire);
}

/* ---- options ----------------------------------------------------------- */

struct opts {
	struct sockaddr_storage dst, src;
	socklen_t dstlen, srclen;
	int have_dst, have_src, have_mac, have_run_id, maxrate, qbypass, quiet, be, ncpus;
	double rate, mbps;
	int64_t duration;
	uint64_t count, size, batch, run_id;
	const char *iface, *sumpath;
	uint8_t dmac[6];
	int cpus[FL_MAXCPUS];
};

static int parse_one(struct opts *o, int c, const char *arg)
{
	uint64_t v;
	switch (c) {
	case 'd':
		o->have_dst = 1;
		return lg_parse_addr(arg, 1, &o->dst, &o->dstlen) ? bad("--dst", arg) : 0;
	case 'a':
		o->have_src = 1;
		return lg_parse_ip(arg, &o->src, &o->srclen) ? bad("--src", arg) : 0;
	case 'r':
		if (lg_parse_u64(arg, 1, 100000000ull, 1, &v) != 0)
			return bad("--rate", arg);
		o->rate = (double)v;
		return 0;
	case 'm':
		return lg_parse_double(arg, 0.001, 1e6, &o->mbps) ? bad("--mbps", arg) : 0;
	case 'X':
		o->maxrate = 1;
		return 0;
	case 's':
		return lg_parse_u64(arg, NT_PAYLOAD_MIN, 65507, 0, &o->size) ? bad("--size", arg) : 0;
	case 'D':
		return lg_parse_dur(arg, 1e9, &o->duration) ? bad("--duration", arg) : 0;
	case 'n':
		return lg_parse_u64(arg, 1, UINT64_MAX / 2, 1, &o->count) ? bad("--count", arg) : 0;
	case 'b':
		if (strcmp(arg, "auto") == 0)
			o->be = BE_AUTO;
		else if ((o->be = fl_backend_parse(arg)) < 0)
			return bad("--backend", arg);
		return 0;
	case 'I':
		o->iface = arg;
		return !*arg || strlen(arg) >= IFNAMSIZ || if_nametoindex(arg) == 0 ? bad("--iface", arg) : 0;
	case 'M':
		o->have_mac = 1;
		return lg_parse_mac(arg, o->dmac) ? bad("--dst-mac", arg) : 0;
	case 'B':
		return lg_parse_u64(arg, 1, FL_MAXBATCH, 0, &o->batch) ? bad("--batch", arg) : 0;
	case 'R':
		o->have_run_id = 1;
		return lg_parse_u64(arg, 0, UINT32_MAX, 0, &o->run_id) ? bad("--run-id", arg) : 0;
	case 'c':
		return lg_parse_cpulist(arg, o->cpus, FL_MAXCPUS, &o->ncpus) ? bad("--cpu", arg) : 0;
	case 'S':
		o->sumpath = arg;
		return 0;
	case 'q':
		o->quiet = 1;
		return 0;
	case 'Q':
		o->qbypass = 1;
		return 0;
	}
	return 2;
}

/* 0 = go on; else the exit code */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
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
	memset(o, 0, sizeof(*o));
	o->size = 64;
	o->batch = 64;
	o->be = BE_AUTO;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return -1;
		}
		if (c == '?' || c == ':') {
			fprintf(stderr, PROG ": unknown or incomplete option '%s' (see --help)\n", argv[optind - 1]);
			return 2;
		}
		int rc = parse_one(o, c, optarg);
		if (rc)
			return rc;
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}
	return 0;
}

static int usage_err(const char *msg)
{
	fprintf(stderr, PROG ": %s\n", msg);
	return 2;
}

static int check_opts(struct opts *o)
{
	if (!o->have_dst)
		return usage_err("--dst is required (see --help)");
	if ((o->rate > 0) + (o->mbps > 0) + o->maxrate > 1)
		return usage_err("--rate, --mbps and --max exclude each other");
	if (o->have_src && o->src.ss_family != o->dst.ss_family)
		return usage_err("--src and --dst are of different address families");
	if (o->qbypass && o->be != FL_PACKET && o->be != FL_TXRING)
		return usage_err("--qdisc-bypass needs --backend packet (txring always bypasses)");
	if (o->be != BE_AUTO && o->be != FL_SENDMMSG) {
		if (o->dst.ss_family != AF_INET) {
			fprintf(stderr, PROG ": --backend %s builds IPv4 frames only\n", fl_backend_names[o->be]);
			return 2;
		}
		if (o->size > 1472) {
			fprintf(stderr, PROG ": --size %" PRIu64 " does not fit one 1500-byte frame\n", o->size);
			return 2;
		}
	}
	cpu_set_t allowed;
	if (o->ncpus && sched_getaffinity(0, sizeof(allowed), &allowed) == 0)
		for (int i = 0; i < o->ncpus; i++)
			if (!CPU_ISSET(o->cpus[i], &allowed)) {
				fprintf(stderr, PROG ": --cpu %d: not a CPU this process may run on\n", o->cpus[i]);
				return 2;
			}
	if (!o->count && !o->duration)
		o->duration = 10000000000LL;
	if (!o->have_run_id) {
		uint32_t r = 0;
		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r = (uint32_t)getpid();
		o->run_id = r;
	}
	return 0;
}

/* ---- set-up ------------------------------------------------------------ */

/* The route must exist; it also gives the source address.  0 or exit code. */
static int route_check(const struct opts *o, struct sockaddr_storage *route_src)
{
	char dsttxt[80];
	lg_fmt_addr(&o->dst, dsttxt, sizeof(dsttxt));
	int fd = socket(o->dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, PROG ": socket: %s\n", strerror(errno));
		return 1;
	}
	int rc = 0;
	socklen_t rslen = sizeof(*route_src);
	if (o->iface && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o->iface, (socklen_t)strlen(o->iface) + 1)) {
		fprintf(stderr, PROG ": --iface %s: %s\n", o->iface, strerror(errno));
		rc = 1;
	} else if (o->have_src && bind(fd, (const struct sockaddr *)&o->src, o->srclen) != 0) {
		fprintf(stderr, PROG ": --src: cannot bind: %s\n", strerror(errno));
		rc = errno == EADDRNOTAVAIL ? 2 : 1;
	} else if (connect(fd, (const struct sockaddr *)&o->dst, o->dstlen) != 0) {
		fprintf(stderr, PROG ": %s: unreachable: %s\n", dsttxt, strerror(errno));
		rc = 2;
	} else {
		getsockname(fd, (struct sockaddr *)route_src, &rslen);
	}
	close(fd);
	return rc;
}

/* Raw-frame back ends: interface, addresses, MAC, frame template.  0, or an
 * exit code with the reason in why (not printed). */
static int setup_raw(const struct opts *o, const struct sockaddr_storage *route_src, struct fl_cfg *c,
		     char *ifname, char *why, size_t wl)
{
	const struct sockaddr_in *d4 = (const struct sockaddr_in *)&o->dst;
	struct in_addr nh = d4->sin_addr, gw;
	int oif = 0, has_gw = 0;
	if (lg_route_get(d4, &oif, &gw, &has_gw) == 0 && has_gw)
		nh = gw;
	if (o->iface) {
		snprintf(ifname, IFNAMSIZ, "%s", o->iface);
	} else if (oif <= 0 || !if_indextoname((unsigned)oif, ifname)) {
		snprintf(why, wl, "no interface for the route (give --iface)");
		return 2;
	}
	uint8_t smac[6] = { 0 }, dmac[6];
	struct in_addr ifaddr;
	int is_lo = 0, have_ifaddr = 0;
	if (if_info(ifname, smac, &ifaddr, &is_lo, &have_ifaddr) != 0) {
		snprintf(why, wl, "%s: cannot read the MAC address: %s", ifname, strerror(errno));
		return 1;
	}
	struct sockaddr_in s4 = *(const struct sockaddr_in *)route_src;
	if (o->have_src)
		s4.sin_addr = ((const struct sockaddr_in *)&o->src)->sin_addr;
	else if (have_ifaddr && o->iface)
		s4.sin_addr = ifaddr; /* a given interface: its address; else the route's */
	if (is_lo) {
		/* no route lookup has a dst for them: the input route drops them as martians */
		snprintf(why, wl, "%s: the kernel drops frames injected on a loopback device (use sendmmsg)", ifname);
		return 2;
	}
	if (o->have_mac)
		memcpy(dmac, o->dmac, 6);
	else if (resolve_mac(ifname, d4, nh, dmac) != 0) {
		char t[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &nh, t, sizeof(t));
		snprintf(why, wl, "cannot resolve the MAC of %s on %s (not in the neighbour table); give --dst-mac", t,
			 ifname);
		return 2;
	}
	fl_tmpl_init(&c->tmpl, dmac, smac, &s4, d4, o->size);
	c->tmpl.ip_id = (uint16_t)o->run_id;
	c->iface = ifname;
	c->ifindex = (int)if_nametoindex(ifname);
	return 0;
}

/* auto: why the TX ring cannot be used here (NULL when it can) */
static const char *ring_impossible(const struct opts *o)
{
	if (o->dst.ss_family != AF_INET)
		return "IPv6 destination";
	if (o->size > 1472)
		return "payload larger than one 1500-byte frame";
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno == EPERM || errno == EACCES ? "AF_PACKET not permitted (needs CAP_NET_RAW)"
							  : "no AF_PACKET sockets";
	close(fd);
	return NULL;
}

/* Fill the configuration; 0 or an exit code. */
static int setup(const struct opts *o, struct fl_cfg *c, char *ifname, char *choice, size_t cl)
{
	struct sockaddr_storage route_src;
	int rc = route_check(o, &route_src);
	if (rc)
		return rc;
	memset(c, 0, sizeof(*c));
	c->be = o->be == BE_AUTO ? FL_TXRING : (enum fl_backend)o->be;
	snprintf(choice, cl, o->be == BE_AUTO ? "auto" : "given");
	const char *no = o->be == BE_AUTO ? ring_impossible(o) : NULL;
	char why[200] = "";
	if (!no && c->be != FL_SENDMMSG && (rc = setup_raw(o, &route_src, c, ifname, why, sizeof(why))) != 0) {
		if (o->be != BE_AUTO) {
			fprintf(stderr, PROG ": %s\n", why);
			return rc;
		}
		no = why;
	}
	if (no) {
		c->be = FL_SENDMMSG;
		snprintf(choice, cl, "auto; txring not possible: %s", no);
	}
	if (c->be == FL_SENDMMSG)
		c->iface = o->iface;
	if (!ifname[0] && o->iface)
		snprintf(ifname, IFNAMSIZ, "%s", o->iface);
	int oif, has_gw;
	struct in_addr gw;
	if (!ifname[0] && o->dst.ss_family == AF_INET &&
	    lg_route_get((const struct sockaddr_in *)&o->dst, &oif, &gw, &has_gw) == 0)
		if_indextoname((unsigned)oif, ifname); /* only to name the link in the summary */
	c->qbypass = o->qbypass || c->be == FL_TXRING;
	c->dst = o->dst;
	c->dstlen = o->dstlen;
	c->src = o->src;
	c->srclen = o->srclen;
	c->have_src = o->have_src;
	c->size = o->size;
	c->frame_bytes = (unsigned)o->size + (o->dst.ss_family == AF_INET6 ? 62 : 42);
	c->batch = (unsigned)o->batch;
	c->rate = o->mbps > 0 ? o->mbps * 1e6 / (8.0 * c->frame_bytes) : o->rate;
	c->count = o->count;
	c->run_id = (uint32_t)o->run_id;
	c->ncpus = o->ncpus;
	memcpy(c->cpus, o->cpus, sizeof(c->cpus));
	return 0;
}

/* ---- summary ----------------------------------------------------------- */

static void cpu_list(const struct fl_cfg *c, const struct fl_result *r, char *cpus, size_t cl, char *by, size_t bl)
{
	size_t a = 0, b = 0;
	snprintf(cpus, cl, c->ncpus ? "" : "-1");
	by[0] = '\0';
	for (int i = 0; i < r->nthreads; i++) {
		if (c->ncpus && a < cl)
			a += (size_t)snprintf(cpus + a, cl - a, "%s%d", i ? "," : "", c->cpus[i]);
		if (b < bl)
			b += (size_t)snprintf(by + b, bl - b, "%s%" PRIu64, i ? "," : "", r->sent_by[i]);
	}
}

struct linerate {
	double pps; /* 0: none */
	char why[200];
};

static int write_summary(const char *path, int argc, char **argv, const struct fl_cfg *c,
			 const struct fl_result *r, const char *choice, const char *why, int interrupted,
			 const struct linerate *lr, const struct nt_tsc_props *props, const struct nt_tsc_freq *freq)
{
	FILE *m = fopen(path, "w");
	if (!m) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		return -1;
	}
	char dsttxt[80], cpus[512], by[1400];
	lg_fmt_addr(&c->dst, dsttxt, sizeof(dsttxt));
	cpu_list(c, r, cpus, sizeof(cpus), by, sizeof(by));
	const double pps = r->elapsed_s > 0 ? (double)r->sent / r->elapsed_s : 0;
	lg_meta_common(m, PROG, argc, argv);
	nt_host_describe(m, props, freq);
	nt_meta_put(m, "backend", "%s", fl_backend_names[c->be]);
	nt_meta_put(m, "backend_choice", "%s", choice);
	nt_meta_put(m, "qdisc_bypass", "%d", c->qbypass);
	nt_meta_put(m, "dst", "%s", dsttxt);
	nt_meta_put(m, "iface", "%s", c->iface ? c->iface : "");
	nt_meta_put(m, "run_id", "%" PRIu32, c->run_id);
	nt_meta_put(m, "size", "%zu", c->size);
	nt_meta_put(m, "frame_bytes", "%u", c->frame_bytes);
	nt_meta_put(m, "rate_target_pps", "%.3f", c->rate);
	nt_meta_put(m, "sent", "%" PRIu64, r->sent);
	nt_meta_put(m, "unsent", "%" PRIu64, r->unsent);
	nt_meta_put(m, "send_errors", "%" PRIu64, r->errors);
	nt_meta_put(m, "calls", "%" PRIu64, r->calls);
	nt_meta_put(m, "elapsed_s", "%.6f", r->elapsed_s);
	nt_meta_put(m, "pps", "%.1f", pps);
	nt_meta_put(m, "mbps_frames", "%.3f", pps * c->frame_bytes * 8 / 1e6);
	nt_meta_put(m, "pps_sec_min", "%.1f", r->pps_sec_min);
	nt_meta_put(m, "pps_sec_max", "%.1f", r->pps_sec_max);
	nt_meta_put(m, "backlog_dropped", "%" PRIu64, r->backlog_dropped);
	nt_meta_put(m, "threads", "%d", r->nthreads);
	nt_meta_put(m, "cpu", "%s", cpus);
	nt_meta_put(m, "sent_by_thread", "%s", by);
	nt_meta_put(m, "line_rate_pps", "%.1f", lr->pps);
	nt_meta_put(m, "line_rate_fraction", "%.4f", lr->pps > 0 ? pps / lr->pps : 0);
	nt_meta_put(m, "line_rate_note", "%s", lr->why);
	nt_meta_put(m, "stop_reason", "%s", why);
	nt_meta_put(m, "interrupted", "%d", interrupted);
	return fclose(m) == 0 ? 0 : -1;
}

static void print_summary(const struct fl_cfg *c, const struct fl_result *r, const char *why,
			  const struct linerate *lr)
{
	const double pps = r->elapsed_s > 0 ? (double)r->sent / r->elapsed_s : 0;
	char secbuf[96] = "", unsent[64] = "";
	if (r->nsec)
		snprintf(secbuf, sizeof(secbuf), ", per-second pps min %.0f max %.0f over %d s", r->pps_sec_min,
			 r->pps_sec_max, r->nsec);
	if (r->unsent)
		snprintf(unsent, sizeof(unsent), ", %" PRIu64 " claimed seqs NOT sent", r->unsent);
	printf(PROG ": %s: sent %" PRIu64 " packets in %.3f s (TSC @ %.3f MHz) = %.0f pps, %.2f Mbit/s (frames), "
		    "%" PRIu64 " send errors%s%s, %" PRIu64 " calls, backlog dropped after stalls %" PRIu64
		    ", %d thread(s)%s%s\n",
	       why, r->sent, r->elapsed_s, c->hz / 1e6, pps, pps * c->frame_bytes * 8 / 1e6, r->errors,
	       r->errors ? ": " : "", r->errors ? strerror(r->last_err) : "", r->calls, r->backlog_dropped,
	       r->nthreads, unsent, secbuf);
	if (lr->pps > 0)
		printf(PROG ": %.1f %% of the line rate (%.0f pps: %s)\n", 100 * pps / lr->pps, lr->pps, lr->why);
	else if (lr->why[0])
		printf(PROG ": %s\n", lr->why);
}

/* ---- main -------------------------------------------------------------- */

int main(int argc, char **argv)
{
	struct opts o;
	int rc = parse_opts(argc, argv, &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	if ((rc = check_opts(&o)) != 0)
		return rc;
	struct fl_cfg c;
	char ifname[IFNAMSIZ] = "", choice[256];
	if ((rc = setup(&o, &c, ifname, choice, sizeof(choice))) != 0)
		return rc;

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
	c.hz = freq.hz;
	c.end_cyc = o.duration ? (uint64_t)nt_ns_to_cyc((double)o.duration, c.hz) : 0;
	c.progress = o.quiet ? NULL : stdout;

	lg_signals();
	if (!o.quiet) {
		char dsttxt[80];
		lg_fmt_addr(&c.dst, dsttxt, sizeof(dsttxt));
		printf(PROG ": %s -> %s, backend %s (%s), %zu B payload (%u B frames), %s%.0f pps, %d thread(s), "
			    "run_id %" PRIu32 "\n",
		       c.iface ? c.iface : "route", dsttxt, fl_backend_names[c.be], choice, c.size, c.frame_bytes,
		       c.rate > 0 ? "" : "max, ", c.rate, c.ncpus ? c.ncpus : 1, c.run_id);
		fflush(stdout);
	}
	struct fl_result r;
	int runrc = fl_run(&c, &r);
	const int interrupted = lg_stop != 0;
	const char *why = interrupted ? "interrupted"
			  : r.failed || runrc ? "failed"
			  : r.duration_reached ? "duration reached"
					       : "count reached";
	struct linerate lr = { 0, "" };
	if (ifname[0])
		lr.pps = line_rate_pps(ifname, c.frame_bytes, lr.why, sizeof(lr.why));
	if (!o.quiet)
		print_summary(&c, &r, why, &lr);
	int wrc = o.sumpath ? write_summary(o.sumpath, argc, argv, &c, &r, choice, why, interrupted, &lr, &props,
					    &freq)
			    : 0;
	if (runrc || r.failed || wrc)
		return 1;
	return interrupted ? 130 : 0;
}
