// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the clock library (lib/tsc.c) against the real clocks. */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../tests/nt_test.h"
#include "nt/meta.h"
#include "nt/tsc.h"

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void test_props(void)
{
	struct nt_tsc_props p;
	nt_tsc_props_read(&p);
	CHECK(p.clocksource[0] != '\0');
	/* the library itself needs rdtscp; a hypervisor may hide its CPUID bit
	 * (seen: an AMD EPYC guest) while the CPU runs it */
	CHECK(p.rdtscp_runs == 1);
	CHECK(!p.rdtscp || p.rdtscp_runs);
	CHECK(nt_tsc_props_ok(&p) == (p.invariant || (p.constant_tsc && p.nonstop_tsc)));
	struct nt_tsc_props q = { 0 };
	CHECK(nt_tsc_props_ok(&q) == 0);
	q.invariant = 1;
	CHECK(nt_tsc_props_ok(&q) == 1);
	/* the TSC moves forward */
	uint64_t a = nt_rdtsc_ordered(), b = nt_rdtscp(NULL), c = nt_rdtsc();
	CHECK(a < b && b <= c + 100000);
}

/* The CPU of a stamp, pinned to each CPU in turn: from TSC_AUX where the
 * props say it holds the CPU, and from getcpu() always. */
static void test_stamp_cpu(void)
{
	struct nt_tsc_props p;
	cpu_set_t all, one;
	nt_tsc_props_read(&p);
	CHECK(nt_tsc_aux_cpu == (p.aux_cpu && p.rdtscp_runs));
	CHECK(sched_getaffinity(0, sizeof(all), &all) == 0);
	int save = nt_tsc_aux_cpu, tried = 0;
	for (int cpu = 0; cpu < CPU_SETSIZE && tried < 4; cpu++) {
		if (!CPU_ISSET(cpu, &all))
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one))
			continue;
		tried++;
		uint32_t aux;
		(void)nt_rdtscp(&aux);
		if (save)
			CHECK_EQ_U64(nt_stamp_cpu(aux), (uint64_t)cpu);
		nt_tsc_aux_cpu = 0;
		CHECK_EQ_U64(nt_stamp_cpu(aux), (uint64_t)cpu);
		nt_tsc_aux_cpu = save;
	}
	CHECK(tried > 0);
	sched_setaffinity(0, sizeof(all), &all);
}

/* The judgement on given measurements: exact expectations, no clock. */
static void test_judge(void)
{
	struct nt_tsc_freq f = { .hz_cal = 2.4e9, .hz_cal2 = 2.4e9 * (1 + 40e-6), .hz_cpuinfo = 2.4e9 };
	CHECK(nt_tsc_freq_judge(&f, 100) == 0);
	CHECK_NEAR(f.hz, 2.4e9 * (1 + 20e-6), 1e-3);
	CHECK_NEAR(f.cal_ppm, 40, 1e-3);
	CHECK_NEAR(f.cpuinfo_ppm, 20, 1e-3);
	CHECK(f.warning[0] == '\0');
	/* two runs 150 ppm apart: unstable at 100 ppm */
	f = (struct nt_tsc_freq){ .hz_cal = 2.4e9, .hz_cal2 = 2.4e9 * (1 + 150e-6) };
	CHECK(nt_tsc_freq_judge(&f, 100) == -1);
	CHECK(strstr(f.warning, "unstable") != NULL);
	CHECK(f.hz > 0); /* usable, said */
	/* /proc/cpuinfo 2000 ppm away: a warning naming it */
	f = (struct nt_tsc_freq){ .hz_cal = 2.4e9, .hz_cal2 = 2.4e9, .hz_cpuinfo = 2.4e9 * 1.002 };
	CHECK(nt_tsc_freq_judge(&f, 100) == 1);
	CHECK(strstr(f.warning, "/proc/cpuinfo says 2404.800 MHz") != NULL);
	/* cpuinfo's 1 kHz resolution is not a disagreement (1 kHz at 2.4 GHz: 0.4 ppm; tolerance 0.1) */
	f = (struct nt_tsc_freq){ .hz_cal = 2.4e9, .hz_cal2 = 2.4e9, .hz_cpuinfo = 2.4e9 + 900 };
	CHECK(nt_tsc_freq_judge(&f, 0.1) == 0);
	/* CPUID 0x16 (whole MHz, base frequency): loose; 0x15 (exact): the tolerance */
	f = (struct nt_tsc_freq){ .hz_cal = 2.4e9, .hz_cal2 = 2.4e9, .hz_cpuid = 2.4e9 * 1.001 };
	CHECK(nt_tsc_freq_judge(&f, 100) == 0);
	f.cpuid_exact = 1;
	CHECK(nt_tsc_freq_judge(&f, 100) == 1);
	CHECK(strstr(f.warning, "CPUID 0x15") != NULL);
	/* both disagree: both said */
	f = (struct nt_tsc_freq){ .hz_cal = 2.4e9, .hz_cal2 = 2.4e9, .hz_cpuinfo = 2.5e9, .hz_cpuid = 2.6e9,
				  .cpuid_exact = 1 };
	CHECK(nt_tsc_freq_judge(&f, 100) == 1);
	CHECK(strstr(f.warning, "/proc/cpuinfo") != NULL && strstr(f.warning, "; CPUID 0x15") != NULL);
}

