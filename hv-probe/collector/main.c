// SPDX-License-Identifier: GPL-2.0
/*
 * nt-hvcollect: the hypervisor probe collector.  Reads the Natsume probe
 * records (hv-probe/include/natsume_trace.h) and, optionally, Xen's stock
 * TRC_HW_IRQ_HANDLED records, live from Xen's trace buffers (dom0) or from a
 * file that xentrace wrote, and writes the project's records
 * (include/nt/record.h) plus FILE.meta and a summary.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "live.h"
#include "natsume_trace.h"
#include "nt/meta.h"
#include "nt/prog.h"
#include "summary.h"
#include "xtdec.h"

enum { O_STOCK = 256, O_COST, O_HZ, O_SUMMARY, O_EVENTS, O_MASK, O_PAGES, O_POLL, O_COUNT, O_RAW, O_AFTER,
       O_VERBOSE, O_STRICT };

static const struct nt_opt hv_opts[] = {
	{ "stock", NULL, O_STOCK, "also convert TRC_HW_IRQ_HANDLED (0x00802008) into hv_entry\nrecords flagged trunc32 (32-bit tsc_in widened with the header TSC)" },
	{ "probe-cost", NULL, O_COST, "also write probe_cost records (aux = NATSUME_ENTRY d5, cycles)" },
	{ "tsc-hz", "HZ", O_HZ, "TSC frequency, e.g. 2.6GHz (default: Xen's cpu_khz live;\noffline TRACE.meta's tsc_hz when present)" },
	{ "summary", "FILE", O_SUMMARY, "write the summary there (default stdout, or stderr with -o -)" },
	{ "events", "LIST", O_EVENTS, "live: natsume,irq (default both): Xen event classes to enable\n(natsume = TRC_HW sub-class 0x00804000, irq = 0x00802000)" },
	{ "evt-mask", "HEX", O_MASK, "live: raw xc_tbuf_set_evt_mask value instead of --events" },
	{ "pages", "N", O_PAGES, "live: per-CPU buffer size in 4 KiB pages (default 32; Xen\nkeeps the first size set until reboot)" },
	{ "poll", "DUR", O_POLL, "live: poll period when VIRQ_TBUF is quiet (default 100ms)" },
	{ "count", "N", O_COUNT, "live: stop after N hv_entry + hv_deliver records" },
	{ "raw", "FILE", O_RAW, "live: also write the raw windows in xentrace's file format\n(and FILE.meta: the host's CPUs and tsc_hz, for decode)" },
	{ "decode-after", NULL, O_AFTER, "live: only copy the windows to --raw FILE while tracing and\ndecode FILE when tracing stops: next to no work in dom0\nduring the measurement (not with --count)" },
	{ "verbose", NULL, O_VERBOSE, "live: xentoollog messages (twice: debug)" },
	{ "strict", NULL, O_STRICT, "decode: any malformed or truncated input, no trace data or a\nrecord TSC that goes back is an error (exit 1); default: count\nit, resynchronise, report it, exit 0" },
	{ NULL, NULL, 0, NULL },
};

struct out {
	struct nt_prog *p;
	uint64_t limit; /* 0 = none */
	uint64_t probes;
	int stop_on_signal; /* offline decode: a signal ends decoding; live mode drains instead */
};

struct hv {
	int live, live_only, verbose, after;
	const char *input, *sum_path, *raw_path, *hz_method;
	struct xt_opts xo;
	double hz;
	uint32_t mask;
	uint64_t pages, count;
	int64_t poll;
	uint8_t cpus[XT_MAX_CPUS / 8]; /* decode: the host's CPUs; live: those to trace */
	int have_cpus;
	struct xt_dec d;
	struct live_info li;
	struct out o;
	FILE *in, *raw;
};

/* ---- options ----------------------------------------------------------- */

