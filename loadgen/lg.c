// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lg.h"
#include "nt/parse.h"
#include "nt/tsc.h"

/* ---- parsing ----------------------------------------------------------- */

int lg_parse_ip(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, s, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

int lg_parse_addr(const char *s, int need_port, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port = NULL;
	if (!s || !*s)
		return -1;
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (!e || (size_t)(e - s - 1) >= sizeof(host))
			return -1;
		memcpy(host, s + 1, (size_t)(e - s - 1));
		host[e - s - 1] = '\0';
		if (e[1] == ':')
			port = e + 2;
		else if (e[1] != '\0')
			return -1;
		if (!strchr(host, ':'))
			return -1; /* brackets only for IPv6 */
	} else {
		const char *c = strchr(s, ':');
		if (c && strchr(c + 1, ':')) {
			/* bare IPv6 without port */
			if (strlen(s) >= sizeof(host))
				return -1;
			strcpy(host, s);
		} else {
			size_t hl = c ? (size_t)(c - s) : strlen(s);
			if (hl >= sizeof(host))
				return -1;
			memcpy(host, s, hl);
			host[hl] = '\0';
			if (c)
				port = c + 1;
		}
	}
	if (lg_parse_ip(host, ss, len) != 0)
		return -1;
	uint64_t p = 0;
	if (port) {
		if (port[strspn(port, "0123456789")] != '\0' || nt_parse_u64(port, 1, 65535, &p) != 0)
			return -1;
	} else if (need_port) {
		return -1;
	}
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)p);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)p);
	return 0;
}

void lg_fmt_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char h[INET6_ADDRSTRLEN];
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, h, sizeof(h));
		snprintf(buf, len, "%s:%u", h, ntohs(s4->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, h, sizeof(h));
		snprintf(buf, len, "[%s]:%u", h, ntohs(s6->sin6_port));
	} else {
		snprintf(buf, len, "?");
	}
}

