/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Run metadata: "key=value" lines kept beside the data (FILE.meta for a data
 * file FILE, or meta.txt in a run folder).  Keys are [a-z0-9_.-]+; a value runs
 * to the end of the line; '#' starts a comment line; the last occurrence of a
 * key wins (a file can be appended to).  Newlines inside values are replaced
 * by spaces.  See docs/record-format.md for the standard keys.
 */
#ifndef NT_META_H
#define NT_META_H

#include <stdio.h>

/* 1 when k[0..n) is a key of the grammar above, else 0. */
int nt_meta_key_ok(const char *k, size_t n);

/* Write "key=value\n", sanitising the value.  Returns 0 or -1. */
int nt_meta_put(FILE *f, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Path of the metadata file that goes with data file `data` ("data.meta"). */
int nt_meta_path_for(const char *data, char *out, size_t outlen);

/* Look up `key` in a metadata file; copies the value into out.  Returns 0
 * when found, 1 when absent, -1 when the file cannot be read. */
int nt_meta_get(const char *path, const char *key, char *out, size_t outlen);

/* A metadata file in memory: its KEY=VALUE lines in file order, repeated
 * keys kept (lines that are not KEY=VALUE with a key of the grammar, or that
 * hold a NUL, are skipped).  nt_meta_parse / nt_meta_load return 0, or -1
 * with errno (the file unreadable, out of memory, EFBIG above 64 MiB) and m
 * empty; nt_meta_find gives the value of the last occurrence or NULL. */
struct nt_meta {
	char **k, **v;
	size_t n;
};
int nt_meta_parse(struct nt_meta *m, const char *text, size_t len);
int nt_meta_load(struct nt_meta *m, const char *path);
const char *nt_meta_find(const struct nt_meta *m, const char *key);
void nt_meta_free(struct nt_meta *m);

#endif
