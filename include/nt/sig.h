/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Signals and stoppable sleeps of the program skeleton (nt/prog.h): one
 * stop flag that SIGINT, SIGTERM and SIGHUP set, and sleeps that end at once
 * when it is set (the clock library's calibration uses them too).
 */
#ifndef NT_SIG_H
#define NT_SIG_H

#include <stdint.h>

/* SIGINT, SIGTERM and SIGHUP set the stop flag (no SA_RESTART: blocking
 * calls return EINTR); SIGPIPE is ignored (writes fail with EPIPE and are
 * counted).  Installed by nt_prog_parse before anything slow. */
void nt_signals_install(void);
/* The signal that asked the program to stop, or 0. */
int nt_stopping(void);
/* Block the stop signals in the calling thread, e.g. around pthread_create
 * (threads inherit the mask) so that the main thread takes them; unblock. */
void nt_signals_block_thread(void);
void nt_signals_unblock_thread(void);
/* Sleep until CLOCK_MONOTONIC reaches deadline_ns or a stop signal arrives
 * (no race: the signal is unblocked only inside ppoll).  Returns 0 at the
 * deadline, -1 when stopping. */
int nt_sleep_until(int64_t deadline_ns);
int nt_sleep_ns(int64_t ns);
int64_t nt_mono_ns(void);

#endif
