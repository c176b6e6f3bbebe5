// SPDX-License-Identifier: GPL-2.0
/* The report's sections for runs on a testbed with a hypervisor: the
 * per-packet attribution of each variant (attrib.c) and the machine and the
 * evidence the runner recorded in each variant's meta.txt (docs/run-layout.md
 * "Xen runs"), and the label of emulated runs. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "analyze.h"
#include "nt/meta.h"

/* A non-empty value of KEY in DIR/meta.txt into val (0), else -1. */
static int meta_value(const char *dir, const char *key, char *val, size_t vl)
{
	char p[4200];
	if (!dir || !dir[0])
		return -1;
	snprintf(p, sizeof(p), "%s/meta.txt", dir);
	return nt_meta_get(p, key, val, vl) == 0 && val[0] ? 0 : -1;
}

/* The run's emulation (docs/run-layout.md "Emulated times"): WHAT of
 * emulated=WHAT: ... in the run's meta.txt or else in a variant's, e.g. "QEMU
 * TCG"; in a run folder without that key, a run time_label that begins with
 * "emulated" (the older key: "emulated (WHAT)..."); NULL when the times were
 * measured on hardware. */
const char *run_emulated(struct run_ctx *rc)
{
	char val[256];
	if (rc->emulated[0])
		return rc->emulated;
	int found = meta_value(rc->dir, "emulated", val, sizeof(val)) == 0;
	for (size_t vi = 0; !found && vi < rc->nv; vi++)
		found = meta_value(rc->v[vi].dir, "emulated", val, sizeof(val)) == 0;
	if (found) {
		val[strcspn(val, ":")] = '\0';
		snprintf(rc->emulated, sizeof(rc->emulated), "%s", val[0] ? val : "emulator not named");
		return rc->emulated;
	}
	if (meta_value(rc->dir, "time_label", val, sizeof(val)) || strncmp(val, "emulated", 8) != 0)
		return NULL;
	const char *o = strchr(val, '('), *c = o ? strchr(o, ')') : NULL;
	if (o && c && c > o + 1)
		snprintf(rc->emulated, sizeof(rc->emulated), "%.*s", (int)(c - o - 1), o + 1);
	else
		snprintf(rc->emulated, sizeof(rc->emulated), "emulator not named");
	return rc->emulated;
}

/* The label of the run's times on every table heading and figure title: an
 * older run folder's time_label as it was written, else "emulated (WHAT)"
 * (run_emulated), else NULL (times measured on hardware). */
const char *run_time_label(struct run_ctx *rc)
{
	if (rc->time_label[0] || meta_value(rc->dir, "time_label", rc->time_label, sizeof(rc->time_label)) == 0)
		return rc->time_label;
	const char *e = run_emulated(rc);
	if (!e)
		return NULL;
	snprintf(rc->time_label, sizeof(rc->time_label), "emulated (%.200s)", e);
	return rc->time_label;
}

static double pct(uint64_t a, uint64_t b)
{
	return b ? 100.0 * (double)a / (double)b : 0.0;
}

