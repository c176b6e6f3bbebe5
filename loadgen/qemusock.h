/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The QEMU socket back end of nt-flood and nt-send: traffic into an emulated
 * NIC of the testbed (testbed/qemu.sh --nic ...,port=PORT, i.e. QEMU's
 * `-netdev socket,localaddr=127.0.0.1:PORT`).  Every UDP datagram sent to
 * 127.0.0.1:PORT arrives at the guest's NIC as one Ethernet frame, so the
 * datagram is a whole Ethernet/IPv4/UDP frame (frame.h) addressed to the
 * guest NIC's MAC and IP, carrying the probe payload.  No root, no tap; only
 * loopback on the host, and the guest's own link addresses in the frames.
 */
#ifndef LG_QEMUSOCK_H
#define LG_QEMUSOCK_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"

/* Source MAC of the frames: locally administered, "NT". */
extern const uint8_t lg_qemu_smac[6];

/* "PORT" or "127.0.0.1:PORT" (loopback only): 0, or -1 when not that. */
int lg_qemu_parse(const char *s, struct sockaddr_in *out);
/* A UDP socket for sending to the netdev (large send buffer); fd or -1. */
int lg_qemu_open(void);
/* The frame template: guest MAC dmac, frame source src, guest address dst,
 * UDP payload size (padded so that a frame is at least 60 bytes). */
void lg_qemu_tmpl(struct fl_tmpl *t, const uint8_t dmac[6], const struct sockaddr_in *src,
		  const struct sockaddr_in *dst, size_t size);
/* Bytes of one frame on the QEMU link: header + payload, at least 60. */
size_t lg_qemu_frame_len(size_t size);

/* One frame at a time (nt-send): a socket, the addresses, a frame buffer. */
struct lg_qemu_tx {
	int fd;
	struct sockaddr_in to, src, dst;
	uint8_t dmac[6];
	struct fl_tmpl tmpl;
	uint8_t *frame;
	size_t cap;
};
/* 0, or -1 with errno (socket). */
int lg_qemu_tx_open(struct lg_qemu_tx *q, const struct sockaddr_in *to, const uint8_t dmac[6],
		    const struct sockaddr_in *src, const struct sockaddr_in *dst);
/* The UDP payload buf[0..len) (at most 1472 bytes) in a frame, to the
 * netdev: as sendto(2), the payload's length when sent. */
long lg_qemu_tx_send(struct lg_qemu_tx *q, const void *buf, size_t len);
void lg_qemu_tx_close(struct lg_qemu_tx *q);

#endif
