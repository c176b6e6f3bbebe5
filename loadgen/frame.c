// SPDX-License-Identifier: GPL-2.0
/* Ethernet/IPv4/UDP frames carrying the probe payload, built from a header
 * template with the checksums per frame.  Used by the raw-frame back ends of
 * nt-flood (AF_PACKET, TX ring, pcap) and by the QEMU socket back end of
 * nt-flood and nt-send (qemusock.h).  See frame.h. */
#include <netinet/in.h>
#include <string.h>

#include "frame.h"
#include "lg.h"

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

void fl_tmpl_init(struct fl_tmpl *t, const uint8_t dmac[6], const uint8_t smac[6], const struct sockaddr_in *src,
		  const struct sockaddr_in *dst, size_t size)
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

void fl_frame_fill(struct fl_tmpl *t, uint8_t *f, const struct nt_payload *p)
{
	memcpy(f, t->hdr, FL_L2HDR);
	uint8_t *ip = f + 14, *udp = f + 34, *pl = f + FL_L2HDR;
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

void fl_frame_finish(struct fl_tmpl *t, uint8_t *f)
{
	memcpy(f, t->hdr, FL_L2HDR);
	uint8_t *ip = f + 14, *udp = f + 34;
	uint16_t id = t->ip_id++;
	ip[4] = (uint8_t)(id >> 8), ip[5] = (uint8_t)id;
	uint16_t ic = fold(sum16(ip, 20, 0));
	ip[10] = (uint8_t)(ic >> 8), ip[11] = (uint8_t)ic;
	uint16_t uc = fold(sum16(f + FL_L2HDR, t->size, t->csum_base));
	if (uc == 0)
		uc = 0xffff;
	udp[6] = (uint8_t)(uc >> 8), udp[7] = (uint8_t)uc;
}