static void md_attrib_variant(FILE *f, const struct variant *v)
{
	const struct attrib *a = v->at;
	fprintf(f, "- `%s`: evaluation domain d%u (%s); ", v->name, a->dom,
		a->dom_given ? "from the run's meta.txt" : "the domain the guest interrupts follow, from the data");
	if (!a->nmap)
		fprintf(f, "no Xen IRQ -> guest IRQ pair found (no notification of that domain before a guest "
			   "interrupt)");
	for (size_t k = 0; k < a->nmap; k++)
		fprintf(f, "%sXen IRQ %u -> guest IRQ %u (the last notification before %" PRIu64 " of %" PRIu64
			   " guest interrupts)", k ? ", " : "", a->map[k].xirq, a->map[k].girq, a->map[k].votes,
			a->map[k].total);
	fprintf(f, "\n  - notifications of d%u on that IRQ %" PRIu64 ", other notifications (other domains or IRQs, "
		   "not joined) %" PRIu64 "; guest interrupts %" PRIu64 ": raised by a notification %" PRIu64
		   ", with no notification since the previous one %" PRIu64 "; notifications coalesced into an "
		   "interrupt an earlier one raised %" PRIu64 " (%.1f %%); notifications after the last guest "
		   "interrupt %" PRIu64 "\n",
		a->dom, a->deliveries, a->other_deliveries, a->guest_irqs, a->caused, a->no_notification, a->coalesced,
		pct(a->coalesced, a->deliveries), a->left_at_end);
	fprintf(f, "  - guest interrupts that delivered a probe %" PRIu64 ", without one %" PRIu64
		   " (on a shared line mostly the other device's interrupts: expected); outside the hypervisor "
		   "trace's time span (not attributed) %" PRIu64 ", with a probe %" PRIu64 "\n",
		a->guest_irqs_seq, a->guest_irqs - a->guest_irqs_seq, a->outside_trace, a->packets_outside_trace);
	fprintf(f, "  - probes: ");
	if (v->probes_sent >= 0)
		fprintf(f, "sent %" PRId64 ", ", v->probes_sent);
	fprintf(f, "seen by the guest %" PRIu64 ", rode an earlier probe's interrupt %" PRIu64
		   ", attributed to a notification %" PRIu64 " (of which its interrupt had coalesced notifications %"
		   PRIu64 "), no notification %" PRIu64 ", notification without its hv_entry %" PRIu64 "\n",
		a->packets_seen, a->packets_rode, a->packets_attributed, a->packets_coalesced,
		a->packets_no_notification, a->packets_no_entry);
}

void md_packet_join(FILE *f, struct run_ctx *rc)
{
	int any = 0;
	for (size_t vi = 0; vi < rc->nv; vi++)
		any |= rc->v[vi].at != NULL;
	if (!any)
		return;
	fprintf(f, "## Per-packet attribution (join=packet)\n\n"
		   "Xen sees interrupts, not packets. The guest module names the guest interrupt that delivered "
		   "each probe (its seq). Each notification of the evaluation domain takes the first guest "
		   "interrupt of its line after it, however long after (no time window), and of the "
		   "notifications one guest interrupt closes the first raised it: the event channel stayed "
		   "pending from then on, the others coalesced into it. That notification and its hv_entry (the "
		   "entry TSC it carries) get the probe's seq, and every measure joins by seq: one sample per "
		   "probe. The Xen IRQ -> guest IRQ mapping comes from the data (the votes below).\n\n");
	for (size_t vi = 0; vi < rc->nv; vi++)
		if (rc->v[vi].at)
			md_attrib_variant(f, &rc->v[vi]);
	fputc('\n', f);
}

/* the probes joined FROM -> TO of measure m, against the probes sent */
void md_packet_joined(FILE *f, const struct variant *v, size_t m)
{
	const struct join_counts *c = &v->j[m].c;
	fprintf(f, "- `%s`: %" PRIu64 " probes joined by seq", v->name, c->by_seq);
	if (v->probes_sent > 0)
		fprintf(f, " of %" PRId64 " sent (%.1f %%)", v->probes_sent,
			pct(c->by_seq, (uint64_t)v->probes_sent));
	fprintf(f, "; probe stamps without their partner: FROM %" PRIu64 ", TO %" PRIu64 "; stamps of other "
		   "interrupts (no probe, not joined) %" PRIu64 "; duplicates FROM %" PRIu64 " / TO %" PRIu64
		   "; negative (excluded) %" PRIu64 "\n",
		c->unmatched_from, c->unmatched_to, c->no_seq, c->dup_from, c->dup_to, c->negative);
}

