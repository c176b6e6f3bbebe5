// SPDX-License-Identifier: GPL-2.0
/* Measures.  A span EVENT is tsc - aux of each EVENT record whose aux is
 * the tsc of an earlier stamp of the same interrupt (hv_deliver: its entry,
 * guest_irq_exit: its guest_irq), no join needed.
 * A latency FROM:TO pairs stamps of two events (the rule is
 * JOIN_RULE of analyze.h, explained in docs/run-layout.md "Measures"):
 *  - by seq when both carry one (a hash table of pending stamps);
 *  - otherwise each FROM takes the first TO after it on a matching irq (any
 *    irq when either has none) at most `window` cycles later.  A TO closes
 *    every FROM waiting for it, so several FROMs may share one TO (counted
 *    as shared_to: e.g. interrupts coalesced into one handler run); a TO
 *    with no FROM waiting is unmatched.
 *  - a FROM stamped outside the recording window that the TO's source
 *    declares (tow) takes no TO by that rule: its TO cannot be in the data.
 *    Without a seq it is not joined and counted outside_to_window when the
 *    join_irq rule could pair its irq with a TO's (from_irq_joinable: same,
 *    any: always; map: its irq is a FROM of the map), otherwise unmatched
 *    FROM as without the window; with a seq it can still be joined by its
 *    seq (a seq names its TO).
 * With join=packet (seq_only) only stamps with a seq are joined: the
 * attribution (attrib.c) gave the hypervisor's stamps of a probe's interrupt
 * the probe's seq; the others are counted (no_seq).
 * Records arrive in time order (the caller merges files by tsc); with
 * join=packet the attributed hypervisor stamps come just before the guest
 * stamp that named them, later than their own tsc: the seq join takes both
 * orders.
 * A period EVENT is the interval between consecutive stamps of EVENT on the
 * same CPU. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "nt/parse.h"
#include "nt/recio.h"

enum { S_EMPTY = 0, S_FROM = 1, S_TO = 2, S_DONE = 3 };

const char *mkind_name(enum mkind k)
{
	return k == M_LATENCY ? "latency" : k == M_PERIOD ? "period" : k == M_SPAN ? "span" : "?";
}

int measure_parse(const char *key, const char *val, struct measure_def *m, char *why, size_t wl)
{
	memset(m, 0, sizeof(*m));
	const char *num;
	if (strncmp(key, "latency.", 8) == 0) {
		m->kind = M_LATENCY;
		num = key + 8;
	} else if (strncmp(key, "period.", 7) == 0) {
		m->kind = M_PERIOD;
		num = key + 7;
	} else if (strncmp(key, "span.", 5) == 0) {
		m->kind = M_SPAN;
		num = key + 5;
	} else {
		snprintf(why, wl, "'%s' is not latency.N, period.N or span.N", key);
		return -1;
	}
	char *end;
	long id = strtol(num, &end, 10);
	if (!*num || *end || id < 0 || id > 99) {
		snprintf(why, wl, "bad measure number in '%s'", key);
		return -1;
	}
	m->id = (int)id;
	snprintf(m->name, sizeof(m->name), "%s.%ld", mkind_name(m->kind), id);
	snprintf(m->def, sizeof(m->def), "%s", val);
	if (m->kind == M_PERIOD || m->kind == M_SPAN) {
		m->from = m->to = nt_event_parse(val, strlen(val));
		if (m->from <= 0) {
			snprintf(why, wl, "%s: unknown event '%s'", key, val);
			return -1;
		}
		return 0;
	}
	const char *c = strchr(val, ':');
	if (!c) {
		snprintf(why, wl, "%s: want FROM:TO, got '%s'", key, val);
		return -1;
	}
	m->from = nt_event_parse(val, (size_t)(c - val));
	m->to = nt_event_parse(c + 1, strlen(c + 1));
	if (m->from <= 0 || m->to <= 0) {
		snprintf(why, wl, "%s: unknown event in '%s'", key, val);
		return -1;
	}
	if (m->from == m->to) {
		snprintf(why, wl, "%s: FROM and TO are the same event (use period.N)", key);
		return -1;
	}
	return 0;
}

/* ---- recording windows ---- */
int recwin_value_parse(const char *val, uint64_t *out, char *why, size_t wl)
{
	/* plain decimal cycles only (nt_parse_u64 alone would take 0x and k/M/G) */
	if (!*val || val[strspn(val, "0123456789")]) {
		snprintf(why, wl, "'%s' is not a TSC value (decimal cycles)", val);
		return -1;
	}
	if (nt_parse_u64(val, 0, UINT64_MAX, out)) {
		snprintf(why, wl, "'%s' is not a TSC value (decimal cycles below 2^64)", val);
		return -1;
	}
	return 0;
}

