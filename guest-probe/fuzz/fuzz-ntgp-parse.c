// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: the packet parser the kernel module runs on received packets.
 * Input: byte 0 selects the ethertype, bytes 1-2 add to the wire length, the
 * rest is the captured L3 packet (copied to an exact-size buffer so ASan sees
 * any over-read). */
#include <stdlib.h>
#include <string.h>

#include "ntgp_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ntgp_pkt pk;
	uint8_t *b;
	size_t cap, wire;
	uint32_t et;

	if (size < 3)
		return 0;
	et = (data[0] & 1) ? NTGP_ETH_P_IPV6 : NTGP_ETH_P_IP;
	if (data[0] & 2)
		et = data[0];
	cap = size - 3;
	wire = cap + (((size_t)data[1] << 8 | data[2]) & 0x3ff);
	b = malloc(cap ? cap : 1);
	memcpy(b, data + 3, cap);
	if (ntgp_parse_l3(et, b, cap, wire, &pk) == NTGP_OK) {
		/* a success implies the payload lay inside the captured bytes */
		if (cap < 20 + 8 + NT_PAYLOAD_MIN)
			abort();
	}
	free(b);
	return 0;
}
