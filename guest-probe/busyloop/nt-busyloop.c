// SPDX-License-Identifier: GPL-2.0
/*
 * nt-busyloop: keep one CPU out of idle with a lowest-priority spin loop (the
 * Natsume-CPU variant: the measured vCPU never halts, so an interrupt never
 * has to wake it).  Pinned to the chosen CPU, SCHED_IDLE (or nice 19) so any
 * real work preempts it, bounded by a duration.
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "nt/prog.h"

enum { O_POLICY = 256 };

static const char *const policies[] = { "idle", "nice", NULL };

static const struct nt_opt bl_opts[] = {
	{ "policy", "idle|nice", O_POLICY, "idle: SCHED_IDLE (default); nice: SCHED_OTHER at nice 19" },
	{ NULL, NULL, 0, NULL },
};

struct bl {
	int policy; /* index in policies */
	double wall, cpu;
	uint64_t iters;
	int end_cpu;
};

static int bl_opt(struct nt_prog *p, int key, const char *arg)
{
	struct bl *b = p->ctx;
	return nt_parse_word(arg, policies, &b->policy);
}

static void bl_validate(struct nt_prog *p)
{
	if (!p->ncpus || !p->duration_ns)
		nt_usage(p, "--cpu and --duration are required");
	nt_prog_cpus_check(p);
}

/* Pinning and the lowest priority; -1 after an error. */
static int lowest(struct nt_prog *p, struct bl *b)
{
	if (nt_prog_pin(p) != 0) {
		nt_error(p, "cannot pin to --cpu: %s", strerror(errno));
		return -1;
	}
	struct sched_param sp = { .sched_priority = 0 };
	if (b->policy == 0 && sched_setscheduler(0, SCHED_IDLE, &sp) != 0) {
		nt_error(p, "cannot set SCHED_IDLE: %s", strerror(errno));
		return -1;
	}
	if (b->policy == 1 && setpriority(PRIO_PROCESS, 0, 19) != 0) {
		nt_error(p, "cannot set nice 19: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static double clk(clockid_t id)
{
	struct timespec t;
	clock_gettime(id, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void spin(struct nt_prog *p, struct bl *b)
{
	volatile uint64_t sink = 0;
	double t0 = clk(CLOCK_MONOTONIC), c0 = clk(CLOCK_THREAD_CPUTIME_ID), now = t0;
	while (!nt_stopping() && now - t0 < p->duration_ns / 1e9) {
		for (int i = 0; i < 4096; i++)
			sink += (uint64_t)i;
		b->iters += 4096;
		now = clk(CLOCK_MONOTONIC);
	}
	b->wall = clk(CLOCK_MONOTONIC) - t0;
	b->cpu = clk(CLOCK_THREAD_CPUTIME_ID) - c0;
	b->end_cpu = sched_getcpu();
	if (!nt_stopping())
		nt_prog_stop_reason(p, "duration reached");
}

static void bl_summary(struct nt_prog *p)
{
	struct bl *b = p->ctx;
	char cpus[64];
	nt_cpulist_format(p->cpus, NT_CPUS_MAX, cpus, sizeof(cpus));
	nt_say(p, "cpu %s (ended on %d), %s, %.3f s wall (CLOCK_MONOTONIC), %.3f s on CPU (CLOCK_THREAD_CPUTIME_ID, "
		  "%.1f %%), %llu iterations",
	       cpus, b->end_cpu, b->policy ? "nice 19" : "SCHED_IDLE", b->wall, b->cpu,
	       b->wall > 0 ? 100.0 * b->cpu / b->wall : 0.0, (unsigned long long)b->iters);
}

int main(int argc, char **argv)
{
	struct bl b = { .end_cpu = -1 };
	struct nt_prog p = {
		.name = "nt-busyloop", .synopsis = "--cpu CPU --duration DUR [--policy idle|nice] [-q]",
		.about = "Spin on CPU for DUR at the lowest priority, keeping it out of idle (the loop is\n"
			 "always bounded by --duration, at most 7 days).",
		.common = NT_C_CPU | NT_C_DURATION, .opts = bl_opts, .opt = bl_opt, .validate = bl_validate,
		.summary = bl_summary, .ctx = &b, .cpu_help = "the CPU (or CPUs) to spin on (required)",
		.duration_help = "how long (required)",
	};
	nt_prog_parse(&p, argc, argv);
	int rc = NT_EXIT_OK;
	if (nt_prog_start(&p) == 0 && lowest(&p, &b) == 0)
		spin(&p, &b);
	return nt_prog_close(&p, rc);
}
