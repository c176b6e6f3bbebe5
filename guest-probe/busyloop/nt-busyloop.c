// SPDX-License-Identifier: GPL-2.0
/*
 * nt-busyloop: keep one CPU out of idle with a lowest-priority spin loop (the
 * Natsume-CPU variant: the measured vCPU never halts, so an interrupt never
 * has to wake it).  Pinned to the chosen CPU, SCHED_IDLE (or nice 19) so any
 * real work preempts it, bounded by a duration.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define PROG "nt-busyloop"
#define MAX_DURATION (7 * 86400.0)

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " -c CPU -d SEC [--policy idle|nice] [-q]\n"
		"Spin on CPU for SEC seconds at the lowest priority, keeping it out of idle.\n"
		"  -c, --cpu CPU        CPU to pin to (required)\n"
		"  -d, --duration SEC   how long, 0.001..%.0f s (required; the loop is always bounded)\n"
		"  -p, --policy P       idle: SCHED_IDLE (default); nice: SCHED_OTHER at nice 19\n"
		"  -q, --quiet          no summary\n"
		"  -h, --help           this text\n"
		"Exit: 0 done, 1 runtime error, 2 bad usage, 130 stopped by a signal.\n",
		MAX_DURATION);
}

static double clk(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cpu", required_argument, 0, 'c' },
		{ "duration", required_argument, 0, 'd' },
		{ "policy", required_argument, 0, 'p' },
		{ "quiet", no_argument, 0, 'q' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 }
	};
	long cpu = -1;
	double duration = -1, t0, t1, c0, c1, now;
	int idle = 1, quiet = 0, c, end_cpu;
	uint64_t iters = 0;
	volatile uint64_t sink = 0;
	char *end;
	cpu_set_t set;
	struct sigaction sa;

	while ((c = getopt_long(argc, argv, "c:d:p:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			errno = 0;
			cpu = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || cpu < 0 || cpu >= CPU_SETSIZE) {
				fprintf(stderr, PROG ": --cpu: '%s' is not a CPU number\n", optarg);
				return 2;
			}
			break;
		case 'd':
			errno = 0;
			duration = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(duration >= 0.001 && duration <= MAX_DURATION)) {
				fprintf(stderr, PROG ": --duration: '%s' is not 0.001..%.0f seconds\n", optarg,
					MAX_DURATION);
				return 2;
			}
			break;
		case 'p':
			if (!strcmp(optarg, "idle"))
				idle = 1;
			else if (!strcmp(optarg, "nice"))
				idle = 0;
			else {
				fprintf(stderr, PROG ": --policy: '%s' is not idle or nice\n", optarg);
				return 2;
			}
			break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (cpu < 0 || duration < 0) {
		fprintf(stderr, PROG ": --cpu and --duration are required\n");
		usage(stderr);
		return 2;
	}
	CPU_ZERO(&set);
	CPU_SET((int)cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, PROG ": cannot pin to CPU %ld: %s\n", cpu, strerror(errno));
		return errno == EINVAL ? 2 : 1;
	}
	if (idle) {
		struct sched_param sp = { .sched_priority = 0 };

		if (sched_setscheduler(0, SCHED_IDLE, &sp)) {
			fprintf(stderr, PROG ": cannot set SCHED_IDLE: %s\n", strerror(errno));
			return 1;
		}
	} else if (setpriority(PRIO_PROCESS, 0, 19)) {
		fprintf(stderr, PROG ": cannot set nice 19: %s\n", strerror(errno));
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	t0 = clk(CLOCK_MONOTONIC);
	c0 = clk(CLOCK_THREAD_CPUTIME_ID);
	now = t0;
	while (!g_stop && now - t0 < duration) {
		for (int i = 0; i < 4096; i++)
			sink += (uint64_t)i;
		iters += 4096;
		now = clk(CLOCK_MONOTONIC);
	}
	t1 = clk(CLOCK_MONOTONIC);
	c1 = clk(CLOCK_THREAD_CPUTIME_ID);
	end_cpu = sched_getcpu();
	if (!quiet)
		printf(PROG ": cpu %ld (ended on %d), %s, %.3f s wall (CLOCK_MONOTONIC), %.3f s on CPU "
		       "(CLOCK_THREAD_CPUTIME_ID, %.1f %%), %llu iterations\n",
		       cpu, end_cpu, idle ? "SCHED_IDLE" : "nice 19", t1 - t0, c1 - c0,
		       t1 > t0 ? 100.0 * (c1 - c0) / (t1 - t0) : 0.0, (unsigned long long)iters);
	return g_stop ? 130 : 0;
}
