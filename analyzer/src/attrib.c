// SPDX-License-Identifier: GPL-2.0
/* Per-packet attribution (variant meta join=packet): the hypervisor's stamps
 * of a probe packet's interrupt get the packet's seq, so that every measure
 * joins by seq, one sample per probe packet.
 *
 * Xen sees interrupts, not packets; the guest module tells which guest
 * interrupt delivered which probe (a guest_irq record with a seq).  Between
 * them are Xen's notifications of the evaluation domain (hv_deliver, aux =
 * the entry TSC of the same interrupt, i.e. its hv_entry stamp):
 *  - the evaluation domain: eval_dom in the variant's meta (the runner knows
 *    it), else the domain whose notifications most often are the last one
 *    before a guest interrupt;
 *  - the Xen IRQ -> guest IRQ mapping, from the data: for each guest IRQ, the
 *    Xen IRQ whose notification of that domain is most often the last one
 *    before its stamps (the votes are reported);
 *  - each notification takes the first guest interrupt of the mapped guest
 *    IRQ after it (JOIN_RULE); of the notifications one guest interrupt
 *    closes, the first raised it (the event channel stayed pending from then
 *    on) and the others coalesced into it.  So the interrupt of a guest
 *    interrupt is its first notification since the previous guest interrupt
 *    of that IRQ, found by order, with no time window;
 *  - that notification's hv_entry is the one of the same Xen IRQ whose TSC
 *    is the notification's aux.
 * Notifications of other domains or IRQs (dom0's, the flood's) and guest
 * interrupts without a packet (the shared line's other device) are counted,
 * not joined; so are guest interrupts outside the span of the hypervisor's
 * trace (the guest probe starts before the collector and stops after it).  See analyzer/README.md "Per-packet attribution". */
#include <string.h>

#include "analyze.h"

void attrib_init(struct attrib *a, int on, int dom)
{
	memset(a, 0, sizeof(*a));
	a->on = on;
	a->dom_given = dom >= 0;
	a->dom = dom >= 0 ? (uint16_t)dom : NT_NONE16;
}

static struct attrib_vote *vote_slot(struct attrib *a, uint32_t girq, uint32_t xirq, uint16_t dom)
{
	for (size_t i = 0; i < a->nvotes; i++)
		if (a->votes[i].girq == girq && a->votes[i].xirq == xirq && a->votes[i].dom == dom)
			return &a->votes[i];
	if (a->nvotes == ATTRIB_MAXVOTES)
		return NULL;
	struct attrib_vote *s = &a->votes[a->nvotes++];
	s->girq = girq;
	s->xirq = xirq;
	s->dom = dom;
	s->n = 0;
	return s;
}

/* Pass 1: which notification is the last one before each guest interrupt. */
void attrib_vote(struct attrib *a, const struct nt_rec *r)
{
	if (r->source == NT_SRC_HV && (r->event == NT_EV_HV_ENTRY || r->event == NT_EV_HV_DELIVER)) {
		if (!a->have_hv || r->tsc < a->hv_first)
			a->hv_first = r->tsc;
		if (!a->have_hv || r->tsc > a->hv_last)
			a->hv_last = r->tsc;
		a->have_hv = 1;
	}
	if (r->event == NT_EV_HV_DELIVER) {
		if (a->dom_given && r->dom != a->dom)
			return;
		a->last = *r;
		a->have_last = 1;
	} else if (r->event == NT_EV_GUEST_IRQ && r->irq != NT_NONE32) {
		a->vote_guest++;
		if (!a->have_last) {
			a->vote_none++;
			return;
		}
		struct attrib_vote *s = vote_slot(a, r->irq, a->last.irq, a->last.dom);
		if (s)
			s->n++;
		else
			a->vote_overflow++;
	}
}

/* After pass 1: the domain and, for each guest IRQ, its Xen IRQ. */
void attrib_decide(struct attrib *a)
{
	if (!a->dom_given) {
		uint64_t best = 0;
		for (size_t i = 0; i < a->nvotes; i++)
			if (a->votes[i].n > best) {
				best = a->votes[i].n;
				a->dom = a->votes[i].dom;
			}
	}
	a->nmap = 0;
	for (size_t i = 0; i < a->nvotes; i++) {
		const struct attrib_vote *s = &a->votes[i];
		if (s->dom != a->dom)
			continue;
		size_t k;
		for (k = 0; k < a->nmap; k++)
			if (a->map[k].girq == s->girq)
				break;
		if (k == a->nmap) {
			if (a->nmap == ATTRIB_MAXMAP)
				continue;
			memset(&a->map[a->nmap++], 0, sizeof(a->map[0]));
			a->map[k].girq = s->girq;
			a->map[k].xirq = s->xirq;
		}
		a->map[k].total += s->n;
		if (s->n > a->map[k].votes) {
			a->map[k].votes = s->n;
			a->map[k].xirq = s->xirq;
		}
	}
	a->have_last = 0;
}

