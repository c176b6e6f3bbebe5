// SPDX-License-Identifier: GPL-2.0
/* The metadata format (lib/meta.c, docs/record-format.md "meta.txt"): the key
 * grammar, what the one parser keeps and skips, the last occurrence winning,
 * and nt_meta_get's three outcomes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../tests/nt_test.h"
#include "nt/meta.h"

static int key_ok(const char *k)
{
	return nt_meta_key_ok(k, strlen(k));
}

static void test_grammar(void)
{
	CHECK(key_ok("guest.stamp_tsc_start"));
	CHECK(key_ok("records_check.guest-domu.csv"));
	CHECK(key_ok("latency.0"));
	const char *bad[] = { "", "Source", "a b", "a=b", "a/b", "a:b", "\xc3\xa9", NULL };
	for (int i = 0; bad[i]; i++)
		CHECK(!key_ok(bad[i]));
	char buf[64];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	CHECK(f != NULL);
	errno = 0;
	CHECK(nt_meta_put(f, "Bad Key", "x") == -1 && errno == EINVAL);
	CHECK(nt_meta_put(f, "records_check.hv-dom0.csv", "two\nlines") == 0);
	fclose(f);
	CHECK_STR(buf, "records_check.hv-dom0.csv=two lines\n");
}

static void test_parse(void)
{
	static const char text[] = "# a comment\n"
				   "a=1\r\n"
				   "\n"
				   "no equals sign\n"
				   "Upper=skipped\n"
				   "b.c-d=x=y\n"
				   "a=2\n"
				   "e=\n"
				   "nul=a\0b\n"
				   "=empty key\n"
				   "last=no newline";
	struct nt_meta m;
	CHECK(nt_meta_parse(&m, text, sizeof(text) - 1) == 0);
	CHECK(m.n == 5);
	if (m.n == 5) {
		CHECK_STR(m.k[0], "a");
		CHECK_STR(m.v[0], "1"); /* "\r\n" ends a line like "\n" */
		CHECK_STR(m.k[1], "b.c-d");
		CHECK_STR(m.v[1], "x=y"); /* the value runs to the end of the line */
		CHECK_STR(m.v[3], "");
		CHECK_STR(m.v[4], "no newline");
	}
	CHECK_STR(nt_meta_find(&m, "a"), "2"); /* the last occurrence wins */
	CHECK(nt_meta_find(&m, "Upper") == NULL);
	CHECK(nt_meta_find(&m, "nul") == NULL);
	CHECK(nt_meta_find(&m, "missing") == NULL);
	nt_meta_free(&m);
	CHECK(m.n == 0 && m.k == NULL);
	CHECK(nt_meta_parse(&m, "", 0) == 0 && m.n == 0);
	nt_meta_free(&m);
}

static void test_get(void)
{
	char path[] = "/tmp/nt-test-meta.XXXXXX", v[8];
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	FILE *f = fdopen(fd, "w");
	CHECK(f != NULL);
	fputs("k=first\nk=0123456789\n", f);
	fclose(f);
	CHECK(nt_meta_get(path, "k", v, sizeof(v)) == 0);
	CHECK_STR(v, "0123456"); /* cut to the buffer, terminated */
	CHECK(nt_meta_get(path, "absent", v, sizeof(v)) == 1);
	unlink(path);
	CHECK(nt_meta_get(path, "k", v, sizeof(v)) == -1);
	struct nt_meta m;
	CHECK(nt_meta_load(&m, path) == -1 && errno == ENOENT && m.n == 0);
}

int main(void)
{
	test_grammar();
	test_parse();
	test_get();
	return nt_test_done("test-meta");
}
