// SPDX-License-Identifier: GPL-2.0
/* Fuzz the value parsers of lib/parse.c (options, NT_TSC_HZ, metadata values)
 * with outside bytes, and check what they promise: a value in range, a CPU
 * list that formats back into a list that parses to the same set. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nt/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[128];
	size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;
	memcpy(s, data, n);
	s[n] = '\0';
	uint64_t u;
	if (nt_parse_u64(s, 10, 1000000, &u) == 0 && (u < 10 || u > 1000000))
		__builtin_trap();
	double d;
	if (nt_parse_double(s, -1, 1e9, &d) == 0 && !(d >= -1 && d <= 1e9))
		__builtin_trap();
	int64_t ns;
	if (nt_parse_dur(s, 1, 86400000000000LL, &ns) == 0 && (ns < 1 || ns > 86400000000000LL))
		__builtin_trap();
	if (nt_parse_hz(s, NT_TSC_HZ_MIN, NT_TSC_HZ_MAX, &d) == 0 && !(d >= NT_TSC_HZ_MIN && d <= NT_TSC_HZ_MAX))
		__builtin_trap();
	uint8_t map[64], map2[64];
	unsigned c, c2;
	if (nt_parse_cpulist(s, 512, map, &c) == 0) {
		char b[2048];
		nt_cpulist_format(map, 512, b, sizeof(b));
		if (nt_parse_cpulist(b, 512, map2, &c2) != 0 || c2 != c || memcmp(map, map2, sizeof(map)) != 0)
			__builtin_trap();
	}
	static const char *const w[] = { "csv", "bin", NULL };
	int i;
	if (nt_parse_word(s, w, &i) == 0 && strcmp(s, w[i]) != 0)
		__builtin_trap();
	return 0;
}
