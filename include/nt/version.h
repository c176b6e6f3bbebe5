/* SPDX-License-Identifier: GPL-2.0 */
/* The build's git revision, for --version and the program_version key. */
#ifndef NT_VERSION_H
#define NT_VERSION_H

/* "1a2b3c4d5e6f", with "-dirty" when built from a modified tree. */
const char *nt_version(void);

#endif
