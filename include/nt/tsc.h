/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shared clock: the TSC, its frequency and its relation to the kernel's
 * clocks.  Every stamp in the project is a TSC value; this library finds out
 * whether that clock can be trusted on this host and converts the kernel's
 * CLOCK_REALTIME stamps (SO_TIMESTAMPING) into it.
 */
#ifndef NT_TSC_H
#define NT_TSC_H

#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#if !defined(__x86_64__) && !defined(__i386__)
#error "the TSC clock library needs x86"
#endif

/* Plain read: may be reordered with earlier loads (cheapest, ~25 cycles). */
static inline uint64_t nt_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* Ordered read: waits for earlier instructions (lfence; rdtsc). */
static inline uint64_t nt_rdtsc_ordered(void)
{
	uint32_t lo, hi;
	__asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return ((uint64_t)hi << 32) | lo;
}

/* rdtscp: also returns IA32_TSC_AUX (Linux: cpu | node << 12). */
static inline uint64_t nt_rdtscp(uint32_t *aux)
{
	uint32_t lo, hi, a;
	__asm__ __volatile__("rdtscp" : "=a"(lo), "=d"(hi), "=c"(a)::"memory");
	if (aux)
		*aux = a;
	return ((uint64_t)hi << 32) | lo;
}

/* 1 when rdtscp's IA32_TSC_AUX holds the CPU number here: Linux writes
 * cpu | node << 12 into it when it knows rdtscp or rdpid (their /proc/cpuinfo
 * flags); under a hypervisor that hides both, the CPU may still execute
 * rdtscp while TSC_AUX stays 0 on every CPU.  Set by nt_tsc_props_read();
 * 0 (TSC_AUX not trusted) before. */
extern int nt_tsc_aux_cpu;

/* The CPU a stamp was read on, given the aux of its rdtscp: TSC_AUX when it
 * holds the CPU, else getcpu() (called after the read: right for a thread
 * pinned to one CPU, which is how the stamping programs run). */
static inline uint16_t nt_stamp_cpu(uint32_t aux)
{
	return nt_tsc_aux_cpu ? (uint16_t)(aux & 0xfff) : (uint16_t)sched_getcpu();
}

/* What the CPU and kernel say about the TSC. */
struct nt_tsc_props {
	int invariant;     /* CPUID 0x80000007 EDX[8] */
	int constant_tsc;  /* /proc/cpuinfo flag */
	int nonstop_tsc;   /* /proc/cpuinfo flag */
	int rdtscp;        /* CPUID 0x80000001 EDX[27] or the cpuinfo flag */
	int rdtscp_runs;   /* rdtscp executes here: advertised, or tried (a
			    * hypervisor may hide the bit of an instruction the
			    * CPU still runs); the stamps need it */
	int aux_cpu;       /* TSC_AUX holds the CPU (nt_tsc_aux_cpu) */
	char clocksource[32]; /* current kernel clocksource, "" if unknown */
};
void nt_tsc_props_read(struct nt_tsc_props *p);
/* 1 when the TSC is usable as a wall-rate clock across CPUs and idle. */
int nt_tsc_props_ok(const struct nt_tsc_props *p);

/* TSC frequency and how it was found. */
struct nt_tsc_freq {
	double hz;            /* the value to use */
	double hz_cal;        /* calibrated against CLOCK_MONOTONIC_RAW */
	double hz_cal2;       /* a second calibration (stability check) */
	double hz_cpuinfo;    /* /proc/cpuinfo "cpu MHz" (0 if absent) */
	double hz_cpuid;      /* CPUID 0x15/0x16 (0 if the CPU does not say) */
	int cpuid_exact;      /* hz_cpuid is leaf 0x15's (crystal x ratio), not 0x16's MHz */
	double cal_ppm;       /* |hz_cal - hz_cal2| / hz in ppm */
	double cpuinfo_ppm;   /* |hz - hz_cpuinfo| / hz in ppm (0 if absent) */
	unsigned cal_ms;      /* calibration window per run */
	char method[64];      /* e.g. "calibrated:CLOCK_MONOTONIC_RAW:2x200ms" */
	char warning[160];    /* non-empty when a cross-check disagreed */
};
/*
 * Calibrate twice over `ms` milliseconds each against CLOCK_MONOTONIC_RAW and
 * cross-check with /proc/cpuinfo and CPUID.  Returns 0 when the value is
 * trusted; 1 when it is usable but a cross-check disagreed by more than
 * `tol_ppm` (warning says which); -1 when the calibration itself is unstable
 * (two runs disagree by more than tol_ppm) or failed.  The environment
 * variable NT_TSC_HZ overrides everything (method "env:NT_TSC_HZ").
 */
int nt_tsc_freq_find(struct nt_tsc_freq *f, unsigned ms, double tol_ppm);
/* The judgement of nt_tsc_freq_find on its measurements (hz_cal, hz_cal2,
 * hz_cpuinfo, hz_cpuid, cpuid_exact): sets hz, cal_ppm, cpuinfo_ppm and the
 * warning; the same return values. */
int nt_tsc_freq_judge(struct nt_tsc_freq *f, double tol_ppm);

/* Cycles <-> nanoseconds with a known frequency. */
static inline double nt_cyc_to_ns(double cyc, double hz) { return cyc * 1e9 / hz; }
static inline double nt_ns_to_cyc(double ns, double hz) { return ns * hz / 1e9; }

/*
 * Mapping a kernel clock (CLOCK_REALTIME for SO_TIMESTAMPING) to the TSC.
 * A pair is the tightest of many `rdtscp; clock_gettime; rdtscp` brackets:
 * tsc = midpoint of the two rdtscp reads, width = their difference.  One pair
 * at the start of a run and one at the end give a line; stamps in between are
 * interpolated, stamps outside are extrapolated with the same line.
 */
struct nt_clkpair {
	uint64_t tsc;     /* midpoint */
	uint64_t width;   /* bracket width in cycles (uncertainty = width/2) */
	int64_t ns;       /* clock value in ns since the epoch of that clock */
};
struct nt_clkmap {
	clockid_t clk;
	double hz;              /* TSC frequency used before `end` is taken */
	struct nt_clkpair a, b; /* b.width == 0 until nt_clkmap_end */
	int have_end;
};
int nt_clkpair_take(clockid_t clk, int tries, struct nt_clkpair *p);
int nt_clkmap_begin(struct nt_clkmap *m, clockid_t clk, double hz, int tries);
int nt_clkmap_end(struct nt_clkmap *m, int tries);
/* Convert a clock value in ns to TSC cycles (rounded). */
uint64_t nt_clkmap_to_tsc(const struct nt_clkmap *m, int64_t ns);
/* The TSC rate between two pairs of one clock, in Hz (0 when b is not after
 * a); the one formula behind calibration and nt_clkmap_rate. */
double nt_tsc_hz_between(const struct nt_clkpair *a, const struct nt_clkpair *b);
/* The slope observed between a and b, in TSC Hz (0 if no end pair). */
double nt_clkmap_rate(const struct nt_clkmap *m);
/* Worst-case conversion uncertainty in ns (half the wider bracket). */
double nt_clkmap_uncert_ns(const struct nt_clkmap *m);

static inline int64_t nt_ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

/*
 * Run metadata about the host and the clock, as key=value lines (nt/meta.h):
 * host, kernel, cpu_model, ncpu, tsc_* properties, tsc_hz and its method.
 * `f` may be NULL to skip the frequency keys.
 */
void nt_host_describe(FILE *meta, const struct nt_tsc_props *p,
		      const struct nt_tsc_freq *f);

#endif
