/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The consumer side of one Xen per-CPU trace buffer (struct t_buf of
 * xen/public/trace.h): cons and prod run modulo 2 * size, where size is the
 * number of record bytes after the 8-byte {cons, prod} header.  Xen writes
 * whole records and pads the end of the ring with TRC_TRACE_WRAP_BUFFER, so
 * [cons, prod) is always a run of whole records.  Kept free of libxen so that
 * it is unit-tested against a simulated producer (tests/test-collector-ring.c).
 */
#ifndef NT_HV_RING_H
#define NT_HV_RING_H

#include <stddef.h>
#include <stdint.h>

struct xt_ring {
	uint32_t *cons, *prod;  /* in the shared page */
	const uint8_t *data;    /* `size` bytes of records */
	uint32_t size;
};

/*
 * Copy the unread records into out (at least r->size bytes), linearised,
 * then hand the space back to the producer (cons = prod).  Protocol: read
 * prod; read barrier; read cons; copy; full barrier; write cons.
 * Returns the number of bytes copied (0 when empty), or -1 when the indices
 * are inconsistent (why says how); then cons is reset to prod when prod is
 * in range, so that reading can go on.
 */
long xt_ring_take(const struct xt_ring *r, uint8_t *out, char *why, size_t whylen);

#endif
