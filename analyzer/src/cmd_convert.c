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

static void help(void)
{
	printf("usage: " PROG " convert [options] IN OUT\n"
	       "\n"
	       "Convert a record file between CSV and the binary form (docs/record-format.md), every\n"
	       "field kept: CSV -> binary -> CSV gives the canonical CSV of the same records.  The\n"
	       "input's format comes from its name (.bin/.ntr binary, else CSV), the output's from\n"
	       "--to or its name.  OUT is written under a temporary name and renamed at the end: on an\n"
	       "error or Ctrl-C there is no OUT.  IN.meta, when there is one, is copied to OUT.meta with\n"
	       "converted_from=, converted_records= and converted_bad_rows= added.\n"
	       "\n"
	       "  --to csv|bin           output format (default: from OUT's name)\n"
	       "  --lenient              skip and count malformed rows instead of stopping\n"
	       "  -q, --quiet            no summary line\n"
	       "  -h, --help             this text\n"
	       "Exit status: 0 ok, 1 bad input or runtime failure, 2 usage error, 130 interrupted.\n");
}

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
			return 130;
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

int cmd_convert(int argc, char **argv)
{
	static const struct option lo[] = { { "to", required_argument, 0, 't' },
					    { "lenient", no_argument, 0, 'L' },
					    { "quiet", no_argument, 0, 'q' },
					    { "help", no_argument, 0, 'h' },
					    { 0, 0, 0, 0 } };
	int lenient = 0, quiet = 0, c, have_to = 0;
	enum nt_fmt to = NT_FMT_CSV;
	optind = 1;
	while ((c = getopt_long(argc, argv, "hq", lo, NULL)) != -1) {
		switch (c) {
		case 't':
			if (strcmp(optarg, "csv") && strcmp(optarg, "bin"))
				die_usage("convert: --to %s: want csv or bin", optarg);
			to = strcmp(optarg, "bin") == 0 ? NT_FMT_BIN : NT_FMT_CSV;
			have_to = 1;
			break;
		case 'L':
			lenient = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			help();
			return 0;
		default:
			die_usage("convert: bad option");
		}
	}
	if (argc - optind != 2)
		die_usage("convert: want IN and OUT");
	const char *in = argv[optind], *out = argv[optind + 1];
	if (!have_to)
		to = nt_fmt_from_path(out);
	if (same_file(in, out))
		die_usage("convert: %s and %s are the same file", in, out);
	return convert(in, out, to, lenient, quiet);
}
