// SPDX-License-Identifier: GPL-2.0
/* Xen trace records -> project records, with per-CPU accounting. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "natsume_trace.h"
#include "nt/recio.h"
#include "xtdec.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void xt_dec_init(struct xt_dec *d, const struct xt_opts *o, xt_emit_fn emit, void *ctx)
{
	memset(d, 0, sizeof(*d));
	if (o)
		d->opt = *o;
	d->emit = emit;
	d->emit_ctx = ctx;
}

void xt_dec_free(struct xt_dec *d)
{
	free(d->cpu);
	for (int i = 0; i < XT_NPATH; i++)
		free(d->ival[i].v);
	free(d->handled.v);
	free(d->cost.v);
	free(d->stub.v);
	free(d->skipped_ids);
	d->skipped_ids = NULL;
	d->nskipped_ids = d->cap_skipped_ids = 0;
	d->cpu = NULL;
	d->ncpu = 0;
	memset(d->ival, 0, sizeof(d->ival));
	memset(&d->handled, 0, sizeof(d->handled));
	memset(&d->cost, 0, sizeof(d->cost));
	memset(&d->stub, 0, sizeof(d->stub));
}

/* Record an anomaly: the first message is kept.  Returns -1 in strict mode. */
static int __attribute__((format(printf, 2, 3))) anomaly(struct xt_dec *d, const char *fmt, ...)
{
	d->errors++;
	if (!d->err[0]) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(d->err, sizeof(d->err), fmt, ap);
		va_end(ap);
	}
	return d->opt.strict ? -1 : 0;
}

static void sample(struct xt_samples *s, int64_t v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		int64_t *nv = realloc(s->v, cap * sizeof(*nv));
		if (!nv) {
			s->dropped++;
			return;
		}
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = v;
}

/* The record flags of a Natsume probe record: the path (NATSUME) and
 * whether the lightweight handler took it (DIRECT). */
static uint32_t hv_flags(uint32_t trc_flags)
{
	return ((trc_flags & NATSUME_TRC_F_NATSUME) ? NT_F_NATSUME : 0) |
	       ((trc_flags & NATSUME_TRC_F_DIRECT) ? NT_F_DIRECT : 0);
}

/* A CPU the traced host has (any below XT_MAX_CPUS when not known). */
static int cpu_exists(const struct xt_dec *d, uint32_t cpu)
{
	return cpu < XT_MAX_CPUS && (!d->opt.cpus || (d->opt.cpus[cpu / 8] & (1u << (cpu % 8))));
}

static struct xt_cpu *cpu_get(struct xt_dec *d, unsigned cpu)
{
	if (!cpu_exists(d, cpu))
		return NULL;
	if (cpu >= d->ncpu) {
		unsigned n = cpu + 1;
		struct xt_cpu *c = realloc(d->cpu, n * sizeof(*c));
		if (!c)
			return NULL;
		memset(c + d->ncpu, 0, (n - d->ncpu) * sizeof(*c));
		d->cpu = c;
		d->ncpu = n;
	}
	return &d->cpu[cpu];
}

uint64_t xt_widen32(uint32_t lo, uint64_t ref)
{
	uint64_t w = (ref & ~(uint64_t)0xffffffffu) | lo;
	if (w > ref && ref >= ((uint64_t)1 << 32))
		w -= (uint64_t)1 << 32;
	return w;
}

const char *xt_event_name(uint32_t ev)
{
	switch (ev) {
	case TRC_HW_NATSUME_ENTRY: return "NATSUME_ENTRY";
	case TRC_HW_NATSUME_DELIVER: return "NATSUME_DELIVER";
	case TRC_HW_NATSUME_CONFIG: return "NATSUME_CONFIG";
	case XT_TRC_HW_IRQ_HANDLED: return "HW_IRQ_HANDLED";
	case XT_TRC_LOST_RECORDS: return "LOST_RECORDS";
	case XT_TRC_TRACE_WRAP_BUFFER: return "TRACE_WRAP_BUFFER";
	case XT_TRC_TRACE_CPU_CHANGE: return "TRACE_CPU_CHANGE";
	}
	return NULL;
}