static int map_by_girq(const struct attrib *a, uint32_t girq)
{
	for (size_t k = 0; k < a->nmap; k++)
		if (a->map[k].girq == girq)
			return (int)k;
	return -1;
}

static int map_by_xirq(const struct attrib *a, uint32_t xirq)
{
	for (size_t k = 0; k < a->nmap; k++)
		if (a->map[k].xirq == xirq)
			return (int)k;
	return -1;
}

/* the hv_entry of Xen IRQ irq stamped at tsc, among the recent ones */
static const struct nt_rec *find_entry(const struct attrib *a, uint32_t irq, uint64_t tsc)
{
	for (size_t i = 0; i < a->nent; i++) {
		const struct nt_rec *e = &a->ent[(a->ent_head + ATTRIB_ENTRIES - 1 - i) % ATTRIB_ENTRIES];
		if (e->tsc == tsc && e->irq == irq)
			return e;
	}
	return NULL;
}

static void seen_irq(struct attrib *a, const struct nt_rec *r)
{
	struct attrib_girq *g = &a->recent[a->recent_head];
	g->tsc = r->tsc;
	g->seq = r->seq;
	g->cpu = r->cpu;
	a->recent_head = (a->recent_head + 1) % ATTRIB_RECENT;
	if (a->nrecent < ATTRIB_RECENT)
		a->nrecent++;
}

/* a probe packet the guest saw: did it ride on an earlier packet's interrupt? */
static void seen_pkt(struct attrib *a, const struct nt_rec *r)
{
	if (r->seq == NT_NONE64)
		return;
	a->packets_seen++;
	if (r->aux == NT_NONE64)
		return;
	for (size_t i = 0; i < a->nrecent; i++) {
		const struct attrib_girq *g = &a->recent[(a->recent_head + ATTRIB_RECENT - 1 - i) % ATTRIB_RECENT];
		if (g->tsc == r->aux && g->cpu == r->cpu) {
			if (g->seq != r->seq)
				a->packets_rode++;
			return;
		}
	}
}

static size_t guest_interrupt(struct attrib *a, int k, const struct nt_rec *r, struct nt_rec *out)
{
	struct attrib_state *st = &a->st[k];
	size_t n = 0;
	a->guest_irqs++;
	if (r->seq != NT_NONE64)
		a->guest_irqs_seq++;
	if (!st->ndeliv) {
		a->no_notification++;
		if (r->seq != NT_NONE64)
			a->packets_no_notification++;
	} else {
		a->caused++;
		a->coalesced += st->ndeliv - 1;
		if (r->seq != NT_NONE64) {
			a->packets_attributed++;
			if (st->ndeliv > 1)
				a->packets_coalesced++;
			if (st->have_entry) {
				out[n] = st->entry;
				out[n++].seq = r->seq;
			} else {
				a->packets_no_entry++;
			}
			out[n] = st->first;
			out[n++].seq = r->seq;
		}
	}
	st->ndeliv = 0;
	st->have_entry = 0;
	return n;
}

/* Pass 2: r in time order.  Writes the records to feed the measures into out
 * (at most 3: the attributed hv_entry and hv_deliver, then r), returns how
 * many.  Hypervisor stamps are fed only when attributed. */
size_t attrib_feed(struct attrib *a, const struct nt_rec *r, struct nt_rec *out)
{
	size_t n = 0;
	int k;
	switch (r->event) {
	case NT_EV_HV_ENTRY:
		a->hv_entries++;
		a->ent[a->ent_head] = *r;
		a->ent_head = (a->ent_head + 1) % ATTRIB_ENTRIES;
		if (a->nent < ATTRIB_ENTRIES)
			a->nent++;
		return 0;
	case NT_EV_HV_DELIVER:
		if (r->dom != a->dom || (k = map_by_xirq(a, r->irq)) < 0) {
			a->other_deliveries++;
			return 0;
		}
		a->deliveries++;
		if (a->st[k].ndeliv++ == 0) {
			const struct nt_rec *e = find_entry(a, r->irq, r->aux);
			a->st[k].first = *r;
			a->st[k].have_entry = e != NULL;
			if (e)
				a->st[k].entry = *e;
		}
		return 0;
	case NT_EV_GUEST_IRQ:
		seen_irq(a, r);
		if (!a->have_hv || r->tsc < a->hv_first || r->tsc > a->hv_last) {
			/* the hypervisor was not traced then: nothing to attribute */
			a->outside_trace++;
			if (r->seq != NT_NONE64)
				a->packets_outside_trace++;
		} else if ((k = map_by_girq(a, r->irq)) >= 0)
			n = guest_interrupt(a, k, r, out);
		else
			a->guest_irqs_unmapped++;
		break;
	case NT_EV_GUEST_PKT:
		seen_pkt(a, r);
		break;
	default:
		break;
	}
	out[n++] = *r;
	return n;
}

void attrib_finish(struct attrib *a)
{
	for (size_t k = 0; k < a->nmap; k++) {
		a->left_at_end += a->st[k].ndeliv;
		a->st[k].ndeliv = 0;
	}
}
