// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the outside data nt-recv parses, i.e. received datagrams
 * (payload decoder + sequence accounting), and the address parsers (the
 * number parsers are lib/fuzz/fuzz-parse.c's).  Input:
 * a stream of datagrams, each prefixed by a one-byte length.
 */
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lg_seqtrack t;
	lg_seq_init(&t, size & 1 ? 1000 : 0, 1u << 20);
	size_t off = 0;
	while (off < size) {
		size_t n = data[off++];
		if (n > size - off)
			n = size - off;
		struct nt_payload p;
		if (lg_payload_get(data + off, n, &p) == LG_PL_OK) {
			unsigned char back[NT_PAYLOAD_MIN];
			lg_payload_put(back, &p);
			if (memcmp(back, data + off, NT_PAYLOAD_MIN) != 0)
				abort(); /* decode/encode must round-trip */
			enum lg_seq_kind k = lg_seq_add(&t, p.seq);
			(void)k;
		}
		/* the same bytes as option strings */
		char s[96];
		size_t sl = n < sizeof(s) - 1 ? n : sizeof(s) - 1;
		memcpy(s, data + off, sl);
		s[sl] = '\0';
		struct sockaddr_storage ss;
		socklen_t l;
		uint8_t mac[6];
		char buf[80];
		if (lg_parse_addr(s, n & 1, &ss, &l) == 0)
			lg_fmt_addr(&ss, buf, sizeof(buf));
		lg_parse_mac(s, mac);
		off += n;
	}
	if (t.unique + t.dups != t.received || lg_seq_lost(&t) > (t.expect ? t.expect : t.max_seq + 1))
		abort();
	lg_seq_free(&t);
	return 0;
}