static void skip_event(struct xt_dec *d, struct xt_cpu *c, uint32_t ev)
{
	c->skipped++;
	for (unsigned i = 0; i < d->nskipped_ids; i++)
		if (d->skipped_ids[i].id == ev) {
			d->skipped_ids[i].n++;
			return;
		}
	if (d->nskipped_ids == d->cap_skipped_ids) {
		unsigned cap = d->cap_skipped_ids ? 2 * d->cap_skipped_ids : 16;
		struct xt_skipped *n = realloc(d->skipped_ids, cap * sizeof(*n));
		if (!n) {
			d->skipped_other++;
			return;
		}
		d->skipped_ids = n;
		d->cap_skipped_ids = cap;
	}
	d->skipped_ids[d->nskipped_ids].id = ev;
	d->skipped_ids[d->nskipped_ids++].n = 1;
}

static int put(struct xt_dec *d, const struct nt_rec *r)
{
	if (d->emit && d->emit(d->emit_ctx, r) != 0) {
		d->stopped = 1; /* the caller knows why (count reached, write error) */
		return -1;
	}
	d->emitted[r->event]++;
	return 0;
}

static uint16_t vec16(uint32_t v)
{
	return v > 0xfffe ? NT_NONE16 : (uint16_t)v;
}

/* Where the ENTRY stamp was taken: in the entry stub, with d6 the cycles
 * from there to do_IRQ (-> aux), or in do_IRQ (LATE -> flag `late`).  The
 * 6-word ENTRY of earlier versions of patch 2 (stamped in do_IRQ) has
 * neither. */
static void entry_stub(struct xt_dec *d, struct nt_rec *r, const uint32_t *x, unsigned n)
{
	if (n >= 5 && (x[4] & NATSUME_TRC_F_LATE)) {
		r->flags |= NT_F_LATE;
		d->entry_late++;
	} else if (n >= 7) {
		r->aux = x[6];
		sample(&d->stub, (int64_t)x[6]);
	} else {
		d->entry_nostub++;
	}
}

/* Decode one record whose bytes are complete.  Returns 0 or -1 (stop). */
static int one(struct xt_dec *d, unsigned cpu, struct xt_cpu *c, uint32_t ev, int cyc,
	       uint64_t htsc, const uint32_t *x, unsigned n, uint64_t off)
{
	struct nt_rec r;
	switch (ev) {
	case XT_TRC_TRACE_WRAP_BUFFER:
		c->wrap++;
		return 0;
	case XT_TRC_LOST_RECORDS:
		if (n < 1) {
			c->malformed++;
			return anomaly(d, "byte %" PRIu64 ": LOST_RECORDS with %u data words (need 1)", off, n);
		}
		c->lost_recs++;
		c->lost += x[0];
		r = nt_rec_blank(NT_SRC_HV, NT_EV_LOST);
		r.cpu = (uint16_t)cpu;
		/* when noticed: the record's TSC, else the last one seen on this CPU */
		r.tsc = cyc ? htsc : c->have_hdr ? c->last_hdr : 0;
		r.aux = x[0];
		return put(d, &r);
	case TRC_HW_NATSUME_ENTRY: {
		if (n < 5) {
			c->malformed++;
			return anomaly(d, "byte %" PRIu64 ": NATSUME_ENTRY with %u data words (need 5)", off, n);
		}
		c->entry++;
		uint64_t ent = (uint64_t)x[1] << 32 | x[0];
		if (c->have_ent && ent < c->last_ent) {
			c->ent_back++;
			if (c->last_ent - ent > c->ent_back_max)
				c->ent_back_max = c->last_ent - ent;
		}
		c->have_ent = 1;
		c->last_ent = ent;
		r = nt_rec_blank(NT_SRC_HV, NT_EV_HV_ENTRY);
		r.cpu = (uint16_t)cpu;
		r.tsc = ent;
		r.vector = vec16(x[2]);
		r.irq = x[3];
		r.flags = hv_flags(x[4]);
		entry_stub(d, &r, x, n);
		if (put(d, &r))
			return -1;
		if (n >= 6 && x[5] != 0) {
			sample(&d->cost, (int64_t)x[5]);
			if (d->opt.probe_cost) {
				r = nt_rec_blank(NT_SRC_HV, NT_EV_PROBE_COST);
				r.cpu = (uint16_t)cpu;
				r.tsc = cyc ? htsc : ent;
				r.aux = x[5];
				return put(d, &r);
			}
		}
		return 0;
	}
	case TRC_HW_NATSUME_DELIVER: {
		if (n < 6) {
			c->malformed++;
			return anomaly(d, "byte %" PRIu64 ": NATSUME_DELIVER with %u data words (need 6)", off, n);
		}
		c->deliver++;
		uint64_t nt = (uint64_t)x[1] << 32 | x[0];
		uint64_t ent = (uint64_t)x[3] << 32 | x[2];
		uint32_t fl = n >= 7 ? x[6] : 0;
		r = nt_rec_blank(NT_SRC_HV, NT_EV_HV_DELIVER);
		r.cpu = (uint16_t)cpu;
		r.tsc = nt;
		r.irq = x[4];
		r.vector = vec16(x[5] >> 16);
		r.dom = (uint16_t)(x[5] & 0xffff);
		r.flags = hv_flags(fl);
		if (ent) {
			r.aux = ent;
			int64_t iv = (int64_t)(nt - ent);
			if (iv < 0)
				d->ival_negative++;
			sample(&d->ival[(fl & NATSUME_TRC_F_NATSUME) ? XT_PATH_NATSUME : XT_PATH_STOCK], iv);
		} else {
			d->deliver_no_entry++;
		}
		return put(d, &r);
	}
	case TRC_HW_NATSUME_CONFIG:
		if (n < 4) {
			c->malformed++;
			return anomaly(d, "byte %" PRIu64 ": NATSUME_CONFIG with %u data words (need 4)", off, n);
		}
		c->config++;
		d->have_config = 1;
		d->cfg_sbdf = x[0];
		d->cfg_pcpu = x[1];
		d->cfg_vector = x[2];
		d->cfg_state = x[3];
		return 0;
	case XT_TRC_HW_IRQ_HANDLED:
		if (!d->opt.stock)
			break;
		if (n < 3) {
			c->malformed++;
			return anomaly(d, "byte %" PRIu64 ": HW_IRQ_HANDLED with %u data words (need 3)", off, n);
		}
		if (!cyc) {
			d->stock_nocycles++;
			break;
		}
		c->stock++;
		r = nt_rec_blank(NT_SRC_HV, NT_EV_HV_ENTRY);
		r.cpu = (uint16_t)cpu;
		r.tsc = xt_widen32(x[1], htsc);
		r.irq = x[0];
		r.flags = NT_F_TRUNC32;
		sample(&d->handled, (int64_t)(uint32_t)(x[2] - x[1]));
		return put(d, &r);
	}
	skip_event(d, c, ev);
	return 0;
}