/* ---- the machine and the evidence ---- */
static const struct {
	const char *key, *label;
} ev_keys[] = {
	{ "natsume", "Natsume path" },
	{ "xen_args", "Xen options of this boot" },
	{ "eval_irq_mode", "evaluation NIC interrupt mode" },
	{ "eval_pinned", "evaluation vCPU hard-pinned (1) to pCPU eval_cpu" },
	{ "eval_cpu", "evaluation pCPU" },
	{ "dom0_cpus", "dom0's pCPUs" },
	{ "busy_loop", "busy loop in the guest (SCHED_IDLE)" },
	{ "load_nic_owner", "load NIC owned by" },
	{ "eval_dom", "evaluation domain" },
	{ "eval_xen_irq", "its Xen IRQ (the one its notifications use)" },
	{ "eval_xen_line", "that IRQ in Xen's own dump (xl debug-keys i)" },
	{ "eval_line_shared", "line shared with dom0" },
	{ "natsume_xen_log", "Natsume lines of xl dmesg" },
	{ "natsume_config", "NATSUME_CONFIG record" },
	{ "hv_natsume_records", "hv records with the natsume flag" },
	{ "hv_direct_records", "hv records from the lightweight handler (direct)" },
	{ "hv_direct_to_other", "lightweight-handler notifications of another domain" },
	{ "hv_lost_trace_records", "trace records Xen lost" },
	{ "guest_irq", "guest IRQ stamped" },
	{ "guest_irq_line_before", "its /proc/interrupts line before" },
	{ "guest_irq_line_after", "and after" },
	{ "load_sent", "load sent by the host" },
	{ "load_received_pps", "load received by the load NIC (dom0 counters), packets/s" },
	{ "load_received_mbps", "the same in Mbit/s (Ethernet frames)" },
	{ "load_irqs_per_s", "load NIC interrupts per second (dom0)" },
	{ "load_rx_dropped", "load frames the NIC dropped" },
	{ "host_stalls", "host stalls (nt-stallmon on the host)" },
	{ "boot_to_ready_s", "QEMU start to every probe armed (s, wall clock)" },
	{ "measure_s", "traffic: the probe schedule + 3 s (s)" },
	{ "teardown_s", "collection and teardown (s)" },
	{ "failed", "FAILED" },
	{ "step_failed", "step failed" },
	{ "status", "status" },
};

void md_evidence(FILE *f, struct run_ctx *rc)
{
	int any = 0;
	char vm[4200], val[2048];
	for (size_t vi = 0; vi < rc->nv && !any; vi++) {
		snprintf(vm, sizeof(vm), "%s/meta.txt", rc->v[vi].dir);
		any = rc->v[vi].dir[0] && nt_meta_get(vm, "testbed", val, sizeof(val)) == 0 && strcmp(val, "native");
	}
	if (!any)
		return;
	fprintf(f, "## The machine and the evidence, per variant\n\n"
		   "From each variant's meta.txt, written by the runner from Xen's, dom0's and the guest's own "
		   "output (the files are in the variant's folder: xen-irqs-*.txt, xl-dmesg-*.txt, "
		   "interrupts-*.txt, counters-*.txt, hv.csv.meta, domu.cfg, serial.log).\n\n");
	for (size_t vi = 0; vi < rc->nv; vi++) {
		snprintf(vm, sizeof(vm), "%s/meta.txt", rc->v[vi].dir);
		fprintf(f, "### %s\n\n", rc->v[vi].name);
		for (size_t k = 0; k < sizeof(ev_keys) / sizeof(ev_keys[0]); k++)
			if (nt_meta_get(vm, ev_keys[k].key, val, sizeof(val)) == 0 && val[0])
				fprintf(f, "- %s: `%s`\n", ev_keys[k].label, val);
		fputc('\n', f);
	}
}