/* The rate between two pairs, the one formula. */
static void test_between(void)
{
	struct nt_clkpair a = { .tsc = 1000, .ns = 0 }, b = { .tsc = 1000 + 2445428086ull, .ns = 1000000000 };
	CHECK_NEAR(nt_tsc_hz_between(&a, &b), 2445428086.0, 1e-3);
	CHECK(nt_tsc_hz_between(&b, &a) == 0);
	b.ns = 0;
	CHECK(nt_tsc_hz_between(&a, &b) == 0);
}

/* The real calibration; the independent reference is the kernel's own TSC
 * frequency (/proc/cpuinfo "cpu MHz" is cpu_khz when no cpufreq driver
 * changes it), found by the kernel's calibration, not by this library. */
static void test_freq(void)
{
	unsetenv("NT_TSC_HZ");
	struct nt_tsc_freq f;
	int rc = nt_tsc_freq_find(&f, 50, 50);
	if (rc != 0)
		fprintf(stderr, "freq_find rc=%d warning: %s\n", rc, f.warning);
	CHECK(rc >= 0);
	CHECK(f.hz > 1e8 && f.hz < 1e11);
	CHECK(f.cal_ms == 50);
	CHECK(f.cal_ppm <= 50);
	CHECK(strncmp(f.method, "calibrated:CLOCK_MONOTONIC_RAW:2x50ms", 37) == 0);
	printf("calibrated %.3f MHz (runs %.3f / %.3f, %.3f ppm apart), cpuinfo %.3f MHz, cpuid %.3f MHz\n",
	       f.hz / 1e6, f.hz_cal / 1e6, f.hz_cal2 / 1e6, f.cal_ppm, f.hz_cpuinfo / 1e6, f.hz_cpuid / 1e6);
	if (f.hz_cpuinfo > 0 && access("/sys/devices/system/cpu/cpu0/cpufreq", F_OK) != 0) {
		printf("kernel's frequency %.3f MHz: %.3f ppm from the calibration\n", f.hz_cpuinfo / 1e6, f.cpuinfo_ppm);
		CHECK(f.cpuinfo_ppm < 500);
	} else {
		printf("note: no kernel TSC frequency to compare with (cpufreq driver or no cpu MHz)\n");
	}

	/* environment override */
	setenv("NT_TSC_HZ", "2.5G", 1);
	CHECK(nt_tsc_freq_find(&f, 50, 50) == 0);
	CHECK_NEAR(f.hz, 2.5e9, 0);
	CHECK_STR(f.method, "env:NT_TSC_HZ");
	setenv("NT_TSC_HZ", "2596130000", 1);
	CHECK(nt_tsc_freq_find(&f, 50, 50) == 0);
	CHECK_NEAR(f.hz, 2596130000.0, 0);
	setenv("NT_TSC_HZ", "fast", 1);
	CHECK(nt_tsc_freq_find(&f, 50, 50) == -1);
	CHECK(f.warning[0] != '\0');
	setenv("NT_TSC_HZ", "12", 1);
	CHECK(nt_tsc_freq_find(&f, 50, 50) == -1);
	unsetenv("NT_TSC_HZ");
}

static void test_clkmap_math(void)
{
	struct nt_clkmap m = { 0 };
	m.clk = CLOCK_REALTIME;
	m.hz = 3e9;
	m.a = (struct nt_clkpair){ .tsc = 1000, .width = 26, .ns = 0 };
	/* no end pair: slope from hz */
	CHECK_EQ_U64(nt_clkmap_to_tsc(&m, 1000), 4000);
	CHECK(nt_clkmap_rate(&m) == 0);
	m.b = (struct nt_clkpair){ .tsc = 2001000, .width = 52, .ns = 1000000 };
	m.have_end = 1;
	CHECK_EQ_U64(nt_clkmap_to_tsc(&m, 500000), 1001000);
	CHECK_EQ_U64(nt_clkmap_to_tsc(&m, 2000000), 4001000); /* extrapolated */
	CHECK_EQ_U64(nt_clkmap_to_tsc(&m, -1), 998);
	CHECK_EQ_U64(nt_clkmap_to_tsc(&m, -1000000000), 0);   /* clamped */
	CHECK_NEAR(nt_clkmap_rate(&m), 2e9, 1e-3);
	CHECK_NEAR(nt_clkmap_uncert_ns(&m), 26 / 3.0, 1e-9);
	/* large absolute values keep cycle precision */
	m.a = (struct nt_clkpair){ .tsc = 900000000000000ull, .width = 30, .ns = 1790000000000000000ll };
	m.b = (struct nt_clkpair){ .tsc = 900000000000000ull + 2596130000ull * 3600,
				   .width = 30, .ns = 1790000000000000000ll + 3600000000000ll };
	CHECK_EQ_U64(nt_clkmap_to_tsc(&m, m.a.ns + 1000000000ll), 900000000000000ull + 2596130000ull);
}