static int parse_events(const char *s, uint32_t *mask)
{
	uint32_t m = 0;
	char buf[128];
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "natsume"))
			m |= TRC_HW_NATSUME;
		else if (!strcmp(t, "irq"))
			m |= XT_TRC_HW_IRQ;
		else
			return -1;
	}
	if (!m)
		return -1;
	*mask = m;
	return 0;
}

static int hv_opt(struct nt_prog *p, int key, const char *arg)
{
	struct hv *h = p->ctx;
	uint64_t v;
	h->live_only |= key >= O_EVENTS && key <= O_VERBOSE;
	switch (key) {
	case O_STOCK: h->xo.stock = 1; return 0;
	case O_COST: h->xo.probe_cost = 1; return 0;
	case O_HZ:
		h->hz_method = "--tsc-hz";
		return nt_parse_hz(arg, NT_TSC_HZ_MIN, NT_TSC_HZ_MAX, &h->hz);
	case O_SUMMARY: h->sum_path = arg; return 0;
	case O_EVENTS: return parse_events(arg, &h->mask);
	case O_MASK: { /* hexadecimal, with or without 0x */
		char hex[40];
		snprintf(hex, sizeof(hex), "%s%.30s", strncasecmp(arg, "0x", 2) ? "0x" : "", arg);
		if (nt_parse_u64(hex, 1, 0x0fffffff, &v))
			return -1;
		h->mask = (uint32_t)v;
		return 0;
	}
	case O_PAGES: return nt_parse_u64(arg, 1, 65535, &h->pages);
	case O_POLL: return nt_parse_dur(arg, 1000000, 60000000000LL, &h->poll);
	case O_COUNT: return nt_parse_u64(arg, 1, UINT64_MAX, &h->count);
	case O_RAW: h->raw_path = arg; return 0;
	case O_AFTER: h->after = 1; return 0;
	case O_VERBOSE: h->verbose++; return 0;
	case O_STRICT: h->xo.strict = 1; return 0;
	}
	return -1;
}

/* live | decode TRACE */
static int hv_args(struct nt_prog *p, int argc, char **argv)
{
	struct hv *h = p->ctx;
	if (argc < 1)
		nt_usage(p, "missing command: live or decode");
	h->live = !strcmp(argv[0], "live");
	if (!h->live && strcmp(argv[0], "decode"))
		nt_usage(p, "unknown command '%s': use live or decode", argv[0]);
	if (h->live && argc != 1)
		nt_usage(p, "live takes no file argument (got '%s')", argv[1]);
	if (!h->live && argc != 2)
		nt_usage(p, "decode needs exactly one trace file");
	h->input = h->live ? NULL : argv[1];
	return 0;
}

static void hv_validate(struct nt_prog *p)
{
	struct hv *h = p->ctx;
	if (h->live && h->xo.strict)
		nt_usage(p, "--strict is an option of decode");
	if (!h->live && (h->live_only || p->duration_ns || h->raw_path))
		nt_usage(p, "--events/--evt-mask/--pages/--poll/--count/--raw/--decode-after/--verbose/--duration: "
			    "options of live mode given to decode");
	if (h->after && !h->raw_path)
		nt_usage(p, "--decode-after needs --raw FILE (the trace it decodes when tracing stops)");
	if (h->after && h->count)
		nt_usage(p, "--decode-after and --count: the count is of decoded records, which come only at the end");
	if (!p->out)
		p->out = "-";
	/* CPU numbers of the Xen host, not of this one: not checked here */
	memcpy(h->cpus, p->cpus, sizeof(p->cpus));
	h->have_cpus = p->ncpus > 0;
}

/* ---- set-up --------------------------------------------------------------- */

/* The input's .meta: tsc_hz and the host's CPUs (xen_max_cpu_id), unless
 * --tsc-hz / --cpu said them. */
