// SPDX-License-Identifier: GPL-2.0
/* nt-analyze convert: a record file from CSV to the binary form or back.
 * Every field of every record is carried (the two forms hold the same
 * fields); the output appears under its name only when the whole input was
 * converted, and its FILE.meta is the input's with the conversion noted. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyze.h"
#include "nt/meta.h"
#include "nt/recio.h"

static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* IN.meta to OUT.meta with the conversion noted; 0 also when there is no IN.meta */
static int copy_meta(const char *in, const char *out, uint64_t n, uint64_t bad)
{
	char mi[4200], mo[4200];
	if (nt_meta_path_for(in, mi, sizeof(mi)) || nt_meta_path_for(out, mo, sizeof(mo)))
		return -1;
	FILE *fi = fopen(mi, "r");
	if (!fi)
		return errno == ENOENT ? 0 : -1;
	FILE *fo = fopen(mo, "w");
	int rc = fo ? 0 : -1;
	char buf[65536];
	size_t k;
	while (fo && (k = fread(buf, 1, sizeof(buf), fi)) > 0)
		if (fwrite(buf, 1, k, fo) != k)
			rc = -1;
	if (ferror(fi))
		rc = -1;
	fclose(fi);
	if (fo) {
		nt_meta_put(fo, "converted_from", "%s", in);
		nt_meta_put(fo, "converted_records", "%" PRIu64, n);
		nt_meta_put(fo, "converted_bad_rows", "%" PRIu64, bad);
		if (fclose(fo) != 0)
			rc = -1;
	}
	if (rc)
		fprintf(stderr, PROG ": %s: %s\n", mo, strerror(errno));
	return rc;
}

/* Copy every record of s to w; 0 ok, 1 error (printed), 130 interrupted. */
static int copy_records(struct rstream *s, struct nt_writer *w, const char *out)
{
	struct nt_rec r;
	int k;
	while ((k = rs_next(s, &r)) > 0) {
		if (g_interrupted)
			return 130; /* a partial OUT is not written */
		if (nt_writer_put(w, &r) != 0) {
			fprintf(stderr, PROG ": %s: %s\n", out, strerror(errno));
			return 1;
		}
	}
	return k < 0 ? 1 : 0;
}

static int convert(const char *in, const char *out, enum nt_fmt to, int lenient, int quiet)
{
	struct rstream s;
	if (rs_open(&s, in, lenient))
		return 1;
	int to_stdout = strcmp(out, "-") == 0;
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", out, (long)getpid());
	struct nt_writer *w = nt_writer_open(to_stdout ? "-" : tmp, to);
	if (!w) {
		fprintf(stderr, PROG ": %s: %s\n", to_stdout ? "stdout" : tmp, strerror(errno));
		rs_close(&s);
		return 1;
	}
	int rc = copy_records(&s, w, out);
	rs_pipe_stop(&s); /* its counters are final */
	if (nt_writer_flush(w) != 0 && rc == 0) {
		fprintf(stderr, PROG ": %s: %s\n", out, strerror(errno));
		rc = 1;
	}
	uint64_t n = nt_writer_count(w), bad = s.bad_rows; /* records in the file */
	if (nt_writer_close(w) != 0 && rc == 0) {
		fprintf(stderr, PROG ": %s: %s\n", out, strerror(errno));
		rc = 1;
	}
	rs_close(&s);
	if (rc == 0 && !to_stdout && copy_meta(in, out, n, bad) != 0)
		rc = 1;
	if (rc == 0 && !to_stdout && rename(tmp, out) != 0) {
		fprintf(stderr, PROG ": %s: %s\n", out, strerror(errno));
		rc = 1;
	}
	if (rc && !to_stdout) {
		unlink(tmp);
		fprintf(stderr, PROG ": %s%s not written\n", rc == 130 ? "interrupted: " : "", out);
	}
	if (rc == 0 && !quiet)
		fprintf(stderr, PROG ": converted %" PRIu64 " records (%" PRIu64 " malformed rows skipped): %s -> %s (%s)\n",
			n, bad, in, out, to == NT_FMT_BIN ? "binary" : "CSV");
	return rc;
}

enum { VO_LENIENT = 256 };

static const struct nt_opt convert_opts[] = {
	{ "lenient", NULL, VO_LENIENT, "skip and count malformed rows instead of stopping" },
	{ NULL, NULL, 0, NULL },
};

struct conv {
	const char *in, *out;
	int lenient;
};

static int convert_opt(struct nt_prog *p, int key, const char *arg)
{
	struct conv *c = p->ctx;
	c->lenient = 1;
	return 0;
}

static int convert_args(struct nt_prog *p, int argc, char **argv)
{
	struct conv *c = p->ctx;
	if (argc != 2)
		nt_usage(p, "convert: want IN and OUT");
	c->in = argv[0];
	c->out = argv[1];
	if (!p->fmt_given)
		p->fmt = nt_fmt_from_path(c->out);
	if (same_file(c->in, c->out))
		nt_usage(p, "convert: %s and %s are the same file", c->in, c->out);
	return 0;
}

static int convert_body(struct nt_prog *p)
{
	struct conv *c = p->ctx;
	int rc = convert(c->in, c->out, p->fmt, c->lenient, p->quiet);
	return rc == 1 ? NT_EXIT_FAIL : NT_EXIT_OK; /* 130: the signal says it */
}

int cmd_convert(int argc, char **argv)
{
	static struct conv c;
	struct nt_prog p = {
		.synopsis = "convert [options] IN OUT",
		.about = "Convert a record file between CSV and the binary form (docs/record-format.md), every\n"
			 "field kept: CSV -> binary -> CSV gives the canonical CSV of the same records.  The\n"
			 "input's format comes from its name (.bin/.ntr binary, else CSV), the output's from\n"
			 "--format or its name.  OUT is written under a temporary name and renamed at the end: on\n"
			 "an error or Ctrl-C there is no OUT.  IN.meta, when there is one, is copied to OUT.meta\n"
			 "with converted_from=, converted_records= and converted_bad_rows= added.",
		.common = NT_C_FORMAT, .opts = convert_opts, .opt = convert_opt, .args = convert_args, .ctx = &c,
	};
	return an_main(&p, argc, argv, convert_body);
}
