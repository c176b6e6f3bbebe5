// SPDX-License-Identifier: GPL-2.0
/* Work split over the CPUs the analyzer may use (--threads): each part is a
 * fixed share of the work, so the result does not depend on how many parts
 * ran at once. */
#include <pthread.h>
#include <stdlib.h>

#include "analyze.h"

int g_threads = 1; /* set by main (--threads; default: the CPUs online) */

struct par_job {
	void (*fn)(void *arg, int t, int nt);
	void *arg;
	int t, nt;
	pthread_t th;
	int started;
};

static void *par_main(void *p)
{
	struct par_job *j = p;
	j->fn(j->arg, j->t, j->nt);
	return NULL;
}

void par_run(int nt, void (*fn)(void *arg, int t, int nt), void *arg)
{
	if (nt < 1)
		nt = 1;
	struct par_job *j = nt > 1 ? calloc((size_t)nt, sizeof(*j)) : NULL;
	if (!j) {
		for (int t = 0; t < nt; t++)
			fn(arg, t, nt);
		return;
	}
	for (int t = 1; t < nt; t++) {
		j[t] = (struct par_job){ fn, arg, t, nt, 0, 0 };
		j[t].started = pthread_create(&j[t].th, NULL, par_main, &j[t]) == 0;
	}
	fn(arg, 0, nt);
	for (int t = 1; t < nt; t++) {
		if (j[t].started)
			pthread_join(j[t].th, NULL);
		else
			fn(arg, t, nt); /* no thread to be had: this one does that part */
	}
	free(j);
}
