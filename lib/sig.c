// SPDX-License-Identifier: GPL-2.0
/* Signals and stoppable sleeps of the program skeleton (nt/prog.h). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <time.h>

#include "nt/sig.h"

static volatile sig_atomic_t stop_sig;

static void on_stop(int sig)
{
	if (!stop_sig)
		stop_sig = sig;
}

static void stop_set(sigset_t *s)
{
	sigemptyset(s);
	sigaddset(s, SIGINT);
	sigaddset(s, SIGTERM);
	sigaddset(s, SIGHUP);
}

void nt_signals_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART */
	/* A shell starts background jobs with SIGINT ignored: a program the
	 * runner stops must still hear it, so the handler replaces SIG_IGN. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigset_t s;
	stop_set(&s);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
}

int nt_stopping(void)
{
	return stop_sig;
}

void nt_signals_block_thread(void)
{
	sigset_t s;
	stop_set(&s);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
}

void nt_signals_unblock_thread(void)
{
	sigset_t s;
	stop_set(&s);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
}

int64_t nt_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * ppoll on a timerfd armed at the absolute deadline: the stop signals are
 * unblocked only inside ppoll (no lost wake-up), and the timer has the
 * precision of clock_nanosleep (ppoll's own timeout would add up to 0.1 % of
 * the sleep as slack).
 */
int nt_sleep_until(int64_t deadline_ns)
{
	static __thread int tfd = -1;
	if (tfd < 0)
		tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	sigset_t s, old;
	stop_set(&s);
	pthread_sigmask(SIG_BLOCK, &s, &old);
	struct itimerspec it = { { 0, 0 }, { (time_t)(deadline_ns / 1000000000LL), (long)(deadline_ns % 1000000000LL) } };
	if (tfd < 0 || timerfd_settime(tfd, TFD_TIMER_ABSTIME, &it, NULL) != 0) {
		/* no timerfd: a plain absolute sleep (a signal may wait for it) */
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (!stop_sig && deadline_ns > nt_mono_ns())
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &it.it_value, NULL);
		return stop_sig ? -1 : 0;
	}
	struct pollfd pfd = { tfd, POLLIN, 0 };
	/* old: the signals are unblocked inside ppoll only if they were before */
	while (!stop_sig && nt_mono_ns() < deadline_ns)
		ppoll(&pfd, 1, NULL, &old);
	uint64_t n;
	if (read(tfd, &n, sizeof(n)) < 0) { /* nothing to clear */
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return stop_sig ? -1 : 0;
}

int nt_sleep_ns(int64_t ns)
{
	return nt_sleep_until(nt_mono_ns() + ns);
}
