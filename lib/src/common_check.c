/*
 * The check-only library's (-Dcheck_only=true) initialisation: it has no
 * libgit2 to set up (common_git.c does in the full library), and OpenSSL 3
 * initialises itself.
 */
#include "common.h"

int custody__global_init(custody_error **err)
{
	(void)err;
	return 0;
}