/* The real thing: map CLOCK_REALTIME over ~60 ms; pairs taken in between
 * must convert to their own TSC within the stated uncertainties. */
static void test_clkmap_real(double hz)
{
	struct nt_clkmap m;
	struct nt_clkpair mid[5];
	CHECK(nt_clkmap_begin(&m, CLOCK_REALTIME, hz, 500) == 0);
	CHECK(m.a.width < hz / 1e4); /* < 100 us even on a stalling host */
	for (int i = 0; i < 5; i++) {
		sleep_ms(10);
		CHECK(nt_clkpair_take(CLOCK_REALTIME, 500, &mid[i]) == 0);
	}
	sleep_ms(10);
	CHECK(nt_clkmap_end(&m, 500) == 0);
	CHECK(m.have_end);
	double rate = nt_clkmap_rate(&m);
	CHECK_NEAR(rate / hz, 1.0, 1e-3); /* REALTIME may be slewed, 500 ppm max */
	double unc = nt_clkmap_uncert_ns(&m);
	printf("clkmap REALTIME: rate %.3f MHz, uncertainty %.1f ns (TSC @ %.3f MHz)\n", rate / 1e6, unc,
	       hz / 1e6);
	CHECK(unc >= 0 && unc < 100000);
	for (int i = 0; i < 5; i++) {
		double err_ns = nt_cyc_to_ns((double)nt_clkmap_to_tsc(&m, mid[i].ns) - (double)mid[i].tsc, hz);
		double tol = unc + nt_cyc_to_ns(mid[i].width / 2.0, hz) + 100; /* + clock granularity */
		printf("  pair %d: converted - bracketed = %+.1f ns (tolerance %.1f ns)\n", i, err_ns, tol);
		CHECK(fabs(err_ns) <= tol);
	}
	/* a raw clock_gettime now converts to "about now" (one stall allowed) */
	struct timespec ts;
	uint64_t t0 = nt_rdtscp(NULL);
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t t1 = nt_rdtscp(NULL);
	uint64_t c = nt_clkmap_to_tsc(&m, nt_ts_ns(&ts));
	double slack = nt_ns_to_cyc(unc + 1000, hz);
	CHECK((double)c + slack >= (double)t0 && (double)c <= (double)t1 + slack);
	/* an end pair before the start is refused */
	struct nt_clkmap bad = m;
	bad.a.ns = INT64_MAX / 2;
	bad.have_end = 0;
	CHECK(nt_clkmap_end(&bad, 10) == -1);
}

static void test_describe(const struct nt_tsc_freq *f)
{
	char path[] = "/tmp/nt-test-tsc-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	FILE *mf = fdopen(fd, "w");
	struct nt_tsc_props p;
	nt_tsc_props_read(&p);
	nt_host_describe(mf, &p, f);
	fclose(mf);
	char v[256];
	CHECK(nt_meta_get(path, "host", v, sizeof(v)) == 0 && v[0]);
	CHECK(nt_meta_get(path, "ncpu", v, sizeof(v)) == 0 && atoi(v) >= 1);
	CHECK(nt_meta_get(path, "tsc_hz", v, sizeof(v)) == 0);
	CHECK_NEAR(strtod(v, NULL), f->hz, 0.1);
	CHECK(nt_meta_get(path, "tsc_hz_method", v, sizeof(v)) == 0);
	CHECK_STR(v, f->method);
	CHECK(nt_meta_get(path, "clocksource", v, sizeof(v)) == 0);
	CHECK_STR(v, p.clocksource);
	CHECK(nt_meta_get(path, "tsc_invariant", v, sizeof(v)) == 0);
	unlink(path);
}

int main(void)
{
	test_props();
	test_stamp_cpu();
	test_judge();
	test_between();
	test_freq();
	test_clkmap_math();
	struct nt_tsc_freq f;
	CHECK(nt_tsc_freq_find(&f, 100, 100) >= 0);
	test_clkmap_real(f.hz);
	test_describe(&f);
	return nt_test_done("test-tsc");
}
