/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Run metadata: "key=value" lines kept beside the data (FILE.meta for a data
 * file FILE, or meta.txt in a run folder).  Keys are [a-z0-9_.]+; a value runs
 * to the end of the line; '#' starts a comment line.  Newlines inside values
 * are replaced by spaces.  See docs/record-format.md for the standard keys.
 */
#ifndef NT_META_H
#define NT_META_H

#include <stdio.h>

/* Write "key=value\n", sanitising the value.  Returns 0 or -1. */
int nt_meta_put(FILE *f, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Path of the metadata file that goes with data file `data` ("data.meta"). */
int nt_meta_path_for(const char *data, char *out, size_t outlen);

/* Look up `key` in a metadata file; copies the value into out.  Returns 0
 * when found, 1 when absent, -1 when the file cannot be read. */
int nt_meta_get(const char *path, const char *key, char *out, size_t outlen);

#endif
