// SPDX-License-Identifier: GPL-2.0
/*
 * The shared clock library (include/nt/tsc.h): TSC properties, frequency
 * calibration with cross-checks, kernel clock -> TSC mapping by tightest
 * bracketing, host description for run metadata.
 */
#include <cpuid.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "nt/meta.h"
#include "nt/parse.h"
#include "nt/sig.h"
#include "nt/tsc.h"

/* ---- properties -------------------------------------------------------- */

static int cpuid_max(unsigned leaf)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(leaf & 0x80000000u, &a, &b, &c, &d))
		return 0;
	return a >= leaf;
}

static int cpuinfo_has_flag(const char *line, const char *flag)
{
	size_t n = strlen(flag);
	const char *p = line;
	while ((p = strstr(p, flag)) != NULL) {
		int left = p == line || isspace((unsigned char)p[-1]) || p[-1] == ':';
		int right = p[n] == '\0' || isspace((unsigned char)p[n]);
		if (left && right)
			return 1;
		p += n;
	}
	return 0;
}

/* Read the first "key : value" line of /proc/cpuinfo whose key is `key`. */
static int cpuinfo_field(const char *key, char *out, size_t outlen)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return -1;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	size_t klen = strlen(key);
	int rc = -1;
	while ((n = getline(&line, &cap, f)) >= 0) {
		if (strncmp(line, key, klen) != 0)
			continue;
		const char *p = line + klen;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != ':')
			continue;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		snprintf(out, outlen, "%s", p);
		size_t l = strlen(out);
		while (l > 0 && (out[l - 1] == '\n' || out[l - 1] == '\r' || out[l - 1] == ' '))
			out[--l] = '\0';
		rc = 0;
		break;
	}
	free(line);
	fclose(f);
	return rc;
}

int nt_tsc_aux_cpu;

static sigjmp_buf rdtscp_jmp;

static void rdtscp_trap(int sig)
{
	(void)sig;
	siglongjmp(rdtscp_jmp, 1);
}

/* 1 when rdtscp executes without a fault (#UD is SIGILL): tried once, with
 * SIGILL caught for that instruction only. */
static int rdtscp_tried(void)
{
	struct sigaction sa = { .sa_handler = rdtscp_trap }, old;
	volatile int ok = 0;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGILL, &sa, &old))
		return 0;
	if (sigsetjmp(rdtscp_jmp, 1) == 0) {
		(void)nt_rdtscp(NULL);
		ok = 1;
	}
	sigaction(SIGILL, &old, NULL);
	return ok;
}

void nt_tsc_props_read(struct nt_tsc_props *p)
{
	unsigned a, b, c, d;
	memset(p, 0, sizeof(*p));
	if (cpuid_max(0x80000007u)) {
		__cpuid(0x80000007u, a, b, c, d);
		p->invariant = !!(d & (1u << 8));
	}
	if (cpuid_max(0x80000001u)) {
		__cpuid(0x80000001u, a, b, c, d);
		p->rdtscp = !!(d & (1u << 27));
	}
	/* flags line can be long: read it whole */
	char *flags = malloc(16384);
	if (flags && cpuinfo_field("flags", flags, 16384) == 0) {
		p->constant_tsc = cpuinfo_has_flag(flags, "constant_tsc");
		p->nonstop_tsc = cpuinfo_has_flag(flags, "nonstop_tsc");
		p->aux_cpu = cpuinfo_has_flag(flags, "rdtscp") || cpuinfo_has_flag(flags, "rdpid");
		if (!p->rdtscp)
			p->rdtscp = cpuinfo_has_flag(flags, "rdtscp");
	}
	free(flags);
	p->rdtscp_runs = p->rdtscp || rdtscp_tried();
	nt_tsc_aux_cpu = p->aux_cpu && p->rdtscp_runs;
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
	if (f) {
		if (fgets(p->clocksource, sizeof(p->clocksource), f)) {
			size_t l = strlen(p->clocksource);
			while (l > 0 && isspace((unsigned char)p->clocksource[l - 1]))
				p->clocksource[--l] = '\0';
		}
		fclose(f);
	}
}

int nt_tsc_props_ok(const struct nt_tsc_props *p)
{
	/* The architectural invariant bit, or what Linux itself relies on
	 * (hypervisors often hide the CPUID bit but keep the flags). */
	return p->invariant || (p->constant_tsc && p->nonstop_tsc);
}