void json_attrib(FILE *f, const struct variant *v)
{
	const struct attrib *a = v->at;
	if (!a) {
		fputs("null", f);
		return;
	}
	fprintf(f, "{\"eval_dom\": %u, \"eval_dom_from\": \"%s\", \"map\": [", a->dom, a->dom_given ? "meta" : "data");
	for (size_t k = 0; k < a->nmap; k++)
		fprintf(f, "%s{\"xen_irq\": %u, \"guest_irq\": %u, \"votes\": %" PRIu64 ", \"of\": %" PRIu64 "}",
			k ? ", " : "", a->map[k].xirq, a->map[k].girq, a->map[k].votes, a->map[k].total);
	fprintf(f, "], \"notifications\": %" PRIu64 ", \"other_notifications\": %" PRIu64
		   ", \"guest_interrupts\": %" PRIu64 ", \"guest_interrupts_with_probe\": %" PRIu64
		   ", \"raised\": %" PRIu64 ", \"no_notification\": %" PRIu64 ", \"coalesced\": %" PRIu64
		   ", \"after_last_interrupt\": %" PRIu64 ", \"probes_sent\": %" PRId64 ", \"probes_seen\": %" PRIu64
		   ", \"probes_rode\": %" PRIu64 ", \"probes_attributed\": %" PRIu64 ", \"probes_coalesced\": %" PRIu64
		   ", \"probes_no_notification\": %" PRIu64 ", \"probes_no_entry\": %" PRIu64
		   ", \"guest_interrupts_outside_trace\": %" PRIu64 ", \"probes_outside_trace\": %" PRIu64 "}",
		a->deliveries, a->other_deliveries, a->guest_irqs, a->guest_irqs_seq, a->caused, a->no_notification,
		a->coalesced, a->left_at_end, v->probes_sent, a->packets_seen, a->packets_rode, a->packets_attributed,
		a->packets_coalesced, a->packets_no_notification, a->packets_no_entry, a->outside_trace,
		a->packets_outside_trace);
}

/* The keys of a variant's meta.txt that say what the runner could not
 * record, or checked: records_check.FILE and records_copy.FILE (a record
 * file's rows and its copy), workload_retries and config_retry (the xen-io
 * driver), hv_csv_redecoded (the xen-timer driver). */
static int gap_key(const char *key)
{
	static const char *const keys[] = { "workload_retries", "config_retry", "hv_csv_redecoded" };
	if ((strncmp(key, "records_check.", 14) == 0 && key[14]) || (strncmp(key, "records_copy.", 13) == 0 && key[13]))
		return 1;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i]) == 0)
			return 1;
	return 0;
}

/* fn(key, value, arg) for each gap_key line of DIR/meta.txt, in its order */
static void each_gap(const char *dir, void (*fn)(const char *, const char *, void *), void *arg)
{
	char p[4200];
	struct nt_meta m;
	snprintf(p, sizeof(p), "%s/meta.txt", dir);
	if (!dir[0] || nt_meta_load(&m, p))
		return;
	for (size_t i = 0; i < m.n; i++)
		if (gap_key(m.k[i]))
			fn(m.k[i], m.v[i], arg);
	nt_meta_free(&m);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static void md_gap(const char *key, const char *val, void *f)
{
	fprintf(f, "  - `%s`: %s\n", key, val);
}

void md_variant_gaps(FILE *f, const struct variant *v)
{
	for (size_t i = 0; i < v->nempty; i++)
		fprintf(f, "  - not recorded: `%s`: " NO_RECORDS_SAID " (%s), not read\n", base_name(v->empty[i].path),
			v->empty[i].why);
	each_gap(v->dir, md_gap, f);
}

struct json_gaps {
	FILE *f;
	int n;
};

static void json_gap(const char *key, const char *val, void *arg)
{
	struct json_gaps *g = arg;
	fprintf(g->f, "%s{\"key\": ", g->n++ ? ", " : "");
	json_str(g->f, key);
	fprintf(g->f, ", \"value\": ");
	json_str(g->f, val);
	fputc('}', g->f);
}

void json_variant_gaps(FILE *f, const struct variant *v)
{
	fprintf(f, "{\"empty_files\": [");
	for (size_t i = 0; i < v->nempty; i++) {
		fprintf(f, "%s{\"file\": ", i ? ", " : "");
		json_str(f, v->empty[i].path);
		fprintf(f, ", \"why\": ");
		json_str(f, v->empty[i].why);
		fputc('}', f);
	}
	struct json_gaps g = { f, 0 };
	fprintf(f, "], \"meta\": [");
	each_gap(v->dir, json_gap, &g);
	fprintf(f, "]}");
}