static void input_meta(struct nt_prog *p, struct hv *h)
{
	char path[4200], val[64];
	uint64_t max;
	if (!strcmp(h->input, "-") || nt_meta_path_for(h->input, path, sizeof(path)) != 0)
		return;
	if (!(h->hz > 0) && nt_meta_get(path, "tsc_hz", val, sizeof(val)) == 0) {
		if (nt_parse_hz(val, NT_TSC_HZ_MIN, NT_TSC_HZ_MAX, &h->hz) == 0)
			h->hz_method = "the input's .meta (tsc_hz)";
		else
			nt_warn(p, "ignoring tsc_hz='%s' in %s", val, path);
	}
	if (!h->have_cpus && nt_meta_get(path, "xen_max_cpu_id", val, sizeof(val)) == 0) {
		if (nt_parse_u64(val, 0, XT_MAX_CPUS - 1, &max) == 0) {
			for (uint64_t c = 0; c <= max; c++)
				h->cpus[c / 8] |= (uint8_t)(1u << (c % 8));
			h->have_cpus = 1;
		} else {
			nt_warn(p, "ignoring xen_max_cpu_id='%s' in %s", val, path);
		}
	}
}

static int open_inputs(struct nt_prog *p, struct hv *h)
{
	if (h->live && live_check(p->name)) {
		p->failed = 1; /* live_check said why */
		return -1;
	}
	if (h->live)
		return 0;
	h->in = strcmp(h->input, "-") ? fopen(h->input, "rb") : stdin;
	if (!h->in) {
		nt_error(p, "cannot open %s: %s", h->input, strerror(errno));
		return -1;
	}
	input_meta(p, h);
	if (h->have_cpus)
		h->xo.cpus = h->cpus;
	return 0;
}

