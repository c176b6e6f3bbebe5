// SPDX-License-Identifier: GPL-2.0
/* The run side of the program skeleton (nt/prog.h): start (outputs opened
 * early), the clock policy, the metadata envelope and the close step. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nt/meta.h"
#include "nt/prog.h"

#define META_RESERVE (16 * 1024) /* room kept for the .meta on a filling disk */

static const char *sig_name(int sig)
{
	switch (sig) {
	case SIGINT: return "SIGINT";
	case SIGTERM: return "SIGTERM";
	case SIGHUP: return "SIGHUP";
	}
	return "a signal";
}

static int is_records(const struct nt_prog *p)
{
	return (p->common & NT_C_OUT) && p->source && p->out;
}

static const char *meta_target(const struct nt_prog *p)
{
	if (p->meta_path)
		return p->meta_path;
	if ((p->common & NT_C_META) && p->out && strcmp(p->out, "-") != 0)
		return "";
	return NULL;
}

/* Create the .meta now and keep room for it (FALLOC_FL_KEEP_SIZE: the file
 * stays empty), so that it can be written after the disk filled up. */
static int meta_open(struct nt_prog *p)
{
	const char *t = meta_target(p);
	char path[4200];
	if (!t)
		return 0;
	if (!*t && nt_meta_path_for(p->out, path, sizeof(path)) != 0) {
		nt_error(p, "%s: path too long", p->out);
		return -1;
	}
	const char *mp = *t ? t : path;
	p->meta_fd = open(mp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (p->meta_fd < 0) {
		nt_error(p, "cannot create %s: %s", mp, strerror(errno));
		return -1;
	}
	(void)fallocate(p->meta_fd, FALLOC_FL_KEEP_SIZE, 0, META_RESERVE);
	return 0;
}

int nt_prog_start(struct nt_prog *p)
{
	clock_gettime(CLOCK_REALTIME, &p->t_start);
	p->mono_start = nt_mono_ns();
	p->started = 1;
	if (meta_open(p) != 0)
		return -1;
	if (!is_records(p))
		return 0;
	enum nt_fmt fmt = p->fmt_given ? p->fmt : nt_fmt_from_path(p->out);
	p->fmt = fmt;
	p->w = nt_writer_open(p->out, fmt);
	if (!p->w) {
		nt_error(p, "cannot write %s: %s", p->out, strerror(errno));
		return -1;
	}
	return 0;
}

int nt_prog_clock(struct nt_prog *p)
{
	nt_tsc_props_read(&p->props);
	if (!p->props.rdtscp_runs) {
		nt_error(p, "this CPU does not execute rdtscp, which every stamp uses (the TSC with the CPU it was read on)");
		return -1;
	}
	if (!nt_tsc_props_ok(&p->props))
		nt_warn(p, "the TSC is not flagged invariant here; stamps may drift across CPUs or idle");
	int rc = nt_tsc_freq_find(&p->freq, p->cal_ms, NT_CAL_TOL_PPM);
	if (nt_stopping()) {
		nt_prog_stop_reason(p, "during TSC calibration");
		return -1;
	}
	if (rc < 0 && !(p->freq.hz > 0)) {
		nt_error(p, "TSC frequency: %s", p->freq.warning);
		return -1;
	}
	if (p->freq.warning[0])
		nt_warn(p, "%s", p->freq.warning);
	p->have_clock = 1;
	return 0;
}

void nt_prog_lost(struct nt_prog *p, uint64_t n, const char *why)
{
	if (!n)
		return;
	p->lost_source += n;
	if (why && !p->lost_why[0])
		snprintf(p->lost_why, sizeof(p->lost_why), "%s", why);
}

void nt_prog_stop_reason(struct nt_prog *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->stop_reason, sizeof(p->stop_reason), fmt, ap);
	va_end(ap);
}

FILE *nt_prog_sumfile(const struct nt_prog *p)
{
	return p->out && strcmp(p->out, "-") == 0 ? stderr : stdout;
}

