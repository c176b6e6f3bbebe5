// SPDX-License-Identifier: GPL-2.0
/* Record names, CSV formatting, binary (de)serialisation and the writer. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "nt/recio.h"

static const char *const src_names[NT_SRC_MAX] = {
	[NT_SRC_NONE] = "none",	  [NT_SRC_HV] = "hv",
	[NT_SRC_GUEST] = "guest", [NT_SRC_SENDER] = "sender",
	[NT_SRC_RECEIVER] = "receiver", [NT_SRC_MONITOR] = "monitor",
};

static const char *const ev_names[NT_EV_MAX] = {
	[NT_EV_NONE] = "none",
	[NT_EV_SEND] = "send",
	[NT_EV_RX_KERNEL] = "rx_kernel",
	[NT_EV_RX_USER] = "rx_user",
	[NT_EV_HV_ENTRY] = "hv_entry",
	[NT_EV_HV_DELIVER] = "hv_deliver",
	[NT_EV_GUEST_IRQ] = "guest_irq",
	[NT_EV_GUEST_PKT] = "guest_pkt",
	[NT_EV_TIMER] = "timer",
	[NT_EV_STALL] = "stall",
	[NT_EV_LOST] = "lost",
	[NT_EV_PROBE_COST] = "probe_cost",
	[NT_EV_GUEST_IRQ_EXIT] = "guest_irq_exit",
};

/* The source that takes each event (docs/record-format.md "Events"); NONE for
 * the events any source writes (lost, probe_cost). */
static const unsigned char ev_sources[NT_EV_MAX] = {
	[NT_EV_SEND] = NT_SRC_SENDER,	 [NT_EV_RX_KERNEL] = NT_SRC_RECEIVER,
	[NT_EV_RX_USER] = NT_SRC_RECEIVER, [NT_EV_HV_ENTRY] = NT_SRC_HV,
	[NT_EV_HV_DELIVER] = NT_SRC_HV,	 [NT_EV_GUEST_IRQ] = NT_SRC_GUEST,
	[NT_EV_GUEST_PKT] = NT_SRC_GUEST,	 [NT_EV_TIMER] = NT_SRC_GUEST,
	[NT_EV_STALL] = NT_SRC_MONITOR,	 [NT_EV_GUEST_IRQ_EXIT] = NT_SRC_GUEST,
};

static const struct {
	unsigned bit;
	const char *name;
} flag_names[] = {
	{ NT_F_LATE, "late" },	       { NT_F_NATSUME, "natsume" },
	{ NT_F_CONVERTED, "converted" }, { NT_F_STALLED, "stalled" },
	{ NT_F_TRUNC32, "trunc32" },     { NT_F_DIRECT, "direct" },
};
#define NFLAGS (sizeof(flag_names) / sizeof(flag_names[0]))

struct nt_rec nt_rec_blank(enum nt_source src, enum nt_event ev)
{
	struct nt_rec r = {
		.tsc = 0,
		.seq = NT_NONE64,
		.aux = NT_NONE64,
		.irq = NT_NONE32,
		.flags = 0,
		.vector = NT_NONE16,
		.dom = NT_NONE16,
		.cpu = NT_NONE16,
		.source = (uint8_t)src,
		.event = (uint8_t)ev,
	};
	return r;
}

const char *nt_source_name(unsigned src)
{
	return src < NT_SRC_MAX ? src_names[src] : "?";
}

unsigned nt_event_source(unsigned ev)
{
	return ev < NT_EV_MAX ? ev_sources[ev] : NT_SRC_NONE;
}

const char *nt_event_name(unsigned ev)
{
	return ev < NT_EV_MAX ? ev_names[ev] : "?";
}

static int lookup(const char *const *names, int n, const char *s, size_t len)
{
	for (int i = 0; i < n; i++)
		if (names[i] && strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
			return i;
	return -1;
}

int nt_source_parse(const char *s, size_t len)
{
	return lookup(src_names, NT_SRC_MAX, s, len);
}

int nt_event_parse(const char *s, size_t len)
{
	return lookup(ev_names, NT_EV_MAX, s, len);
}

size_t nt_flags_format(unsigned flags, char *buf, size_t len)
{
	size_t off = 0;
	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < NFLAGS; i++) {
		if (!(flags & flag_names[i].bit))
			continue;
		int w = snprintf(buf + (off < len ? off : len), off < len ? len - off : 0, "%s%s",
				 off ? "|" : "", flag_names[i].name);
		off += (size_t)w;
		flags &= ~flag_names[i].bit;
	}
	if (flags) { /* unknown bits: keep them, numerically */
		int w = snprintf(buf + (off < len ? off : len), off < len ? len - off : 0, "%s0x%x",
				 off ? "|" : "", flags);
		off += (size_t)w;
	}
	return off;
}

