// SPDX-License-Identifier: GPL-2.0
/*
 * nt-hvcollect: the hypervisor probe collector.  Reads the Natsume probe
 * records (hv-probe/include/natsume_trace.h) and, optionally, Xen's stock
 * TRC_HW_IRQ_HANDLED records, live from Xen's trace buffers (dom0) or from a
 * file that xentrace wrote, and writes the project's records
 * (include/nt/record.h) plus FILE.meta and a summary.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "live.h"
#include "natsume_trace.h"
#include "nt/meta.h"
#include "nt/recio.h"
#include "summary.h"
#include "xtdec.h"

#define PROG "nt-hvcollect"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *o)
{
	fprintf(o,
		"usage: " PROG " live   [options]          read Xen's trace buffers (root in dom0)\n"
		"       " PROG " decode [options] TRACE    decode a file that xentrace wrote (\"-\" = stdin)\n"
		"\n"
		"Writes hv_entry / hv_deliver / lost (and optionally probe_cost) records of the\n"
		"project's record format, OUT.meta beside OUT, and a summary: records per type per\n"
		"CPU, lost records, per-CPU TSC monotonicity, the entry->deliver interval per path\n"
		"(stock / natsume) and the probe cost, in Xen TSC cycles and us.\n"
		"\n"
		"common options:\n"
		"  -o, --out FILE        records file (default \"-\": stdout, summary goes to stderr)\n"
		"  -f, --format csv|bin  default: from the name (.bin/.ntr binary, else CSV)\n"
		"      --stock           also convert TRC_HW_IRQ_HANDLED (0x00802008) into hv_entry\n"
		"                        records flagged trunc32 (32-bit tsc_in widened with the header TSC)\n"
		"      --probe-cost      also write probe_cost records (aux = NATSUME_ENTRY d5, cycles)\n"
		"      --tsc-hz HZ       TSC frequency (default: Xen's cpu_khz live; offline TRACE.meta's\n"
		"                        tsc_hz when present); accepts 2.6e9, 2600MHz, 2.6GHz\n"
		"      --summary FILE    write the summary there (default stdout, or stderr with -o -)\n"
		"  -q, --quiet           no summary\n"
		"  -h, --help\n"
		"live options:\n"
		"  -e, --events LIST     natsume,irq (default both): Xen event classes to enable\n"
		"                        (natsume = TRC_HW sub-class 0x00804000, irq = 0x00802000)\n"
		"      --evt-mask HEX    raw xc_tbuf_set_evt_mask value instead of --events\n"
		"  -c, --cpus LIST       trace only these pCPUs, e.g. 0,2-3 (default all)\n"
		"      --pages N         per-CPU buffer size in 4 KiB pages (default 32; Xen keeps the first\n"
		"                        size set until reboot)\n"
		"      --poll-ms N       poll period when VIRQ_TBUF is quiet (default 100)\n"
		"  -d, --duration SEC    stop after SEC seconds (default: Ctrl-C / SIGTERM)\n"
		"  -n, --count N         stop after N hv_entry + hv_deliver records\n"
		"      --raw FILE        also write the raw windows in xentrace's file format\n"
		"  -v, --verbose         xentoollog messages (twice: debug)\n"
		"decode options:\n"
		"      --strict          any malformed or truncated input is an error (exit 1);\n"
		"                        default: count it, resynchronise, report it, exit 0\n"
		"\n"
		"exit: 0 ok, 1 runtime failure (not dom0, no Xen, I/O, strict decode error),\n"
		"      2 bad usage, 130 stopped by Ctrl-C/SIGTERM (live; data and summary written)\n");
}

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see --help)\n");
	return 2;
}

static int parse_u64(const char *s, uint64_t *v, int base)
{
	char *e;
	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	unsigned long long x = strtoull(s, &e, base);
	if (errno || *e)
		return -1;
	*v = x;
	return 0;
}

static int parse_hz(const char *s, double *hz)
{
	char *e;
	errno = 0;
	double v = strtod(s, &e);
	if (errno || e == s || !(v > 0) || !isfinite(v))
		return -1;
	if (!strcasecmp(e, "ghz"))
		v *= 1e9;
	else if (!strcasecmp(e, "mhz"))
		v *= 1e6;
	else if (!strcasecmp(e, "khz"))
		v *= 1e3;
	else if (*e && strcasecmp(e, "hz"))
		return -1;
	if (v < 1e6 || v > 1e11)
		return -1;
	*hz = v;
	return 0;
}

/* "0,2-3" -> bitmap.  Returns 0 or -1. */
static int parse_cpus(const char *s, uint8_t *map)
{
	const char *p = s;
	if (!*p)
		return -1;
	while (*p) {
		char *e;
		if (*p < '0' || *p > '9')
			return -1;
		unsigned long a = strtoul(p, &e, 10), b = a;
		if (*e == '-') {
			if (e[1] < '0' || e[1] > '9')
				return -1;
			b = strtoul(e + 1, &e, 10);
		}
		if (a > b || b >= XT_MAX_CPUS)
			return -1;
		for (unsigned long c = a; c <= b; c++)
			map[c / 8] |= (uint8_t)(1u << (c % 8));
		if (*e == ',')
			e++;
		else if (*e)
			return -1;
		p = e;
	}
	return 0;
}

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

