// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nt/meta.h"

int nt_meta_put(FILE *f, const char *key, const char *fmt, ...)
{
	char val[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	for (char *p = val; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	for (const char *k = key; *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '_' || *k == '.')) {
			errno = EINVAL;
			return -1;
		}
	return fprintf(f, "%s=%s\n", key, val) < 0 ? -1 : 0;
}

int nt_meta_path_for(const char *data, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s.meta", data);
	if (n < 0 || (size_t)n >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int nt_meta_get(const char *path, const char *key, char *out, size_t outlen)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	size_t klen = strlen(key);
	int found = 1;
	while ((n = getline(&line, &cap, f)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (line[0] == '#')
			continue;
		if ((size_t)n > klen && memcmp(line, key, klen) == 0 && line[klen] == '=') {
			/* the last occurrence wins, so a file can be appended to */
			snprintf(out, outlen, "%s", line + klen + 1);
			found = 0;
		}
	}
	free(line);
	fclose(f);
	return found;
}