int nt_flags_parse(const char *s, size_t len, unsigned *out)
{
	unsigned f = 0;
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && s[j] != '|')
			j++;
		size_t wl = j - i;
		if (wl == 0)
			return -1;
		size_t k;
		for (k = 0; k < NFLAGS; k++)
			if (strlen(flag_names[k].name) == wl && memcmp(flag_names[k].name, s + i, wl) == 0)
				break;
		if (k < NFLAGS) {
			f |= flag_names[k].bit;
		} else {
			/* a number: decimal or 0x hex, at most 32 bits */
			char tmp[16];
			if (wl >= sizeof(tmp))
				return -1;
			memcpy(tmp, s + i, wl);
			tmp[wl] = '\0';
			char *end;
			errno = 0;
			unsigned long v = strtoul(tmp, &end, 0);
			if (errno || *end || tmp[0] == '-' || tmp[0] == '+' || v > UINT32_MAX)
				return -1;
			f |= (unsigned)v;
		}
		i = j + 1;
		if (j < len && i == len) /* trailing '|' */
			return -1;
	}
	*out = f;
	return 0;
}

int nt_rec_format_csv(const struct nt_rec *r, char *buf, size_t len)
{
	char cpu[8] = "", irq[12] = "", vec[8] = "", seq[24] = "", dom[8] = "", aux[24] = "";
	char flags[96];
	if (r->cpu != NT_NONE16)
		snprintf(cpu, sizeof(cpu), "%u", (unsigned)r->cpu);
	if (r->irq != NT_NONE32)
		snprintf(irq, sizeof(irq), "%" PRIu32, r->irq);
	if (r->vector != NT_NONE16)
		snprintf(vec, sizeof(vec), "%u", (unsigned)r->vector);
	if (r->seq != NT_NONE64)
		snprintf(seq, sizeof(seq), "%" PRIu64, r->seq);
	if (r->dom != NT_NONE16)
		snprintf(dom, sizeof(dom), "%u", (unsigned)r->dom);
	if (r->aux != NT_NONE64)
		snprintf(aux, sizeof(aux), "%" PRIu64, r->aux);
	nt_flags_format(r->flags, flags, sizeof(flags));
	return snprintf(buf, len, "%s,%s,%s,%" PRIu64 ",%s,%s,%s,%s,%s,%s", nt_source_name(r->source),
			nt_event_name(r->event), cpu, r->tsc, irq, vec, seq, dom, aux, flags);
}

static void put_le16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}
static void put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}
static void put_le64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}
static uint16_t get_le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}
static uint32_t get_le32(const unsigned char *p)
{
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}
static uint64_t get_le64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* Offsets follow struct nt_rec's declaration order. */
void nt_rec_to_le(const struct nt_rec *r, unsigned char out[40])
{
	put_le64(out + 0, r->tsc);
	put_le64(out + 8, r->seq);
	put_le64(out + 16, r->aux);
	put_le32(out + 24, r->irq);
	put_le32(out + 28, r->flags);
	put_le16(out + 32, r->vector);
	put_le16(out + 34, r->dom);
	put_le16(out + 36, r->cpu);
	out[38] = r->source;
	out[39] = r->event;
}

void nt_rec_from_le(const unsigned char in[40], struct nt_rec *r)
{
	r->tsc = get_le64(in + 0);
	r->seq = get_le64(in + 8);
	r->aux = get_le64(in + 16);
	r->irq = get_le32(in + 24);
	r->flags = get_le32(in + 28);
	r->vector = get_le16(in + 32);
	r->dom = get_le16(in + 34);
	r->cpu = get_le16(in + 36);
	r->source = in[38];
	r->event = in[39];
}

void nt_bin_header_init(struct nt_bin_header *h)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, NT_BIN_MAGIC, 8);
	h->version = NT_RECORD_VERSION;
	h->rec_size = (uint32_t)sizeof(struct nt_rec);
}

static void bin_header_to_le(const struct nt_bin_header *h, unsigned char out[32])
{
	memset(out, 0, 32);
	memcpy(out, h->magic, 8);
	put_le32(out + 8, h->version);
	put_le32(out + 12, h->rec_size);
}

int nt_bin_header_check(const unsigned char in[32], char *why, size_t whylen)
{
	if (memcmp(in, NT_BIN_MAGIC, 8) != 0) {
		snprintf(why, whylen, "not a record file (bad magic)");
		return -1;
	}
	uint32_t ver = get_le32(in + 8), size = get_le32(in + 12);
	if (ver != NT_RECORD_VERSION) {
		snprintf(why, whylen, "record format version %" PRIu32 " (this build reads %u)", ver,
			 NT_RECORD_VERSION);
		return -1;
	}
	if (size != sizeof(struct nt_rec)) {
		snprintf(why, whylen, "record size %" PRIu32 " (expected %zu)", size, sizeof(struct nt_rec));
		return -1;
	}
	return 0;
}

struct nt_writer {
	int fd;
	int own;              /* opened here (closed and truncated here) */
	enum nt_fmt fmt;
	unsigned char *buf;
	size_t len;           /* bytes in buf */
	uint64_t nbuf;        /* records in buf */
	uint64_t written;     /* records in the file */
	uint64_t lost;        /* records that could not be written */
	off_t good;           /* bytes of whole records in the file */
	int err;              /* sticky errno of the first failed write */
};

#define WBUF (64u * 1024u) /* writes happen off the measured path in big chunks */

