// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper (not a test): send crafted nt_payload datagrams so that the
 * receiver's accounting can be checked against a known answer.
 *   lg-craft ADDR:PORT RUN_ID ITEM[,ITEM...]
 * ITEM: a sequence number (sent with RUN_ID), "x" (bad magic), "s" (short),
 * "v" (bad version), "oN" (seq N with run id RUN_ID+1).  1 ms between packets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lg.h"
#include "nt/tsc.h"

int main(int argc, char **argv)
{
	struct sockaddr_storage dst;
	socklen_t len;
	uint64_t run;
	if (argc != 4 || lg_parse_addr(argv[1], 1, &dst, &len) != 0 ||
	    nt_parse_u64(argv[2], 0, UINT32_MAX - 1, &run) != 0) {
		fprintf(stderr, "usage: lg-craft ADDR:PORT RUN_ID ITEM[,ITEM...]\n");
		return 2;
	}
	int fd = socket(dst.ss_family, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("lg-craft: socket");
		return 1;
	}
	char *list = strdup(argv[3]);
	int n = 0;
	for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
		unsigned char buf[64] = { 0 };
		size_t blen = sizeof(buf);
		struct nt_payload p = { .magic = NT_PAYLOAD_MAGIC, .version = NT_PAYLOAD_VERSION,
					.run_id = (uint32_t)run };
		uint64_t seq = 0;
		switch (tok[0]) {
		case 'x': p.magic ^= 1; break;
		case 's': blen = NT_PAYLOAD_MIN - 1; break;
		case 'v': p.version = 99; break;
		case 'o': p.run_id++; tok++; /* fall through */
		default:
			if (nt_parse_u64(tok, 0, UINT64_MAX, &seq) != 0) {
				fprintf(stderr, "lg-craft: bad item '%s'\n", tok);
				return 2;
			}
		}
		p.seq = seq;
		p.tsc_send = p.tsc_sched = nt_rdtsc();
		lg_payload_put(buf, &p);
		if (sendto(fd, buf, blen, 0, (struct sockaddr *)&dst, len) < 0) {
			perror("lg-craft: sendto");
			return 1;
		}
		n++;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	free(list);
	close(fd);
	printf("lg-craft: sent %d datagrams\n", n);
	return 0;
}
