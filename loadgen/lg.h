/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by nt-flood, nt-send and nt-recv: option parsing, the
 * payload codec, sequence accounting, signals, pinning, metadata. */
#ifndef LG_H
#define LG_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "nt/payload.h"

#define LG_VERSION "1.0"

/* ---- parsing (all return 0 on success, -1 on bad input) ---------------- */

/* "A.B.C.D:PORT" or "[v6addr]:PORT" (numeric only).  With need_port == 0 a
 * bare address is accepted as well (port 0). */
int lg_parse_addr(const char *s, int need_port, struct sockaddr_storage *ss, socklen_t *len);
/* Plain numeric address without port. */
int lg_parse_ip(const char *s, struct sockaddr_storage *ss, socklen_t *len);
/* Unsigned integer in [min, max]; accepts k/M/G (x1000) suffixes when
 * `suffix` is set. */
int lg_parse_u64(const char *s, uint64_t min, uint64_t max, int suffix, uint64_t *out);
/* Non-negative finite double in [min, max]. */
int lg_parse_double(const char *s, double min, double max, double *out);
/* Duration: number with unit ns/us/ms/s/m (minutes); a bare number uses
 * `default_unit_ns` (1e9 for seconds).  Result > 0 and <= 1 day. */
int lg_parse_dur(const char *s, double default_unit_ns, int64_t *ns);
/* CPU list "0", "0,2", "0-3": at most max distinct CPUs below CPU_SETSIZE, in
 * the order given. */
int lg_parse_cpulist(const char *s, int *cpus, int max, int *n);
/* MAC "aa:bb:cc:dd:ee:ff". */
int lg_parse_mac(const char *s, uint8_t mac[6]);
/* Format an address "A.B.C.D:PORT" / "[v6]:PORT". */
void lg_fmt_addr(const struct sockaddr_storage *ss, char *buf, size_t len);

/* The kernel's route to dst: output interface index, and the gateway when the
 * route has one (rtnetlink).  0, or -1 with errno. */
int lg_route_get(const struct sockaddr_in *dst, int *oif, struct in_addr *gw, int *has_gw);

/* ---- payload ----------------------------------------------------------- */

/* Write the little-endian payload header into buf (>= NT_PAYLOAD_MIN). */
void lg_payload_put(unsigned char *buf, const struct nt_payload *p);

enum lg_pl_status {
	LG_PL_OK = 0,
	LG_PL_SHORT,      /* fewer than NT_PAYLOAD_MIN bytes */
	LG_PL_MAGIC,      /* not our magic */
	LG_PL_VERSION,    /* unknown version */
};
/* Decode (any alignment, any host order). */
enum lg_pl_status lg_payload_get(const unsigned char *buf, size_t len, struct nt_payload *p);
const char *lg_pl_status_name(enum lg_pl_status s);

/* ---- sequence accounting ----------------------------------------------- */

struct lg_seqtrack {
	uint64_t expect;      /* --count N: seq 0..N-1 expected (0: unknown) */
	uint64_t cap;         /* seq >= cap cannot be tracked */
	uint64_t *bits;       /* seen bitmap, grown on demand */
	uint64_t nbits;       /* size of the bitmap in bits */
	uint64_t received;    /* packets offered (in range) */
	uint64_t unique;
	uint64_t dups;
	uint64_t reordered;   /* new seq lower than the highest seen so far */
	uint64_t out_of_range;
	uint64_t max_seq;
	int any;
};
enum lg_seq_kind { LG_SEQ_NEW = 0, LG_SEQ_REORDERED, LG_SEQ_DUP, LG_SEQ_RANGE, LG_SEQ_NOMEM };
/* expect = number of packets expected (0 if unknown); cap = largest trackable
 * seq + 1 (0 for a default of 2^28). */
void lg_seq_init(struct lg_seqtrack *t, uint64_t expect, uint64_t cap);
enum lg_seq_kind lg_seq_add(struct lg_seqtrack *t, uint64_t seq);
/* Lost = expected (or max_seq + 1) - unique. */
uint64_t lg_seq_lost(const struct lg_seqtrack *t);
void lg_seq_free(struct lg_seqtrack *t);

/* ---- process ------------------------------------------------------------ */

extern volatile sig_atomic_t lg_stop;
extern volatile sig_atomic_t lg_signal;
/* SIGINT/SIGTERM set lg_stop (no SA_RESTART: blocking calls return EINTR). */
void lg_signals(void);
/* Pin the calling thread to CPU n; returns 0 or -1 (errno). */
int lg_pin_cpu(int cpu);
/* Current CPU from rdtscp's TSC_AUX (Linux: cpu | node << 12). */
static inline uint16_t lg_aux_cpu(uint32_t aux) { return (uint16_t)(aux & 0xfff); }
/* program, program_version, command, started (UTC ISO 8601). */
void lg_meta_common(FILE *meta, const char *prog, int argc, char **argv);
/* Open FILE.meta for data file `data`; NULL with a message on failure. */
FILE *lg_meta_open(const char *prog, const char *data);
/* CLOCK_MONOTONIC in ns. */
int64_t lg_mono_ns(void);
/* Sleep until absolute CLOCK_MONOTONIC time (ns); returns early on a signal. */
void lg_sleep_until(int64_t mono_ns);

#endif