int recwin_outside(const struct recwin *w, uint64_t tsc)
{
	return (w->has_start && tsc < w->start) || (w->has_end && tsc > w->end);
}

void recwin_merge(struct recwin *w, const struct recwin *file, int first)
{
	if (first) {
		*w = *file;
		return;
	}
	if (!file->has_start)
		w->has_start = 0;
	else if (file->start < w->start)
		w->start = file->start;
	if (!file->has_end)
		w->has_end = 0;
	else if (file->end > w->end)
		w->end = file->end;
}

/* ---- stall windows ---- */
void stalls_add(struct stalls *st, uint64_t start, uint64_t len)
{
	if (len == NT_NONE64)
		len = 0;
	size_t cap = sizeof(st->w) / sizeof(st->w[0]);
	size_t pos = (st->head + st->len) % cap;
	if (st->len == cap)
		st->head = (st->head + 1) % cap;
	else
		st->len++;
	st->w[pos].start = start;
	st->w[pos].end = start + len < start ? UINT64_MAX : start + len;
	if (len > st->maxlen)
		st->maxlen = len;
	st->count++;
}

int stalls_overlap(const struct stalls *st, uint64_t a, uint64_t b)
{
	size_t cap = sizeof(st->w) / sizeof(st->w[0]);
	for (size_t k = st->len; k-- > 0;) {
		const struct stallwin *w = &st->w[(st->head + k) % cap];
		if (w->start > b)
			continue;
		if (w->end >= a)
			return 1;
		if (w->start + st->maxlen < a && w->start + st->maxlen >= w->start)
			break;
	}
	return 0;
}

/* ---- seq table ----
 * A map seq -> entry in two parts.  Stamps mostly carry increasing seqs, so
 * the seqs of a sliding window [wbase, wbase + SEQ_WIN) live in an array at
 * index seq % SEQ_WIN: inserting, finding and forgetting them walk through
 * memory in order.  Every other seq, and those the window slides past while
 * still in the map, live in a hash table (linear probing, backward-shift
 * deletion).  Either way the map holds the same entries; only where differs.
 * Keys have arrays of their own (empty: SEQ_EMPTY, a seq no stamp carries
 * into the map, NT_NONE64), so a probe reads 8 bytes a slot. */
#define SEQ_EMPTY NT_NONE64
#define SEQ_WIN ((uint64_t)1 << 16)
static inline size_t hseq(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return (size_t)x;
}

static struct seqent *hash_find(struct seqhash *t, uint64_t seq)
{
	if (!t->cap)
		return NULL;
	size_t m = t->cap - 1;
	for (size_t i = hseq(seq) & m;; i = (i + 1) & m) {
		if (t->key[i] == seq)
			return &t->e[i];
		if (t->key[i] == SEQ_EMPTY)
			return NULL;
	}
}