/* ---- frequency --------------------------------------------------------- */

/* CPUID 0x15 (crystal * ratio) or, failing that, 0x16 (base MHz).  Sets
 * *exact to 1 when leaf 0x15 gave the value. */
static double cpuid_tsc_hz(int *exact)
{
	unsigned a, b, c, d;
	*exact = 0;
	if (!__get_cpuid(0, &a, &b, &c, &d))
		return 0;
	unsigned max = a;
	if (max >= 0x15) {
		__cpuid(0x15, a, b, c, d);
		if (a && b && c) {
			*exact = 1;
			return (double)c * (double)b / (double)a;
		}
	}
	if (max >= 0x16) {
		__cpuid(0x16, a, b, c, d);
		if (a & 0xffff)
			return (double)(a & 0xffff) * 1e6;
	}
	return 0;
}

static double cpuinfo_hz(void)
{
	char v[64];
	if (cpuinfo_field("cpu MHz", v, sizeof(v)) != 0)
		return 0;
	char *end;
	double mhz = strtod(v, &end);
	if (end == v || !(mhz > 0) || !isfinite(mhz))
		return 0;
	return mhz * 1e6;
}

/* One calibration over ms milliseconds: tightest bracket at each end.
 * Returns -2 when a stop signal (nt/prog.h) cut the window short. */
static int calibrate_once(unsigned ms, double *hz)
{
	struct nt_clkpair a, b;
	if (nt_clkpair_take(CLOCK_MONOTONIC_RAW, 200, &a) != 0)
		return -1;
	if (nt_sleep_ns((int64_t)ms * 1000000) != 0)
		return -2;
	if (nt_clkpair_take(CLOCK_MONOTONIC_RAW, 200, &b) != 0)
		return -1;
	*hz = nt_tsc_hz_between(&a, &b);
	return *hz > 1e6 ? 0 : -1;
}

/* NT_TSC_HZ in the environment: 0 used, -1 not a frequency, 1 absent. */
static int freq_from_env(struct nt_tsc_freq *f)
{
	const char *env = getenv("NT_TSC_HZ");
	double hz;
	if (!env || !*env)
		return 1;
	snprintf(f->method, sizeof(f->method), "env:NT_TSC_HZ");
	if (nt_parse_hz(env, NT_TSC_HZ_MIN, NT_TSC_HZ_MAX, &hz) != 0) {
		snprintf(f->warning, sizeof(f->warning), "NT_TSC_HZ='%.60s' is not a frequency in Hz (1e6..1e11)", env);
		return -1;
	}
	f->hz = hz;
	if (f->hz_cpuinfo > 0)
		f->cpuinfo_ppm = fabs(f->hz - f->hz_cpuinfo) / f->hz * 1e6;
	return 0;
}

/* Two calibrations (and one more pair when they disagree); -1 when one
 * failed or a stop signal came (f says which). */
static int calibrate(struct nt_tsc_freq *f, unsigned ms, double tol_ppm)
{
	int tries, ok = 0;
	f->cal_ms = ms;
	for (tries = 1; tries <= 2 && !ok; tries++) {
		int c1 = calibrate_once(ms, &f->hz_cal), c2 = c1 ? c1 : calibrate_once(ms, &f->hz_cal2);
		if (c1 || c2) {
			int intr = c1 == -2 || c2 == -2;
			f->hz = 0;
			snprintf(f->method, sizeof(f->method), "calibrated:CLOCK_MONOTONIC_RAW:%s",
				 intr ? "interrupted" : "failed");
			snprintf(f->warning, sizeof(f->warning), "%s",
				 intr ? "calibration interrupted by a signal" : "calibration against CLOCK_MONOTONIC_RAW failed");
			return -1;
		}
		ok = fabs(f->hz_cal - f->hz_cal2) / ((f->hz_cal + f->hz_cal2) / 2) * 1e6 <= tol_ppm;
	}
	snprintf(f->method, sizeof(f->method), "calibrated:CLOCK_MONOTONIC_RAW:2x%ums%s", ms, tries > 2 ? ":retried" : "");
	return 0;
}

/* Append "; " and a message to the warning. */
static void warn_add(struct nt_tsc_freq *f, const char *fmt, double a, double b, double c)
{
	size_t l = strlen(f->warning);
	if (l)
		l += (size_t)snprintf(f->warning + l, sizeof(f->warning) - l, "; ");
	if (l < sizeof(f->warning))
		snprintf(f->warning + l, sizeof(f->warning) - l, fmt, a, b, c);
}

