// SPDX-License-Identifier: GPL-2.0
/* Record names, flags, CSV formatting, binary round trip, writer, metadata. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nt/meta.h"
#include "nt/recio.h"
#include "nt/stats.h"
#include "../../tests/nt_test.h"

static void test_names(void)
{
	for (unsigned s = 0; s < NT_SRC_MAX; s++) {
		const char *n = nt_source_name(s);
		CHECK_EQ_U64(nt_source_parse(n, strlen(n)), s);
	}
	for (unsigned e = 0; e < NT_EV_MAX; e++) {
		const char *n = nt_event_name(e);
		CHECK_EQ_U64(nt_event_parse(n, strlen(n)), e);
	}
	CHECK(nt_source_parse("hvx", 3) == -1);
	CHECK(nt_source_parse("h", 1) == -1);
	CHECK(nt_event_parse("", 0) == -1);
	CHECK_STR(nt_event_name(200), "?");
	/* the source column of docs/record-format.md "Events" */
	static const unsigned char src[NT_EV_MAX] = {
		[NT_EV_SEND] = NT_SRC_SENDER,	 [NT_EV_RX_KERNEL] = NT_SRC_RECEIVER, [NT_EV_RX_USER] = NT_SRC_RECEIVER,
		[NT_EV_HV_ENTRY] = NT_SRC_HV,	 [NT_EV_HV_DELIVER] = NT_SRC_HV,	    [NT_EV_GUEST_IRQ] = NT_SRC_GUEST,
		[NT_EV_GUEST_PKT] = NT_SRC_GUEST, [NT_EV_TIMER] = NT_SRC_GUEST,	    [NT_EV_STALL] = NT_SRC_MONITOR,
		[NT_EV_LOST] = NT_SRC_NONE,	 [NT_EV_PROBE_COST] = NT_SRC_NONE,    [NT_EV_GUEST_IRQ_EXIT] = NT_SRC_GUEST,
	};
	for (unsigned e = 0; e < NT_EV_MAX; e++)
		CHECK_EQ_U64(nt_event_source(e), src[e]);
	CHECK_EQ_U64(nt_event_source(200), NT_SRC_NONE);
}

static void test_flags(void)
{
	char b[64];
	unsigned f;
	nt_flags_format(0, b, sizeof(b));
	CHECK_STR(b, "");
	nt_flags_format(NT_F_LATE | NT_F_CONVERTED, b, sizeof(b));
	CHECK_STR(b, "late|converted");
	nt_flags_format(NT_F_NATSUME | 0x100, b, sizeof(b));
	CHECK_STR(b, "natsume|0x100");
	CHECK(nt_flags_parse("late|converted", 14, &f) == 0 && f == (NT_F_LATE | NT_F_CONVERTED));
	CHECK(nt_flags_parse("natsume|0x100", 13, &f) == 0 && f == (NT_F_NATSUME | 0x100));
	CHECK(nt_flags_parse("3", 1, &f) == 0 && f == 3);
	CHECK(nt_flags_parse("", 0, &f) == 0 && f == 0);
	CHECK(nt_flags_parse("late|", 5, &f) == -1);
	CHECK(nt_flags_parse("|late", 5, &f) == -1);
	CHECK(nt_flags_parse("bogus", 5, &f) == -1);
	CHECK(nt_flags_parse("-1", 2, &f) == -1);
	CHECK(nt_flags_parse("0x100000000", 11, &f) == -1);
	/* small buffers truncate but report the full length */
	CHECK_EQ_U64(nt_flags_format(NT_F_LATE | NT_F_CONVERTED, b, 4), 14);
	CHECK_STR(b, "lat");
}

static void test_csv(void)
{
	char b[256];
	struct nt_rec r = nt_rec_blank(NT_SRC_SENDER, NT_EV_SEND);
	r.tsc = 123;
	nt_rec_format_csv(&r, b, sizeof(b));
	CHECK_STR(b, "sender,send,,123,,,,,,");
	r = nt_rec_blank(NT_SRC_HV, NT_EV_HV_DELIVER);
	r.tsc = UINT64_MAX - 1;
	r.cpu = 1;
	r.irq = 33;
	r.vector = 0xf1;
	r.seq = 0;
	r.dom = 2;
	r.aux = 18446744073709551614ULL;
	r.flags = NT_F_NATSUME;
	nt_rec_format_csv(&r, b, sizeof(b));
	CHECK_STR(b, "hv,hv_deliver,1,18446744073709551614,33,241,0,2,18446744073709551614,natsume");
}