static int open_raw(struct nt_prog *p, struct hv *h)
{
	if (h->raw_path && !(h->raw = fopen(h->raw_path, h->after ? "w+b" : "wb"))) {
		nt_error(p, "cannot create %s: %s", h->raw_path, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- the run -------------------------------------------------------------- */

static int emit(void *ctx, const struct nt_rec *r)
{
	struct out *o = ctx;
	if (nt_stopping() && o->stop_on_signal)
		return 1; /* a signal: stop decoding, keep what was written */
	if (o->limit && (r->event == NT_EV_HV_ENTRY || r->event == NT_EV_HV_DELIVER)) {
		if (o->probes >= o->limit)
			return 1;
		o->probes++;
	}
	nt_writer_put(o->p->w, r); /* a write failure is counted and said at the close */
	return 0;
}

static void tick(void *ctx)
{
	struct out *o = ctx;
	nt_writer_flush(o->p->w);
}

/* --decode-after: tracing has stopped and every window is in the raw file;
 * decode it from its start, as decode would (a signal does not cut it short:
 * the signal was what stopped tracing). */
static int decode_after(struct nt_prog *p, struct hv *h)
{
	if (fflush(h->raw) != 0 || fseek(h->raw, 0, SEEK_SET) != 0) {
		nt_error(p, "%s: %s", h->raw_path, strerror(errno));
		return 1;
	}
	if (xt_dec_file(&h->d, h->raw) != 0) {
		nt_error(p, "decoding %s after tracing: %s", h->raw_path, h->d.err);
		return 1;
	}
	return 0;
}

static int run_live(struct nt_prog *p, struct hv *h)
{
	struct live_opts lo = {
		.evt_mask = h->mask, .cpumap = h->have_cpus ? h->cpus : NULL, .pages = (unsigned)h->pages,
		.poll_ms = (unsigned)(h->poll / 1000000), .duration_s = p->duration_ns / 1e9, .verbose = h->verbose,
		.raw = h->raw, .no_decode = h->after, .stopping = nt_stopping, .tick = tick, .tick_ctx = &h->o,
	};
	int rc = live_run(p->name, &h->d, &lo, &h->li);
	if (!(h->hz > 0) && h->li.tsc_hz > 0) {
		h->hz = h->li.tsc_hz;
		h->hz_method = "Xen xc_physinfo cpu_khz";
	}
	if (!rc && h->after)
		rc = decode_after(p, h);
	if (!rc && h->d.errors)
		nt_warn(p, "%" PRIu64 " anomalies in the trace buffers; first: %s", h->d.errors, h->d.err);
	if (h->o.limit && h->o.probes >= h->o.limit)
		nt_prog_stop_reason(p, "count reached");
	else if (!nt_stopping() && !rc)
		nt_prog_stop_reason(p, "duration reached");
	return rc ? -1 : 0;
}

static int run_decode(struct nt_prog *p, struct hv *h)
{
	int rc = 0;
	if (xt_dec_file(&h->d, h->in) != 0 && !nt_stopping()) { /* a signal: a short read */
		nt_error(p, "%s: %s", h->input, h->d.err);
		rc = -1;
	} else if (h->d.errors) {
		nt_warn(p, "%s: %" PRIu64 " anomalies; first: %s", h->input, h->d.errors, h->d.err);
	}
	if (h->in != stdin)
		fclose(h->in);
	if (!nt_stopping() && !rc)
		nt_prog_stop_reason(p, "end of the input");
	return rc;
}

/* Beside --raw: what decode needs to know of this host. */
static void raw_meta(struct nt_prog *p, struct hv *h)
{
	char path[4200];
	FILE *m = NULL;
	if (nt_meta_path_for(h->raw_path, path, sizeof(path)) == 0)
		m = fopen(path, "w");
	if (m) {
		nt_meta_put(m, "xen_max_cpu_id", "%u", h->li.max_cpu_id);
		nt_meta_put(m, "xen_nr_cpus", "%u", h->li.nr_cpus);
		if (h->hz > 0)
			nt_meta_put(m, "tsc_hz", "%.0f", h->hz);
	}
	if (!m || fclose(m) != 0)
		nt_error(p, "cannot write %s", path);
}

static int collect(struct nt_prog *p, struct hv *h)
{
	h->o = (struct out){ .p = p, .limit = h->count, .stop_on_signal = !h->live };
	xt_dec_init(&h->d, &h->xo, emit, &h->o);
	int rc = h->live ? run_live(p, h) : run_decode(p, h);
	if (h->raw && fclose(h->raw) != 0) {
		nt_error(p, "closing %s: %s", h->raw_path, strerror(errno));
		rc = -1;
	}
	if (h->raw && h->li.mapped_cpus)
		raw_meta(p, h);
	return rc ? NT_EXIT_FAIL : NT_EXIT_OK;
}

/* ---- metadata and summary ------------------------------------------------- */

static void hv_meta(struct nt_prog *p, FILE *m)
{
	struct hv *h = p->ctx;
	nt_meta_put(m, "mode", "%s", h->live ? "live" : "offline");
	if (h->input)
		nt_meta_put(m, "input", "%s", h->input);
	nt_meta_put(m, "tsc_clock", "xen");
	if (h->hz > 0) {
		nt_meta_put(m, "tsc_hz", "%.0f", h->hz);
		nt_meta_put(m, "tsc_hz_method", "%s", h->hz_method);
	}
	if (h->live) {
		const struct live_info *li = &h->li;
		char cl[256] = "all";
		if (h->have_cpus)
			nt_cpulist_format(h->cpus, NT_CPUS_MAX, cl, sizeof(cl));
		nt_meta_put(m, "xen_version", "%s", li->xen_version);
		nt_meta_put(m, "xen_changeset", "%s", li->xen_changeset);
		nt_meta_put(m, "xen_nr_cpus", "%u", li->nr_cpus);
		nt_meta_put(m, "xen_max_cpu_id", "%u", li->max_cpu_id);
		nt_meta_put(m, "evt_mask", "0x%08x", h->mask);
		nt_meta_put(m, "tbuf_pages", "%u", li->tbuf_pages);
		nt_meta_put(m, "cpu_mask", "%s", cl);
		nt_meta_put(m, "traced_cpus", "%u", li->mapped_cpus);
		nt_meta_put(m, "traced_s", "%.3f", li->elapsed_s);
		nt_meta_put(m, "wakeups_virq", "%" PRIu64, li->wake_virq);
		nt_meta_put(m, "wakeups_timeout", "%" PRIu64, li->wake_timeout);
		if (h->raw_path)
			nt_meta_put(m, "raw_trace", "%s", h->raw_path);
		nt_meta_put(m, "decoded", "%s", h->after ? "after tracing stopped (--decode-after)" : "while tracing");
	}
	nt_meta_put(m, "strict", "%d", h->xo.strict);
	nt_meta_put(m, "stock_irq_handled", "%d", h->xo.stock);
	xt_summary_meta(m, &h->d);
}

static void hv_summary(struct nt_prog *p)
{
	struct hv *h = p->ctx;
	FILE *sum = h->sum_path ? fopen(h->sum_path, "w") : nt_prog_sumfile(p);
	if (!sum) {
		nt_error(p, "cannot create %s: %s", h->sum_path, strerror(errno));
		return;
	}
	struct xt_run run = {
		.mode = h->live ? "live" : "offline", .input = h->input, .output = p->out, .tsc_hz = h->hz,
		.hz_method = h->hz_method, .elapsed_s = h->li.elapsed_s, .interrupted = nt_stopping() != 0,
	};
	const struct live_info *li = &h->li;
	if (h->live)
		fprintf(sum, "Xen %s%s%s%s, %u CPUs traced, %u-page buffers, event mask 0x%08x, wake-ups: %" PRIu64
			     " VIRQ_TBUF, %" PRIu64 " poll timeouts\n",
			li->xen_version, li->xen_changeset[0] ? " (" : "", li->xen_changeset,
			li->xen_changeset[0] ? ")" : "", li->mapped_cpus, li->tbuf_pages, h->mask, li->wake_virq,
			li->wake_timeout);
	xt_summary_print(sum, &h->d, &run);
	if (h->sum_path && fclose(sum) != 0)
		nt_error(p, "writing %s: %s", h->sum_path, strerror(errno));
}

int main(int argc, char **argv)
{
	static struct hv h = { .mask = TRC_HW_NATSUME | XT_TRC_HW_IRQ, .pages = 32, .poll = 100000000, .hz_method = "" };
	struct nt_prog p = {
		.name = "nt-hvcollect", .synopsis = "[options] live | decode TRACE",
		.about = "live: read Xen's trace buffers (root in dom0); decode: a file that xentrace (or\n"
			 "--raw) wrote, \"-\" = stdin.  Writes hv_entry / hv_deliver / lost (and optionally\n"
			 "probe_cost) records, OUT.meta beside OUT, and a summary: records per type per CPU,\n"
			 "lost records, per-CPU TSC monotonicity, the entry->deliver interval per path and\n"
			 "the probe cost, in Xen TSC cycles and us.",
		.common = NT_C_OUT | NT_C_FORMAT | NT_C_META | NT_C_DURATION | NT_C_CPU, .opts = hv_opts,
		.opt = hv_opt, .args = hv_args, .validate = hv_validate, .meta = hv_meta, .summary = hv_summary,
		.source = "hv", .ctx = &h,
		.out_help = "records (default -: stdout; the summary then goes to stderr);\n.bin/.ntr binary, else CSV",
		.duration_help = "live: stop after DUR (default: at SIGINT/SIGTERM)",
		.cpu_help = "live: trace only these pCPUs; decode: the CPUs the traced\nhost has (default: TRACE.meta's xen_max_cpu_id; unknown:\nany)",
	};
	nt_prog_parse(&p, argc, argv);
	int rc = NT_EXIT_OK;
	if (open_inputs(&p, &h) == 0 && open_raw(&p, &h) == 0 && nt_prog_start(&p) == 0)
		rc = collect(&p, &h);
	rc = nt_prog_close(&p, rc);
	xt_dec_free(&h.d);
	return rc;
}
