/* SPDX-License-Identifier: GPL-2.0 */
/* nt-analyze: shared declarations.  One file per concern:
 *   input.c    record streams (CSV via libcsv, binary), file lists, loading
 *   csvfast.c  the CSV fast path for canonical rows (falls back to libcsv)
 *   readahead.c  large files read and decoded by a thread of their own
 *   par.c      work split over --threads (radix sort, bootstrap)
 *   loghist.c  streaming log-linear histogram (fixed memory)
 *   samples.c  sample sets (exact or streaming), summaries, linear histograms
 *   join.c     measures: latency joins (seq / JOIN_RULE) and periods
 *   attrib.c   join=packet: hypervisor stamps of a probe's interrupt get its seq
 *   variant.c  one variant: files + meta -> measures
 *   bootstrap.c  seeded bootstrap confidence intervals
 *   plot.c     gnuplot figures     report.c  summary.csv/json, report.md
 *   evidence.c report sections of hypervisor runs (attribution, machine)
 *   cmd_*.c    subcommands (run, stats, compare, convert)   main.c  dispatch
 *   cli.c      messages and the run of a command on the program skeleton
 */
#ifndef NT_ANALYZE_H
#define NT_ANALYZE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <csv.h>

#include "nt/meta.h"
#include "nt/prog.h"
#include "nt/record.h"

#define PROG "nt-analyze"

/* The messages of the program skeleton (nt/prog.h) with the name nt-analyze:
 * "nt-analyze: ... (see nt-analyze --help)", exit 2; "nt-analyze: warning: ...". */
