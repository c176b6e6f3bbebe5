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
#include <inttypes.h>
#include <math.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "flood.h"
#include "lg.h"
#include "qemusock.h"
#include "nt/meta.h"
#include "nt/prog.h"

#define BE_AUTO (-1)

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
	for (int i = 0; i < 100 && nt_sleep_ns(10000000) == 0; i++)
		if (arp_lookup(ifn, nh, mac) == 0)
			return 0;
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
	/* as ethtool_cmd_speed() of the kernel's header, without its signed
	 * shift (undefined when speed_hi is 0xffff: an unknown speed) */
	uint32_t mbps = have_ec ? (uint32_t)ec.speed_hi << 16 | ec.speed : 0;
	if (!mbps || mbps == (uint32_t)SPEED_UNKNOWN) {
		snprintf(why, wl, "%s (%s): link speed unknown", ifn, di.driver);
		return 0;
	}
	unsigned wire = (frame_bytes + 4 < 64 ? 64 : frame_bytes + 4) + 20;
	snprintf(why, wl, "%s (%s): %" PRIu32 " Mbit/s link, %u bytes per frame on the wire", ifn, di.driver, mbps, wire);
	return mbps * 1e6 / (8.0 * wire);
}

/* ---- options ----------------------------------------------------------- */

enum { O_RATE = LG_O_FREE, O_MBPS, O_MAX, O_SIZE, O_COUNT, O_BACKEND, O_DSTMAC, O_BATCH, O_QBYPASS, O_RUNID };

static const struct nt_opt flood_opts[] = {
	LG_OPT_DST,
	LG_OPT_SRC,
	{ "rate", "PPS", O_RATE, "packets per second in all (10k, 1M)" },
	{ "mbps", "MBIT", O_MBPS, "Mbit/s counted on Ethernet frames without preamble/FCS\n(UDP payload + 42 bytes for IPv4, + 62 for IPv6)" },
	{ "max", NULL, O_MAX, "as fast as possible (the default when no rate is given)" },
	{ "size", "BYTES", O_SIZE, "UDP payload size, 40..1472 (default 64; up to 65507 with sendmmsg)" },
	{ "count", "N", O_COUNT, "stop after N packets (default: --duration 10s when neither\nis given)" },
	{ "backend", "B", O_BACKEND, "auto (default: txring where possible, else sendmmsg; the\nsummary says which and why) | txring (AF_PACKET\nPACKET_TX_RING, qdisc bypass) | sendmmsg | packet\n(AF_PACKET sendmmsg) | pcap (pcap_inject) |\nqemu (frames into a QEMU socket netdev, see --qemu)" },
	{ "iface", "IF", LG_O_IFACE, "interface (default for txring/packet/pcap: the route's; for\nsendmmsg: SO_BINDTODEVICE)" },
	{ "dst-mac", "MAC", O_DSTMAC, "destination MAC for txring/packet/pcap (default: neighbour\ntable) and qemu (the guest NIC's)" },
	{ "qemu", "[127.0.0.1:]PORT", LG_O_QEMU, "back end qemu: every frame is one UDP datagram to the local\naddress of a QEMU socket netdev (the emulated testbed); --dst\nis the guest NIC's address, --dst-mac its MAC, --src the\nframes' source" },
	{ "batch", "N", O_BATCH, "packets per send call / ring kick, 1..256 (default 64)" },
	{ "qdisc-bypass", NULL, O_QBYPASS, "packet back end: PACKET_QDISC_BYPASS (txring always bypasses)" },
	{ "run-id", "N", O_RUNID, "run id in the payloads (default: random)" },
	{ NULL, NULL, 0, NULL },
};

struct opts {
	struct lg_target t;
	int have_mac, have_run_id, maxrate, qbypass, be;
	double rate, mbps;
	uint64_t count, size, batch, run_id;
	uint8_t dmac[6];
	/* the run */
	struct fl_cfg c;
	struct fl_result r;
	char ifname[IFNAMSIZ], choice[256];
	double line_pps;
	char line_why[200];
};