static void test_binary(void)
{
	struct nt_rec a = nt_rec_blank(NT_SRC_GUEST, NT_EV_GUEST_IRQ), b;
	unsigned char le[40];
	a.tsc = 0x0102030405060708ULL;
	a.seq = 42;
	a.irq = 0xa0b0c0d0;
	a.cpu = 3;
	a.flags = NT_F_STALLED;
	nt_rec_to_le(&a, le);
	CHECK(le[0] == 0x08 && le[7] == 0x01);
	CHECK(le[38] == NT_SRC_GUEST && le[39] == NT_EV_GUEST_IRQ);
	nt_rec_from_le(le, &b);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);

	struct nt_bin_header h;
	unsigned char hb[32] = { 0 };
	char why[128];
	nt_bin_header_init(&h);
	memcpy(hb, NT_BIN_MAGIC, 8);
	hb[8] = NT_RECORD_VERSION;
	hb[12] = 40;
	CHECK(nt_bin_header_check(hb, why, sizeof(why)) == 0);
	hb[12] = 41;
	CHECK(nt_bin_header_check(hb, why, sizeof(why)) == -1);
	CHECK(strstr(why, "record size 41") != NULL);
	hb[12] = 40;
	hb[8] = 9;
	CHECK(nt_bin_header_check(hb, why, sizeof(why)) == -1);
	hb[0] = 'X';
	CHECK(nt_bin_header_check(hb, why, sizeof(why)) == -1);
	CHECK(strstr(why, "magic") != NULL);
}

static void test_writer(void)
{
	char dir[] = "/tmp/nt-test-recio-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char csv[128], bin[128];
	snprintf(csv, sizeof(csv), "%s/a.csv", dir);
	snprintf(bin, sizeof(bin), "%s/a.bin", dir);
	CHECK(nt_fmt_from_path(csv) == NT_FMT_CSV && nt_fmt_from_path(bin) == NT_FMT_BIN);
	struct nt_writer *wc = nt_writer_open(csv, NT_FMT_CSV);
	struct nt_writer *wb = nt_writer_open(bin, NT_FMT_BIN);
	CHECK(wc && wb);
	if (!wc || !wb)
		return;
	for (int i = 0; i < 1000; i++) {
		struct nt_rec r = nt_rec_blank(NT_SRC_RECEIVER, NT_EV_RX_USER);
		r.tsc = 1000000ULL + (uint64_t)i;
		r.seq = (uint64_t)i;
		CHECK(nt_writer_put(wc, &r) == 0);
		CHECK(nt_writer_put(wb, &r) == 0);
	}
	/* counted once they reach the file */
	CHECK(nt_writer_flush(wc) == 0);
	CHECK_EQ_U64(nt_writer_count(wc), 1000);
	CHECK_EQ_U64(nt_writer_lost(wc), 0);
	CHECK(nt_writer_close(wc) == 0);
	CHECK(nt_writer_close(wb) == 0);
	FILE *f = fopen(bin, "rb");
	unsigned char buf[32 + 40 * 1000 + 1];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	CHECK_EQ_U64(n, 32 + 40 * 1000);
	char why[128];
	CHECK(nt_bin_header_check(buf, why, sizeof(why)) == 0);
	struct nt_rec last;
	nt_rec_from_le(buf + 32 + 40 * 999, &last);
	CHECK_EQ_U64(last.seq, 999);
	CHECK_EQ_U64(last.tsc, 1000999);
	f = fopen(csv, "r");
	char line[256];
	CHECK(fgets(line, sizeof(line), f) != NULL);
	CHECK_STR(line, NT_CSV_HEADER "\n");
	int lines = 0;
	while (fgets(line, sizeof(line), f))
		lines++;
	fclose(f);
	CHECK_EQ_U64(lines, 1000);
	/* unwritable place: NULL with errno */
	CHECK(nt_writer_open("/nonexistent-dir/x.csv", NT_FMT_CSV) == NULL);

	/* metadata */
	char meta[160], val[64];
	CHECK(nt_meta_path_for(csv, meta, sizeof(meta)) == 0);
	f = fopen(meta, "w");
	CHECK(nt_meta_put(f, "tsc_hz", "%.1f", 2596130000.0) == 0);
	CHECK(nt_meta_put(f, "host", "a\nb") == 0);
	CHECK(nt_meta_put(f, "Bad-Key", "x") == -1);
	CHECK(nt_meta_put(f, "tsc_hz", "%d", 5) == 0);
	fclose(f);
	CHECK(nt_meta_get(meta, "host", val, sizeof(val)) == 0);
	CHECK_STR(val, "a b");
	CHECK(nt_meta_get(meta, "tsc_hz", val, sizeof(val)) == 0);
	CHECK_STR(val, "5");
	CHECK(nt_meta_get(meta, "tsc", val, sizeof(val)) == 1);
	CHECK(nt_meta_get("/nonexistent", "tsc", val, sizeof(val)) == -1);
	unlink(meta);
	unlink(csv);
	unlink(bin);
	rmdir(dir);
}

