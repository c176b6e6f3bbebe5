// SPDX-License-Identifier: GPL-2.0
/* One variant: its data files are merged by tsc and fed to every measure.
 * Two reading modes:
 *  - in memory (default): each file's relevant records are loaded and, when
 *    a file is not in time order (e.g. per-CPU trace windows), sorted stably
 *    by tsc; then the files are merged.
 *  - streaming (--streaming, or automatic for large inputs): the files are
 *    read chunk by chunk and merged as they come, so memory stays bounded;
 *    a file out of time order is counted (out_of_order), not sorted. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analyze.h"
#include "nt/meta.h"
#include "nt/recio.h"

void aopts_default(struct aopts *o)
{
	memset(o, 0, sizeof(*o));
	o->sample_limit = (size_t)1 << 26; /* 64 Mi samples = 512 MiB */
	o->stream_bytes = (uint64_t)4 << 30;
	o->window_us = -1;
	o->horizon_s = 10;
}

int tsc_hz_from_meta(const char *meta, double *hz, char *src, size_t srclen)
{
	char val[256], how[256];
	if (nt_meta_get(meta, "tsc_hz", val, sizeof(val)) != 0)
		return -1;
	double x;
	if (nt_parse_hz(val, NT_TSC_HZ_MIN, NT_TSC_HZ_MAX, &x)) {
		warnx("%s: ignoring bad tsc_hz '%s'", meta, val);
		return -1;
	}
	*hz = x;
	if (nt_meta_get(meta, "tsc_hz_method", how, sizeof(how)) != 0)
		snprintf(how, sizeof(how), "method not recorded");
	snprintf(src, srclen, "%s (tsc_hz_method=%s)", meta, how);
	return 0;
}

/* The recording window one record file's .meta declares for its source:
 * 1 with *src and *w set (w without bounds when it declares none; a bad
 * value is said and ignored), 0 when the file's source is not known (no
 * .meta, no or an unknown source=). */
static int file_window(const char *data, int *src, struct recwin *w)
{
	char meta[4200], key[300], why[160];
	struct nt_meta m;
	memset(w, 0, sizeof(*w));
	if (nt_meta_path_for(data, meta, sizeof(meta)) || nt_meta_load(&m, meta))
		return 0;
	const char *val = nt_meta_find(&m, "source");
	int s = val ? nt_source_parse(val, strlen(val)) : 0;
	if (s <= 0) {
		nt_meta_free(&m);
		return 0;
	}
	for (int end = 0; end < 2; end++) {
		snprintf(key, sizeof(key), "%s.stamp_tsc_%s", val, end ? "end" : "start");
		const char *v2 = nt_meta_find(&m, key);
		uint64_t x;
		if (!v2)
			continue;
		if (recwin_value_parse(v2, &x, why, sizeof(why))) {
			warnx("%s: ignoring %s: %s", meta, key, why);
			continue;
		}
		if (end) {
			w->has_end = 1;
			w->end = x;
		} else {
			w->has_start = 1;
			w->start = x;
		}
	}
	if (w->has_start && w->has_end && w->end < w->start) {
		warnx("%s: ignoring the recording window: %s.stamp_tsc_end %" PRIu64 " is before its start %" PRIu64,
		      meta, val, w->end, w->start);
		w->has_start = w->has_end = 0;
	}
	nt_meta_free(&m);
	*src = s;
	return 1;
}

void variant_windows_from_files(struct variant *v)
{
	int seen[NT_SRC_MAX] = { 0 }, any = 0;
	const char *nosrc = NULL;
	memset(v->win, 0, sizeof(v->win));
	memset(v->win_has, 0, sizeof(v->win_has));
	for (size_t i = 0; i < v->nfiles + v->nempty; i++) {
		const char *f = i < v->nfiles ? v->files[i] : v->empty[i - v->nfiles].path;
		int s;
		struct recwin w;
		if (!file_window(f, &s, &w)) {
			nosrc = f;
			continue;
		}
		recwin_merge(&v->win[s], &w, !seen[s]);
		seen[s] = 1;
	}
	for (int s = 0; s < NT_SRC_MAX; s++)
		any |= v->win_has[s] = seen[s] && (v->win[s].has_start || v->win[s].has_end);
	/* a file of unknown source could hold any source's stamps */
	if (any && nosrc) {
		warnx("%s: its .meta names no source=: the recording windows of the other files are not used", nosrc);
		memset(v->win_has, 0, sizeof(v->win_has));
	}
}