int xt_dec_window(struct xt_dec *d, unsigned cpu, const uint8_t *buf, size_t len, uint64_t off)
{
	struct xt_cpu *c = cpu_get(d, cpu);
	if (!c) {
		snprintf(d->err, sizeof(d->err), "byte %" PRIu64 ": cpu %u out of range or out of memory", off, cpu);
		return -1;
	}
	d->windows++;
	size_t i = 0;
	while (i < len) {
		if (len - i < 4)
			goto cut;
		uint32_t h = le32(buf + i);
		uint32_t ev = h & 0x0fffffffu;
		unsigned n = (h >> 28) & 7;
		int cyc = (int)(h >> 31);
		size_t sz = 4 + (cyc ? 8 : 0) + 4 * (size_t)n;
		if (len - i < sz)
			goto cut;
		uint64_t htsc = 0;
		const uint8_t *p = buf + i + 4;
		if (cyc) {
			htsc = (uint64_t)le32(p + 4) << 32 | le32(p);
			p += 8;
			if (c->have_hdr && htsc < c->last_hdr) {
				c->hdr_back++;
				if (c->last_hdr - htsc > c->hdr_back_max)
					c->hdr_back_max = c->last_hdr - htsc;
				/* the time a record was written cannot go back on one CPU */
				if (anomaly(d, "byte %" PRIu64 ": cpu %u: the record's TSC %" PRIu64 " is %" PRIu64
					       " cycles before the previous record's", off + i, cpu, htsc,
					    c->last_hdr - htsc))
					return -1;
			}
			c->have_hdr = 1;
			c->last_hdr = htsc;
		} else {
			c->nocycles++;
		}
		uint32_t x[7];
		for (unsigned k = 0; k < n; k++)
			x[k] = le32(p + 4 * k);
		c->trecs++;
		c->bytes += sz;
		if (one(d, cpu, c, ev, cyc, htsc, x, n, off + i))
			return -1;
		i += sz;
	}
	return 0;
cut:
	c->malformed++;
	if (anomaly(d, "byte %" PRIu64 ": record cut by the end of its cpu %u window (%zu of the window's %zu bytes left)",
		    off + i, cpu, len - i, len))
		return -1;
	return 0;
}

/* The input with a small push-back buffer (for resynchronising on pipes). */
struct src {
	FILE *f;
	uint8_t pb[12];
	size_t npb;
	uint64_t total;
};