int nt_tsc_freq_judge(struct nt_tsc_freq *f, double tol_ppm)
{
	f->hz = (f->hz_cal + f->hz_cal2) / 2;
	f->cal_ppm = fabs(f->hz_cal - f->hz_cal2) / f->hz * 1e6;
	if (f->cal_ppm > tol_ppm) {
		snprintf(f->warning, sizeof(f->warning),
			 "TSC calibration unstable: two runs differ by %.3f ppm (tolerance %.3f ppm)", f->cal_ppm, tol_ppm);
		return -1;
	}
	int rc = 0;
	if (f->hz_cpuinfo > 0) {
		f->cpuinfo_ppm = fabs(f->hz - f->hz_cpuinfo) / f->hz * 1e6;
		/* cpuinfo has 1 kHz resolution */
		if (f->cpuinfo_ppm > fmax(tol_ppm, 1e3 / f->hz * 1e6)) {
			warn_add(f, "/proc/cpuinfo says %.3f MHz, calibration %.3f MHz (%.1f ppm apart)",
				 f->hz_cpuinfo / 1e6, f->hz / 1e6, f->cpuinfo_ppm);
			rc = 1;
		}
	}
	if (f->hz_cpuid > 0) {
		double ppm = fabs(f->hz - f->hz_cpuid) / f->hz * 1e6;
		/* leaf 0x16 is whole MHz and only "base frequency": loose check */
		if (ppm > (f->cpuid_exact ? tol_ppm : fmax(tol_ppm, 0.5e6 / f->hz * 1e6 + 2000))) {
			warn_add(f, f->cpuid_exact ? "CPUID 0x15 says %.3f MHz, calibration %.3f MHz (%.1f ppm apart)"
						   : "CPUID 0x16 says %.3f MHz, calibration %.3f MHz (%.1f ppm apart)",
				 f->hz_cpuid / 1e6, f->hz / 1e6, ppm);
			rc = 1;
		}
	}
	return rc;
}

int nt_tsc_freq_find(struct nt_tsc_freq *f, unsigned ms, double tol_ppm)
{
	memset(f, 0, sizeof(*f));
	if (ms == 0)
		ms = 200;
	if (!(tol_ppm > 0))
		tol_ppm = 100;
	f->hz_cpuinfo = cpuinfo_hz();
	f->hz_cpuid = cpuid_tsc_hz(&f->cpuid_exact);
	int rc = freq_from_env(f);
	if (rc <= 0)
		return rc;
	if (calibrate(f, ms, tol_ppm) != 0)
		return -1;
	return nt_tsc_freq_judge(f, tol_ppm);
}

/* ---- kernel clock <-> TSC ---------------------------------------------- */

int nt_clkpair_take(clockid_t clk, int tries, struct nt_clkpair *p)
{
	if (tries < 1)
		tries = 1;
	struct nt_clkpair best = { 0, UINT64_MAX, 0 };
	int got = 0;
	for (int i = 0; i < tries; i++) {
		struct timespec ts;
		uint32_t c0, c1;
		int before = nt_tsc_aux_cpu ? 0 : sched_getcpu(); /* outside the bracket */
		uint64_t t0 = nt_rdtscp(&c0);
		int rc = clock_gettime(clk, &ts);
		uint64_t t1 = nt_rdtscp(&c1);
		if (rc != 0)
			return -1;
		if (!nt_tsc_aux_cpu) {
			c0 = (uint32_t)before;
			c1 = (uint32_t)sched_getcpu();
		}
		if (c0 != c1 || t1 < t0) /* migrated in between: discard */
			continue;
		uint64_t w = t1 - t0;
		if (w < best.width) {
			best.width = w;
			best.tsc = t0 + w / 2;
			best.ns = nt_ts_ns(&ts);
			got = 1;
		}
	}
	if (!got) {
		errno = EAGAIN;
		return -1;
	}
	*p = best;
	return 0;
}

int nt_clkmap_begin(struct nt_clkmap *m, clockid_t clk, double hz, int tries)
{
	memset(m, 0, sizeof(*m));
	m->clk = clk;
	m->hz = hz;
	return nt_clkpair_take(clk, tries, &m->a);
}

