// SPDX-License-Identifier: GPL-2.0
/* The build's git revision, for --version and the program_version key.
 * mk/common.mk passes it in NT_GIT_REV (git describe --always --dirty). */
#include "nt/version.h"

#ifndef NT_GIT_REV
#define NT_GIT_REV "unknown"
#endif

const char *nt_version(void)
{
	return NT_GIT_REV;
}
