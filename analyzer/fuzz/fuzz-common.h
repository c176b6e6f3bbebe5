/* SPDX-License-Identifier: GPL-2.0 */
/* Shared body of the parser fuzz targets: decode every record of the input,
 * strict then lenient, and check what the decoder promises. */
#include <stdio.h>
#include <stdlib.h>

#include "analyze.h"

static void fuzz_stream(const uint8_t *data, size_t size, int is_bin)
{
	for (int lenient = 0; lenient < 2; lenient++) {
		FILE *f = fmemopen((void *)data, size, "rb");
		if (!f)
			return;
		struct rstream s;
		if (rs_open_file(&s, f, "fuzz", is_bin, lenient) == 0) {
			struct nt_rec r;
			uint64_t n = 0;
			int k;
			while ((k = rs_next(&s, &r)) > 0) {
				/* every decoded record names a real source and event */
				if (r.source == 0 || r.source >= NT_SRC_MAX || r.event == 0 || r.event >= NT_EV_MAX)
					abort();
				n++;
			}
			if (n != s.nrecs)
				abort();
			/* a binary file cannot hold more records than its bytes allow */
			if (is_bin && n > (size - 32) / 40)
				abort();
			rs_close(&s);
		}
		fclose(f);
	}
}
