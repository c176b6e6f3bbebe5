/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nt-flood's measurement loop: one sending thread per CPU (or one unpinned),
 * each with its own socket / ring / pcap handle, sharing one sequence counter
 * so that the payload seqs of all threads are 0, 1, 2, ... with no gaps; the
 * calling thread prints the per-second rate and joins them.
 */
#ifndef LG_FLOOD_H
#define LG_FLOOD_H

#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "frame.h"
#include "nt/payload.h"

#define FL_MAXBATCH 256
#define FL_MAXCPUS 64
#define FL_RING_FRAMES 2048u

/* FL_QEMU: whole frames as UDP datagrams into a QEMU socket netdev (qemusock.h) */
enum fl_backend { FL_SENDMMSG, FL_PACKET, FL_PCAP, FL_TXRING, FL_QEMU, FL_NBACKENDS };
extern const char *const fl_backend_names[FL_NBACKENDS];
/* -1 when the name is unknown */
int fl_backend_parse(const char *s);

struct fl_cfg {
	enum fl_backend be;
	int qbypass;               /* packet: PACKET_QDISC_BYPASS (txring: always) */
	const char *iface;         /* NULL: sendmmsg by route */
	int ifindex;
	struct sockaddr_storage dst, src;
	struct sockaddr_in qemu;   /* FL_QEMU: the netdev's local address */
	socklen_t dstlen, srclen;
	int have_src;
	struct fl_tmpl tmpl;       /* raw-frame back ends */
	size_t size;               /* UDP payload bytes */
	unsigned frame_bytes;      /* on the wire, without preamble/FCS */
	unsigned batch;
	double rate;               /* total packets/s over all threads; 0 = as fast as possible */
	uint64_t count;            /* 0 = no limit */
	uint64_t end_cyc;          /* run length in TSC cycles; 0 = no limit */
	double hz;                 /* TSC frequency */
	uint32_t run_id;
	int ncpus;                 /* 0: one unpinned thread */
	int cpus[FL_MAXCPUS];
	FILE *progress;            /* per-second lines; NULL = quiet */
};

struct fl_result {
	uint64_t sent;             /* handed to the device (ring: given back by the kernel) */
	uint64_t errors;           /* failed or partial send calls (ring: failed kicks, retried) */
	uint64_t calls;
	uint64_t backlog_dropped;  /* rate mode: slots skipped after stalls */
	uint64_t unsent;           /* seqs claimed but never sent (stop during a retry / ring flush) */
	int last_err;
	int failed;                /* a thread stopped on a fatal error (printed) */
	int count_reached, duration_reached;
	double elapsed_s;
	int nsec;
	double pps_sec_min, pps_sec_max;
	int nthreads;
	uint64_t sent_by[FL_MAXCPUS];
};

/* Open every thread's back end (errors printed, -1), then flood until the
 * count, the duration or lg_stop; res is filled in either case. */
int fl_run(const struct fl_cfg *cfg, struct fl_result *res);

#endif