static struct seqent *hash_insert(struct seqhash *t, uint64_t seq);
static int hash_grow(struct seqhash *t)
{
	size_t nc = t->cap ? t->cap * 2 : 1024;
	struct seqhash old = *t;
	t->e = malloc(nc * sizeof(*t->e));
	t->key = malloc(nc * sizeof(*t->key));
	if (!t->e || !t->key) {
		free(t->e);
		free(t->key);
		*t = old;
		return -1;
	}
	memset(t->key, 0xff, nc * sizeof(*t->key)); /* SEQ_EMPTY */
	t->cap = nc;
	t->n = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.key[i] != SEQ_EMPTY)
			*hash_insert(t, old.key[i]) = old.e[i];
	free(old.e);
	free(old.key);
	return 0;
}

static struct seqent *hash_insert(struct seqhash *t, uint64_t seq)
{
	if ((t->n + 1) * 2 > t->cap && hash_grow(t))
		return NULL;
	size_t m = t->cap - 1;
	size_t i = hseq(seq) & m;
	while (t->key[i] != SEQ_EMPTY)
		i = (i + 1) & m;
	t->key[i] = seq;
	t->n++;
	return &t->e[i];
}

static void hash_delete(struct seqhash *t, struct seqent *e)
{
	size_t m = t->cap - 1;
	size_t i = (size_t)(e - t->e);
	t->key[i] = SEQ_EMPTY;
	t->n--;
	for (size_t j = (i + 1) & m; t->key[j] != SEQ_EMPTY; j = (j + 1) & m) {
		size_t h = hseq(t->key[j]) & m;
		/* can the entry at j move to the hole at i? (h not in (i, j]) */
		int move = (i <= j) ? (h <= i || h > j) : (h <= i && h > j);
		if (move) {
			t->key[i] = t->key[j];
			t->e[i] = t->e[j];
			t->key[j] = SEQ_EMPTY;
			i = j;
		}
	}
}

static int in_window(const struct seqtab *t, uint64_t seq)
{
	return t->wkey && seq >= t->wbase && seq - t->wbase < SEQ_WIN;
}

static struct seqent *tab_find(struct seqtab *t, uint64_t seq)
{
	if (in_window(t, seq)) {
		size_t i = (size_t)(seq & (SEQ_WIN - 1));
		return t->wkey[i] == seq ? &t->we[i] : NULL;
	}
	return hash_find(&t->h, seq);
}

/* Move the window's start to nb: entries of seqs it passes go to the hash. */
static int window_slide(struct seqtab *t, uint64_t nb)
{
	uint64_t end = nb - t->wbase < SEQ_WIN ? nb : t->wbase + SEQ_WIN;
	for (uint64_t s = t->wbase; s != end; s++) {
		size_t i = (size_t)(s & (SEQ_WIN - 1));
		if (t->wkey[i] != s)
			continue;
		struct seqent *e = hash_insert(&t->h, s);
		if (!e)
			return -1;
		*e = t->we[i];
		t->wkey[i] = SEQ_EMPTY;
	}
	t->wbase = nb;
	return 0;
}

static int window_open(struct seqtab *t, uint64_t seq)
{
	t->wkey = malloc(SEQ_WIN * sizeof(*t->wkey));
	t->we = malloc(SEQ_WIN * sizeof(*t->we));
	if (!t->wkey || !t->we) {
		free(t->wkey);
		free(t->we);
		t->wkey = NULL;
		t->we = NULL;
		return -1;
	}
	memset(t->wkey, 0xff, SEQ_WIN * sizeof(*t->wkey));
	t->wbase = seq > SEQ_WIN / 2 ? seq - SEQ_WIN / 2 : 0; /* around the first seq */
	return 0;
}

/* A new entry for seq (not in the map); its fields are the caller's to set. */
static struct seqent *tab_insert(struct seqtab *t, uint64_t seq)
{
	if (!t->wkey && window_open(t, seq))
		return NULL;
	if (seq >= t->wbase && seq - t->wbase >= SEQ_WIN && window_slide(t, seq - SEQ_WIN + 1))
		return NULL;
	struct seqent *e;
	if (in_window(t, seq)) {
		size_t i = (size_t)(seq & (SEQ_WIN - 1));
		t->wkey[i] = seq;
		e = &t->we[i];
	} else if (!(e = hash_insert(&t->h, seq))) {
		return NULL;
	}
	*e = (struct seqent){ .state = S_DONE };
	return e;
}

