// SPDX-License-Identifier: GPL-2.0
/* AF_PACKET transmit ring (PACKET_TX_RING, TPACKET_V2).  See txring.h. */
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "txring.h"

#define RING_BLOCK 4096u
/* TX frames carry no sockaddr_ll: the data follows the aligned header */
#define DATA_OFF (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll))
#define KERNEL_OWNS (TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING)

static struct tpacket2_hdr *hdr_at(const struct txring *t, unsigned f)
{
	return (struct tpacket2_hdr *)(t->map + (size_t)f * t->frame_size);
}

static uint32_t status_of(const struct txring *t, unsigned f)
{
	return __atomic_load_n(&hdr_at(t, f)->tp_status, __ATOMIC_ACQUIRE);
}

static int fail(struct txring *t, char *why, size_t wl, const char *what)
{
	int e = errno;
	snprintf(why, wl, "%s: %s", what, strerror(e));
	txring_close(t);
	errno = e;
	return -1;
}

int txring_open(struct txring *t, int ifindex, unsigned max_len, unsigned nframes, int qdisc_bypass,
		char *why, size_t wl)
{
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->map = MAP_FAILED;
	unsigned fs = 64;
	while (fs < DATA_OFF + sizeof(struct virtio_net_hdr) + max_len)
		fs *= 2;
	if (fs > RING_BLOCK || nframes == 0 || (nframes & (nframes - 1)) || nframes * fs < RING_BLOCK) {
		errno = EINVAL;
		snprintf(why, wl, "TX ring: frame of %u bytes or %u frames not supported", max_len, nframes);
		return -1;
	}
	t->frame_size = fs;
	t->nframes = nframes;
	t->data_off = (unsigned)DATA_OFF;
	t->max_len = fs - t->data_off;
	t->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (t->fd < 0)
		return fail(t, why, wl, "AF_PACKET socket");
	int v = TPACKET_V2, one = 1;
	if (setsockopt(t->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) != 0)
		return fail(t, why, wl, "PACKET_VERSION TPACKET_V2");
	if (qdisc_bypass && setsockopt(t->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) != 0)
		return fail(t, why, wl, "PACKET_QDISC_BYPASS");
	struct tpacket_req req = {
		.tp_block_size = RING_BLOCK,
		.tp_block_nr = nframes * fs / RING_BLOCK,
		.tp_frame_size = fs,
		.tp_frame_nr = nframes,
	};
	/* a virtio_net_hdr per frame whose hdr_len covers the whole frame makes
	 * the kernel copy small frames into the skb instead of attaching ring
	 * pages, which the receive path of a local device would copy again */
	if (setsockopt(t->fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) == 0)
		t->vnet = sizeof(struct virtio_net_hdr);
	t->data_off += t->vnet;
	t->max_len -= t->vnet;
	if (setsockopt(t->fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) != 0)
		return fail(t, why, wl, "PACKET_TX_RING");
	/* the socket's send buffer bounds the frames in flight: room for the ring */
	int sb = (int)(nframes * (fs + 512u));
	if (setsockopt(t->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sb, sizeof(sb)) != 0)
		setsockopt(t->fd, SOL_SOCKET, SO_SNDBUF, &sb, sizeof(sb)); /* best effort */
	t->map_len = (size_t)nframes * fs;
	t->map = mmap(NULL, t->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, 0);
	if (t->map == MAP_FAILED)
		return fail(t, why, wl, "mmap of the TX ring");
	t->mine = calloc(nframes, 1);
	if (!t->mine)
		return fail(t, why, wl, "TX ring");
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_protocol = 0 };
	if (bind(t->fd, (struct sockaddr *)&sll, sizeof(sll)) != 0)
		return fail(t, why, wl, "AF_PACKET bind");
	return 0;
}

/* count frame f as sent if we committed it and the kernel gave it back */
static int reap(struct txring *t, unsigned f)
{
	if (status_of(t, f) & KERNEL_OWNS)
		return 0;
	if (t->mine[f]) {
		t->mine[f] = 0;
		t->done++;
	}
	return 1;
}

unsigned txring_reserve(struct txring *t, unsigned want)
{
	unsigned k = 0, mask = t->nframes - 1;
	while (k < want && reap(t, (t->head + k) & mask))
		k++;
	return k;
}

uint8_t *txring_frame(struct txring *t, unsigned k)
{
	return (uint8_t *)hdr_at(t, (t->head + k) & (t->nframes - 1)) + t->data_off;
}

void txring_commit(struct txring *t, unsigned n, unsigned len)
{
	unsigned mask = t->nframes - 1;
	for (unsigned k = 0; k < n; k++) {
		unsigned f = (t->head + k) & mask;
		struct tpacket2_hdr *h = hdr_at(t, f);
		if (t->vnet) {
			struct virtio_net_hdr *v = (void *)((uint8_t *)h + t->data_off - t->vnet);
			memset(v, 0, sizeof(*v));
			v->hdr_len = (uint16_t)len; /* little endian, as packet sockets expect */
		}
		h->tp_len = len + t->vnet;
		h->tp_snaplen = len + t->vnet;
		t->mine[f] = 1;
		__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
	}
	t->head = (t->head + n) & mask;
	t->committed += n;
}

int txring_kick(struct txring *t)
{
	t->kicks++;
	if (send(t->fd, NULL, 0, MSG_DONTWAIT) >= 0)
		return 0;
	t->last_err = errno;
	if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
		t->kick_errors++;
		return 0;
	}
	return -1;
}

void txring_wait(struct txring *t, int timeout_ms)
{
	struct pollfd p = { .fd = t->fd, .events = POLLOUT };
	poll(&p, 1, timeout_ms);
}

uint64_t txring_flush(struct txring *t, int timeout_ms)
{
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		for (unsigned f = 0; f < t->nframes; f++)
			if (t->mine[f])
				reap(t, f);
		if (t->done == t->committed)
			return 0;
		if (txring_kick(t) != 0)
			return t->committed - t->done;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long ms = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms >= timeout_ms)
			return t->committed - t->done;
		txring_wait(t, 10);
	}
}

void txring_close(struct txring *t)
{
	if (t->map && t->map != MAP_FAILED)
		munmap(t->map, t->map_len);
	if (t->fd >= 0)
		close(t->fd);
	free(t->mine);
	t->map = NULL;
	t->mine = NULL;
	t->fd = -1;
}