void recwin_describe(const struct recwin *w, unsigned ev, char *out, size_t ol)
{
	const char *src = nt_source_name(nt_event_source(ev));
	if (!w) {
		snprintf(out, ol, "none declared by %s", src);
		return;
	}
	char a[32] = "open", b[32] = "open";
	if (w->has_start)
		snprintf(a, sizeof(a), "%" PRIu64, w->start);
	if (w->has_end)
		snprintf(b, sizeof(b), "%" PRIu64, w->end);
	snprintf(out, ol, "[%s, %s] cycles (%s.stamp_tsc_start, %s.stamp_tsc_end)", a, b, src, src);
}

const struct recwin *variant_to_window(const struct variant *v, const struct measure_def *m)
{
	if (m->kind != M_LATENCY)
		return NULL;
	unsigned s = nt_event_source((unsigned)m->to);
	return s != NT_SRC_NONE && s < NT_SRC_MAX && v->win_has[s] ? &v->win[s] : NULL;
}

int variant_measures_from_meta(struct variant *v, const char *meta)
{
	FILE *f = fopen(meta, "r");
	if (!f)
		return -1;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;
	/* the last occurrence of a key wins: collect then dedupe by name */
	while ((n = getline(&line, &cap, f)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (line[0] == '#' || !(strncmp(line, "latency.", 8) == 0 || strncmp(line, "period.", 7) == 0 ||
					  strncmp(line, "span.", 5) == 0))
			continue;
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		struct measure_def m;
		char why[160];
		if (measure_parse(line, eq + 1, &m, why, sizeof(why))) {
			fprintf(stderr, PROG ": %s: %s\n", meta, why);
			rc = -1;
			break;
		}
		size_t k;
		for (k = 0; k < v->nms; k++)
			if (strcmp(v->ms[k].name, m.name) == 0)
				break;
		if (k == v->nms) {
			if (v->nms == sizeof(v->ms) / sizeof(v->ms[0])) {
				fprintf(stderr, PROG ": %s: too many measures\n", meta);
				rc = -1;
				break;
			}
			v->nms++;
		}
		v->ms[k] = m;
	}
	free(line);
	fclose(f);
	/* order: latencies then periods, by number */
	for (size_t a = 1; a < v->nms; a++)
		for (size_t b = a; b > 0; b--) {
			struct measure_def *x = &v->ms[b - 1], *y = &v->ms[b];
			int kx = x->kind * 1000 + x->id, ky = y->kind * 1000 + y->id;
			if (kx <= ky)
				break;
			struct measure_def t = *x;
			*x = *y;
			*y = t;
		}
	return rc;
}

/* ---- cursors and the merge ---- */
struct cursor {
	int streaming;
	struct rstream rs;
	struct nt_rec *a;
	size_t n, i;
	struct nt_rec cur;
	int fileidx;
};

static int cur_next(struct cursor *c)
{
	if (c->streaming)
		return rs_next(&c->rs, &c->cur);
	if (c->i >= c->n)
		return 0;
	c->cur = c->a[c->i++];
	return 1;
}

static void msort(struct nt_rec *a, struct nt_rec *t, size_t n)
{
	if (n < 2)
		return;
	size_t h = n / 2;
	msort(a, t, h);
	msort(a + h, t, n - h);
	if (a[h - 1].tsc <= a[h].tsc)
		return;
	size_t i = 0, j = h, k = 0;
	while (i < h && j < n)
		t[k++] = a[j].tsc < a[i].tsc ? a[j++] : a[i++];
	while (i < h)
		t[k++] = a[i++];
	while (j < n)
		t[k++] = a[j++];
	memcpy(a, t, n * sizeof(*a));
}

static int load_file(struct cursor *c, const char *path, const uint8_t *want, const struct aopts *o,
		     struct variant *v)
{
	struct rstream rs;
	if (rs_open(&rs, path, o->lenient))
		return -1;
	size_t cap = 0;
	struct nt_rec r;
	int k;
	while ((k = rs_next(&rs, &r)) > 0) { /* after a signal: the records read so far */
		if (!want[r.event])
			continue;
		if (c->n == cap) {
			cap = cap ? cap * 2 : 4096;
			struct nt_rec *na = realloc(c->a, cap * sizeof(*na));
			if (!na) {
				fprintf(stderr, PROG ": %s: out of memory (try --streaming)\n", path);
				k = -1;
				break;
			}
			c->a = na;
		}
		c->a[c->n++] = r;
	}
	rs_pipe_stop(&rs); /* its counters are final */
	v->nrecs += rs.nrecs;
	v->bad_rows += rs.bad_rows;
	if (rs.out_of_order && k == 0 && c->n > 1) {
		struct nt_rec *t = malloc(c->n * sizeof(*t));
		if (!t) {
			fprintf(stderr, PROG ": %s: out of memory sorting (try --streaming)\n", path);
			k = -1;
		} else {
			msort(c->a, t, c->n);
			free(t);
		}
	}
	rs_close(&rs);
	return k < 0 ? -1 : 0;
}

static int heap_less(struct cursor *cs, int a, int b)
{
	if (cs[a].cur.tsc != cs[b].cur.tsc)
		return cs[a].cur.tsc < cs[b].cur.tsc;
	return a < b;
}

static void heap_down(struct cursor *cs, int *h, int n, int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && heap_less(cs, h[l], h[m]))
			m = l;
		if (r < n && heap_less(cs, h[r], h[m]))
			m = r;
		if (m == i)
			return;
		int t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static int feed_measures(struct variant *v, const struct nt_rec *r)
{
	for (size_t m = 0; m < v->nms; m++)
		if (joiner_feed(&v->j[m], r)) {
			fprintf(stderr, PROG ": %s: out of memory in the join (try --streaming)\n", v->name);
			return -1;
		}
	return 0;
}

/* One record to every measure (and the stall windows, the loss counts);
 * with join=packet through the attribution (attrib.c), and in its first
 * pass (v->voting) to its votes only. */
static int feed(struct variant *v, const struct nt_rec *r)
{
	if (v->voting) {
		attrib_vote(v->at, r);
		return 0;
	}
	if (r->event == NT_EV_STALL)
		stalls_add(&v->st, r->tsc, r->aux);
	else if (r->event == NT_EV_LOST) {
		v->lost_events++;
		if (r->aux != NT_NONE64)
			v->lost_records += r->aux;
	}
	if (!v->at)
		return feed_measures(v, r);
	struct nt_rec out[3];
	size_t n = attrib_feed(v->at, r, out);
	for (size_t i = 0; i < n; i++)
		if (feed_measures(v, &out[i]))
			return -1;
	return 0;
}

/* The last file left in the merge: the rest of its records in order, a
 * batch at a time. */
static int drain(struct variant *v, struct cursor *c, const uint8_t *want)
{
	if (want[c->cur.event] && feed(v, &c->cur))
		return -1;
	for (;;) { /* after a signal the readers give no more input */
		const struct nt_rec *q;
		size_t n;
		if (c->streaming) {
			int k = rs_batch(&c->rs, &q, &n);
			if (k <= 0)
				return k;
		} else {
			if (c->i == c->n)
				return 0;
			q = c->a + c->i;
			n = c->n - c->i;
			c->i = c->n;
		}
		for (size_t i = 0; i < n; i++)
			if (want[q[i].event] && feed(v, &q[i]))
				return -1;
	}
}

/* One pass over the files.  inmem: load and sort each file (exact mode
 * with input out of time order). */
static int process_pass(struct variant *v, const struct aopts *o, int inmem, uint64_t horizon,
			const uint8_t *want)
{
	int rc = 0;
	memset(&v->st, 0, sizeof(v->st));
	v->nrecs = v->bad_rows = v->lost_records = v->lost_events = v->out_of_order = 0;
	v->j = calloc(v->nms ? v->nms : 1, sizeof(*v->j));
	if (!v->j)
		return -1;
	for (size_t i = 0; i < v->nms; i++) {
		joiner_init(&v->j[i], &v->ms[i], v->window, horizon, v->streaming, o->sample_limit, &v->st);
		v->j[i].im = &v->im;
		v->j[i].seq_only = v->join_packet;
		v->j[i].tow = variant_to_window(v, &v->ms[i]);
	}
	struct cursor *cs = calloc(v->nfiles ? v->nfiles : 1, sizeof(*cs));
	int *heap = calloc(v->nfiles ? v->nfiles : 1, sizeof(*heap));
	if (!cs || !heap) {
		free(cs);
		free(heap);
		return -1;
	}
	int nh = 0;
	for (size_t i = 0; i < v->nfiles && rc == 0; i++) {
		cs[i].fileidx = (int)i;
		cs[i].streaming = !inmem;
		if (!inmem)
			rc = rs_open(&cs[i].rs, v->files[i], o->lenient);
		else
			rc = load_file(&cs[i], v->files[i], want, o, v);
		if (rc)
			break;
		int k = cur_next(&cs[i]);
		if (k < 0)
			rc = -1;
		else if (k > 0)
			heap[nh++] = (int)i;
	}
	for (int i = nh / 2 - 1; i >= 0 && rc == 0; i--)
		heap_down(cs, heap, nh, i);
	while (nh > 0 && rc == 0) { /* after a signal the readers give no more input */
		struct cursor *c = &cs[heap[0]];
		if (nh == 1) {
			rc = drain(v, c, want);
			break;
		}
		if (want[c->cur.event] && feed(v, &c->cur)) {
			rc = -1;
			break;
		}
		int k = cur_next(c);
		if (k < 0) {
			rc = -1;
			break;
		}
		if (k == 0)
			heap[0] = heap[--nh];
		heap_down(cs, heap, nh, 0);
	}
	for (size_t i = 0; i < v->nfiles; i++) {
		if (cs[i].streaming) {
			rs_pipe_stop(&cs[i].rs); /* its counters are final */
			v->nrecs += cs[i].rs.nrecs;
			v->bad_rows += cs[i].rs.bad_rows;
			v->out_of_order += cs[i].rs.out_of_order;
			if (cs[i].rs.f || cs[i].rs.q)
				rs_close(&cs[i].rs);
		}
		free(cs[i].a);
	}
	free(cs);
	free(heap);
	v->stall_windows = v->st.count;
	return rc;
}

int variant_process(struct variant *v, const struct aopts *o)
{
	/* reading mode */
	uint64_t total = 0;
	for (size_t i = 0; i < v->nfiles; i++) {
		struct stat st;
		if (stat(v->files[i], &st) == 0)
			total += (uint64_t)st.st_size;
	}
	v->streaming = o->streaming || total > o->stream_bytes;
	if (v->streaming && !o->streaming && !o->quiet)
		warnx("%s: %" PRIu64 " bytes of input: streaming mode (log-linear histograms, relative error %.2g)",
		      v->name, total, LH_REL_ERR);

	/* join window and seq horizon, in cycles */
	double wus = o->window_us >= 0 ? o->window_us : (v->window_us > 0 ? v->window_us : 1000);
	v->window_us = wus;
	if (o->window_cycles)
		v->window = o->window_cycles;
	else if (v->tsc_hz > 0)
		v->window = (uint64_t)llround(wus * 1e-6 * v->tsc_hz);
	else
		v->window = 10000000;
	/* 0 = never forget (a horizon past 2^64 cycles) */
	double hz = v->tsc_hz > 0 ? o->horizon_s * v->tsc_hz : 17179869184.0;
	uint64_t horizon = hz >= 1.8e19 ? 0 : (uint64_t)llround(hz);

	uint8_t want[256] = { 0 };
	want[NT_EV_STALL] = want[NT_EV_LOST] = 1;
	for (size_t i = 0; i < v->nms; i++)
		want[v->ms[i].from] = want[v->ms[i].to] = 1;
	if (v->join_packet) {
		want[NT_EV_HV_ENTRY] = want[NT_EV_HV_DELIVER] = want[NT_EV_GUEST_IRQ] = want[NT_EV_GUEST_PKT] = 1;
		free(v->at);
		v->at = malloc(sizeof(*v->at));
		if (!v->at)
			return -1;
		attrib_init(v->at, 1, v->eval_dom);
	}

	/* read the files as they come; exact mode falls back to loading and
	 * sorting them when one turns out not to be in time order.  join=packet
	 * first votes (the attribution needs the records in time order too). */
	v->sorted_in_memory = 0;
	int rc = 0;
	for (v->voting = v->at != NULL; rc == 0; v->voting--) {
		rc = process_pass(v, o, v->sorted_in_memory, horizon, want);
		if (rc == 0 && !v->streaming && v->out_of_order && !v->sorted_in_memory && !g_interrupted) {
			if (!o->quiet)
				warnx("%s: %" PRIu64 " records out of time order: loading and sorting the files by tsc",
				      v->name, v->out_of_order);
			for (size_t m = 0; m < v->nms; m++)
				joiner_free(&v->j[m]);
			free(v->j);
			v->j = NULL;
			v->sorted_in_memory = 1;
			if (v->voting) /* the votes of the pass out of order do not count */
				attrib_init(v->at, 1, v->eval_dom);
			rc = process_pass(v, o, 1, horizon, want);
		}
		if (!v->voting)
			break;
		attrib_decide(v->at);
		for (size_t m = 0; m < v->nms; m++)
			joiner_free(&v->j[m]);
		free(v->j);
		v->j = NULL;
	}
	v->voting = 0;
	if (v->at)
		attrib_finish(v->at);
	if (!v->j)
		return -1;
	for (size_t m = 0; m < v->nms; m++) {
		joiner_finish(&v->j[m]);
		joiner_summarize(&v->j[m]);
	}
	return rc;
}

void variant_free(struct variant *v)
{
	if (v->j)
		for (size_t m = 0; m < v->nms; m++)
			joiner_free(&v->j[m]);
	free(v->j);
	v->j = NULL;
	free_list(v->files, v->nfiles);
	v->files = NULL;
	v->nfiles = 0;
	for (size_t i = 0; i < v->nempty; i++)
		free(v->empty[i].path);
	free(v->empty);
	v->empty = NULL;
	v->nempty = 0;
	free(v->at);
	v->at = NULL;
}
