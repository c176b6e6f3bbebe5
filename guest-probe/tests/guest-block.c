// SPDX-License-Identifier: GPL-2.0
/*
 * ntgp-block: the device's blocking semantics, run inside the QEMU guest by
 * qemu-guest-init.sh (static, not a host test).  Prints one "ok"/"FAIL" line
 * per check; exit 0 when all passed.
 *
 *   ntgp-block idle   module loaded with nothing to stamp (rx=0, no irqs):
 *                     a non-blocking read gives EAGAIN, poll() times out, a
 *                     blocking read sleeps until a signal (EINTR after ~1 s)
 *   ntgp-block wake   module loaded with timer=hrtimer timer_period_us=1000000:
 *                     a blocking read returns timer records, the next one
 *                     sleeps until the next expiry (~1 s), poll() reports
 *                     POLLIN when a record arrives
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nt/record.h"

static const char *dev = "/dev/nt_guest_probe";
static int fails;
static struct nt_rec buf[256];

static void check(int ok, const char *what, double ms)
{
	printf("%s %s (%.0f ms)\n", ok ? "ok  " : "FAIL", what, ms);
	fails += !ok;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* records of event ev in the n bytes read */
static int count_ev(ssize_t n, int ev)
{
	int k = 0;

	for (ssize_t i = 0; i < n / (ssize_t)sizeof(buf[0]); i++)
		k += buf[i].event == ev;
	return k;
}

/* read() or poll() timed on CLOCK_MONOTONIC: *ms gets the time it took */
static ssize_t timed_read(int fd, double *ms)
{
	double t = now_ms();
	ssize_t n = read(fd, buf, sizeof(buf));
	int e = errno;

	*ms = now_ms() - t;
	errno = e;
	return n;
}

static int timed_poll(int fd, int timeout, double *ms, short *revents)
{
	struct pollfd p = { fd, POLLIN, 0 };
	double t = now_ms();
	int r = poll(&p, 1, timeout);

	*ms = now_ms() - t;
	*revents = p.revents;
	return r;
}

static void idle(int fd)
{
	struct sigaction sa;
	short rev;
	double t;
	ssize_t n;
	int r;

	n = read(fd, buf, sizeof(buf));
	check(n < 0 && errno == EAGAIN, "O_NONBLOCK read of empty rings gives EAGAIN", 0);
	r = timed_poll(fd, 300, &t, &rev);
	check(r == 0 && t >= 250, "poll() on empty rings times out after 300 ms", t);
	fcntl(fd, F_SETFL, 0);
	/* a handler without SA_RESTART: the sleeping read returns EINTR */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	n = timed_read(fd, &t);
	check(n < 0 && errno == EINTR && t >= 900, "blocking read sleeps until a signal (EINTR)", t);
}

static void wake(int fd)
{
	short rev;
	double t = 0;
	ssize_t n = 0;
	int r;

	alarm(15); /* bounded: no handler, a hang ends the program */
	/* read until a read has slept and was woken by a fresh stamp (records
	 * stamped before the first read come back at once) */
	for (int k = 0; k < 3; k++) {
		n = timed_read(fd, &t);
		if (n <= 0 || t >= 50)
			break;
	}
	check(n > 0 && count_ev(n, NT_EV_TIMER) >= 1 && t >= 50,
	      "blocking read sleeps, then returns the timer record that woke it", t);
	n = timed_read(fd, &t);
	/* the hrtimer runs every 1000 ms: the read slept until the next expiry */
	check(n > 0 && count_ev(n, NT_EV_TIMER) >= 1 && t >= 300 && t <= 3000,
	      "blocking read sleeps until the next stamp (~1 s)", t);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	r = timed_poll(fd, 3000, &t, &rev);
	check(r == 1 && (rev & POLLIN) && t >= 300, "poll() wakes with POLLIN on the next stamp", t);
	n = read(fd, buf, sizeof(buf));
	check(n > 0 && count_ev(n, NT_EV_TIMER) >= 1, "the record poll() announced is there", 0);
	alarm(0);
}

int main(int argc, char **argv)
{
	int is_idle = argc == 2 && !strcmp(argv[1], "idle");
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2 || (!is_idle && strcmp(argv[1], "wake"))) {
		fprintf(stderr, "usage: ntgp-block idle|wake\n");
		return 2;
	}
	fd = open(dev, O_RDONLY | (is_idle ? O_NONBLOCK : 0));
	if (fd < 0) {
		printf("FAIL open %s: %s\n", dev, strerror(errno));
		return 1;
	}
	if (is_idle)
		idle(fd);
	else
		wake(fd);
	close(fd);
	return fails != 0;
}
