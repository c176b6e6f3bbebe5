// SPDX-License-Identifier: GPL-2.0
/* Read-ahead: a large record file is read and decoded by a thread of its own
 * while the caller joins the records already decoded.  The producer fills
 * RA_SLOTS record arrays in file order; the consumer takes them in the same
 * order, so the records, the counts and the messages are those of the
 * sequential reader (they are the same code), only earlier.
 * Ownership: while the producer runs it alone touches the stream's decoding
 * state (FILE, buffers, libcsv, line/offset, bad-row counts, err/eof); the
 * consumer reads those only after the producer said it is done (under the
 * mutex) or after rs_stop().  nrecs / out_of_order are the consumer's. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"

#define RA_SLOTS 3

struct rs_pipe {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct nt_rec *r[RA_SLOTS];
	size_t n[RA_SLOTS], cap[RA_SLOTS];
	unsigned head, count; /* filled slots head .. head + count - 1 (mod RA_SLOTS) */
	int held;             /* the consumer is handing out slot head */
	int done, stop;
};

/* hand the decoded s->q over as the next slot; 0, or -1 when told to stop */
static int publish(struct rstream *s, struct rs_pipe *p)
{
	pthread_mutex_lock(&p->mu);
	while (p->count == RA_SLOTS && !p->stop)
		pthread_cond_wait(&p->cv, &p->mu);
	int stop = p->stop;
	if (!stop) {
		unsigned i = (p->head + p->count) % RA_SLOTS;
		struct nt_rec *r = p->r[i];
		size_t cap = p->cap[i];
		p->r[i] = s->q;
		p->cap[i] = s->qcap;
		p->n[i] = s->qn;
		s->q = r;
		s->qcap = cap;
		p->count++;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return stop ? -1 : 0;
}

static void *producer(void *arg)
{
	struct rstream *s = arg;
	struct rs_pipe *p = s->pipe;
	for (;;) {
		s->qn = 0;
		if (rs_refill(s) != 0)
			s->err = 1;
		if (s->qn && publish(s, p))
			break;
		if (s->err || s->eof || g_interrupted) /* a stop signal: no more input */
			break;
		pthread_mutex_lock(&p->mu);
		int stop = p->stop;
		pthread_mutex_unlock(&p->mu);
		if (stop)
			break;
	}
	pthread_mutex_lock(&p->mu);
	p->done = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int rs_pipe_start(struct rstream *s)
{
	struct rs_pipe *p = calloc(1, sizeof(*p));
	if (!p)
		return -1;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	s->pipe = p;
	if (pthread_create(&p->th, NULL, producer, s) != 0) {
		s->pipe = NULL;
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
		free(p);
		return -1; /* the caller reads sequentially */
	}
	return 0;
}

int rs_pipe_fill(struct rstream *s)
{
	struct rs_pipe *p = s->pipe;
	pthread_mutex_lock(&p->mu);
	if (p->held) { /* the slot handed out so far is free again */
		p->head = (p->head + 1) % RA_SLOTS;
		p->count--;
		p->held = 0;
		pthread_cond_broadcast(&p->cv);
	}
	while (p->count == 0 && !p->done)
		pthread_cond_wait(&p->cv, &p->mu);
	int k;
	if (p->count) {
		p->held = 1;
		s->cq = p->r[p->head];
		s->cn = p->n[p->head];
		s->ci = 0;
		k = 1;
	} else {
		k = s->err ? -1 : 0; /* written by the producer before done */
	}
	pthread_mutex_unlock(&p->mu);
	return k;
}

void rs_pipe_stop(struct rstream *s)
{
	struct rs_pipe *p = s->pipe;
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->th, NULL);
	for (unsigned i = 0; i < RA_SLOTS; i++)
		free(p->r[i]);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
	s->pipe = NULL;
	s->cq = NULL;
	s->cn = s->ci = 0;
}
