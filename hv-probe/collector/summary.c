// SPDX-License-Identifier: GPL-2.0
/* Closing summary of nt-hvcollect. */
#include <inttypes.h>
#include <string.h>

#include "nt/meta.h"
#include "nt/recio.h"
#include "nt/stats.h"
#include "summary.h"

static void stat_line(FILE *o, const char *what, struct xt_samples *s, double hz)
{
	struct nt_summary S;
	if (s->n == 0) {
		fprintf(o, "  %-22s n=0 (no samples)\n", what);
		return;
	}
	nt_summarize_i64(s->v, s->n, &S);
	fprintf(o, "  %-22s n=%zu  min %.0f  median %.1f  p99 %.1f  max %.0f cycles", what, S.n, S.min,
		S.median, S.p99, S.max);
	if (hz > 0)
		fprintf(o, "  =  min %.3f  median %.3f  p99 %.3f  max %.3f us", S.min * 1e6 / hz,
			S.median * 1e6 / hz, S.p99 * 1e6 / hz, S.max * 1e6 / hz);
	if (s->dropped)
		fprintf(o, "  (%" PRIu64 " samples not kept: out of memory)", s->dropped);
	fputc('\n', o);
}

static void mono(char *b, size_t n, int have, uint64_t back, uint64_t max)
{
	if (!have)
		snprintf(b, n, "-");
	else if (!back)
		snprintf(b, n, "yes");
	else
		snprintf(b, n, "NO(%" PRIu64 " back, max %" PRIu64 ")", back, max);
}

static const char *state_name(uint32_t s)
{
	switch (s) {
	case 0: return "off";
	case 1: return "armed";
	case 2: return "bound";
	}
	return "?";
}

void xt_summary_print(FILE *o, struct xt_dec *d, const struct xt_run *run)
{
	char hzs[96];
	if (run->tsc_hz > 0)
		snprintf(hzs, sizeof(hzs), "Xen TSC @ %.3f MHz, from %s", run->tsc_hz / 1e6, run->hz_method);
	else
		snprintf(hzs, sizeof(hzs), "Xen TSC, frequency unknown: pass --tsc-hz for us");
	fprintf(o, "nt-hvcollect summary (%s%s%s; %s)\n", run->mode, run->input ? ", " : "",
		run->input ? run->input : "", hzs);
	if (run->elapsed_s > 0)
		fprintf(o, "  traced for %.3f s (CLOCK_MONOTONIC)%s\n", run->elapsed_s,
			run->interrupted ? ", stopped by a signal" : "");
	else if (run->interrupted)
		fprintf(o, "  stopped by a signal: the input was not read to its end\n");
	fprintf(o, "  input: %" PRIu64 " bytes, %" PRIu64 " windows\n", d->in_bytes, d->windows);
	fprintf(o, "  %4s %9s %9s %9s %9s %7s %9s %6s %9s %8s %8s  %-14s %-14s\n", "cpu", "trace_rec", "hv_entry",
		"hv_deliv", "stock_irq", "lostrec", "lost", "wrap", "skipped", "no_tsc", "malform",
		"hdr_tsc_mono", "entry_tsc_mono");
	uint64_t tot_tr = 0;
	for (unsigned i = 0; i < d->ncpu; i++) {
		const struct xt_cpu *c = &d->cpu[i];
		if (!c->trecs && !c->malformed)
			continue;
		char m1[64], m2[64];
		mono(m1, sizeof(m1), c->have_hdr, c->hdr_back, c->hdr_back_max);
		mono(m2, sizeof(m2), c->have_ent, c->ent_back, c->ent_back_max);
		fprintf(o,
			"  %4u %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %7" PRIu64 " %9" PRIu64
			" %6" PRIu64 " %9" PRIu64 " %8" PRIu64 " %8" PRIu64 "  %-14s %-14s\n",
			i, c->trecs, c->entry, c->deliver, c->stock, c->lost_recs, c->lost, c->wrap, c->skipped,
			c->nocycles, c->malformed, m1, m2);
		tot_tr += c->trecs;
	}
	uint64_t lost = 0, lrec = 0;
	for (unsigned i = 0; i < d->ncpu; i++) {
		lost += d->cpu[i].lost;
		lrec += d->cpu[i].lost_recs;
	}
	fprintf(o, "  trace records: %" PRIu64 "; records written: hv_entry %" PRIu64 ", hv_deliver %" PRIu64
		   ", lost %" PRIu64 ", probe_cost %" PRIu64 "\n",
		tot_tr, d->emitted[NT_EV_HV_ENTRY], d->emitted[NT_EV_HV_DELIVER], d->emitted[NT_EV_LOST],
		d->emitted[NT_EV_PROBE_COST]);
	fprintf(o, "  lost trace records (reported by Xen): %" PRIu64 " in %" PRIu64 " TRC_LOST_RECORDS", lost, lrec);
	if (d->overruns)
		fprintf(o, "; ring overruns seen by the reader: %" PRIu64, d->overruns);
	fputc('\n', o);
	fprintf(o, "  entry->deliver interval (notify TSC - entry TSC, %s):\n", hzs);
	stat_line(o, "stock path", &d->ival[XT_PATH_STOCK], run->tsc_hz);
	stat_line(o, "natsume path", &d->ival[XT_PATH_NATSUME], run->tsc_hz);
	if (d->deliver_no_entry || d->ival_negative)
		fprintf(o, "  (hv_deliver without entry TSC: %" PRIu64 "; negative intervals: %" PRIu64 ")\n",
			d->deliver_no_entry, d->ival_negative);
	fprintf(o, "  probe cost (cycles writing the previous interrupt's trace records took on that CPU, NATSUME_ENTRY d5):\n");
	stat_line(o, "probe cost", &d->cost, run->tsc_hz);
	fprintf(o, "  entry stub -> do_IRQ (cycles before do_IRQ that the entry stamp now includes, NATSUME_ENTRY d6):\n");
	stat_line(o, "stub to do_IRQ", &d->stub, run->tsc_hz);
	if (d->entry_late || d->entry_nostub)
		fprintf(o, "  (hv_entry stamped in do_IRQ, flag late: %" PRIu64
			   "; from a series without the stub stamp: %" PRIu64 ")\n",
			d->entry_late, d->entry_nostub);
	if (d->opt.stock) {
		fprintf(o, "  stock TRC_HW_IRQ_HANDLED tsc_out - tsc_in (32-bit stamps, after lock/ack):\n");
		stat_line(o, "irq_handled", &d->handled, run->tsc_hz);
		if (d->stock_nocycles)
			fprintf(o, "  (HW_IRQ_HANDLED without header TSC, not converted: %" PRIu64 ")\n",
				d->stock_nocycles);
	}
	if (d->nskipped_ids) {
		fprintf(o, "  skipped events (not converted):");
		for (unsigned i = 0; i < d->nskipped_ids; i++) {
			const char *nm = xt_event_name(d->skipped_ids[i].id);
			fprintf(o, " 0x%08x%s%s%s x%" PRIu64, d->skipped_ids[i].id, nm ? "(" : "", nm ? nm : "",
				nm ? ")" : "", d->skipped_ids[i].n);
		}
		if (d->skipped_other)
			fprintf(o, " others x%" PRIu64, d->skipped_other);
		fputc('\n', o);
	}
	if (d->have_config)
		fprintf(o, "  natsume config: device %04x:%02x:%02x.%u  pcpu %u  vector 0x%02x  state %s\n",
			d->cfg_sbdf >> 16, (d->cfg_sbdf >> 8) & 0xff, (d->cfg_sbdf >> 3) & 0x1f, d->cfg_sbdf & 7,
			d->cfg_pcpu, d->cfg_vector, state_name(d->cfg_state));
	if (d->resync_bytes)
		fprintf(o, "  bytes skipped to find a window header: %" PRIu64 "\n", d->resync_bytes);
	if (d->errors)
		fprintf(o, "  anomalies: %" PRIu64 "; first: %s\n", d->errors, d->err);
	if (d->truncated)
		fprintf(o, "  input truncated: the incomplete item starts at byte %" PRIu64 "\n", d->trunc_off);
}

