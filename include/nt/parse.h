/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one parser of each kind of value that a program's options, the
 * environment (NT_TSC_HZ) and metadata files hold.  Every function is strict:
 * the whole string must be the value (no spaces, no trailing text, no sign
 * unless the type has one); it returns 0 and sets *out, or -1 and leaves *out
 * alone.  docs/conventions.md describes the syntax for users.
 */
#ifndef NT_PARSE_H
#define NT_PARSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Whole number in [min, max]: decimal with an optional k, M or G suffix
 * (x 10^3, 10^6, 10^9), or hexadecimal with a 0x prefix (no suffix).
 */
int nt_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Finite decimal number in [min, max] ("1.5", "2e-3"; no inf, no nan). */
int nt_parse_double(const char *s, double min, double max, double *out);

/*
 * Duration: a number with a unit ns, us, ms, s, m (or min) or h; a bare
 * number is seconds.  Rounded to whole nanoseconds; the result must be in
 * [min_ns, max_ns].
 */
int nt_parse_dur(const char *s, int64_t min_ns, int64_t max_ns, int64_t *out);

/*
 * Frequency: a number with an optional unit Hz, kHz, MHz or GHz (the letters
 * in any case; "k", "M", "G" alone also work), in [min_hz, max_hz].
 */
int nt_parse_hz(const char *s, double min_hz, double max_hz, double *out);
/* The range every TSC frequency must fall in: 1 MHz .. 100 GHz. */
#define NT_TSC_HZ_MIN 1e6
#define NT_TSC_HZ_MAX 1e11

/*
 * CPU list: "0", "0,2", "1-3", "0,2-3"; numbers below `ncpu_max`, each CPU
 * once.  Sets the bits of `map` (ncpu_max bits, cleared first) and *count.
 */
int nt_parse_cpulist(const char *s, unsigned ncpu_max, uint8_t *map, unsigned *count);
/* Format the set bits of map as a CPU list ("0,2-3"); returns the length
 * (snprintf semantics). */
int nt_cpulist_format(const uint8_t *map, unsigned ncpu_max, char *buf, size_t len);

/*
 * One word of a NULL-terminated list ("csv", "bin"): sets *idx to its index.
 * nt_words_join writes "csv|bin" for messages.
 */
int nt_parse_word(const char *s, const char *const *words, int *idx);
void nt_words_join(const char *const *words, char *buf, size_t len);

#endif