enum nt_fmt nt_fmt_from_path(const char *path)
{
	size_t n = strlen(path);
	if ((n >= 4 && strcmp(path + n - 4, ".bin") == 0) || (n >= 4 && strcmp(path + n - 4, ".ntr") == 0))
		return NT_FMT_BIN;
	return NT_FMT_CSV;
}

/* write(2) all of b; 0, or -1 with errno (EIO for a write of 0 bytes). */
static int write_all(int fd, const unsigned char *b, size_t n)
{
	while (n) {
		ssize_t r = write(fd, b, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return -1;
		}
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Write the buffer out.  On failure the file is cut back to its last whole
 * record, the buffered records are counted as lost and the error sticks. */
static int wbuf_flush(struct nt_writer *w)
{
	if (!w->len)
		return w->err ? -1 : 0;
	if (write_all(w->fd, w->buf, w->len) != 0) {
		w->err = errno;
		if (w->own && ftruncate(w->fd, w->good) == 0)
			lseek(w->fd, w->good, SEEK_SET);
		w->lost += w->nbuf;
	} else {
		w->good += (off_t)w->len;
		w->written += w->nbuf;
	}
	w->len = 0;
	w->nbuf = 0;
	errno = w->err;
	return w->err ? -1 : 0;
}

/* Append one encoded item (a record or the header) to the buffer. */
static int wbuf_add(struct nt_writer *w, const void *b, size_t n, int is_rec)
{
	if (w->err) {
		w->lost += (uint64_t)is_rec;
		errno = w->err;
		return -1;
	}
	if (w->len + n > WBUF && wbuf_flush(w) != 0) {
		w->lost += (uint64_t)is_rec;
		return -1;
	}
	memcpy(w->buf + w->len, b, n);
	w->len += n;
	w->nbuf += (uint64_t)is_rec;
	return 0;
}

/* The encoded form of r (CSV line with newline, or 40 bytes); its length. */
static size_t rec_encode(enum nt_fmt fmt, const struct nt_rec *r, unsigned char *out, size_t cap)
{
	if (fmt == NT_FMT_BIN) {
		nt_rec_to_le(r, out);
		return 40;
	}
	int n = nt_rec_format_csv(r, (char *)out, cap - 1);
	if (n < 0 || (size_t)n >= cap - 1)
		return 0;
	out[n++] = '\n';
	return (size_t)n;
}

static void writer_free(struct nt_writer *w)
{
	if (w->own && w->fd >= 0)
		close(w->fd);
	free(w->buf);
	free(w);
}

struct nt_writer *nt_writer_open(const char *path, enum nt_fmt fmt)
{
	struct nt_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->fmt = fmt;
	w->buf = malloc(WBUF);
	if (strcmp(path, "-") == 0) {
		w->fd = STDOUT_FILENO;
	} else {
		w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		w->own = 1;
	}
	int rc = w->fd < 0 || !w->buf ? -1 : 0;
	if (rc == 0 && fmt == NT_FMT_BIN) {
		struct nt_bin_header h;
		unsigned char b[32];
		nt_bin_header_init(&h);
		bin_header_to_le(&h, b);
		rc = wbuf_add(w, b, 32, 0);
	} else if (rc == 0) {
		rc = wbuf_add(w, NT_CSV_HEADER "\n", strlen(NT_CSV_HEADER) + 1, 0);
	}
	/* the header reaches the file now: an unwritable target fails here */
	if (rc == 0)
		rc = wbuf_flush(w);
	if (rc) {
		int e = errno ? errno : ENOMEM;
		writer_free(w);
		errno = e;
		return NULL;
	}
	return w;
}

int nt_writer_put(struct nt_writer *w, const struct nt_rec *r)
{
	unsigned char b[256];
	size_t n = rec_encode(w->fmt, r, b, sizeof(b));
	if (!n) {
		w->lost++;
		errno = EOVERFLOW;
		return -1;
	}
	return wbuf_add(w, b, n, 1);
}

int nt_writer_flush(struct nt_writer *w)
{
	return wbuf_flush(w);
}

unsigned long long nt_writer_count(const struct nt_writer *w)
{
	return w->written;
}

unsigned long long nt_writer_lost(const struct nt_writer *w)
{
	return w->lost;
}

int nt_writer_error(const struct nt_writer *w)
{
	return w->err;
}

int nt_writer_salvage(struct nt_writer *w, const struct nt_rec *r)
{
	unsigned char b[256];
	size_t n = rec_encode(w->fmt, r, b, sizeof(b));
	if (wbuf_flush(w) == 0 || !n)
		return -1; /* only after a failure, and with nothing buffered */
	if (write_all(w->fd, b, n) != 0) {
		if (w->own && ftruncate(w->fd, w->good) == 0)
			lseek(w->fd, w->good, SEEK_SET);
		return -1;
	}
	w->good += (off_t)n;
	w->written++;
	return 0;
}

int nt_writer_close(struct nt_writer *w)
{
	if (!w)
		return 0;
	int rc = wbuf_flush(w);
	int e = w->err;
	if (w->own && close(w->fd) != 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	w->fd = -1;
	writer_free(w);
	if (rc)
		errno = e;
	return rc;
}
