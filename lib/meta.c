// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nt/meta.h"

/* The key grammar, [a-z0-9_.-]+ (docs/record-format.md "meta.txt"): '-'
 * because keys may name a record file (records_check.guest-domu.csv). */
int nt_meta_key_ok(const char *k, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = k[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

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
	if (!nt_meta_key_ok(key, strlen(key))) {
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

/* ---- reading: the one parser of metadata files ---- */
void nt_meta_free(struct nt_meta *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->k[i]);
		free(m->v[i]);
	}
	free(m->k);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static int meta_add(struct nt_meta *m, size_t *cap, const char *line, size_t klen, size_t len)
{
	if (m->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		char **nk = realloc(m->k, nc * sizeof(*nk));
		if (!nk)
			return -1;
		m->k = nk;
		char **nv = realloc(m->v, nc * sizeof(*nv));
		if (!nv)
			return -1;
		m->v = nv;
		*cap = nc;
	}
	m->k[m->n] = strndup(line, klen);
	m->v[m->n] = strndup(line + klen + 1, len - klen - 1);
	if (!m->k[m->n] || !m->v[m->n]) {
		free(m->k[m->n]);
		free(m->v[m->n]);
		return -1;
	}
	m->n++;
	return 0;
}

/* A line is kept when it is KEY=VALUE with a key of the grammar and no NUL;
 * comments, blank lines and anything else are skipped; "\r\n" ends a line
 * like "\n". */
int nt_meta_parse(struct nt_meta *m, const char *text, size_t len)
{
	size_t cap = 0, i = 0;
	memset(m, 0, sizeof(*m));
	while (i < len) {
		size_t e = i;
		while (e < len && text[e] != '\n')
			e++;
		size_t l = e - i;
		if (l && text[i + l - 1] == '\r')
			l--;
		const char *line = text + i;
		const char *eq = memchr(line, '=', l);
		i = e + 1;
		if (!l || line[0] == '#' || !eq || !nt_meta_key_ok(line, (size_t)(eq - line)) || memchr(line, '\0', l))
			continue;
		if (meta_add(m, &cap, line, (size_t)(eq - line), l)) {
			nt_meta_free(m);
			errno = ENOMEM;
			return -1;
		}
	}
	return 0;
}

#define META_MAX ((size_t)64 << 20) /* larger is not a metadata file */

static char *slurp_file(FILE *f, size_t *len)
{
	char *buf = NULL;
	size_t cap = 0;
	*len = 0;
	for (;;) {
		if (*len + 65536 > cap) {
			char *nb = cap > META_MAX ? NULL : realloc(buf, cap ? cap * 2 : 65536);
			if (!nb) {
				if (cap > META_MAX)
					errno = EFBIG;
				free(buf);
				return NULL;
			}
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		size_t r = fread(buf + *len, 1, cap - *len, f);
		*len += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

int nt_meta_load(struct nt_meta *m, const char *path)
{
	memset(m, 0, sizeof(*m));
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t len;
	char *buf = slurp_file(f, &len);
	int saved = errno;
	fclose(f);
	if (!buf) {
		errno = saved;
		return -1;
	}
	int rc = nt_meta_parse(m, buf, len);
	free(buf);
	return rc;
}

const char *nt_meta_find(const struct nt_meta *m, const char *key)
{
	for (size_t i = m->n; i-- > 0;)
		if (strcmp(m->k[i], key) == 0)
			return m->v[i];
	return NULL;
}

int nt_meta_get(const char *path, const char *key, char *out, size_t outlen)
{
	struct nt_meta m;
	if (nt_meta_load(&m, path))
		return -1;
	/* the last occurrence wins, so a file can be appended to */
	const char *v = nt_meta_find(&m, key);
	if (v)
		snprintf(out, outlen, "%s", v);
	nt_meta_free(&m);
	return v ? 0 : 1;
}