void nt_say(const struct nt_prog *p, const char *fmt, ...)
{
	if (p->quiet)
		return;
	FILE *f = nt_prog_sumfile(p);
	va_list ap;
	va_start(ap, fmt);
	fprintf(f, "%s: ", p->name);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	va_end(ap);
}

/* ---- envelope -------------------------------------------------------------- */

static void utc(const struct timespec *t, char *b, size_t n)
{
	struct tm tm;
	time_t s = t->tv_sec;
	gmtime_r(&s, &tm);
	size_t l = strftime(b, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(b + l, n - l, ".%03ldZ", t->tv_nsec / 1000000);
}

/* argv as one shell-quoted line. */
static void command_line(const struct nt_prog *p, char *b, size_t n)
{
	size_t off = 0;
	b[0] = '\0';
	for (int i = 0; i < p->argc && off + 4 < n; i++) {
		const char *a = p->argv[i];
		int plain = *a != '\0';
		for (const char *c = a; *c; c++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=,+-@%[]", *c))
				plain = 0;
		off += (size_t)snprintf(b + off, n - off, "%s%s", i ? " " : "", plain ? "" : "'");
		for (const char *c = a; *c && off + 5 < n; c++)
			off += (size_t)(*c == '\'' ? snprintf(b + off, n - off, "'\\''") : snprintf(b + off, n - off, "%c", *c));
		if (!plain && off + 1 < n)
			off += (size_t)snprintf(b + off, n - off, "'");
	}
}

static uint64_t records_lost(const struct nt_prog *p, uint64_t wlost)
{
	return p->lost_source + wlost;
}

void nt_prog_envelope(const struct nt_prog *p, FILE *m)
{
	char b[8192];
	nt_meta_put(m, "program", "%s", p->name);
	nt_meta_put(m, "program_version", "%s", nt_version());
	command_line(p, b, sizeof(b));
	nt_meta_put(m, "command", "%s", b);
	utc(&p->t_start, b, sizeof(b));
	nt_meta_put(m, "started", "%s", b);
	utc(&p->t_end, b, sizeof(b));
	nt_meta_put(m, "finished", "%s", b);
	nt_meta_put(m, "elapsed_s", "%.3f", (double)(p->mono_end - p->mono_start) / 1e9);
	nt_host_describe(m, p->have_clock ? &p->props : NULL, p->have_clock ? &p->freq : NULL);
	if (p->source) {
		nt_meta_put(m, "source", "%s", p->source);
		nt_meta_put(m, "clock", "TSC");
	}
	if (is_records(p)) {
		nt_meta_put(m, "out", "%s", p->out);
		nt_meta_put(m, "format", "%s", p->fmt == NT_FMT_BIN ? "bin" : "csv");
	}
	if (p->common & NT_C_FIFO) {
		nt_meta_put(m, "fifo", "%d", p->fifo_ok ? p->fifo : 0);
		nt_meta_put(m, "mlockall", "%d", p->mlock_ok);
	}
	nt_meta_put(m, "exit_status", "%d", p->exit_code);
	if (p->stop_reason[0])
		nt_meta_put(m, "stop_reason", "%s", p->stop_reason);
	if (nt_stopping())
		nt_meta_put(m, "stop_signal", "%s", sig_name(nt_stopping()));
}

/* ---- close ----------------------------------------------------------------- */

struct wresult {
	uint64_t written, lost;
	int err;
};

/* Flush and close the writer; after a write failure, try to leave a `lost`
 * record that counts what is missing. */
static void close_writer(struct nt_prog *p, struct wresult *r)
{
	memset(r, 0, sizeof(*r));
	if (!p->w)
		return;
	nt_writer_flush(p->w);
	r->err = nt_writer_error(p->w);
	if (r->err) {
		struct nt_rec lost = nt_rec_blank(NT_SRC_NONE, NT_EV_LOST);
		int src = nt_source_parse(p->source, strlen(p->source));
		lost.source = (uint8_t)(src > 0 ? src : NT_SRC_NONE);
		lost.tsc = nt_rdtsc();
		lost.aux = nt_writer_lost(p->w);
		nt_writer_salvage(p->w, &lost);
	}
	r->written = nt_writer_count(p->w);
	r->lost = nt_writer_lost(p->w);
	if (nt_writer_close(p->w) != 0 && !r->err)
		r->err = errno ? errno : EIO;
	p->w = NULL;
	if (r->err) {
		nt_error(p, "writing %s: %s: %" PRIu64 " records lost", p->out, strerror(r->err), r->lost);
		nt_prog_stop_reason(p, "writing %s: %s", p->out, strerror(r->err));
	}
}

/* Meta content into a memory stream, then into the reserved file. */
static int write_meta(struct nt_prog *p, const struct wresult *wr)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return -1;
	nt_prog_envelope(p, m);
	if (is_records(p)) {
		nt_meta_put(m, "records", "%" PRIu64, wr->written);
		nt_meta_put(m, "records_lost", "%" PRIu64, records_lost(p, wr->lost));
		if (p->lost_source)
			nt_meta_put(m, "records_lost_at_source", "%" PRIu64 "%s%s", p->lost_source,
				    p->lost_why[0] ? " " : "", p->lost_why);
		if (wr->err)
			nt_meta_put(m, "records_lost_writing", "%" PRIu64 " (%s)", wr->lost, strerror(wr->err));
	}
	if (p->meta)
		p->meta(p, m);
	int rc = fclose(m) == 0 ? 0 : -1;
	if (rc == 0 && (pwrite(p->meta_fd, buf, len, 0) != (ssize_t)len || ftruncate(p->meta_fd, (off_t)len) != 0))
		rc = -1;
	int e = errno;
	free(buf);
	if (close(p->meta_fd) != 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	p->meta_fd = -1;
	errno = e;
	return rc;
}

static void outcome(struct nt_prog *p, const struct wresult *wr)
{
	int bad = p->exit_code != NT_EXIT_OK || records_lost(p, wr->lost);
	if (p->quiet && !bad)
		return;
	FILE *f = p->quiet ? stderr : nt_prog_sumfile(p);
	char state[200];
	if (p->exit_code == NT_EXIT_FAIL)
		snprintf(state, sizeof(state), "failed");
	else if (nt_stopping())
		snprintf(state, sizeof(state), "stopped by %s", sig_name(nt_stopping()));
	else
		snprintf(state, sizeof(state), "done");
	fprintf(f, "%s: %s%s%s%s", p->name, state, p->stop_reason[0] ? " (" : "", p->stop_reason,
		p->stop_reason[0] ? ")" : "");
	if (is_records(p) && p->started)
		fprintf(f, ": %" PRIu64 " records written to %s, %" PRIu64 " lost", wr->written,
			strcmp(p->out, "-") ? p->out : "stdout", records_lost(p, wr->lost));
	if (p->lost_source && p->lost_why[0])
		fprintf(f, " (%" PRIu64 " %s)", p->lost_source, p->lost_why);
	fprintf(f, "; exit %d\n", p->exit_code);
}

int nt_prog_close(struct nt_prog *p, int rc)
{
	clock_gettime(CLOCK_REALTIME, &p->t_end);
	p->mono_end = nt_mono_ns();
	if (!p->started) {
		p->t_start = p->t_end;
		p->mono_start = p->mono_end;
	}
	if (rc != NT_EXIT_OK)
		p->failed = 1;
	struct wresult wr;
	close_writer(p, &wr);
	int sig = nt_stopping();
	p->exit_code = p->failed ? NT_EXIT_FAIL : sig ? 128 + sig : NT_EXIT_OK;
	if (!p->stop_reason[0] && p->failed)
		nt_prog_stop_reason(p, "see the messages above");
	if (p->meta_fd >= 0 && write_meta(p, &wr) != 0) {
		nt_error(p, "writing the metadata: %s", strerror(errno));
		p->exit_code = NT_EXIT_FAIL;
	}
	if (!p->quiet && p->summary && p->started)
		p->summary(p);
	outcome(p, &wr);
	if (fflush(stdout) != 0 && p->exit_code == NT_EXIT_OK) {
		fprintf(stderr, "%s: writing the summary: %s\n", p->name, strerror(errno));
		p->exit_code = NT_EXIT_FAIL;
	}
	return p->exit_code;
}
