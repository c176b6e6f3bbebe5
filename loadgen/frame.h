/* SPDX-License-Identifier: GPL-2.0 */
/* Ethernet/IPv4/UDP frames with the probe payload (include/nt/payload.h),
 * for the back ends that hand whole frames to a link: nt-flood's AF_PACKET,
 * TX ring and pcap back ends, and the QEMU socket back end of nt-flood and
 * nt-send (qemusock.h). */
#ifndef LG_FRAME_H
#define LG_FRAME_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "nt/payload.h"

#define FL_L2HDR 42 /* Ethernet 14 + IPv4 20 + UDP 8 */

/* Ethernet/IPv4/UDP header of the raw-frame back ends, checksums per frame. */
struct fl_tmpl {
	uint8_t hdr[FL_L2HDR];
	uint32_t csum_base; /* UDP pseudo header + UDP header (csum 0), unfolded */
	uint16_t ip_id;
	size_t size;        /* UDP payload bytes */
};
void fl_tmpl_init(struct fl_tmpl *t, const uint8_t dmac[6], const uint8_t smac[6], const struct sockaddr_in *src,
		  const struct sockaddr_in *dst, size_t size);
/* Fill frame f (FL_L2HDR + size bytes, padding already zero) with payload p. */
void fl_frame_fill(struct fl_tmpl *t, uint8_t *f, const struct nt_payload *p);
/* Frame f whose whole UDP payload (size bytes) is already at f + FL_L2HDR:
 * the headers, the IP id and both checksums. */
void fl_frame_finish(struct fl_tmpl *t, uint8_t *f);

#endif