struct out {
	struct nt_writer *w;
	uint64_t limit; /* 0 = none */
	uint64_t probes;
	int werr;
	int stop_on_signal; /* offline decode: Ctrl-C ends decoding; live mode drains instead */
};

static int emit(void *ctx, const struct nt_rec *r)
{
	struct out *o = ctx;
	if (stop_flag && o->stop_on_signal)
		return 1; /* Ctrl-C: stop decoding, keep what was written */
	if (o->limit && (r->event == NT_EV_HV_ENTRY || r->event == NT_EV_HV_DELIVER)) {
		if (o->probes >= o->limit)
			return 1;
		o->probes++;
	}
	if (nt_writer_put(o->w, r) != 0) {
		o->werr = errno ? errno : EIO;
		return 1;
	}
	return 0;
}

static void tick(void *ctx)
{
	struct out *o = ctx;
	if (nt_writer_flush(o->w) != 0 && !o->werr)
		o->werr = errno ? errno : EIO;
}

enum {
	O_STOCK = 256, O_COST, O_HZ, O_SUMMARY, O_MASK, O_PAGES, O_POLL, O_RAW, O_STRICT,
};

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "out", required_argument, 0, 'o' },	   { "format", required_argument, 0, 'f' },
		{ "stock", no_argument, 0, O_STOCK },	   { "probe-cost", no_argument, 0, O_COST },
		{ "tsc-hz", required_argument, 0, O_HZ },  { "summary", required_argument, 0, O_SUMMARY },
		{ "quiet", no_argument, 0, 'q' },	   { "help", no_argument, 0, 'h' },
		{ "events", required_argument, 0, 'e' },   { "evt-mask", required_argument, 0, O_MASK },
		{ "cpus", required_argument, 0, 'c' },	   { "pages", required_argument, 0, O_PAGES },
		{ "poll-ms", required_argument, 0, O_POLL }, { "duration", required_argument, 0, 'd' },
		{ "count", required_argument, 0, 'n' },	   { "raw", required_argument, 0, O_RAW },
		{ "verbose", no_argument, 0, 'v' },	   { "strict", no_argument, 0, O_STRICT },
		{ 0, 0, 0, 0 },
	};
	const char *out_path = "-", *fmt_s = NULL, *sum_path = NULL, *raw_path = NULL, *cpus_s = NULL;
	struct xt_opts xo = { 0 };
	double hz = 0, duration = 0;
	int quiet = 0, verbose = 0, have_cpus = 0, live_only = 0;
	uint32_t mask = TRC_HW_NATSUME | XT_TRC_HW_IRQ;
	static uint8_t cpumap[XT_MAX_CPUS / 8];
	uint64_t pages = 32, poll_ms = 100, count = 0, v;

	if (argc < 2)
		return bad("missing command: %s", "live or decode");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return usage(stdout), 0;
	const char *cmd = argv[1];
	int live = !strcmp(cmd, "live");
	if (!live && strcmp(cmd, "decode"))
		return bad("unknown command \"%s\": use live or decode", cmd);
	argc--;
	argv++;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:f:qhe:c:d:n:v", lo, NULL)) != -1) {
		switch (c) {
		case 'o': out_path = optarg; break;
		case 'f': fmt_s = optarg; break;
		case O_STOCK: xo.stock = 1; break;
		case O_COST: xo.probe_cost = 1; break;
		case O_HZ:
			if (parse_hz(optarg, &hz))
				return bad("bad --tsc-hz \"%s\": a frequency between 1 MHz and 100 GHz", optarg);
			break;
		case O_SUMMARY: sum_path = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return 0;
		case 'e':
			if (parse_events(optarg, &mask))
				return bad("bad --events \"%s\": a list of natsume, irq", optarg);
			live_only = 1;
			break;
		case O_MASK:
			if (parse_u64(optarg, &v, 16) || v == 0 || v > 0x0fffffff)
				return bad("bad --evt-mask \"%s\": a hex mask 1..0x0fffffff", optarg);
			mask = (uint32_t)v;
			live_only = 1;
			break;
		case 'c':
			if (parse_cpus(optarg, cpumap))
				return bad("bad --cpus \"%s\": e.g. 0,2-3", optarg);
			have_cpus = 1;
			cpus_s = optarg;
			live_only = 1;
			break;
		case O_PAGES:
			if (parse_u64(optarg, &pages, 10) || pages < 1 || pages > 65535)
				return bad("bad --pages \"%s\": 1..65535", optarg);
			live_only = 1;
			break;
		case O_POLL:
			if (parse_u64(optarg, &poll_ms, 10) || poll_ms < 1 || poll_ms > 60000)
				return bad("bad --poll-ms \"%s\": 1..60000", optarg);
			live_only = 1;
			break;
		case 'd': {
			char *e;
			errno = 0;
			duration = strtod(optarg, &e);
			if (errno || e == optarg || *e || !(duration > 0) || duration > 1e7)
				return bad("bad --duration \"%s\": seconds > 0", optarg);
			live_only = 1;
			break;
		}
		case 'n':
			if (parse_u64(optarg, &count, 10) || count == 0)
				return bad("bad --count \"%s\": a number > 0", optarg);
			live_only = 1;
			break;
		case O_RAW: raw_path = optarg; live_only = 1; break;
		case 'v': verbose++; live_only = 1; break;
		case O_STRICT: xo.strict = 1; break;
		default:
			return bad("bad option or missing argument near \"%s\"", argv[optind - 1]);
		}
	}
	const char *input = NULL;
	if (live) {
		if (optind != argc)
			return bad("live takes no file argument (got \"%s\")", argv[optind]);
		if (xo.strict)
			return bad("%s is an option of decode", "--strict");
	} else {
		if (optind != argc - 1)
			return bad("%s needs exactly one trace file", "decode");
		if (live_only)
			return bad("%s: an option of live mode given to decode", "--events/--evt-mask/--cpus/--pages/"
									 "--poll-ms/--duration/--count/--raw/-v");
		input = argv[optind];
	}
	enum nt_fmt fmt = nt_fmt_from_path(out_path);
	if (fmt_s) {
		if (!strcmp(fmt_s, "csv"))
			fmt = NT_FMT_CSV;
		else if (!strcmp(fmt_s, "bin"))
			fmt = NT_FMT_BIN;
		else
			return bad("bad --format \"%s\": csv or bin", fmt_s);
	}
	const char *hz_method = hz > 0 ? "--tsc-hz" : "";

	if (live && live_check(PROG))
		return 1;
	/* open everything before reading, so that a bad path fails early */
	FILE *in = NULL;
	char in_meta[4200];
	if (!live) {
		if (!strcmp(input, "-")) {
			in = stdin;
		} else if (!(in = fopen(input, "rb"))) {
			fprintf(stderr, PROG ": cannot open %s: %s\n", input, strerror(errno));
			return 1;
		}
		if (hz == 0 && strcmp(input, "-") && nt_meta_path_for(input, in_meta, sizeof(in_meta)) == 0) {
			char val[64];
			if (nt_meta_get(in_meta, "tsc_hz", val, sizeof(val)) == 0) {
				if (parse_hz(val, &hz) == 0)
					hz_method = "the input's .meta (tsc_hz)";
				else
					fprintf(stderr, PROG ": warning: ignoring tsc_hz=\"%s\" in %s\n", val, in_meta);
			}
		}
	}
	FILE *raw = NULL;
	if (raw_path && !(raw = fopen(raw_path, "wb"))) {
		fprintf(stderr, PROG ": cannot create %s: %s\n", raw_path, strerror(errno));
		return 1;
	}
	/* Live mode keeps emitting after Ctrl-C: it disables tracing and drains
	 * what Xen wrote before that, so that the output and the --raw copy hold
	 * the same records. */
	struct out o = { .limit = count, .stop_on_signal = !live };
	o.w = nt_writer_open(out_path, fmt);
	if (!o.w) {
		fprintf(stderr, PROG ": cannot create %s: %s\n", out_path, strerror(errno));
		return 1;
	}
	FILE *sum = !strcmp(out_path, "-") ? stderr : stdout;
	if (sum_path && !(sum = fopen(sum_path, "w"))) {
		fprintf(stderr, PROG ": cannot create %s: %s\n", sum_path, strerror(errno));
		nt_writer_close(o.w);
		return 1;
	}

	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	struct xt_dec d;
	xt_dec_init(&d, &xo, emit, &o);
	struct live_info li = { 0 };
	int rc = 0;
	time_t started = time(NULL);
	if (live) {
		struct live_opts lo2 = {
			.evt_mask = mask, .cpumap = have_cpus ? cpumap : NULL, .pages = (unsigned)pages,
			.poll_ms = (unsigned)poll_ms, .duration_s = duration, .verbose = verbose, .raw = raw,
			.stop = &stop_flag, .tick = tick, .tick_ctx = &o,
		};
		rc = live_run(PROG, &d, &lo2, &li);
		if (hz == 0 && li.tsc_hz > 0) {
			hz = li.tsc_hz;
			hz_method = "Xen xc_physinfo cpu_khz";
		}
		if (!rc && d.errors)
			fprintf(stderr, PROG ": warning: %" PRIu64 " anomalies in the trace buffers; first: %s\n",
				d.errors, d.err);
	} else {
		if (xt_dec_file(&d, in) != 0 && !(d.stopped && !o.werr)) {
			fprintf(stderr, PROG ": %s: %s\n", input, d.stopped ? "cannot write the records" : d.err);
			rc = 1;
		} else if (d.errors) {
			fprintf(stderr, PROG ": warning: %s: %" PRIu64 " anomalies; first: %s\n", input, d.errors,
				d.err);
		}
		if (in != stdin)
			fclose(in);
	}
	if (o.werr) {
		fprintf(stderr, PROG ": writing %s: %s\n", out_path, strerror(o.werr));
		rc = 1;
	}
	if (nt_writer_close(o.w) != 0) {
		fprintf(stderr, PROG ": closing %s: %s\n", out_path, strerror(errno));
		rc = 1;
	}
	if (raw && fclose(raw) != 0) {
		fprintf(stderr, PROG ": closing %s: %s\n", raw_path, strerror(errno));
		rc = 1;
	}

	/* FILE.meta: only beside a real file, and only when something ran */
	int ran = !live || li.mapped_cpus > 0;
	if (strcmp(out_path, "-") && ran) {
		char mp[4200];
		FILE *m = NULL;
		if (nt_meta_path_for(out_path, mp, sizeof(mp)) == 0)
			m = fopen(mp, "w");
		if (!m) {
			fprintf(stderr, PROG ": cannot create %s.meta: %s\n", out_path, strerror(errno));
			rc = 1;
		} else {
			nt_meta_put(m, "source", "hv");
			nt_meta_put(m, "tool", PROG);
			nt_meta_put(m, "mode", "%s", live ? "live" : "offline");
			nt_meta_put(m, "started_unix", "%lld", (long long)started);
			if (input)
				nt_meta_put(m, "input", "%s", input);
			nt_meta_put(m, "tsc_clock", "xen");
			if (hz > 0) {
				nt_meta_put(m, "tsc_hz", "%.0f", hz);
				nt_meta_put(m, "tsc_hz_method", "%s", hz_method);
			}
			if (live) {
				nt_meta_put(m, "xen_version", "%s", li.xen_version);
				nt_meta_put(m, "xen_changeset", "%s", li.xen_changeset);
				nt_meta_put(m, "xen_nr_cpus", "%u", li.nr_cpus);
				nt_meta_put(m, "evt_mask", "0x%08x", mask);
				nt_meta_put(m, "tbuf_pages", "%u", li.tbuf_pages);
				nt_meta_put(m, "cpu_mask", "%s", cpus_s ? cpus_s : "all");
				nt_meta_put(m, "traced_cpus", "%u", li.mapped_cpus);
				nt_meta_put(m, "elapsed_s", "%.3f", li.elapsed_s);
				nt_meta_put(m, "wakeups_virq", "%" PRIu64, li.wake_virq);
				nt_meta_put(m, "wakeups_timeout", "%" PRIu64, li.wake_timeout);
				if (raw_path)
					nt_meta_put(m, "raw_trace", "%s", raw_path);
			}
			nt_meta_put(m, "strict", "%d", xo.strict);
			nt_meta_put(m, "stock_irq_handled", "%d", xo.stock);
			nt_meta_put(m, "records", "%llu", (unsigned long long)(d.emitted[NT_EV_HV_ENTRY] +
				d.emitted[NT_EV_HV_DELIVER] + d.emitted[NT_EV_LOST] + d.emitted[NT_EV_PROBE_COST]));
			xt_summary_meta(m, &d);
			if (fclose(m) != 0) {
				fprintf(stderr, PROG ": writing %s: %s\n", mp, strerror(errno));
				rc = 1;
			}
		}
	}
	if (!quiet && ran) {
		struct xt_run run = {
			.mode = live ? "live" : "offline", .input = input, .output = out_path, .tsc_hz = hz,
			.hz_method = hz_method, .elapsed_s = li.elapsed_s, .interrupted = stop_flag != 0,
		};
		if (live)
			fprintf(sum, "Xen %s%s%s%s, %u CPUs traced, %u-page buffers, event mask 0x%08x, wake-ups: "
				     "%" PRIu64 " VIRQ_TBUF, %" PRIu64 " poll timeouts\n",
				li.xen_version, li.xen_changeset[0] ? " (" : "", li.xen_changeset,
				li.xen_changeset[0] ? ")" : "", li.mapped_cpus, li.tbuf_pages, mask, li.wake_virq,
				li.wake_timeout);
		xt_summary_print(sum, &d, &run);
		fflush(sum);
	}
	if (sum_path && sum != stdout && sum != stderr)
		fclose(sum);
	xt_dec_free(&d);
	if (rc)
		return 1;
	return stop_flag ? 130 : 0;
}
