// SPDX-License-Identifier: GPL-2.0
/* The value parsers (lib/parse.c): what each accepts and what it refuses. */
#include <stdint.h>
#include <string.h>

#include "../../tests/nt_test.h"
#include "nt/parse.h"

static void test_u64(void)
{
	uint64_t v = 7;
	CHECK(nt_parse_u64("0", 0, 10, &v) == 0 && v == 0);
	CHECK(nt_parse_u64("10k", 1, UINT64_MAX, &v) == 0 && v == 10000);
	CHECK(nt_parse_u64("2M", 1, UINT64_MAX, &v) == 0 && v == 2000000);
	CHECK(nt_parse_u64("3G", 1, UINT64_MAX, &v) == 0 && v == 3000000000ull);
	CHECK(nt_parse_u64("0x1f", 0, 100, &v) == 0 && v == 31);
	CHECK(nt_parse_u64("18446744073709551615", 0, UINT64_MAX, &v) == 0 && v == UINT64_MAX);
	v = 7;
	const char *bad[] = { "", "-1", "+1", " 5", "5 ", "1.5", "10kk", "10K", "0x", "0x1k", "1e3",
			      "18446744073709551616", "20000000000G", "k", NULL };
	for (int i = 0; bad[i]; i++) {
		int rc = nt_parse_u64(bad[i], 0, UINT64_MAX, &v);
		CHECK(rc == -1);
		if (rc != -1)
			fprintf(stderr, "  accepted '%s'\n", bad[i]);
	}
	CHECK(v == 7); /* untouched on failure */
	CHECK(nt_parse_u64("11", 0, 10, &v) == -1);
	CHECK(nt_parse_u64("5", 6, 10, &v) == -1);
	CHECK(nt_parse_u64(NULL, 0, 10, &v) == -1);
}

static void test_double(void)
{
	double d = 0;
	CHECK(nt_parse_double("100", 0.001, 1e6, &d) == 0 && d == 100);
	CHECK(nt_parse_double("2.5e3", 0, 1e6, &d) == 0 && d == 2500);
	CHECK(nt_parse_double(".5", 0, 1, &d) == 0 && d == 0.5);
	const char *bad[] = { "inf", "nan", "-1", "1e999", "0x10", "1,5", "", " 1", "1 ", "0", NULL };
	for (int i = 0; bad[i]; i++)
		CHECK(nt_parse_double(bad[i], 0.001, 1e300, &d) == -1);
}

static void test_dur(void)
{
	int64_t ns = 0;
	const int64_t day = 86400LL * 1000000000LL;
	CHECK(nt_parse_dur("10ms", 1, day, &ns) == 0 && ns == 10000000);
	CHECK(nt_parse_dur("100us", 1, day, &ns) == 0 && ns == 100000);
	CHECK(nt_parse_dur("2.5", 1, day, &ns) == 0 && ns == 2500000000LL);
	CHECK(nt_parse_dur("1m", 1, day, &ns) == 0 && ns == 60000000000LL);
	CHECK(nt_parse_dur("1min", 1, day, &ns) == 0 && ns == 60000000000LL);
	CHECK(nt_parse_dur("2h", 1, day, &ns) == 0 && ns == 7200000000000LL);
	CHECK(nt_parse_dur("500ns", 1, day, &ns) == 0 && ns == 500);
	CHECK(nt_parse_dur("1.5us", 1, day, &ns) == 0 && ns == 1500);
	CHECK(nt_parse_dur("0", 0, day, &ns) == 0 && ns == 0);
	const char *bad[] = { "0", "10 ms", "10xs", "-1s", "nan", "inf", "2d", "1e30", "", "ms", "0.4ns", NULL };
	for (int i = 0; bad[i]; i++)
		CHECK(nt_parse_dur(bad[i], 1, day, &ns) == -1);
	CHECK(nt_parse_dur("999us", 1000000, day, &ns) == -1); /* below min */
	CHECK(nt_parse_dur("25h", 1, day, &ns) == -1);          /* above max */
}

static void test_hz(void)
{
	double hz = 0;
	CHECK(nt_parse_hz("2596130000", NT_TSC_HZ_MIN, NT_TSC_HZ_MAX, &hz) == 0 && hz == 2596130000.0);
	CHECK(nt_parse_hz("2.5G", NT_TSC_HZ_MIN, NT_TSC_HZ_MAX, &hz) == 0 && hz == 2.5e9);
	CHECK(nt_parse_hz("2600MHz", NT_TSC_HZ_MIN, NT_TSC_HZ_MAX, &hz) == 0 && hz == 2.6e9);
	CHECK(nt_parse_hz("2.6ghz", NT_TSC_HZ_MIN, NT_TSC_HZ_MAX, &hz) == 0 && hz == 2.6e9);
	CHECK(nt_parse_hz("2.6e9Hz", NT_TSC_HZ_MIN, NT_TSC_HZ_MAX, &hz) == 0 && hz == 2.6e9);
	CHECK(nt_parse_hz("1000kHz", NT_TSC_HZ_MIN, NT_TSC_HZ_MAX, &hz) == 0 && hz == 1e6);
	/* nt-analyze --tsc-hz 1e-300 printed inf: out of range now */
	const char *bad[] = { "1e-300", "0", "12", "1e12", "fast", "2.5 GHz", "2.5THz", "inf", "-2.5G", "", NULL };
	for (int i = 0; bad[i]; i++)
		CHECK(nt_parse_hz(bad[i], NT_TSC_HZ_MIN, NT_TSC_HZ_MAX, &hz) == -1);
}

static void test_cpulist(void)
{
	uint8_t map[16];
	unsigned n = 0;
	char b[64];
	CHECK(nt_parse_cpulist("0,2-3", 128, map, &n) == 0 && n == 3);
	CHECK(map[0] == 0x0d);
	nt_cpulist_format(map, 128, b, sizeof(b));
	CHECK_STR(b, "0,2-3");
	CHECK(nt_parse_cpulist("127", 128, map, &n) == 0 && n == 1 && map[15] == 0x80);
	CHECK(nt_parse_cpulist("5", 128, map, &n) == 0 && n == 1);
	nt_cpulist_format(map, 128, b, sizeof(b));
	CHECK_STR(b, "5");
	CHECK(nt_parse_cpulist("1-4,7,9-10", 128, map, &n) == 0 && n == 7);
	nt_cpulist_format(map, 128, b, sizeof(b));
	CHECK_STR(b, "1-4,7,9-10");
	const char *bad[] = { "", "128", "3-1", "1,1", "0-2,2", "a", "1,", ",1", "1--2", "-1", "1 ,2", "0x1", "0-",
			      "0,,1", "1 ", "99999", NULL };
	for (int i = 0; bad[i]; i++)
		CHECK(nt_parse_cpulist(bad[i], 128, map, &n) == -1);
}

static void test_word(void)
{
	static const char *const w[] = { "csv", "bin", NULL };
	int i = -1;
	char b[32];
	CHECK(nt_parse_word("bin", w, &i) == 0 && i == 1);
	CHECK(nt_parse_word("BIN", w, &i) == -1);
	CHECK(nt_parse_word("", w, &i) == -1);
	nt_words_join(w, b, sizeof(b));
	CHECK_STR(b, "csv|bin");
}

int main(void)
{
	test_u64();
	test_double();
	test_dur();
	test_hz();
	test_cpulist();
	test_word();
	return nt_test_done("test-parse");
}
