/* SPDX-License-Identifier: GPL-2.0 */
/*
 * UDP payload of the periodic sender's packets (nt-send), read by the receiver
 * (nt-recv) and by the guest kernel module (guest-probe) to tie an interrupt
 * to the packet that caused it.  All fields little endian, packed, at the
 * start of the UDP payload; the rest of the payload is padding.
 */
#ifndef NT_PAYLOAD_H
#define NT_PAYLOAD_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#endif

#define NT_PAYLOAD_MAGIC 0x4e54534du /* "MSTN" little endian: 'M','S','T','N' */
#define NT_PAYLOAD_VERSION 1u

struct nt_payload {
	uint32_t magic;     /* NT_PAYLOAD_MAGIC */
	uint16_t version;   /* NT_PAYLOAD_VERSION */
	uint16_t flags;     /* bit 0: this send was late */
	uint32_t run_id;    /* chosen by the sender, to reject stray packets */
	uint32_t reserved;
	uint64_t seq;       /* 0, 1, 2, ... */
	uint64_t tsc_sched; /* scheduled send time, sender's TSC */
	uint64_t tsc_send;  /* actual send time, sender's TSC */
} __attribute__((packed));

#define NT_PAYLOAD_MIN 40 /* sizeof(struct nt_payload) */
#define NT_PAYLOAD_F_LATE 0x1u

#endif
