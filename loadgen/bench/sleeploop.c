// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark peer (not part of the tools): the plain periodic loop that nt-send
 * is compared with.  clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME) on a
 * fixed grid; lateness = CLOCK_MONOTONIC after the wake-up - deadline; with
 * -d ADDR:PORT it sends one 64-byte UDP datagram per wake-up, like nt-send.
 *   sleeploop -n COUNT -i PERIOD_US [-f FIFO_PRIO] [-c CPU] [-d A.B.C.D:PORT]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static double q(const int64_t *v, size_t n, double p)
{
	double h = (double)(n - 1) * p;
	size_t lo = (size_t)h;
	if (lo + 1 >= n)
		return (double)v[n - 1];
	return (double)v[lo] + (h - (double)lo) * (double)(v[lo + 1] - v[lo]);
}

int main(int argc, char **argv)
{
	long n = 1000, period_us = 1000, prio = 0, cpu = -1;
	const char *dst = NULL;
	int o;
	while ((o = getopt(argc, argv, "n:i:f:c:d:")) != -1) {
		switch (o) {
		case 'n': n = atol(optarg); break;
		case 'i': period_us = atol(optarg); break;
		case 'f': prio = atol(optarg); break;
		case 'c': cpu = atol(optarg); break;
		case 'd': dst = optarg; break;
		default:
			fprintf(stderr, "usage: sleeploop -n COUNT -i PERIOD_US [-f PRIO] [-c CPU] [-d ADDR:PORT]\n");
			return 2;
		}
	}
	if (n < 1 || n > 10000000 || period_us < 1) {
		fprintf(stderr, "sleeploop: bad -n or -i\n");
		return 2;
	}
	int fd = -1;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	if (dst) {
		char h[64];
		const char *c = strchr(dst, ':');
		if (!c || (size_t)(c - dst) >= sizeof(h)) {
			fprintf(stderr, "sleeploop: bad -d\n");
			return 2;
		}
		memcpy(h, dst, (size_t)(c - dst));
		h[c - dst] = '\0';
		if (inet_pton(AF_INET, h, &sa.sin_addr) != 1) {
			fprintf(stderr, "sleeploop: bad -d\n");
			return 2;
		}
		sa.sin_port = htons((uint16_t)atoi(c + 1));
		fd = socket(AF_INET, SOCK_DGRAM, 0);
	}
	if (cpu >= 0) {
		cpu_set_t s;
		CPU_ZERO(&s);
		CPU_SET((int)cpu, &s);
		sched_setaffinity(0, sizeof(s), &s);
	}
	int fifo = 0;
	if (prio > 0) {
		mlockall(MCL_CURRENT | MCL_FUTURE);
		struct sched_param sp = { .sched_priority = (int)prio };
		fifo = sched_setscheduler(0, SCHED_FIFO, &sp) == 0;
	}
	int64_t *late = malloc((size_t)n * sizeof(*late));
	char buf[64] = { 0 };
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	int64_t next = (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec + period_us * 1000LL;
	for (long i = 0; i < n; i++) {
		struct timespec d = { next / 1000000000LL, next % 1000000000LL };
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &d, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t);
		late[i] = (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec - next;
		if (fd >= 0)
			sendto(fd, buf, sizeof(buf), 0, (struct sockaddr *)&sa, sizeof(sa));
		next += period_us * 1000LL;
	}
	qsort(late, (size_t)n, sizeof(*late), cmp);
	printf("sleeploop: %ld wake-ups every %ld us%s: lateness (wake - deadline) in us, CLOCK_MONOTONIC: "
	       "min %.2f median %.2f p99 %.2f max %.2f\n",
	       n, period_us, fifo ? ", SCHED_FIFO" : "", late[0] / 1e3, q(late, (size_t)n, 0.5) / 1e3,
	       q(late, (size_t)n, 0.99) / 1e3, late[n - 1] / 1e3);
	free(late);
	return 0;
}
