// SPDX-License-Identifier: GPL-2.0
/* Decoding the guest probe's record stream and statistics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nt/recio.h"
#include "ntgp_decode.h"

void ntgp_join_init(struct ntgp_join *j)
{
	memset(j, 0, sizeof(*j));
}

int ntgp_rec_valid(const struct nt_rec *r)
{
	if (r->source != NT_SRC_GUEST || r->flags != 0 || r->dom != NT_NONE16)
		return 0;
	switch (r->event) {
	case NT_EV_GUEST_IRQ:
		return r->irq != NT_NONE32;
	case NT_EV_GUEST_PKT:
		return r->seq != NT_NONE64;
	case NT_EV_GUEST_IRQ_EXIT:
		return r->irq != NT_NONE32 && r->aux != NT_NONE64 && r->tsc >= r->aux;
	case NT_EV_TIMER:
		return 1;
	case NT_EV_LOST:
		return r->aux != NT_NONE64 && r->aux != 0;
	default:
		return 0;
	}
}

static int flush_cpu(struct ntgp_join *j, unsigned cpu, ntgp_emit_fn emit, void *ctx)
{
	if (!j->has_pending[cpu])
		return 0;
	j->has_pending[cpu] = 0;
	if (j->pending[cpu].seq != NT_NONE64)
		j->n_tied++;
	return emit(ctx, &j->pending[cpu]);
}

int ntgp_decode(struct ntgp_join *j, const unsigned char *buf, size_t len,
		ntgp_emit_fn emit, void *ctx)
{
	size_t off;
	int rc;

	for (off = 0; off + sizeof(struct nt_rec) <= len; off += sizeof(struct nt_rec)) {
		struct nt_rec r;
		unsigned cpu;

		nt_rec_from_le(buf + off, &r);
		j->n_in++;
		if (!ntgp_rec_valid(&r)) {
			j->n_bad++;
			continue;
		}
		cpu = r.cpu;
		switch (r.event) {
		case NT_EV_GUEST_IRQ:
			j->n_irq++;
			if (cpu >= NTGP_MAX_CPUS)
				break;
			if ((rc = flush_cpu(j, cpu, emit, ctx)))
				return rc;
			j->pending[cpu] = r;
			j->has_pending[cpu] = 1;
			continue;
		case NT_EV_GUEST_PKT:
			j->n_pkt++;
			if (r.irq == NT_NONE32)
				j->n_pkt_noirq++;
			if (cpu >= NTGP_MAX_CPUS)
				break;
			if (j->has_pending[cpu] && j->pending[cpu].seq == NT_NONE64 &&
			    j->pending[cpu].irq == r.irq && j->pending[cpu].tsc == r.aux)
				j->pending[cpu].seq = r.seq;
			if ((rc = flush_cpu(j, cpu, emit, ctx)))
				return rc;
			break;
		case NT_EV_GUEST_IRQ_EXIT:
			j->n_exit++;
			break;
		case NT_EV_TIMER:
			j->n_timer++;
			break;
		case NT_EV_LOST:
			j->n_lost_recs++;
			j->n_lost += r.aux;
			if (cpu < NTGP_MAX_CPUS)
				j->lost_by_cpu[cpu] += r.aux;
			break;
		}
		if ((rc = emit(ctx, &r)))
			return rc;
	}
	if (off != len) {
		j->n_in++;
		j->n_bad++;
	}
	return 0;
}

int ntgp_join_flush(struct ntgp_join *j, ntgp_emit_fn emit, void *ctx)
{
	unsigned cpu;
	int rc;

	for (cpu = 0; cpu < NTGP_MAX_CPUS; cpu++)
		if ((rc = flush_cpu(j, cpu, emit, ctx)))
			return rc;
	return 0;
}

/* ---- statistics text ---- */

static int parse_u64(const char *v, size_t n, unsigned long long *out)
{
	unsigned long long x = 0;
	size_t i;

	if (n == 0 || n > 20)
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		if (x > (~0ULL - (unsigned)(v[i] - '0')) / 10)
			return -1;
		x = x * 10 + (unsigned)(v[i] - '0');
	}
	*out = x;
	return 0;
}

