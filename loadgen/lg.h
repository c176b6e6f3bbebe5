/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by nt-flood, nt-send and nt-recv: addresses and the
 * sender's target, the payload codec, sequence accounting.  Options,
 * signals, clock and metadata are the program skeleton's (nt/prog.h). */
#ifndef LG_H
#define LG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "nt/payload.h"
#include "qemusock.h"
#include "nt/prog.h"

/* ---- addresses ---------------------------------------------------------- */

/* "A.B.C.D:PORT" or "[v6addr]:PORT" (numeric only).  With need_port == 0 a
 * bare address is accepted as well (port 0).  Returns 0 or -1. */
int lg_parse_addr(const char *s, int need_port, struct sockaddr_storage *ss, socklen_t *len);
/* Plain numeric address without port. */
int lg_parse_ip(const char *s, struct sockaddr_storage *ss, socklen_t *len);
/* MAC "aa:bb:cc:dd:ee:ff". */
int lg_parse_mac(const char *s, uint8_t mac[6]);
/* Format an address "A.B.C.D:PORT" / "[v6]:PORT". */
void lg_fmt_addr(const struct sockaddr_storage *ss, char *buf, size_t len);

/* ---- the target of a sender (nt-send, nt-flood) ----------------------------- */

/* The options --dst, --src, --iface (LG_OPT_* in a program's nt_opt table,
 * handled by lg_target_opt); programs number their own options from
 * LG_O_FREE. */
enum { LG_O_DST = 256, LG_O_SRC, LG_O_IFACE, LG_O_QEMU, LG_O_DST_MAC, LG_O_FREE };
#define LG_OPT_DST { "dst", "ADDR:PORT", LG_O_DST, "destination (numeric IPv4 or [IPv6])" }
#define LG_OPT_SRC { "src", "ADDR", LG_O_SRC, "source address (default: the route's)" }
#define LG_OPT_IFACE { "iface", "IF", LG_O_IFACE, "send through interface IF (SO_BINDTODEVICE)" }
/* --qemu, --dst-mac: whole frames into a QEMU socket netdev (qemusock.h) */
#define LG_OPT_QEMU                                                                  \
	{ "qemu", "[127.0.0.1:]PORT", LG_O_QEMU,                                     \
	  "send each packet as a whole Ethernet frame in one UDP datagram\n"         \
	  "to the local address of a QEMU socket netdev (the emulated\n"             \
	  "testbed); --dst is then the guest NIC's address, --src the\n"            \
	  "frames' source" }
#define LG_OPT_DST_MAC { "dst-mac", "MAC", LG_O_DST_MAC, "with --qemu: the guest NIC's MAC" }

struct lg_target {
	struct sockaddr_storage dst, src, route_src;
	socklen_t dstlen, srclen;
	int have_dst, have_src;
	const char *iface;
	char dsttxt[80];
	int fd; /* UDP socket, not connected */
	/* --qemu: frames into a QEMU socket netdev instead */
	int qemu, have_dmac;
	struct sockaddr_in qemu_to;
	uint8_t dmac[6];
	struct lg_qemu_tx qt;
};
int lg_target_opt(struct lg_target *t, int key, const char *arg);
/* --src and --dst of one family (nt_usage otherwise). */
void lg_target_validate(const struct nt_prog *p, const struct lg_target *t);
/* Socket, interface, source address; the route to --dst must exist (it
 * gives route_src).  An unknown interface, a source address that is not
 * local or no route are usage errors (exit 2); other failures return -1
 * after nt_error. */
int lg_target_open(struct nt_prog *p, struct lg_target *t);
/* With --qemu: the payload inside a whole frame, to the QEMU netdev. */
ssize_t lg_target_send(struct lg_target *t, const void *buf, size_t len);
void lg_target_close(struct lg_target *t);
/* A random 32-bit run id. */
uint32_t lg_random_u32(void);
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

#endif