static void tab_delete(struct seqtab *t, struct seqent *e)
{
	if (t->we && e >= t->we && e < t->we + SEQ_WIN)
		t->wkey[e - t->we] = SEQ_EMPTY;
	else
		hash_delete(&t->h, e);
}

/* the pending entries left at the end: unmatched */
static void tab_count_pending(const struct seqtab *t, struct join_counts *c)
{
	for (int part = 0; part < 2; part++) {
		const uint64_t *key = part ? t->h.key : t->wkey;
		const struct seqent *e = part ? t->h.e : t->we;
		size_t n = part ? t->h.cap : (t->wkey ? SEQ_WIN : 0);
		for (size_t i = 0; i < n; i++) {
			if (key[i] == SEQ_EMPTY)
				continue;
			if (e[i].state == S_FROM)
				c->unmatched_from++;
			else if (e[i].state == S_TO)
				c->unmatched_to++;
		}
	}
}

static void tab_free(struct seqtab *t)
{
	free(t->h.e);
	free(t->h.key);
	free(t->we);
	free(t->wkey);
	memset(t, 0, sizeof(*t));
}

/* ---- queues ---- */
static int fifo_push(struct agefifo *f, uint64_t seq, uint64_t tsc)
{
	if (f->len == f->cap) {
		size_t nc = f->cap ? f->cap * 2 : 1024;
		uint64_t *ns = malloc(nc * sizeof(*ns)), *nt = malloc(nc * sizeof(*nt));
		if (!ns || !nt) {
			free(ns);
			free(nt);
			return -1;
		}
		for (size_t k = 0; k < f->len; k++) {
			ns[k] = f->seq[(f->head + k) & (f->cap - 1)];
			nt[k] = f->tsc[(f->head + k) & (f->cap - 1)];
		}
		free(f->seq);
		free(f->tsc);
		f->seq = ns;
		f->tsc = nt;
		f->cap = nc;
		f->head = 0;
	}
	size_t p = (f->head + f->len) & (f->cap - 1);
	f->seq[p] = seq;
	f->tsc[p] = tsc;
	f->len++;
	return 0;
}

static int ring_push(struct joiner *j, const struct nt_rec *r)
{
	if (j->rlen == j->rcap) {
		size_t nc = j->rcap ? j->rcap * 2 : 256;
		struct pend *n = malloc(nc * sizeof(*n));
		if (!n)
			return -1;
		for (size_t k = 0; k < j->rlen; k++)
			n[k] = j->ring[(j->rhead + k) & (j->rcap - 1)];
		free(j->ring);
		j->ring = n;
		j->rcap = nc;
		j->rhead = 0;
	}
	struct pend *p = &j->ring[(j->rhead + j->rlen) & (j->rcap - 1)];
	p->tsc = r->tsc;
	p->seq = r->seq;
	p->irq = r->irq;
	p->flags = r->flags;
	p->consumed = 0;
	j->rlen++;
	return 0;
}

static struct pend *ring_at_abs(struct joiner *j, uint64_t pos)
{
	if (pos < j->rbase || pos >= j->rbase + j->rlen)
		return NULL;
	return &j->ring[(j->rhead + (size_t)(pos - j->rbase)) & (j->rcap - 1)];
}

void joiner_init(struct joiner *j, const struct measure_def *m, uint64_t window, uint64_t horizon,
		 int streaming, size_t limit, const struct stalls *st)
{
	memset(j, 0, sizeof(*j));
	j->m = *m;
	j->window = window;
	j->horizon = horizon;
	j->keep_pending = !streaming;
	j->st = st;
	ss_init(&j->ss, streaming, limit);
	ss_init(&j->clean, streaming, limit);
	j->clean_is_all = 1;
}

