/* SPDX-License-Identifier: GPL-2.0 */
/* Writing records (CSV or binary) and naming their fields.  See record.h. */
#ifndef NT_RECIO_H
#define NT_RECIO_H

#include <stddef.h>
#include <stdio.h>

#include "nt/record.h"

enum nt_fmt { NT_FMT_CSV = 0, NT_FMT_BIN = 1 };

/* A record with every optional field unknown. */
struct nt_rec nt_rec_blank(enum nt_source src, enum nt_event ev);

/* Names used in CSV ("hv", "guest", ... / "send", "rx_kernel", ...). */
const char *nt_source_name(unsigned src);
const char *nt_event_name(unsigned ev);
/* The source that takes event ev (docs/record-format.md "Events"), or
 * NT_SRC_NONE for an event any source writes (lost, probe_cost) or an unknown one. */
unsigned nt_event_source(unsigned ev);
/* Reverse lookups: return the enum value, or -1 when the name is unknown. */
int nt_source_parse(const char *s, size_t len);
int nt_event_parse(const char *s, size_t len);
/* Flags as words joined by '|' ("late|converted"), "" for none. */
size_t nt_flags_format(unsigned flags, char *buf, size_t len);
/* Parse flag words or a number; returns 0 and sets *out, or -1. */
int nt_flags_parse(const char *s, size_t len, unsigned *out);

/* Format one record as a CSV line without the newline.  Returns the length
 * (snprintf semantics). */
int nt_rec_format_csv(const struct nt_rec *r, char *buf, size_t len);

/*
 * Buffered writer (64 KiB chunks written with write(2)).  nt_writer_flush may
 * be called from the main loop at any time (e.g. after a Ctrl-C).  A failed
 * write (ENOSPC, EIO, EPIPE...) is sticky: the file is cut back to its last
 * whole record, the records of the failed chunk and every later one are
 * counted as lost, and put/flush/close return -1 with errno set to the first
 * error.  Functions return 0 on success, -1 with errno set on failure.
 */
struct nt_writer;
/* Format from fmt; path "-" means stdout.  The header is written at once, so
 * an unwritable target fails here. */
struct nt_writer *nt_writer_open(const char *path, enum nt_fmt fmt);
/* Guess the format from the file name: ".bin"/".ntr" binary, else CSV. */
enum nt_fmt nt_fmt_from_path(const char *path);
int nt_writer_put(struct nt_writer *w, const struct nt_rec *r);
int nt_writer_flush(struct nt_writer *w);
/* Records in the file (written by write(2)); buffered ones are not counted. */
unsigned long long nt_writer_count(const struct nt_writer *w);
/* Records that could not be written. */
unsigned long long nt_writer_lost(const struct nt_writer *w);
/* The first write error (errno value), or 0. */
int nt_writer_error(const struct nt_writer *w);
/* After a failure: try to append the one record r (e.g. the `lost` record
 * that counts the loss) directly; 0 when it reached the file. */
int nt_writer_salvage(struct nt_writer *w, const struct nt_rec *r);
int nt_writer_close(struct nt_writer *w);

/* Little-endian (de)serialisation of the 40-byte binary record. */
void nt_rec_to_le(const struct nt_rec *r, unsigned char out[40]);
void nt_rec_from_le(const unsigned char in[40], struct nt_rec *r);
void nt_bin_header_init(struct nt_bin_header *h);
/* 0 when the 32 bytes are a header this build can read, else -1. */
int nt_bin_header_check(const unsigned char in[32], char *why, size_t whylen);

#endif
