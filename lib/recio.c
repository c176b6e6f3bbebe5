// SPDX-License-Identifier: GPL-2.0
/* Record names, CSV formatting, binary (de)serialisation and the writer. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static const struct {
	unsigned bit;
	const char *name;
} flag_names[] = {
	{ NT_F_LATE, "late" },	       { NT_F_NATSUME, "natsume" },
	{ NT_F_CONVERTED, "converted" }, { NT_F_STALLED, "stalled" },
	{ NT_F_TRUNC32, "trunc32" },
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
	FILE *f;
	int own;
	enum nt_fmt fmt;
	unsigned long long count;
	int err; /* sticky errno */
};

enum nt_fmt nt_fmt_from_path(const char *path)
{
	size_t n = strlen(path);
	if ((n >= 4 && strcmp(path + n - 4, ".bin") == 0) || (n >= 4 && strcmp(path + n - 4, ".ntr") == 0))
		return NT_FMT_BIN;
	return NT_FMT_CSV;
}

struct nt_writer *nt_writer_open(const char *path, enum nt_fmt fmt)
{
	struct nt_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->fmt = fmt;
	if (strcmp(path, "-") == 0) {
		w->f = stdout;
	} else {
		w->f = fopen(path, fmt == NT_FMT_BIN ? "wb" : "w");
		w->own = 1;
	}
	if (!w->f) {
		int e = errno;
		free(w);
		errno = e;
		return NULL;
	}
	/* a large buffer: writes happen off the measured path in big chunks */
	setvbuf(w->f, NULL, _IOFBF, 1 << 16);
	int rc;
	if (fmt == NT_FMT_BIN) {
		struct nt_bin_header h;
		unsigned char b[32];
		nt_bin_header_init(&h);
		bin_header_to_le(&h, b);
		rc = fwrite(b, 1, 32, w->f) == 32 ? 0 : -1;
	} else {
		rc = fputs(NT_CSV_HEADER "\n", w->f) >= 0 ? 0 : -1;
	}
	if (rc) {
		int e = errno;
		if (w->own)
			fclose(w->f);
		free(w);
		errno = e;
		return NULL;
	}
	return w;
}

int nt_writer_put(struct nt_writer *w, const struct nt_rec *r)
{
	if (w->err) {
		errno = w->err;
		return -1;
	}
	int ok;
	if (w->fmt == NT_FMT_BIN) {
		unsigned char b[40];
		nt_rec_to_le(r, b);
		ok = fwrite(b, 1, 40, w->f) == 40;
	} else {
		char line[256];
		int n = nt_rec_format_csv(r, line, sizeof(line) - 1);
		if (n < 0 || (size_t)n >= sizeof(line) - 1) {
			w->err = EOVERFLOW;
			errno = w->err;
			return -1;
		}
		line[n++] = '\n';
		ok = fwrite(line, 1, (size_t)n, w->f) == (size_t)n;
	}
	if (!ok) {
		w->err = errno ? errno : EIO;
		return -1;
	}
	w->count++;
	return 0;
}

int nt_writer_flush(struct nt_writer *w)
{
	if (fflush(w->f) != 0) {
		w->err = errno;
		return -1;
	}
	if (w->err) {
		errno = w->err;
		return -1;
	}
	return 0;
}

unsigned long long nt_writer_count(const struct nt_writer *w)
{
	return w->count;
}

int nt_writer_close(struct nt_writer *w)
{
	if (!w)
		return 0;
	int rc = nt_writer_flush(w);
	int e = errno;
	if (w->own && fclose(w->f) != 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	free(w);
	if (rc)
		errno = e;
	return rc;
}
