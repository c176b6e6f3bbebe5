// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the analyzer's CSV record reader (libcsv, strict and lenient). */
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_stream(data, size, 0);
	return 0;
}