static int sample(struct joiner *j, uint64_t a, uint64_t b, uint32_t fa, uint32_t fb)
{
	if (b < a) {
		j->c.negative++;
		return 0;
	}
	j->c.matched++;
	if (((fa | fb) & NT_F_STALLED) || (j->st && stalls_overlap(j->st, a, b))) {
		j->c.stalled++;
		/* the first stalled sample: the clean set so far is every sample */
		if (j->clean_is_all && ss_copy(&j->clean, &j->ss))
			return -1;
		j->clean_is_all = 0;
	} else if (!j->clean_is_all && ss_add(&j->clean, b - a)) {
		return -1;
	}
	return ss_add(&j->ss, b - a);
}

static void expire(struct joiner *j, uint64_t now)
{
	while (j->rlen) {
		struct pend *p = &j->ring[j->rhead];
		if (!(now > p->tsc && now - p->tsc > j->window))
			break;
		if (!p->consumed && p->seq == NT_NONE64)
			j->c.unmatched_from++;
		j->rhead = (j->rhead + 1) & (j->rcap - 1);
		j->rlen--;
		j->rbase++;
	}
	if (!j->horizon)
		return;
	/* seq entries older than the horizon: matched ones are forgotten (a
	 * duplicate after that counts as unmatched, not duplicate); pending ones
	 * are counted unmatched and forgotten in streaming mode, kept to the end
	 * otherwise */
	struct agefifo *f = &j->age;
	while (f->len) {
		uint64_t t = f->tsc[f->head], s = f->seq[f->head];
		if (!(now > t && now - t > j->horizon))
			break;
		f->head = (f->head + 1) & (f->cap - 1);
		f->len--;
		struct seqent *e = tab_find(&j->tab, s);
		if (e && e->tsc == t) {
			if (e->state == S_DONE) {
				tab_delete(&j->tab, e);
			} else if (!j->keep_pending) {
				if (e->state == S_FROM)
					j->c.unmatched_from++;
				else
					j->c.unmatched_to++;
				tab_delete(&j->tab, e);
			}
		}
	}
}

static void seq_done(struct joiner *j, uint64_t seq)
{
	if (seq == NT_NONE64)
		return;
	struct seqent *e = tab_find(&j->tab, seq);
	if (e && e->state == S_FROM)
		e->state = S_DONE;
}

static int irq_ok(const struct irqmap *im, uint32_t from, uint32_t to)
{
	if (!im || im->mode == IRQ_SAME)
		return from == to;
	if (im->mode == IRQ_ANY)
		return 1;
	for (size_t i = 0; i < im->n; i++)
		if (im->from[i] == from && im->to[i] == to)
			return 1;
	return 0;
}

/* Could the join_irq rule pair a FROM on irq `from` with some TO's irq?
 * (irq_ok for one TO irq at least): same, any, a FROM without an irq: yes;
 * map: when from is a FROM of one of its pairs. */
static int from_irq_joinable(const struct irqmap *im, uint32_t from)
{
	if (from == NT_NONE32 || !im || im->mode != IRQ_MAP)
		return 1;
	for (size_t i = 0; i < im->n; i++)
		if (irq_ok(im, from, im->to[i]))
			return 1;
	return 0;
}

