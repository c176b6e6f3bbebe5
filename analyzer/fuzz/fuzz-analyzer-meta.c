// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the analyzer's parsers of meta.txt values (measure
 * definitions latency.N=FROM:TO / period.N=EVENT / span.N=EVENT, join_irq / join_irq_map). */
#include <stdlib.h>
#include <string.h>

#include "analyze.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		const char *val = eq + 1;
		struct measure_def m;
		char why[160];
		if (measure_parse(line, val, &m, why, sizeof(why)) == 0) {
			if (m.from <= 0 || m.from >= NT_EV_MAX || m.to <= 0 || m.to >= NT_EV_MAX)
				abort();
			if (m.kind == M_LATENCY && m.from == m.to)
				abort();
			if (m.kind != M_LATENCY && m.from != m.to)
				abort();
		}
		struct irqmap im;
		if (irqmap_parse(line, val, &im, why, sizeof(why)) == 0) {
			char d[256];
			irqmap_describe(&im, d, sizeof(d));
			if (im.n > 32)
				abort();
		}
		if (irqmap_parse(val, NULL, &im, why, sizeof(why)) == 0 && im.mode == IRQ_MAP)
			abort();
	}
	free(buf);
	return 0;
}