static int flood_opt(struct nt_prog *p, int key, const char *arg)
{
	struct opts *o = p->ctx;
	uint64_t v;
	switch (key) {
	case O_RATE:
		if (nt_parse_u64(arg, 1, 100000000ull, &v) != 0)
			return -1;
		o->rate = (double)v;
		return 0;
	case O_MBPS: return nt_parse_double(arg, 0.001, 1e6, &o->mbps);
	case O_MAX: o->maxrate = 1; return 0;
	case O_SIZE: return nt_parse_u64(arg, NT_PAYLOAD_MIN, 65507, &o->size);
	case O_COUNT: return nt_parse_u64(arg, 1, UINT64_MAX / 2, &o->count);
	case O_BACKEND:
		if (strcmp(arg, "auto") == 0)
			o->be = BE_AUTO;
		else if ((o->be = fl_backend_parse(arg)) < 0)
			return -1;
		return 0;
	case O_DSTMAC:
		o->have_mac = 1;
		return lg_parse_mac(arg, o->dmac);
	case O_BATCH: return nt_parse_u64(arg, 1, FL_MAXBATCH, &o->batch);
	case O_QBYPASS: o->qbypass = 1; return 0;
	case O_RUNID:
		o->have_run_id = 1;
		return nt_parse_u64(arg, 0, UINT32_MAX, &o->run_id);
	}
	return lg_target_opt(&o->t, key, arg);
}

static void flood_validate(struct nt_prog *p)
{
	struct opts *o = p->ctx;
	if (!o->t.have_dst)
		nt_usage(p, "--dst is required");
	if ((o->rate > 0) + (o->mbps > 0) + o->maxrate > 1)
		nt_usage(p, "--rate, --mbps and --max exclude each other");
	if (o->t.qemu != (o->be == FL_QEMU) && !(o->t.qemu && o->be == BE_AUTO))
		nt_usage(p, o->t.qemu ? "--qemu goes with --backend qemu" : "--backend qemu needs --qemu PORT");
	if (o->t.qemu) {
		o->be = FL_QEMU;
		o->t.have_dmac = o->have_mac; /* the target checks the rest */
		memcpy(o->t.dmac, o->dmac, 6);
		if (p->ncpus > 1)
			nt_usage(p, "--qemu sends on loopback from one thread: one --cpu at most");
	}
	lg_target_validate(p, &o->t);
	if (o->qbypass && o->be != FL_PACKET && o->be != FL_TXRING)
		nt_usage(p, "--qdisc-bypass needs --backend packet (txring always bypasses)");
	if (o->be != BE_AUTO && o->be != FL_SENDMMSG && o->t.dst.ss_family != AF_INET)
		nt_usage(p, "--backend %s builds IPv4 frames only", fl_backend_names[o->be]);
	if (o->be != BE_AUTO && o->be != FL_SENDMMSG && o->size > 1472)
		nt_usage(p, "--size %" PRIu64 " does not fit one 1500-byte frame", o->size);
	if (p->ncpus > FL_MAXCPUS)
		nt_usage(p, "--cpu: at most %d sending threads", FL_MAXCPUS);
	nt_prog_cpus_check(p);
	if (!o->count && !p->duration_ns)
		p->duration_ns = 10000000000LL;
}

/* ---- set-up ------------------------------------------------------------ */

/* Raw-frame back ends: interface, addresses, MAC, frame template.  0, or an
 * exit code with the reason in why (not printed). */