static void copy_str(char *dst, size_t dlen, const char *v, size_t n)
{
	if (n >= dlen)
		n = dlen - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

#define KEYIS(k, klen, lit) ((klen) == sizeof(lit) - 1 && memcmp((k), (lit), (klen)) == 0)

static int cpu_field(struct ntgp_cpu_stats *c, const char *k, size_t kl,
		     unsigned long long v)
{
	static const struct { const char *name; size_t off; } f[] = {
#define F(x) { #x, offsetof(struct ntgp_cpu_stats, x) }
		F(stamps), F(lost), F(head), F(tail), F(cost_n), F(cost_sum),
		F(cost_min), F(cost_max), F(cal_median), F(cal_min), F(hr_ticks),
		F(hr_overruns),
#undef F
	};
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (strlen(f[i].name) == kl && memcmp(f[i].name, k, kl) == 0) {
			memcpy((char *)c + f[i].off, &v, sizeof(v));
			return 0;
		}
	}
	return 0; /* unknown keys are fine */
}

int ntgp_stats_parse(const char *text, size_t len, struct ntgp_stats *s,
		     char *why, size_t whylen)
{
	size_t pos = 0;
	unsigned lineno = 0;

	memset(s, 0, sizeof(*s));
	s->timer_cpu = -1;
	while (pos < len) {
		size_t end = pos, p;
		struct ntgp_cpu_stats *c = NULL;

		while (end < len && text[end] != '\n')
			end++;
		lineno++;
		/* a line is key=value, or "cpu=N k=v k=v ..." */
		for (p = pos; p < end;) {
			size_t ks = p, ke, vs, ve;
			unsigned long long v = 0;
			int num;

			while (p < end && text[p] != '=' && text[p] != ' ')
				p++;
			ke = p;
			if (p >= end || text[p] != '=' || ke == ks) {
				snprintf(why, whylen, "line %u: expected key=value", lineno);
				return -1;
			}
			vs = ++p;
			/* only cpu lines have several fields; other values run to the end */
			if (c || KEYIS(text + ks, ke - ks, "cpu"))
				while (p < end && text[p] != ' ')
					p++;
			else
				p = end;
			ve = p;
			while (p < end && text[p] == ' ')
				p++;
			num = parse_u64(text + vs, ve - vs, &v) == 0;
			if (KEYIS(text + ks, ke - ks, "cpu")) {
				if (c || !num || v >= NTGP_MAX_CPUS) {
					snprintf(why, whylen, "line %u: bad cpu field", lineno);
					return -1;
				}
				c = &s->cpu[v];
				c->present = 1;
				if ((int)v + 1 > s->ncpu)
					s->ncpu = (int)v + 1;
			} else if (c) {
				if (!num) {
					snprintf(why, whylen, "line %u: cpu value is not a number", lineno);
					return -1;
				}
				cpu_field(c, text + ks, ke - ks, v);
			} else if (KEYIS(text + ks, ke - ks, "kernel")) {
				copy_str(s->kernel, sizeof(s->kernel), text + vs, ve - vs);
			} else if (KEYIS(text + ks, ke - ks, "timer")) {
				copy_str(s->timer, sizeof(s->timer), text + vs, ve - vs);
			} else if (KEYIS(text + ks, ke - ks, "irqs")) {
				copy_str(s->irqs, sizeof(s->irqs), text + vs, ve - vs);
			} else if (KEYIS(text + ks, ke - ks, "timer_cpu")) {
				if (ve - vs == 2 && text[vs] == '-' && text[vs + 1] == '1')
					s->timer_cpu = -1;
				else if (num)
					s->timer_cpu = (long long)(v & 0x7fffffff);
			} else if (num) {
				if (KEYIS(text + ks, ke - ks, "tsc_khz"))
					s->tsc_khz = v;
				else if (KEYIS(text + ks, ke - ks, "buf_records"))
					s->buf_records = v;
				else if (KEYIS(text + ks, ke - ks, "timer_period_us"))
					s->timer_period_us = v;
				else if (KEYIS(text + ks, ke - ks, "cost_every"))
					s->cost_every = v;
			}
		}
		pos = end + 1;
	}
	return 0;
}