static void test_stats(void)
{
	int64_t v[] = { 5, 1, 4, 2, 3 };
	struct nt_summary s;
	CHECK(nt_summarize_i64(v, 5, &s) == 0);
	CHECK_NEAR(s.min, 1, 0);
	CHECK_NEAR(s.max, 5, 0);
	CHECK_NEAR(s.mean, 3, 1e-12);
	CHECK_NEAR(s.median, 3, 0);
	CHECK_NEAR(s.stddev, 1.5811388300841898, 1e-12);
	CHECK_NEAR(s.p90, 4.6, 1e-12); /* numpy.percentile([1..5], 90) */
	int64_t one[] = { 7 };
	CHECK(nt_summarize_i64(one, 1, &s) == 0);
	CHECK_NEAR(s.p99, 7, 0);
	CHECK_NEAR(s.stddev, 0, 0);
	CHECK(nt_summarize_i64(one, 0, &s) == -1);
	uint64_t big[] = { UINT64_MAX - 10, UINT64_MAX };
	CHECK_NEAR(nt_quantile_sorted_u64(big, 2, 0.5), 18446744073709551610.0, 4096);
	double d[] = { 0.0, 10.0 };
	CHECK_NEAR(nt_quantile_sorted_double(d, 2, 0.25), 2.5, 1e-12);
	CHECK_NEAR(nt_quantile_sorted_double(d, 2, -1), 0, 0);
	CHECK_NEAR(nt_quantile_sorted_double(d, 2, 2), 10, 0);
}

/* A full disk, made with RLIMIT_FSIZE (writes past the limit fail with
 * EFBIG) in a child: every record is either in the file or counted as lost,
 * the file ends with a whole record, and the `lost` record that counts the
 * loss still fits after the cut. */
static int writer_full_child(const char *path, enum nt_fmt fmt)
{
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit rl = { 100000, 100000 };
	if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
		return 10;
	struct nt_writer *w = nt_writer_open(path, fmt);
	if (!w)
		return 11;
	int fails = 0;
	for (int i = 0; i < 10000; i++) {
		struct nt_rec r = nt_rec_blank(NT_SRC_SENDER, NT_EV_SEND);
		r.tsc = 123456789ULL + (uint64_t)i;
		r.seq = (uint64_t)i;
		fails += nt_writer_put(w, &r) != 0;
	}
	if (nt_writer_flush(w) == 0 || nt_writer_error(w) != EFBIG)
		return 12;
	unsigned long long in = nt_writer_count(w), lost = nt_writer_lost(w);
	if (in + lost != 10000 || in == 0 || lost == 0 || (unsigned long long)fails > lost)
		return 13;
	struct nt_rec l = nt_rec_blank(NT_SRC_SENDER, NT_EV_LOST);
	l.aux = lost;
	if (nt_writer_salvage(w, &l) != 0 || nt_writer_count(w) != in + 1)
		return 14;
	if (nt_writer_close(w) == 0)
		return 15; /* the failure is reported to the end */
	printf("full disk (%s): %llu records written, %llu lost, lost record added\n",
	       fmt == NT_FMT_BIN ? "bin" : "csv", in, lost);
	fflush(stdout);
	return (int)(in % 200) + 20; /* the parent checks the file against it */
}

static void test_writer_full(void)
{
	char path[] = "/tmp/nt-test-recio-full-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	for (int f = 0; f < 2; f++) {
		enum nt_fmt fmt = f ? NT_FMT_BIN : NT_FMT_CSV;
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0)
			_exit(writer_full_child(path, fmt));
		int st = 0;
		waitpid(pid, &st, 0);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) >= 20);
		/* the file: whole records, the last one the lost record */
		FILE *in = fopen(path, "rb");
		unsigned char buf[200000];
		size_t n = fread(buf, 1, sizeof(buf), in);
		fclose(in);
		CHECK(n <= 100000);
		unsigned long long recs;
		struct nt_rec last;
		if (fmt == NT_FMT_BIN) {
			CHECK((n - 32) % 40 == 0);
			recs = (n - 32) / 40;
			nt_rec_from_le(buf + n - 40, &last);
			CHECK(last.event == NT_EV_LOST && last.aux + recs - 1 == 10000);
		} else {
			CHECK(n > 0 && buf[n - 1] == '\n');
			recs = 0;
			for (size_t i = 0; i < n; i++)
				recs += buf[i] == '\n';
			recs--; /* header */
			buf[n - 1] = '\0';
			char *ll = strrchr((char *)buf, '\n') + 1;
			CHECK(strncmp(ll, "sender,lost,", 12) == 0);
			char *f8 = ll; /* aux is the 9th field */
			for (int k = 0; k < 8 && f8; k++)
				f8 = strchr(f8, ',') ? strchr(f8, ',') + 1 : NULL;
			CHECK(f8 && strtoull(f8, NULL, 10) + recs - 1 == 10000);
		}
		CHECK_EQ_U64((recs - 1) % 200 + 20, WEXITSTATUS(st));
	}
	unlink(path);
}

int main(void)
{
	test_writer_full();
	test_names();
	test_flags();
	test_csv();
	test_binary();
	test_writer();
	test_stats();
	return nt_test_done("test-recio");
}