int irqmap_parse(const char *mode, const char *map, struct irqmap *m, char *why, size_t wl)
{
	memset(m, 0, sizeof(*m));
	if (map && *map) {
		m->mode = IRQ_MAP;
		const char *p = map;
		while (*p) {
			char *end;
			unsigned long a = strtoul(p, &end, 10);
			if (end == p || *end != ':' || a > UINT32_MAX)
				goto bad;
			p = end + 1;
			unsigned long b = strtoul(p, &end, 10);
			if (end == p || (*end && *end != ',') || b > UINT32_MAX)
				goto bad;
			if (m->n == sizeof(m->from) / sizeof(m->from[0])) {
				snprintf(why, wl, "join_irq_map: more than 32 pairs");
				return -1;
			}
			m->from[m->n] = (uint32_t)a;
			m->to[m->n++] = (uint32_t)b;
			p = *end ? end + 1 : end;
		}
		if (mode && *mode && strcmp(mode, "map") != 0) {
			snprintf(why, wl, "join_irq=%s contradicts join_irq_map", mode);
			return -1;
		}
		return 0;
	}
	if (!mode || !*mode || strcmp(mode, "same") == 0)
		m->mode = IRQ_SAME;
	else if (strcmp(mode, "any") == 0)
		m->mode = IRQ_ANY;
	else if (strcmp(mode, "map") == 0) {
		snprintf(why, wl, "join_irq=map needs join_irq_map=FROM:TO,...");
		return -1;
	} else {
		snprintf(why, wl, "join_irq: '%s' is not same, any or map", mode);
		return -1;
	}
	return 0;
bad:
	snprintf(why, wl, "join_irq_map: bad pair list '%s' (want FROM:TO,FROM:TO)", map);
	return -1;
}

void irqmap_describe(const struct irqmap *m, char *out, size_t ol)
{
	if (m->mode == IRQ_SAME) {
		snprintf(out, ol, "same irq");
		return;
	}
	if (m->mode == IRQ_ANY) {
		snprintf(out, ol, "any irq");
		return;
	}
	size_t k = (size_t)snprintf(out, ol, "irq pairs");
	for (size_t i = 0; i < m->n && k < ol; i++)
		k += (size_t)snprintf(out + k, ol - k, "%s%u:%u", i ? "," : " ", m->from[i], m->to[i]);
}

/* a FROM still waiting for a TO (its seq entry, if any, not matched or forgotten) */
static int waiting(struct joiner *j, struct pend *p)
{
	if (p->consumed)
		return 0;
	if (p->seq != NT_NONE64) {
		struct seqent *e = tab_find(&j->tab, p->seq);
		if (!e || e->state != S_FROM || e->tsc != p->tsc) {
			p->consumed = 1;
			return 0;
		}
	}
	return 1;
}

/* TO r is the first TO after every FROM still waiting within the window on a
 * matching irq: it closes them all (JOIN_RULE).  only_noseq: r carries a seq
 * of its own, so it never takes a FROM with another seq.  1 = closed one or
 * more. */
static int near_close(struct joiner *j, const struct nt_rec *r, int only_noseq, int *err)
{
	uint64_t closed = 0;
	for (size_t k = 0; k < j->rlen; k++) {
		struct pend *p = &j->ring[(j->rhead + k) & (j->rcap - 1)];
		if (p->tsc > r->tsc || r->tsc - p->tsc > j->window)
			continue;
		if ((only_noseq && p->seq != NT_NONE64) || !waiting(j, p))
			continue;
		if (r->irq != NT_NONE32 && p->irq != NT_NONE32 && !irq_ok(j->im, p->irq, r->irq))
			continue;
		p->consumed = 1;
		seq_done(j, p->seq);
		j->c.by_near++;
		if (closed++)
			j->c.shared_to++;
		if (sample(j, p->tsc, r->tsc, p->flags, r->flags))
			*err = 1;
	}
	return closed > 0;
}