void xt_summary_meta(FILE *m, const struct xt_dec *d)
{
	uint64_t lost = 0, tr = 0, skipped = 0, malformed = 0;
	for (unsigned i = 0; i < d->ncpu; i++) {
		lost += d->cpu[i].lost;
		tr += d->cpu[i].trecs;
		skipped += d->cpu[i].skipped;
		malformed += d->cpu[i].malformed;
	}
	nt_meta_put(m, "trace_records", "%" PRIu64, tr);
	nt_meta_put(m, "records_hv_entry", "%" PRIu64, d->emitted[NT_EV_HV_ENTRY]);
	nt_meta_put(m, "records_hv_deliver", "%" PRIu64, d->emitted[NT_EV_HV_DELIVER]);
	nt_meta_put(m, "records_hv_lost", "%" PRIu64, d->emitted[NT_EV_LOST]);
	nt_meta_put(m, "records_probe_cost", "%" PRIu64, d->emitted[NT_EV_PROBE_COST]);
	nt_meta_put(m, "hv_entry_stub_stamped", "%zu", d->stub.n);
	nt_meta_put(m, "hv_entry_late", "%" PRIu64, d->entry_late);
	nt_meta_put(m, "hv_entry_without_stub", "%" PRIu64, d->entry_nostub);
	nt_meta_put(m, "lost_trace_records", "%" PRIu64, lost);
	nt_meta_put(m, "ring_overruns", "%" PRIu64, d->overruns);
	nt_meta_put(m, "skipped_events", "%" PRIu64, skipped);
	nt_meta_put(m, "malformed_records", "%" PRIu64, malformed);
	nt_meta_put(m, "anomalies", "%" PRIu64, d->errors);
	if (d->errors)
		nt_meta_put(m, "first_anomaly", "%s", d->err);
	if (d->truncated)
		nt_meta_put(m, "truncated_at", "%" PRIu64, d->trunc_off);
	for (unsigned i = 0; i < d->nskipped_ids; i++) {
		char k[48];
		snprintf(k, sizeof(k), "skipped_event.0x%08x", d->skipped_ids[i].id);
		nt_meta_put(m, k, "%" PRIu64, d->skipped_ids[i].n);
	}
	if (d->have_config)
		nt_meta_put(m, "natsume_config", "sbdf=0x%x pcpu=%u vector=0x%x state=%s", d->cfg_sbdf,
			    d->cfg_pcpu, d->cfg_vector, state_name(d->cfg_state));
	for (unsigned i = 0; i < d->ncpu; i++) {
		const struct xt_cpu *c = &d->cpu[i];
		if (!c->trecs)
			continue;
		char k[48];
		snprintf(k, sizeof(k), "cpu%u.tsc_monotonic", i);
		nt_meta_put(m, k, "%s", c->hdr_back || c->ent_back ? "no" : "yes");
	}
}
