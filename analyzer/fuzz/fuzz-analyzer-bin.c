// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the analyzer's binary record reader (header, truncation, record checks). */
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_stream(data, size, 1);
	return 0;
}