int joiner_feed(struct joiner *j, const struct nt_rec *r)
{
	if (j->m.kind == M_SPAN) {
		if (r->event != j->m.from)
			return 0;
		j->c.from_seen++;
		if (r->aux == NT_NONE64) {
			j->c.unmatched_from++;
			return 0;
		}
		return sample(j, r->aux, r->tsc, r->flags, r->flags);
	}
	if (j->m.kind == M_PERIOD) {
		if (r->event != j->m.from)
			return 0;
		j->c.from_seen++;
		unsigned k = r->cpu < 256 ? r->cpu : 256;
		int rc = 0;
		if (j->have_last[k])
			rc = sample(j, j->last[k], r->tsc, j->last_flags[k], r->flags);
		j->have_last[k] = 1;
		j->last[k] = r->tsc;
		j->last_flags[k] = r->flags;
		return rc;
	}
	int err = 0;
	if (j->seq_only && r->seq == NT_NONE64 && (r->event == j->m.from || r->event == j->m.to)) {
		j->c.no_seq++; /* join=packet: not a probe's stamp */
		return 0;
	}
	if (r->event == j->m.from) {
		expire(j, r->tsc);
		j->c.from_seen++;
		/* outside the TO source's recording window: no first TO after it;
		 * counted outside only if its irq could match a TO's, otherwise
		 * unmatched as without the window */
		int outside = j->tow && recwin_outside(j->tow, r->tsc);
		if (r->seq == NT_NONE64) {
			if (outside) {
				if (from_irq_joinable(j->im, r->irq))
					j->c.outside_to_window++;
				else
					j->c.unmatched_from++;
				return 0;
			}
			return ring_push(j, r);
		}
		struct seqent *e = tab_find(&j->tab, r->seq);
		if (!e) {
			e = tab_insert(&j->tab, r->seq);
			if (!e)
				return -1;
			e->state = S_FROM;
			e->tsc = r->tsc;
			e->flags = r->flags;
			e->ringpos = outside ? UINT64_MAX : j->rbase + j->rlen;
			if (!outside && ring_push(j, r))
				return -1;
			if (j->horizon && fifo_push(&j->age, r->seq, r->tsc))
				return -1;
		} else if (e->state == S_TO) {
			e->state = S_DONE;
			j->c.by_seq++;
			return sample(j, r->tsc, e->tsc, r->flags, e->flags);
		} else {
			j->c.dup_from++;
		}
		return 0;
	}
	if (r->event != j->m.to)
		return 0;
	expire(j, r->tsc);
	j->c.to_seen++;
	if (r->seq != NT_NONE64) {
		struct seqent *e = tab_find(&j->tab, r->seq);
		if (e && e->state == S_FROM) {
			e->state = S_DONE;
			struct pend *p = ring_at_abs(j, e->ringpos);
			if (p)
				p->consumed = 1;
			j->c.by_seq++;
			return sample(j, e->tsc, r->tsc, e->flags, r->flags);
		}
		if (e) {
			j->c.dup_to++;
			return 0;
		}
		if (near_close(j, r, 1, &err))
			return err ? -1 : 0;
		e = tab_insert(&j->tab, r->seq);
		if (!e)
			return -1;
		e->state = S_TO;
		e->tsc = r->tsc;
		e->flags = r->flags;
		e->ringpos = UINT64_MAX;
		if (j->horizon && fifo_push(&j->age, r->seq, r->tsc))
			return -1;
		return 0;
	}
	if (!near_close(j, r, 0, &err))
		j->c.unmatched_to++;
	return err ? -1 : 0;
}

void joiner_finish(struct joiner *j)
{
	for (size_t k = 0; k < j->rlen; k++) {
		struct pend *p = &j->ring[(j->rhead + k) & (j->rcap - 1)];
		if (!p->consumed && p->seq == NT_NONE64)
			j->c.unmatched_from++;
	}
	j->rlen = 0;
	tab_count_pending(&j->tab, &j->c);
	tab_free(&j->tab);
	free(j->age.seq);
	free(j->age.tsc);
	memset(&j->age, 0, sizeof(j->age));
	free(j->ring);
	j->ring = NULL;
	j->rcap = 0;
	ss_finish(&j->ss);
	ss_finish(&j->clean);
}

void joiner_summarize(struct joiner *j)
{
	ss_summary(&j->ss, &j->sum);
	if (j->clean_is_all)
		j->sum_clean = j->sum;
	else
		ss_summary(&j->clean, &j->sum_clean);
}

void joiner_free(struct joiner *j)
{
	tab_free(&j->tab);
	free(j->age.seq);
	free(j->age.tsc);
	free(j->ring);
	ss_free(&j->ss);
	ss_free(&j->clean);
	memset(j, 0, sizeof(*j));
}
