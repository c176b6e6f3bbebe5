/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An AF_PACKET transmit ring (PACKET_TX_RING, TPACKET_V2): frames are written
 * into memory shared with the kernel and handed over in batches with one
 * send() per batch.  A frame belongs to the kernel from txring_commit() until
 * the kernel sets its status back to available (the skb was transmitted or
 * dropped by the device and freed); txring_reserve() reaps those and counts
 * them as sent.
 */
#ifndef LG_TXRING_H
#define LG_TXRING_H

#include <stddef.h>
#include <stdint.h>

struct txring {
	int fd;
	uint8_t *map;
	size_t map_len;
	unsigned frame_size;  /* bytes per ring frame (header + data) */
	unsigned nframes;
	unsigned data_off;    /* frame data starts here in a ring frame */
	unsigned vnet;        /* bytes of virtio_net_hdr before the data (0: none) */
	unsigned max_len;     /* largest frame that fits */
	unsigned head;        /* next frame to fill */
	uint8_t *mine;        /* per frame: 1 = committed, completion not yet counted */
	uint64_t committed;   /* frames handed to the kernel */
	uint64_t done;        /* of those, seen back as available (sent) */
	uint64_t kicks, kick_errors;
	int last_err;
};

/* Open a ring on interface ifindex for frames of at most max_len bytes
 * (Ethernet header included), nframes frames (a power of two), with
 * PACKET_QDISC_BYPASS when qdisc_bypass.  0 ok; -1 with errno and a reason. */
int txring_open(struct txring *t, int ifindex, unsigned max_len, unsigned nframes, int qdisc_bypass,
		char *why, size_t wl);
/* Free frames ready to fill from the head, at most want (reaps completed
 * frames first; 0 when the kernel still owns the head frame). */
unsigned txring_reserve(struct txring *t, unsigned want);
/* Data area of the k-th reserved frame (k < the value txring_reserve gave). */
uint8_t *txring_frame(struct txring *t, unsigned k);
/* Hand the n reserved frames (each len bytes) to the kernel. */
void txring_commit(struct txring *t, unsigned n, unsigned len);
/* Ask the kernel to send what was committed (send(MSG_DONTWAIT)).  0 ok or
 * a transient failure (ENOBUFS, EAGAIN: the frames stay queued and the next
 * kick retries them; counted in kick_errors); -1 with errno on a fatal one. */
int txring_kick(struct txring *t);
/* Wait until the kernel frees a frame or timeout_ms passes. */
void txring_wait(struct txring *t, int timeout_ms);
/* Kick and wait until every committed frame is done, at most timeout_ms.
 * Returns the number of frames still owned by the kernel (0 = all sent). */
uint64_t txring_flush(struct txring *t, int timeout_ms);
void txring_close(struct txring *t);

#endif
