// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the analyzer's parsers of meta.txt values (measure
 * definitions latency.N=FROM:TO / period.N=EVENT / span.N=EVENT, join_irq / join_irq_map) and of
 * a record file's .meta (SOURCE.stamp_tsc_start / _end: the recording window). */
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
		/* a window bound: decimal digits only, the value they spell */
		uint64_t x, y = 0;
		if (recwin_value_parse(val, &x, why, sizeof(why)) == 0) {
			if (!*val)
				abort();
			for (const char *p = val; *p; p++) {
				if (*p < '0' || *p > '9')
					abort();
				y = y * 10 + (uint64_t)(*p - '0');
			}
			if (x != y)
				abort();
			struct recwin w = { 1, 1, x, x };
			if (recwin_outside(&w, x) || (x && !recwin_outside(&w, x - 1)))
				abort();
		}
	}
	free(buf);
	return 0;
}