int nt_clkmap_end(struct nt_clkmap *m, int tries)
{
	struct nt_clkpair b;
	if (nt_clkpair_take(m->clk, tries, &b) != 0)
		return -1;
	if (b.ns <= m->a.ns || b.tsc <= m->a.tsc) {
		errno = ERANGE; /* clock stepped back or no time passed */
		return -1;
	}
	m->b = b;
	m->have_end = 1;
	return 0;
}

uint64_t nt_clkmap_to_tsc(const struct nt_clkmap *m, int64_t ns)
{
	long double slope; /* cycles per ns */
	if (m->have_end && m->b.ns > m->a.ns)
		slope = (long double)(m->b.tsc - m->a.tsc) / (long double)(m->b.ns - m->a.ns);
	else
		slope = (long double)m->hz / 1e9L;
	long double t = (long double)m->a.tsc + (long double)(ns - m->a.ns) * slope;
	if (t <= 0)
		return 0;
	if (t >= 18446744073709551615.0L)
		return UINT64_MAX;
	return (uint64_t)llroundl(t);
}

double nt_tsc_hz_between(const struct nt_clkpair *a, const struct nt_clkpair *b)
{
	if (b->ns <= a->ns || b->tsc <= a->tsc)
		return 0;
	double hz = (double)((long double)(b->tsc - a->tsc) * 1e9L / (long double)(b->ns - a->ns));
	return isfinite(hz) ? hz : 0;
}

double nt_clkmap_rate(const struct nt_clkmap *m)
{
	return m->have_end ? nt_tsc_hz_between(&m->a, &m->b) : 0;
}

double nt_clkmap_uncert_ns(const struct nt_clkmap *m)
{
	double hz = m->hz > 0 ? m->hz : nt_clkmap_rate(m);
	if (!(hz > 0))
		return NAN;
	uint64_t w = m->a.width;
	if (m->have_end && m->b.width > w)
		w = m->b.width;
	return nt_cyc_to_ns((double)w / 2, hz);
}

/* ---- host description -------------------------------------------------- */

void nt_host_describe(FILE *meta, const struct nt_tsc_props *p, const struct nt_tsc_freq *f)
{
	struct utsname u;
	char buf[256];
	if (uname(&u) == 0) {
		nt_meta_put(meta, "host", "%s", u.nodename);
		nt_meta_put(meta, "kernel", "%s %s %s", u.sysname, u.release, u.machine);
	}
	if (cpuinfo_field("model name", buf, sizeof(buf)) == 0)
		nt_meta_put(meta, "cpu_model", "%s", buf);
	nt_meta_put(meta, "ncpu", "%ld", sysconf(_SC_NPROCESSORS_ONLN));
	if (p) {
		nt_meta_put(meta, "tsc_invariant", "%d", p->invariant);
		nt_meta_put(meta, "tsc_constant", "%d", p->constant_tsc);
		nt_meta_put(meta, "tsc_nonstop", "%d", p->nonstop_tsc);
		nt_meta_put(meta, "tsc_rdtscp", "%d", p->rdtscp);
		nt_meta_put(meta, "tsc_rdtscp_runs", "%d", p->rdtscp_runs);
		nt_meta_put(meta, "stamp_cpu_from", "%s",
			    p->aux_cpu ? "rdtscp TSC_AUX" : "getcpu() after the stamp (the kernel keeps no CPU number in TSC_AUX here)");
		nt_meta_put(meta, "tsc_ok", "%d", nt_tsc_props_ok(p));
		nt_meta_put(meta, "clocksource", "%s", p->clocksource);
	}
	if (f) {
		nt_meta_put(meta, "tsc_hz", "%.1f", f->hz);
		nt_meta_put(meta, "tsc_hz_method", "%s", f->method);
		nt_meta_put(meta, "tsc_hz_cal", "%.1f", f->hz_cal);
		nt_meta_put(meta, "tsc_hz_cal2", "%.1f", f->hz_cal2);
		nt_meta_put(meta, "tsc_hz_cpuinfo", "%.1f", f->hz_cpuinfo);
		nt_meta_put(meta, "tsc_hz_cpuid", "%.1f", f->hz_cpuid);
		nt_meta_put(meta, "tsc_cal_ppm", "%.4f", f->cal_ppm);
		nt_meta_put(meta, "tsc_cpuinfo_ppm", "%.4f", f->cpuinfo_ppm);
		nt_meta_put(meta, "tsc_cal_ms", "%u", f->cal_ms);
		if (f->warning[0])
			nt_meta_put(meta, "tsc_warning", "%s", f->warning);
	}
}