static int setup_raw(const struct opts *o, const struct sockaddr_storage *route_src, struct fl_cfg *c,
		     char *ifname, char *why, size_t wl)
{
	const struct sockaddr_in *d4 = (const struct sockaddr_in *)&o->t.dst;
	struct in_addr nh = d4->sin_addr, gw;
	int oif = 0, has_gw = 0;
	if (lg_route_get(d4, &oif, &gw, &has_gw) == 0 && has_gw)
		nh = gw;
	if (o->t.iface) {
		snprintf(ifname, IFNAMSIZ, "%s", o->t.iface);
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
	if (o->t.have_src)
		s4.sin_addr = ((const struct sockaddr_in *)&o->t.src)->sin_addr;
	else if (have_ifaddr && o->t.iface)
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
	if (o->t.dst.ss_family != AF_INET)
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

/* The back end: the given one, or for auto the TX ring where it can be
 * used, else sendmmsg (choice says which and why).  -1 after an error. */
static int choose_backend(struct nt_prog *p, struct opts *o)
{
	struct fl_cfg *c = &o->c;
	c->be = o->be == BE_AUTO ? FL_TXRING : (enum fl_backend)o->be;
	snprintf(o->choice, sizeof(o->choice), o->be == BE_AUTO ? "auto" : "given");
	const char *no = o->be == BE_AUTO ? ring_impossible(o) : NULL;
	char why[200] = "";
	int rc;
	if (!no && c->be != FL_SENDMMSG && c->be != FL_QEMU && (rc = setup_raw(o, &o->t.route_src, c, o->ifname, why, sizeof(why))) != 0) {
		if (o->be != BE_AUTO && rc == 2)
			nt_usage(p, "%s", why);
		if (o->be != BE_AUTO) {
			nt_error(p, "%s", why);
			return -1;
		}
		no = why;
	}
	if (no) {
		c->be = FL_SENDMMSG;
		snprintf(o->choice, sizeof(o->choice), "auto; txring not possible: %s", no);
	}
	return 0;
}

/* The interface that names the link in the summary (and its line rate). */
static void link_name(struct opts *o)
{
	int oif, has_gw;
	struct in_addr gw;
	if (!o->ifname[0] && o->t.iface)
		snprintf(o->ifname, IFNAMSIZ, "%s", o->t.iface);
	/* the qemu back end's --dst lives on the guest's emulated link: no host link */
	if (!o->ifname[0] && o->c.be != FL_QEMU && o->t.dst.ss_family == AF_INET &&
	    lg_route_get((const struct sockaddr_in *)&o->t.dst, &oif, &gw, &has_gw) == 0)
		if_indextoname((unsigned)oif, o->ifname);
}

/* Route (a usage error when there is none), back end, configuration. */
static int setup(struct nt_prog *p, struct opts *o)
{
	struct fl_cfg *c = &o->c;
	if (!o->have_run_id)
		o->run_id = lg_random_u32();
	if (lg_target_open(p, &o->t) != 0)
		return -1;
	lg_target_close(&o->t); /* every sending thread opens its own */
	if (choose_backend(p, o) != 0)
		return -1;
	if (c->be == FL_QEMU) {
		c->qemu = o->t.qemu_to;
		lg_qemu_tmpl(&c->tmpl, o->dmac, (const struct sockaddr_in *)&o->t.src,
			     (const struct sockaddr_in *)&o->t.dst, o->size);
		c->tmpl.ip_id = (uint16_t)o->run_id;
	}
	if (c->be == FL_SENDMMSG)
		c->iface = o->t.iface;
	link_name(o);
	c->qbypass = o->qbypass || c->be == FL_TXRING;
	c->dst = o->t.dst;
	c->dstlen = o->t.dstlen;
	c->src = o->t.src;
	c->srclen = o->t.srclen;
	c->have_src = o->t.have_src;
	c->size = o->size;
	c->frame_bytes = (unsigned)o->size + (o->t.dst.ss_family == AF_INET6 ? 62 : 42);
	c->batch = (unsigned)o->batch;
	c->rate = o->mbps > 0 ? o->mbps * 1e6 / (8.0 * c->frame_bytes) : o->rate;
	c->count = o->count;
	c->run_id = (uint32_t)o->run_id;
	c->ncpus = (int)p->ncpus;
	for (unsigned i = 0; i < p->ncpus; i++)
		c->cpus[i] = nt_prog_cpu_at(p, i);
	c->progress = p->quiet ? NULL : stdout;
	return 0;
}

/* ---- summary ------------------------------------------------------------ */

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

static double achieved_pps(const struct fl_result *r)
{
	return r->elapsed_s > 0 ? (double)r->sent / r->elapsed_s : 0;
}

static void flood_meta(struct nt_prog *p, FILE *m)
{
	struct opts *o = p->ctx;
	const struct fl_cfg *c = &o->c;
	const struct fl_result *r = &o->r;
	char cpus[512], by[1400];
	cpu_list(c, r, cpus, sizeof(cpus), by, sizeof(by));
	const double pps = achieved_pps(r);
	nt_meta_put(m, "backend", "%s", fl_backend_names[c->be]);
	nt_meta_put(m, "backend_choice", "%s", o->choice);
	nt_meta_put(m, "qdisc_bypass", "%d", c->qbypass);
	nt_meta_put(m, "dst", "%s", o->t.dsttxt);
	nt_meta_put(m, "iface", "%s", c->iface ? c->iface : "");
	nt_meta_put(m, "run_id", "%" PRIu32, c->run_id);
	nt_meta_put(m, "size", "%zu", c->size);
	nt_meta_put(m, "frame_bytes", "%u", c->frame_bytes);
	nt_meta_put(m, "rate_target_pps", "%.3f", c->rate);
	struct { const char *k; uint64_t v; } kv[] = {
		{ "sent", r->sent }, { "unsent", r->unsent }, { "send_errors", r->errors }, { "calls", r->calls },
		{ "backlog_dropped", r->backlog_dropped },
	};
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		nt_meta_put(m, kv[i].k, "%" PRIu64, kv[i].v);
	nt_meta_put(m, "send_elapsed_s", "%.6f", r->elapsed_s);
	nt_meta_put(m, "pps", "%.1f", pps);
	nt_meta_put(m, "mbps_frames", "%.3f", pps * c->frame_bytes * 8 / 1e6);
	nt_meta_put(m, "pps_sec_min", "%.1f", r->pps_sec_min);
	nt_meta_put(m, "pps_sec_max", "%.1f", r->pps_sec_max);
	nt_meta_put(m, "threads", "%d", r->nthreads);
	nt_meta_put(m, "cpu", "%s", cpus);
	nt_meta_put(m, "sent_by_thread", "%s", by);
	nt_meta_put(m, "line_rate_pps", "%.1f", o->line_pps);
	nt_meta_put(m, "line_rate_fraction", "%.4f", o->line_pps > 0 ? pps / o->line_pps : 0);
	nt_meta_put(m, "line_rate_note", "%s", o->line_why);
}

static void flood_summary(struct nt_prog *p)
{
	struct opts *o = p->ctx;
	const struct fl_cfg *c = &o->c;
	const struct fl_result *r = &o->r;
	const double pps = achieved_pps(r);
	char secbuf[96] = "", unsent[64] = "";
	if (!p->have_clock)
		return;
	if (r->nsec)
		snprintf(secbuf, sizeof(secbuf), ", per-second pps min %.0f max %.0f over %d s", r->pps_sec_min,
			 r->pps_sec_max, r->nsec);
	if (r->unsent)
		snprintf(unsent, sizeof(unsent), ", %" PRIu64 " claimed seqs NOT sent", r->unsent);
	nt_say(p, "sent %" PRIu64 " packets in %.3f s (TSC @ %.3f MHz) = %.0f pps, %.2f Mbit/s (frames), %" PRIu64
		  " send errors%s%s, %" PRIu64 " calls, backlog dropped after stalls %" PRIu64 ", %d thread(s)%s%s",
	       r->sent, r->elapsed_s, c->hz / 1e6, pps, pps * c->frame_bytes * 8 / 1e6, r->errors,
	       r->errors ? ": " : "", r->errors ? strerror(r->last_err) : "", r->calls, r->backlog_dropped,
	       r->nthreads, unsent, secbuf);
	if (o->line_pps > 0)
		nt_say(p, "%.1f %% of the line rate (%.0f pps: %s)", 100 * pps / o->line_pps, o->line_pps, o->line_why);
	else if (o->line_why[0])
		nt_say(p, "%s", o->line_why);
}

/* ---- the flood ------------------------------------------------------------ */

static int flood(struct nt_prog *p, struct opts *o)
{
	struct fl_cfg *c = &o->c;
	c->hz = p->freq.hz;
	c->end_cyc = p->duration_ns ? (uint64_t)nt_ns_to_cyc((double)p->duration_ns, c->hz) : 0;
	nt_say(p, "%s -> %s, backend %s (%s), %zu B payload (%u B frames), %s%.0f pps, %d thread(s), run_id %" PRIu32,
	       c->iface ? c->iface : "route", o->t.dsttxt, fl_backend_names[c->be], o->choice, c->size,
	       c->frame_bytes, c->rate > 0 ? "" : "max, ", c->rate, c->ncpus ? c->ncpus : 1, c->run_id);
	fflush(stdout);
	int rc = fl_run(c, &o->r);
	if (!nt_stopping())
		nt_prog_stop_reason(p, o->r.duration_reached ? "duration reached" : "count reached");
	if (o->ifname[0])
		o->line_pps = line_rate_pps(o->ifname, c->frame_bytes, o->line_why, sizeof(o->line_why));
	return rc || o->r.failed ? NT_EXIT_FAIL : NT_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct opts o = { .size = 64, .batch = 64, .be = BE_AUTO };
	struct nt_prog p = {
		.name = "nt-flood", .synopsis = "--dst ADDR:PORT [options]",
		.about = "Flood UDP packets to ADDR:PORT at a rate or as fast as it can, from one sending\n"
			 "thread per --cpu (rate and count are shared; default: one unpinned thread).\n"
			 "Prints the achieved rate every second (TSC) and a summary; --meta FILE keeps it\n"
			 "as key=value lines.",
		.common = NT_C_META | NT_C_DURATION | NT_C_CPU | NT_C_CAL, .opts = flood_opts, .opt = flood_opt,
		.validate = flood_validate, .meta = flood_meta, .summary = flood_summary, .ctx = &o,
		.cpu_help = "one sending thread pinned to each CPU of LIST",
	};
	nt_prog_parse(&p, argc, argv);
	int rc = NT_EXIT_OK;
	if (setup(&p, &o) == 0 && nt_prog_start(&p) == 0 && nt_prog_clock(&p) == 0)
		rc = flood(&p, &o);
	return nt_prog_close(&p, rc);
}
