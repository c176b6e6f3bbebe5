// SPDX-License-Identifier: GPL-2.0
/* Consumer of one Xen trace ring; see ring.h. */
#include <stdio.h>
#include <string.h>

#include "ring.h"

long xt_ring_take(const struct xt_ring *r, uint8_t *out, char *why, size_t whylen)
{
	uint32_t ds = r->size;
	uint32_t prod = __atomic_load_n(r->prod, __ATOMIC_ACQUIRE); /* prod, then the records */
	uint32_t cons = __atomic_load_n(r->cons, __ATOMIC_RELAXED);
	if (prod == cons)
		return 0;
	if (ds == 0 || prod >= 2 * (uint64_t)ds || cons >= 2 * (uint64_t)ds) {
		snprintf(why, whylen, "ring indices out of range (cons %u prod %u, 2*size %llu)", cons, prod,
			 2ULL * ds);
		if (ds && prod < 2 * (uint64_t)ds)
			__atomic_store_n(r->cons, prod, __ATOMIC_RELEASE);
		return -1;
	}
	uint32_t win = prod < cons ? prod + 2 * ds - cons : prod - cons;
	if (win > ds) {
		snprintf(why, whylen, "window of %u bytes exceeds the %u-byte buffer (cons %u prod %u)", win, ds,
			 cons, prod);
		__atomic_store_n(r->cons, prod, __ATOMIC_RELEASE);
		return -1;
	}
	uint32_t start = cons % ds;
	if (start + win <= ds) {
		memcpy(out, r->data + start, win);
	} else {
		uint32_t first = ds - start;
		memcpy(out, r->data + start, first);
		memcpy(out + first, r->data, win - first);
	}
	/* finish reading the records before the producer may reuse the space */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(r->cons, prod, __ATOMIC_RELEASE);
	return (long)win;
}
