/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Find the periodic sender's payload (include/nt/payload.h) in a received
 * packet.  Shared by the guest kernel module (on skb data, starting at the
 * network header) and by user space (unit tests, fuzz target), so it only uses
 * byte loads, fixed-width types and no library calls.
 *
 * Input: the ethertype (host order), the first `caplen` bytes of the L3
 * packet, and `wirelen`, the packet's full length (caplen <= wirelen).  Every
 * field is read with explicit bounds checks against caplen; lengths claimed
 * by headers are checked against wirelen.
 */
#ifndef NTGP_PARSE_H
#define NTGP_PARSE_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stddef.h>
#include <stdint.h>
#endif
#include "nt/payload.h"

#define NTGP_ETH_P_IP   0x0800u
#define NTGP_ETH_P_IPV6 0x86DDu
/* Enough for an IPv4 header with options (60) + UDP (8) + payload (40). */
#define NTGP_PARSE_MAX  128u

enum ntgp_parse_rc {
	NTGP_OK = 0,
	NTGP_E_PROTO,    /* not IPv4/IPv6 */
	NTGP_E_SHORT,    /* captured bytes end before a needed field */
	NTGP_E_IPHDR,    /* malformed IP header */
	NTGP_E_NOTUDP,   /* not UDP (or IPv6 extension headers) */
	NTGP_E_FRAG,     /* IPv4 fragment */
	NTGP_E_UDPLEN,   /* UDP length inconsistent or too short */
	NTGP_E_MAGIC,    /* no nt payload magic */
	NTGP_E_VERSION,  /* nt payload of an unknown version */
};

struct ntgp_pkt {
	uint64_t seq;
	uint64_t tsc_send;
	uint32_t run_id;
	uint16_t sport, dport;
	uint16_t flags;
};

static inline uint32_t ntgp_ld16be(const uint8_t *p)
{
	return ((uint32_t)p[0] << 8) | p[1];
}

static inline uint32_t ntgp_ld32le(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static inline uint64_t ntgp_ld64le(const uint8_t *p)
{
	return (uint64_t)ntgp_ld32le(p) | ((uint64_t)ntgp_ld32le(p + 4) << 32);
}

/* Returns NTGP_OK and fills *out, or an NTGP_E_* code. */
static inline int ntgp_parse_l3(uint32_t ethertype, const uint8_t *p,
				size_t caplen, size_t wirelen,
				struct ntgp_pkt *out)
{
	size_t l4, l3len, ulen;
	const uint8_t *u, *pl;

	if (caplen > wirelen)
		return NTGP_E_SHORT;
	if (ethertype == NTGP_ETH_P_IP) {
		size_t ihl, tot;

		if (caplen < 20)
			return NTGP_E_SHORT;
		if ((p[0] >> 4) != 4)
			return NTGP_E_IPHDR;
		ihl = (size_t)(p[0] & 0xf) * 4;
		if (ihl < 20)
			return NTGP_E_IPHDR;
		tot = ntgp_ld16be(p + 2);
		if (tot < ihl || tot > wirelen)
			return NTGP_E_IPHDR;
		if (ntgp_ld16be(p + 6) & 0x3fff) /* MF or fragment offset */
			return NTGP_E_FRAG;
		if (p[9] != 17)
			return NTGP_E_NOTUDP;
		l4 = ihl;
		l3len = tot;
	} else if (ethertype == NTGP_ETH_P_IPV6) {
		size_t plen;

		if (caplen < 40)
			return NTGP_E_SHORT;
		if ((p[0] >> 4) != 6)
			return NTGP_E_IPHDR;
		plen = ntgp_ld16be(p + 4);
		if (40 + plen > wirelen)
			return NTGP_E_IPHDR;
		if (p[6] != 17) /* extension headers are not followed */
			return NTGP_E_NOTUDP;
		l4 = 40;
		l3len = 40 + plen;
	} else {
		return NTGP_E_PROTO;
	}
	/* UDP header and the fixed payload must lie inside the IP packet... */
	if (l3len < l4 + 8 + NT_PAYLOAD_MIN)
		return NTGP_E_UDPLEN;
	/* ...and inside the captured bytes. */
	if (caplen < l4 + 8 + NT_PAYLOAD_MIN)
		return NTGP_E_SHORT;
	u = p + l4;
	ulen = ntgp_ld16be(u + 4);
	if (ulen < 8 + NT_PAYLOAD_MIN || ulen > l3len - l4)
		return NTGP_E_UDPLEN;
	pl = u + 8;
	if (ntgp_ld32le(pl) != NT_PAYLOAD_MAGIC)
		return NTGP_E_MAGIC;
	if ((ntgp_ld32le(pl + 4) & 0xffff) != NT_PAYLOAD_VERSION)
		return NTGP_E_VERSION;
	out->flags = (uint16_t)(ntgp_ld32le(pl + 4) >> 16);
	out->run_id = ntgp_ld32le(pl + 8);
	out->seq = ntgp_ld64le(pl + 16);
	out->tsc_send = ntgp_ld64le(pl + 32);
	out->sport = (uint16_t)ntgp_ld16be(u);
	out->dport = (uint16_t)ntgp_ld16be(u + 2);
	return NTGP_OK;
}

#endif