void die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* SIGINT/SIGTERM/SIGHUP came (nt/prog.h: the handlers are the skeleton's) */
#define g_interrupted (nt_stopping() != 0)

/* ---- input.c ---------------------------------------------------------- */
struct rstream {
	const char *name;
	FILE *f;
	int own;
	int is_bin;
	int lenient;
	/* records decoded by the last refill: q[0, qn) */
	struct nt_rec *q;
	size_t qn, qcap;
	/* the records being handed out: cq[ci, cn) (q itself, or a read-ahead slot) */
	const struct nt_rec *cq;
	size_t cn, ci;
	struct rs_pipe *pipe; /* read-ahead thread (readahead.c), or NULL */
	int eof, err;
	/* CSV state */
	struct csv_parser p;
	int csv_init;
	unsigned field;
	int row_bad;
	char row_why[160];
	struct nt_rec cur;
	uint64_t line;      /* current line (1-based) */
	uint64_t row_line;  /* line where the current row started */
	int header_done;
	int row_started;
	unsigned char prev_term;
	char last_flags[32];
	size_t last_flags_len;
	unsigned last_flags_val;
	/* chunked CSV reading: buf[0, blen) holds the start of a line not yet parsed */
	char *buf;
	size_t blen, bufsize;
	int no_fast;        /* every line through libcsv (the differential fuzz target) */
	int slow_line;      /* libcsv has the start of a line whose '\n' is still to come */
	FILE *msg;          /* errors and warnings (stderr) */
	/* binary state */
	uint64_t offset;
	/* counters */
	uint64_t nrecs, bad_rows, blank_lines, out_of_order;
	uint64_t last_tsc;
	int max_warn;
};
#define RS_BUFSIZE (1u << 20) /* bytes read at a time */
#define RS_SLACK 16             /* readable bytes after the CSV chunk buffer (csvfast.c) */
#define RS_PIPE_MIN (8u << 20)  /* files from this size on are read ahead by a thread */
extern int g_threads;           /* --threads: CPUs the analyzer may use (par.c) */
int rs_open(struct rstream *s, const char *path, int lenient);
/* Parse from an already open FILE (used by the fuzz targets). */
int rs_open_file(struct rstream *s, FILE *f, const char *name, int is_bin, int lenient);
struct rs_opts {
	FILE *msg;      /* where errors and warnings go (default stderr) */
	int no_fast;    /* CSV: libcsv for every line */
	size_t bufsize; /* bytes read at a time (default RS_BUFSIZE) */
};
int rs_open_with(struct rstream *s, FILE *f, const char *name, int is_bin, int lenient, const struct rs_opts *o);
/* input.c, for csvfast.c: decode field i of a row into r (errors via row_bad),
 * and feed bytes to libcsv */
void rs_field(struct rstream *s, unsigned i, const char *f, size_t n, struct nt_rec *r);
int rs_csv_slow(struct rstream *s, const char *buf, size_t n);
/* room for n more records in the queue; -1 (printed) when out of memory */
int rs_q_reserve(struct rstream *s, size_t n);
/* decode the next chunk into q[0, qn): 0, or -1 on an error (printed) */
int rs_refill(struct rstream *s);
/* readahead.c: start the read-ahead thread (0, or -1: read sequentially);
 * the consumer's next slot (like rs_fill: 1, 0 at the end, -1 error); stop
 * and join the thread (after it, every counter of s may be read) */
int rs_pipe_start(struct rstream *s);
int rs_pipe_fill(struct rstream *s);
void rs_pipe_stop(struct rstream *s);
/* csvfast.c: the complete lines buf[0, n) (a line longer than the buffer
 * may come in pieces): canonical rows decoded directly, the rest through
 * libcsv.  0 ok, -1 error (printed). */
int rs_csv_lines(struct rstream *s, const char *buf, size_t n);
/* 1 = a record in *r, 0 = end of input, -1 = error (message printed). */
int rs_next(struct rstream *s, struct nt_rec *r);
/* The same for every record decoded so far: *r[0, *n) stays valid until the
 * next call on s. */
int rs_batch(struct rstream *s, const struct nt_rec **r, size_t *n);
void rs_close(struct rstream *s);
int path_is_bin(const char *path);
/* A record file that holds no records: 0 bytes, or its header only (CSV
 * header line, binary 32-byte header; nothing after it, not even a malformed
 * row).  Its why ("0 bytes", "header only") into *why and 1; else 0 (also
 * when the file cannot be read: its reader then says why). */
int file_has_no_records(const char *path, const char **why);
/* how stderr and the report say it */
#define NO_RECORDS_SAID "empty: no records"


/* A list of data files (*.csv, *.bin, *.ntr) of a folder, sorted by name. */
int list_data_files(const char *dir, char ***out, size_t *n);
void free_list(char **v, size_t n);

/* ---- loghist.c -------------------------------------------------------- */
#define LH_SUB_BITS 7
#define LH_B (1u << LH_SUB_BITS)
#define LH_NBUCKETS (2 * LH_B + (64 - LH_SUB_BITS - 1) * LH_B)
/* relative error of a reported value: half a bucket, 2^-(SUB_BITS+1) */
#define LH_REL_ERR (1.0 / (double)(2 * LH_B))
struct loghist {
	uint64_t n, min, max;
	uint64_t c[LH_NBUCKETS];
};
static inline unsigned lh_index(uint64_t v)
{
	if (v < 2 * LH_B)
		return (unsigned)v;
	unsigned m = 64u - (unsigned)__builtin_clzll(v);
	unsigned shift = m - (LH_SUB_BITS + 1);
	return 2 * LH_B + (shift - 1) * LH_B + (unsigned)((v >> shift) - LH_B);
}
void lh_bucket(unsigned idx, uint64_t *lo, uint64_t *width);
uint64_t lh_mid(unsigned idx);
void lh_init(struct loghist *h);
static inline void lh_add(struct loghist *h, uint64_t v)
{
	h->c[lh_index(v)]++;
	if (h->n == 0 || v < h->min)
		h->min = v;
	if (h->n == 0 || v > h->max)
		h->max = v;
	h->n++;
}
/* Order statistic k (0-based) estimated by its bucket's midpoint, clamped. */
uint64_t lh_order_stat(const struct loghist *h, uint64_t k);
double lh_quantile(const struct loghist *h, double q);

/* ---- samples.c -------------------------------------------------------- */
struct sampleset {
	int streaming;      /* 1: histogram only */
	size_t limit;       /* switch to streaming above this many samples */
	uint64_t *v;
	size_t n, cap;
	int sorted;
	struct loghist *h;  /* when streaming */
	/* streaming: exact count, min, max, sum; variance by Welford in long double */
	uint64_t cnt, min, max, shift;
	unsigned __int128 sum;
	long double mean, m2; /* of x - shift */
	int switched;       /* went streaming because of the limit */
};
struct summary {
	uint64_t n, min, max;
	double mean, stddev, median, p90, p99, p999, p9999;
	int exact;
};
void ss_init(struct sampleset *s, int streaming, size_t limit);
void ss_free(struct sampleset *s);
int ss_add(struct sampleset *s, uint64_t x);
void ss_finish(struct sampleset *s); /* sorts exact samples */
/* dst (initialised, empty) becomes a copy of src; 0 or -1 (out of memory) */
int ss_copy(struct sampleset *dst, const struct sampleset *src);
void ss_summary(struct sampleset *s, struct summary *out);
double ss_quantile(struct sampleset *s, double q);
void radix_sort_u64(uint64_t *v, size_t n);
/* par.c: fn(arg, t, nt) for every part t < nt, on up to nt threads */
void par_run(int nt, void (*fn)(void *arg, int t, int nt), void *arg);

struct linhist {
	uint64_t lo, width;
	size_t nbins;
	uint64_t *c;
	uint64_t overflow;  /* >= lo + width*nbins */
	uint64_t underflow; /* < lo */
	int approx;         /* made from log-linear buckets */
};
int ss_linhist(struct sampleset *s, uint64_t lo, uint64_t width, size_t nbins, struct linhist *h);
void linhist_free(struct linhist *h);
/* CCDF points P(X >= x), at most ~maxpts, the whole top tail kept. */
size_t ss_ccdf(struct sampleset *s, double **xs, double **ps); /* malloc()ed */

/* ---- join.c ----------------------------------------------------------- */
enum mkind { M_LATENCY = 1, M_PERIOD = 2, M_SPAN = 3 };
/* "latency", "period", "span": the measure kinds as the reports name them */
const char *mkind_name(enum mkind k);
struct measure_def {
	enum mkind kind;
	int id;
	int from, to; /* events; period: from == to */
	char name[32];  /* "latency.0" */
	char def[64];   /* "send:rx_kernel" (span: the event) */
};
int measure_parse(const char *key, const char *val, struct measure_def *m, char *why, size_t wl);

struct join_counts {
	uint64_t from_seen, to_seen, matched, by_seq, by_near;
	uint64_t unmatched_from, unmatched_to;
	uint64_t shared_to; /* matched FROMs whose TO had closed an earlier FROM */
	uint64_t dup_from, dup_to, negative, stalled, out_of_order;
	uint64_t no_seq;    /* seq_only: stamps without a seq, not joined */
	uint64_t outside_to_window; /* FROMs without a seq outside the TO source's recording window,
				     * on an irq the join_irq rule could pair with a TO's */
};

/* The recording window a source declares in the .meta of its record file
 * (SOURCE.stamp_tsc_start, SOURCE.stamp_tsc_end: docs/run-layout.md "The
 * join rule"), in the cycles of its stamps; a bound not declared is open. */
struct recwin {
	int has_start, has_end;
	uint64_t start, end;
};
/* the value of SOURCE.stamp_tsc_start / _end: a TSC value (decimal) */
int recwin_value_parse(const char *val, uint64_t *out, char *why, size_t wl);
/* 1 when tsc is before w's start or after its end (both bounds inside) */
int recwin_outside(const struct recwin *w, uint64_t tsc);
/* the window of several files of one source: from the earliest start to
 * the latest end; a file that declares no start (end) leaves it open.
 * first: w is the first file's. */
void recwin_merge(struct recwin *w, const struct recwin *file, int first);

struct seqent { /* the stamp of one seq (the seq is the table's key) */
	uint64_t tsc, ringpos;
	uint32_t flags;
	uint8_t state; /* 1 pending from, 2 pending to, 3 done */
};
struct seqhash {
	uint64_t *key;      /* probed; NT_NONE64 = empty slot */
	struct seqent *e;   /* the entry of key[i] */
	size_t cap, n;
};
struct seqtab {             /* join.c: a window of recent seqs, and a hash for the rest */
	uint64_t *wkey, wbase;
	struct seqent *we;
	struct seqhash h;
};
struct pend {
	uint64_t tsc, seq;
	uint32_t irq, flags;
	uint8_t consumed;
};
struct agefifo {
	uint64_t *seq, *tsc;
	size_t head, len, cap;
};
struct stallwin {
	uint64_t start, end;
};
struct stalls {
	struct stallwin w[256];
	size_t head, len;
	uint64_t maxlen, count;
};
void stalls_add(struct stalls *st, uint64_t start, uint64_t len);
int stalls_overlap(const struct stalls *st, uint64_t a, uint64_t b);

/* The join of stamps that do not share a seq, written once (docs/run-layout.md
 * "Measures" gives the reasons); the help, the text output, summary.json and
 * report.md quote it. */
#define JOIN_RULE                                                                  \
	"each FROM takes the first TO after it on a matching irq within the join " \
	"window; one TO closes every FROM waiting for it; a FROM outside the "     \
	"recording window the TO's source declares takes none (outside_to_window " \
	"if its irq could match a TO's, else unmatched)"
/* how that join compares irq numbers (FROM vs TO) */
enum irqmode { IRQ_SAME = 0, IRQ_ANY = 1, IRQ_MAP = 2 };
struct irqmap {
	enum irqmode mode;
	size_t n;
	uint32_t from[32], to[32];
};
int irqmap_parse(const char *mode, const char *map, struct irqmap *m, char *why, size_t wl);
void irqmap_describe(const struct irqmap *m, char *out, size_t ol);

struct joiner {
	struct measure_def m;
	const struct irqmap *im;
	uint64_t window;      /* JOIN_RULE window, cycles */
	uint64_t horizon;     /* seq entries are forgotten after this (0 = never) */
	int keep_pending;     /* exact mode: unmatched seq stamps kept to the end */
	int seq_only;         /* join=packet: only stamps with a seq are joined */
	const struct recwin *tow; /* the TO source's recording window, or NULL (none declared) */
	struct seqtab tab;
	struct agefifo age;
	struct pend *ring;
	size_t rhead, rlen, rcap;
	uint64_t rbase;       /* absolute position of ring[rhead] */
	uint64_t last[257];
	uint8_t have_last[257];
	uint32_t last_flags[257];
	struct sampleset ss;
	struct join_counts c;
	const struct stalls *st;
	struct summary sum; /* set by variant_process */
	struct sampleset clean;    /* the samples outside stalled windows */
	int clean_is_all;          /* no stalled sample yet: clean is not kept, it is ss */
	struct summary sum_clean;
};
void joiner_init(struct joiner *j, const struct measure_def *m, uint64_t window, uint64_t horizon,
		 int streaming, size_t limit, const struct stalls *st);
int joiner_feed(struct joiner *j, const struct nt_rec *r);
void joiner_finish(struct joiner *j);
/* sum and sum_clean from the sample sets (after joiner_finish) */
void joiner_summarize(struct joiner *j);
void joiner_free(struct joiner *j);

/* ---- attrib.c --------------------------------------------------------- */
#define ATTRIB_MAXVOTES 64
#define ATTRIB_MAXMAP 16
#define ATTRIB_ENTRIES 64
#define ATTRIB_RECENT 64
struct attrib_vote {
	uint32_t girq, xirq;
	uint16_t dom;
	uint64_t n;
};
struct attrib_map {
	uint32_t girq, xirq;
	uint64_t votes, total; /* guest interrupts whose last notification was xirq / any */
};
struct attrib_state {
	uint64_t ndeliv;       /* notifications since the previous guest interrupt */
	struct nt_rec first, entry;
	int have_entry;
};
struct attrib_girq {
	uint64_t tsc, seq;
	uint16_t cpu;
};
struct attrib {
	int on, dom_given;
	uint16_t dom;
	/* pass 1 */
	struct attrib_vote votes[ATTRIB_MAXVOTES];
	size_t nvotes;
	uint64_t vote_guest, vote_none, vote_overflow;
	uint64_t hv_first, hv_last; /* the hypervisor trace's time span */
	int have_hv;
	struct nt_rec last;
	int have_last;
	/* the decision */
	struct attrib_map map[ATTRIB_MAXMAP];
	size_t nmap;
	/* pass 2 */
	struct attrib_state st[ATTRIB_MAXMAP];
	struct nt_rec ent[ATTRIB_ENTRIES];
	size_t ent_head, nent;
	struct attrib_girq recent[ATTRIB_RECENT];
	size_t recent_head, nrecent;
	/* counts */
	uint64_t hv_entries, deliveries, other_deliveries;
	uint64_t guest_irqs, guest_irqs_seq, guest_irqs_unmapped;
	uint64_t outside_trace, packets_outside_trace; /* guest interrupts before/after the hv trace */
	uint64_t caused, coalesced, no_notification, left_at_end;
	uint64_t packets_seen, packets_rode, packets_attributed, packets_coalesced;
	uint64_t packets_no_notification, packets_no_entry;
};
/* dom: the evaluation domain, or -1 to find it from the data */
void attrib_init(struct attrib *a, int on, int dom);
void attrib_vote(struct attrib *a, const struct nt_rec *r);
void attrib_decide(struct attrib *a);
/* out: room for 3 records; returns how many to feed */
size_t attrib_feed(struct attrib *a, const struct nt_rec *r, struct nt_rec *out);
void attrib_finish(struct attrib *a);

/* ---- variant.c -------------------------------------------------------- */
struct aopts {
	int streaming;         /* forced */
	int lenient;
	size_t sample_limit;   /* exact -> streaming above this */
	uint64_t stream_bytes; /* input larger than this: streaming reader */
	double window_us;      /* <0: from meta or 1000 */
	uint64_t window_cycles;
	double horizon_s;
	uint64_t hist_bin;     /* 0 = auto / meta */
	double tsc_hz;         /* 0 = from meta */
	int quiet;
	const char *join_irq, *join_irq_map; /* override the meta keys */
};
struct variant {
	char name[128];
	char dir[4096];
	char **files;
	size_t nfiles;
	/* data files that hold no records (file_has_no_records): not read, said
	 * on stderr and in the report's notes of the variant */
	struct empty_file {
		char *path;
		const char *why;
	} *empty;
	size_t nempty;
	struct measure_def ms[16];
	size_t nms;
	struct joiner *j;
	double tsc_hz;
	char tsc_src[512];
	uint64_t hist_bin;
	uint64_t window;
	double window_us;
	struct irqmap im;
	int streaming;         /* streaming statistics and reader */
	int sorted_in_memory;  /* exact mode, input out of time order: loaded and sorted */
	uint64_t nrecs, bad_rows, lost_records, lost_events, stall_windows, out_of_order;
	struct stalls st;
	/* the recording window each source declares (recwin), from the .meta
	 * of its record files; has[s]: one was declared */
	struct recwin win[NT_SRC_MAX];
	uint8_t win_has[NT_SRC_MAX];
	int join_packet;       /* meta join=packet: attribution (attrib.c), joins by seq only */
	int eval_dom;          /* meta eval_dom, -1 when not given */
	int64_t probes_sent;   /* meta probes_sent, -1 when not given */
	struct attrib *at;     /* join=packet */
	int voting;            /* the attribution's first pass */
};
void aopts_default(struct aopts *o);
/* Read every file of v and feed the measures.  0 ok, -1 error. */
int variant_process(struct variant *v, const struct aopts *o);
void variant_free(struct variant *v);
/* Read meta keys latency.N / period.N / span.N from a meta file into v->ms. */
int variant_measures_from_meta(struct variant *v, const char *meta);
int tsc_hz_from_meta(const char *meta, double *hz, char *src, size_t srclen);
/* The recording windows the .meta files of v's record files (and of those
 * set aside as empty) declare, by their source= key, into v->win; a bad
 * value is said and ignored. */
void variant_windows_from_files(struct variant *v);
/* how the reports say the recording window w (NULL: none declared) of the
 * source of event ev: "[S, E] cycles (guest.stamp_tsc_start,
 * guest.stamp_tsc_end)" (a bound not declared: "open"), or "none declared by
 * guest" */
void recwin_describe(const struct recwin *w, unsigned ev, char *out, size_t ol);
/* the recording window of the source of measure m's TO event, or NULL */
const struct recwin *variant_to_window(const struct variant *v, const struct measure_def *m);

/* ---- bootstrap.c ------------------------------------------------------ */
struct boot_ci {
	double diff, lo, hi; /* variant - baseline, cycles */
	unsigned resamples;
	double conf;
	int ok;
};
void bootstrap_diff(const uint64_t *base, size_t nb, const uint64_t *var, size_t nv, double q,
		    unsigned resamples, double conf, uint64_t seed, struct boot_ci *out);
uint64_t rng_next(uint64_t s[4]);
void rng_seed(uint64_t s[4], uint64_t seed);

/* ---- report.c / plot.c ------------------------------------------------ */
struct cmp_opts {
	unsigned resamples;
	double conf;
	uint64_t seed;
	int baseline; /* index */
};
struct results;
struct run_ctx {
	const char *dir;
	const struct results *res; /* workload results (results.c), or NULL */
	struct variant *v;
	size_t nv;
	struct cmp_opts co;
	double tsc_hz;
	char tsc_src[512];
	const struct aopts *o;
	char emulated[256];   /* run_emulated() */
	char time_label[256]; /* run_time_label() */
};
struct cmp_row {
	int ok;
	double imp_max, imp_min, imp_mean;
	struct boot_ci med, p99;
};
void compare_measure(struct run_ctx *rc, size_t mi, size_t vi, struct cmp_row *row);
int find_measure(const struct variant *v, const struct measure_def *m);
int write_summary_csv(struct run_ctx *rc, const char *path);
int write_summary_json(struct run_ctx *rc, FILE *f);
int write_report_md(struct run_ctx *rc, const char *path, const char *plotdir_rel, int plots_ok);
int make_plots(struct run_ctx *rc, const char *plotdir);
/* the figures' file name stem of a measure: its name without dots (latency.0 -> latency0) */
void fig_base(const char *measure, char *base, size_t bl);
void json_str(FILE *f, const char *s);
void safe_name(const char *in, char *out, size_t ol);
size_t run_measures(struct run_ctx *rc, struct measure_def *seen, size_t max);
void json_measure(FILE *f, const struct variant *v, size_t mi, const struct linhist *h);
void json_variant(FILE *f, const struct variant *v, struct linhist *hists);
void md_stats_table(FILE *f, struct run_ctx *rc, const struct measure_def *md, int us);
void md_comparison(FILE *f, struct run_ctx *rc, size_t m);
void json_comparison(FILE *f, struct run_ctx *rc);
uint64_t auto_bin(uint64_t lo, uint64_t hi, unsigned target);
/* evidence.c: runs on a hypervisor testbed */
const char *run_emulated(struct run_ctx *rc);
const char *run_time_label(struct run_ctx *rc);
void md_packet_join(FILE *f, struct run_ctx *rc);
void md_packet_joined(FILE *f, const struct variant *v, size_t m);
void md_evidence(FILE *f, struct run_ctx *rc);
/* What a variant could not record, the report's one place for it (sub-items
 * of the variant's line): its empty data files (v->empty) and the runner's
 * counts in its meta.txt (docs/run-layout.md "What could not be recorded"). */
void md_variant_gaps(FILE *f, const struct variant *v);
/* the same, summary.json's "not_recorded" of a variant */
void json_variant_gaps(FILE *f, const struct variant *v);
void json_attrib(FILE *f, const struct variant *v);
void json_num(FILE *f, double x);
/* the formats of the rows report.c and results_report.c write */
enum out_fmt { OUT_CSV, OUT_JSON, OUT_MD };
/* a Markdown table's title row and separator row; align[i]: 'l' or 'r' */
void md_head(FILE *f, const char *const *title, size_t n, const char *align);
/* an output file opened for writing and closed, the error said (perror) */
FILE *out_open(const char *path);
int out_close(FILE *f, const char *path);

/* ---- results.c: workload results per grid cell ------------------------- */
/* meta.txt in memory: struct nt_meta, nt_meta_load / nt_meta_find (nt/meta.h) */

#define RES_MAX 64   /* results per variant (result.0 .. result.63) */
#define RES_REPS 999 /* repetitions per result */
#define RES_NAME 48
#define RES_AXIS 32  /* rows, columns */
struct result_def {
	char name[RES_NAME];
	char unit[32];
	char what[512];
};
struct res_cell {
	struct result_def def;
	double *v;
	size_t n;
	unsigned planned, failed;
};
struct res_variant {
	char name[RES_NAME];
	char row[RES_NAME], col[RES_NAME], status[128];
	int ri, ci;  /* grid position, -1 none */
	int missing; /* listed in the run's variants, no folder/meta */
	struct res_cell cell[RES_MAX];
	size_t ncell;
};
struct results {
	struct res_variant *v;
	size_t nv;
	struct result_def def[RES_MAX];
	size_t ndef;
	char rows[RES_AXIS][RES_NAME], cols[RES_AXIS][RES_NAME];
	size_t nrow, ncol;
	char row_title[64], col_title[64];
};
int result_def_parse(const char *val, struct result_def *d, char *why, size_t wl);
int result_value_parse(const char *s, double *out);
int results_from_kv(const struct nt_meta *kv, struct res_variant *rv, char *why, size_t wl);
void res_variant_free(struct res_variant *rv);
int results_load(const char *dir, struct results *rs);
void results_free(struct results *rs);
struct nt_mean_ci;
void res_stats(const struct res_cell *c, double conf, struct nt_mean_ci *ci);
/* the variant of grid cell (row, col), or NULL; a result of a variant, or NULL */
const struct res_variant *res_cell_variant(const struct results *rs, size_t r, size_t c);
const struct res_cell *res_find_cell(const struct res_variant *rv, const char *name);
/* results_report.c */
/* label: the run's time label (run_time_label) or NULL */
int results_report_md(FILE *f, const struct results *rs, double conf, const char *label);
int results_write_csv(const struct results *rs, const char *path, double conf);
void results_json(FILE *f, const struct results *rs, double conf, const char *label);

/* ---- subcommands ------------------------------------------------------ */
/* options shared by the commands (cmd_stats.c): nt_opt entries */
enum { AO_STREAMING = 1001, AO_LENIENT, AO_TSC_HZ, AO_WIN_US, AO_WIN_CYC, AO_LIMIT, AO_HORIZON, AO_JOIN_IRQ,
       AO_JOIN_MAP, AO_THREADS, AO_BASELINE = 2001, AO_RESAMPLES, AO_SEED, AO_CONF };
#define AN_COMMON_OPTS                                                                                     \
	{ "streaming", NULL, AO_STREAMING, "log-linear histograms and a streaming reader: bounded memory,\n" \
					     "quantiles within 2^-8 relative error (default: exact, in memory;\n" \
					     "automatic above --sample-limit samples or 4 GiB of input)" },     \
	{ "lenient", NULL, AO_LENIENT, "skip and count malformed rows instead of stopping (default strict)" }, \
	{ "tsc-hz", "HZ", AO_TSC_HZ, "TSC frequency, 1 MHz..100 GHz, e.g. 2.6GHz (default: tsc_hz\n"       \
				     "from the meta files)" },                                             \
	{ "join-window-us", "US", AO_WIN_US, "join window for stamps without a common seq (default: meta\n" \
					     "join_window_us, 1000)" },                                     \
	{ "join-window-cycles", "C", AO_WIN_CYC, "the same in cycles (needed when no TSC frequency is known;\n" \
						 "default then 10000000 cycles)" },                         \
	{ "sample-limit", "N", AO_LIMIT, "exact statistics up to N samples per measure (default 67108864)" }, \
	{ "seq-horizon-s", "S", AO_HORIZON, "forget matched seq stamps (and, streaming, unmatched ones) after\n" \
					    "S s of stamps (default 10)" },                                 \
	{ "join-irq", "same|any|map", AO_JOIN_IRQ, "the irq a FROM and its TO must match: the same irq\n"   \
						   "(default), any irq, or the pairs of --join-irq-map\n"    \
						   "(meta join_irq)" },                                       \
	{ "join-irq-map", "F:T,...", AO_JOIN_MAP, "FROM irq F goes with TO irq T (e.g. Xen IRQ 40 : guest\n" \
						  "IRQ 24; meta join_irq_map); implies --join-irq map" }, \
	{ "threads", "N", AO_THREADS, "CPUs to use: read-ahead of large files, sorting, bootstrap\n"    \
				      "(default: the CPUs online; results do not depend on it)" }
#define AN_COMMON_NOTES "-q, --quiet: no progress messages.  Join rule for stamps without a common seq:\n" JOIN_RULE "."
#define JOIN_HELP "Join rule for stamps without a common seq: " JOIN_RULE ".\n"
/* 1 when c was a common option (applied to o), 0 otherwise; exits 2 on a bad value */
int common_opt(int c, const char *arg, struct aopts *o);
/* --latency / --period: the next measure (ms[*nms]); exits 2 on a bad one. */
void measure_opt(struct measure_def *ms, size_t *nms, size_t max, int is_latency, int *nl, int *np, const char *arg);
/* Run one command: its nt_prog parses argv (argv[0] is the command) with
 * the name nt-analyze; the exit code of nt_prog_close. */
int an_main(struct nt_prog *p, int argc, char **argv, int (*body)(struct nt_prog *p));
void tsc_from_files(struct variant *v);
/* cmd_run.c: loaders shared with compare */
#define AN_CMP_OPTS                                                                                        \
	{ "baseline", "NAME", AO_BASELINE, "the variant the others are compared with (default: the run's\n" \
					   "meta.txt baseline=, else the first)" },                         \
	{ "resamples", "N", AO_RESAMPLES, "bootstrap resamples, 2..1000000 (default 2000; fewer for huge\n" \
					  "samples, stated)" },                                             \
	{ "seed", "N", AO_SEED, "bootstrap seed (default 1; same seed, same intervals)" },                 \
	{ "confidence", "C", AO_CONF, "interval confidence (default 0.95)" }
int cmp_opt(int c, const char *arg, struct cmp_opts *co, const char **baseline);
int load_variant_dir(struct variant *v, const char *dir, const char *name, const struct aopts *o, double run_hz,
		     const char *run_src, const struct measure_def *ms, size_t nms);
int dir_has_data(const char *dir);
int load_run(const char *dir, const struct aopts *o, struct run_ctx *rc, const char *baseline,
	     const struct measure_def *ms, size_t nms);
int process_all(struct run_ctx *rc, const struct aopts *o);
void free_run(struct run_ctx *rc);
int cmd_run(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_convert(int argc, char **argv);
double cyc_to_us(double c, double hz);

#endif
