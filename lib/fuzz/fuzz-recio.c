// SPDX-License-Identifier: GPL-2.0
/* Fuzz the record-field parsers of lib/recio.c with outside bytes: names,
 * flags, the binary header check, and a binary record -> CSV -> flags round
 * trip. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nt/recio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	unsigned f;
	(void)nt_source_parse(s, size);
	(void)nt_event_parse(s, size);
	if (nt_flags_parse(s, size, &f) == 0) {
		char b[128], b2[128];
		unsigned g;
		size_t n = nt_flags_format(f, b, sizeof(b));
		if (n < sizeof(b)) {
			if (nt_flags_parse(b, n, &g) != 0 || g != f)
				__builtin_trap();
			nt_flags_format(g, b2, sizeof(b2));
			if (strcmp(b, b2) != 0)
				__builtin_trap();
		}
	}
	if (size >= 32) {
		char why[128];
		(void)nt_bin_header_check(data, why, sizeof(why));
	}
	if (size >= 40) {
		struct nt_rec r;
		unsigned char out[40];
		char line[256];
		nt_rec_from_le(data, &r);
		nt_rec_to_le(&r, out);
		if (memcmp(out, data, 40) != 0)
			__builtin_trap();
		int n = nt_rec_format_csv(&r, line, sizeof(line));
		if (n < 0 || (size_t)n >= sizeof(line))
			__builtin_trap();
	}
	return 0;
}
