// SPDX-License-Identifier: GPL-2.0
/* The QEMU socket back end: frames into a QEMU socket netdev.  See qemusock.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lg.h"
#include "nt/parse.h"
#include "qemusock.h"

const uint8_t lg_qemu_smac[6] = { 0x02, 0x4e, 0x54, 0x00, 0x00, 0x01 };

int lg_qemu_parse(const char *s, struct sockaddr_in *out)
{
	const char *p = strrchr(s, ':');
	char host[32] = "127.0.0.1";
	uint64_t port;
	if (p) {
		size_t n = (size_t)(p - s);
		if (n == 0 || n >= sizeof(host))
			return -1;
		memcpy(host, s, n);
		host[n] = '\0';
		s = p + 1;
	}
	if (nt_parse_u64(s, 1, 65535, &port) != 0)
		return -1;
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &out->sin_addr) != 1 || (ntohl(out->sin_addr.s_addr) >> 24) != 127)
		return -1;
	return 0;
}

int lg_qemu_open(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int sz = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	return fd;
}

size_t lg_qemu_frame_len(size_t size)
{
	return FL_L2HDR + size < 60 ? 60 : FL_L2HDR + size;
}

void lg_qemu_tmpl(struct fl_tmpl *t, const uint8_t dmac[6], const struct sockaddr_in *src,
		  const struct sockaddr_in *dst, size_t size)
{
	fl_tmpl_init(t, dmac, lg_qemu_smac, src, dst, size);
}

int lg_qemu_tx_open(struct lg_qemu_tx *q, const struct sockaddr_in *to, const uint8_t dmac[6],
		    const struct sockaddr_in *src, const struct sockaddr_in *dst)
{
	memset(q, 0, sizeof(*q));
	q->to = *to;
	q->src = *src;
	q->dst = *dst;
	memcpy(q->dmac, dmac, 6);
	q->fd = lg_qemu_open();
	return q->fd < 0 ? -1 : 0;
}

long lg_qemu_tx_send(struct lg_qemu_tx *q, const void *buf, size_t len)
{
	if (len > 1472) {
		errno = EMSGSIZE;
		return -1;
	}
	if (!q->frame || q->tmpl.size != len) {
		uint8_t *f = realloc(q->frame, lg_qemu_frame_len(len));
		if (!f)
			return -1;
		q->frame = f;
		memset(f, 0, lg_qemu_frame_len(len));
		uint16_t id = q->tmpl.ip_id;
		lg_qemu_tmpl(&q->tmpl, q->dmac, &q->src, &q->dst, len);
		q->tmpl.ip_id = id;
	}
	memcpy(q->frame + FL_L2HDR, buf, len);
	fl_frame_finish(&q->tmpl, q->frame);
	ssize_t r = sendto(q->fd, q->frame, lg_qemu_frame_len(len), 0, (const struct sockaddr *)&q->to,
			   sizeof(q->to));
	return r < 0 ? -1 : (long)len;
}

void lg_qemu_tx_close(struct lg_qemu_tx *q)
{
	if (q->fd > 0)
		close(q->fd);
	free(q->frame);
	q->frame = NULL;
	q->fd = -1;
}