/* Read up to n bytes; returns how many were read (short only at EOF/error). */
static size_t rd(struct src *s, void *b, size_t n)
{
	size_t got = 0;
	while (got < n && s->npb) {
		((uint8_t *)b)[got++] = s->pb[0];
		memmove(s->pb, s->pb + 1, --s->npb);
	}
	while (got < n) {
		size_t k = fread((char *)b + got, 1, n - got, s->f);
		if (k == 0)
			break;
		got += k;
		s->total += k;
	}
	return got;
}

static void unread(struct src *s, const uint8_t *b, size_t n)
{
	memmove(s->pb + n, s->pb, s->npb);
	memcpy(s->pb, b, n);
	s->npb += n;
}

int xt_dec_file(struct xt_dec *d, FILE *f)
{
	struct src s = { .f = f };
	uint8_t *buf = NULL;
	size_t cap = 0;
	uint64_t off = 0; /* offset of h[0] in the input */
	int rc = 0;
	int in_resync = 0;
	uint8_t h[12];

	for (;;) {
		size_t got = rd(&s, h, 4);
		if (got == 0)
			break;
		if (got < 4) {
			d->truncated = 1;
			d->trunc_off = off;
			rc = anomaly(d, "file truncated at byte %" PRIu64 ": %zu bytes of a window header at byte %" PRIu64,
				     off + got, got, off);
			break;
		}
		uint32_t hdr = le32(h);
		if (hdr != XT_CPU_CHANGE_HDR) {
			/* not a window: strict stops, lenient scans on in u32 steps */
			if (!in_resync) {
				if ((rc = anomaly(d, "byte %" PRIu64 ": expected a CPU-change record (0x%08x), found 0x%08x",
						  off, XT_CPU_CHANGE_HDR, hdr)))
					break;
				in_resync = 1;
			}
			d->resync_bytes += 4;
			off += 4;
			continue;
		}
		got = rd(&s, h + 4, 8);
		if (got < 8) {
			d->truncated = 1;
			d->trunc_off = off;
			rc = anomaly(d, "file truncated at byte %" PRIu64 ": %zu bytes of a window header at byte %" PRIu64,
				     off + 4 + got, 4 + got, off);
			break;
		}
		uint32_t cpu = le32(h + 4), size = le32(h + 8);
		if (!cpu_exists(d, cpu) || size > XT_MAX_WINDOW || size % 4) {
			if (!in_resync) {
				if ((rc = anomaly(d, "byte %" PRIu64 ": implausible window header (cpu %u, %u bytes)",
						  off, cpu, size)))
					break;
				in_resync = 1;
			}
			/* the words after the bogus header may start a real one */
			unread(&s, h + 4, 8);
			d->resync_bytes += 4;
			off += 4;
			continue;
		}
		in_resync = 0;
		if (size > cap) {
			uint8_t *nb = realloc(buf, size);
			if (!nb) {
				rc = -1;
				snprintf(d->err, sizeof(d->err), "out of memory for a %u-byte window at byte %" PRIu64,
					 size, off);
				break;
			}
			buf = nb;
			cap = size;
		}
		got = rd(&s, buf, size);
		if (got < size) {
			d->truncated = 1;
			d->trunc_off = off;
			/* decode the complete records of the cut window */
			size_t whole = 0;
			while (whole + 4 <= got) {
				uint32_t rh = le32(buf + whole);
				size_t sz = 4 + ((rh >> 31) ? 8 : 0) + 4 * (size_t)((rh >> 28) & 7);
				if (got - whole < sz)
					break;
				whole += sz;
			}
			if (xt_dec_window(d, cpu, buf, whole, off + 12)) {
				rc = -1;
				break;
			}
			rc = anomaly(d, "file truncated at byte %" PRIu64 ": the cpu %u window at byte %" PRIu64
				     " declares %u bytes, %zu present",
				     off + 12 + got, cpu, off, size, got);
			off += 12 + got;
			break;
		}
		if (xt_dec_window(d, cpu, buf, size, off + 12)) {
			rc = -1;
			break;
		}
		off += 12 + (uint64_t)size;
	}
	if (rc == 0 && ferror(f)) {
		rc = -1;
		snprintf(d->err, sizeof(d->err), "read error after byte %" PRIu64 ": %s", off, strerror(errno));
	}
	if (rc == 0 && d->windows == 0 && !d->stopped)
		rc = anomaly(d, "no trace data: the input holds no window (%" PRIu64 " bytes)", s.total);
	d->in_bytes += s.total;
	free(buf);
	return rc;
}