int lg_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char tail;
	if (!s || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
		return -1;
	if (strlen(s) != 17)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

/* ---- payload ----------------------------------------------------------- */

static void put_le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

void lg_payload_put(unsigned char *b, const struct nt_payload *p)
{
	put_le(b + 0, p->magic, 4);
	put_le(b + 4, p->version, 2);
	put_le(b + 6, p->flags, 2);
	put_le(b + 8, p->run_id, 4);
	put_le(b + 12, p->reserved, 4);
	put_le(b + 16, p->seq, 8);
	put_le(b + 24, p->tsc_sched, 8);
	put_le(b + 32, p->tsc_send, 8);
}

enum lg_pl_status lg_payload_get(const unsigned char *b, size_t len, struct nt_payload *p)
{
	if (len < NT_PAYLOAD_MIN)
		return LG_PL_SHORT;
	p->magic = (uint32_t)get_le(b, 4);
	if (p->magic != NT_PAYLOAD_MAGIC)
		return LG_PL_MAGIC;
	p->version = (uint16_t)get_le(b + 4, 2);
	if (p->version != NT_PAYLOAD_VERSION)
		return LG_PL_VERSION;
	p->flags = (uint16_t)get_le(b + 6, 2);
	p->run_id = (uint32_t)get_le(b + 8, 4);
	p->reserved = (uint32_t)get_le(b + 12, 4);
	p->seq = get_le(b + 16, 8);
	p->tsc_sched = get_le(b + 24, 8);
	p->tsc_send = get_le(b + 32, 8);
	return LG_PL_OK;
}

const char *lg_pl_status_name(enum lg_pl_status s)
{
	switch (s) {
	case LG_PL_OK: return "ok";
	case LG_PL_SHORT: return "short";
	case LG_PL_MAGIC: return "bad magic";
	case LG_PL_VERSION: return "unknown version";
	}
	return "?";
}

/* ---- sequence accounting ----------------------------------------------- */

void lg_seq_init(struct lg_seqtrack *t, uint64_t expect, uint64_t cap)
{
	memset(t, 0, sizeof(*t));
	t->expect = expect;
	t->cap = cap ? cap : (1ull << 28);
	if (expect && expect < t->cap)
		t->cap = expect;
}

enum lg_seq_kind lg_seq_add(struct lg_seqtrack *t, uint64_t seq)
{
	if (seq >= t->cap) {
		t->out_of_range++;
		return LG_SEQ_RANGE;
	}
	if (seq >= t->nbits) {
		uint64_t nb = t->nbits ? t->nbits : 4096;
		while (nb <= seq)
			nb *= 2;
		if (nb > t->cap)
			nb = (t->cap + 63) / 64 * 64;
		uint64_t *n = realloc(t->bits, nb / 8);
		if (!n)
			return LG_SEQ_NOMEM;
		memset((char *)n + t->nbits / 8, 0, (nb - t->nbits) / 8);
		t->bits = n;
		t->nbits = nb;
	}
	t->received++;
	uint64_t w = seq / 64, m = 1ull << (seq % 64);
	if (t->bits[w] & m) {
		t->dups++;
		return LG_SEQ_DUP;
	}
	t->bits[w] |= m;
	t->unique++;
	if (t->any && seq < t->max_seq) {
		t->reordered++;
		return LG_SEQ_REORDERED;
	}
	if (!t->any || seq > t->max_seq)
		t->max_seq = seq;
	t->any = 1;
	return LG_SEQ_NEW;
}

uint64_t lg_seq_lost(const struct lg_seqtrack *t)
{
	uint64_t exp = t->expect ? t->expect : (t->any ? t->max_seq + 1 : 0);
	return exp > t->unique ? exp - t->unique : 0;
}

void lg_seq_free(struct lg_seqtrack *t)
{
	free(t->bits);
	t->bits = NULL;
	t->nbits = 0;
}

/* ---- target ------------------------------------------------------------ */

int lg_target_opt(struct lg_target *t, int key, const char *arg)
{
	switch (key) {
	case LG_O_DST:
		t->have_dst = lg_parse_addr(arg, 1, &t->dst, &t->dstlen) == 0;
		if (t->have_dst)
			lg_fmt_addr(&t->dst, t->dsttxt, sizeof(t->dsttxt));
		return t->have_dst ? 0 : -1;
	case LG_O_SRC:
		t->have_src = lg_parse_ip(arg, &t->src, &t->srclen) == 0;
		return t->have_src ? 0 : -1;
	case LG_O_IFACE:
		t->iface = arg;
		return *arg && strlen(arg) < IFNAMSIZ ? 0 : -1;
	case LG_O_QEMU:
		t->qemu = lg_qemu_parse(arg, &t->qemu_to) == 0;
		return t->qemu ? 0 : -1;
	case LG_O_DST_MAC:
		t->have_dmac = lg_parse_mac(arg, t->dmac) == 0;
		return t->have_dmac ? 0 : -1;
	}
	return -1;
}

void lg_target_validate(const struct nt_prog *p, const struct lg_target *t)
{
	if (t->have_src && t->have_dst && t->src.ss_family != t->dst.ss_family)
		nt_usage(p, "--src and --dst are of different address families");
	if (t->qemu && (!t->have_dmac || !t->have_src || t->dst.ss_family != AF_INET || t->iface))
		nt_usage(p, "--qemu needs --dst-mac, --src and an IPv4 --dst (the guest's), and no --iface");
	if (t->have_dmac && !t->qemu)
		nt_usage(p, "--dst-mac goes with --qemu");
}

int lg_target_open(struct nt_prog *p, struct lg_target *t)
{
	if (t->qemu) {
		/* the guest's link is not the host's: no route to check */
		t->fd = -1;
		if (lg_qemu_tx_open(&t->qt, &t->qemu_to, t->dmac, (const struct sockaddr_in *)&t->src,
				    (const struct sockaddr_in *)&t->dst) != 0) {
			nt_error(p, "--qemu: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	t->fd = socket(t->dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		nt_error(p, "socket: %s", strerror(errno));
		return -1;
	}
	if (t->iface && if_nametoindex(t->iface) == 0)
		nt_usage(p, "--iface %s: no such interface", t->iface);
	if (t->iface && setsockopt(t->fd, SOL_SOCKET, SO_BINDTODEVICE, t->iface, (socklen_t)strlen(t->iface) + 1)) {
		nt_error(p, "--iface %s: %s", t->iface, strerror(errno));
		return -1;
	}
	if (t->have_src && bind(t->fd, (struct sockaddr *)&t->src, t->srclen) != 0) {
		if (errno == EADDRNOTAVAIL)
			nt_usage(p, "--src: not an address of this host");
		nt_error(p, "--src: cannot bind: %s", strerror(errno));
		return -1;
	}
	/* the route must exist; it also gives the source address */
	if (connect(t->fd, (struct sockaddr *)&t->dst, t->dstlen) != 0)
		nt_usage(p, "%s: unreachable: %s", t->dsttxt, strerror(errno));
	socklen_t l = sizeof(t->route_src);
	getsockname(t->fd, (struct sockaddr *)&t->route_src, &l);
	/* send unconnected: ICMP port-unreachable from a target that does not
	 * listen (the usual case for a flood) must not fail later sends */
	struct sockaddr un = { .sa_family = AF_UNSPEC };
	connect(t->fd, &un, sizeof(un));
	return 0;
}

ssize_t lg_target_send(struct lg_target *t, const void *buf, size_t len)
{
	if (t->qemu)
		return lg_qemu_tx_send(&t->qt, buf, len);
	return sendto(t->fd, buf, len, 0, (const struct sockaddr *)&t->dst, t->dstlen);
}

void lg_target_close(struct lg_target *t)
{
	if (t->fd > 0)
		close(t->fd);
	t->fd = -1;
	if (t->qemu)
		lg_qemu_tx_close(&t->qt);
}

uint32_t lg_random_u32(void)
{
	uint32_t r = 0;
	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint32_t)getpid() ^ (uint32_t)nt_rdtsc();
	return r;
}
