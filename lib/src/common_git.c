/*
 * What the common module does with libgit2: its one-time initialisation,
 * and its last error's message. Only the full library has it; the
 * check-only one (-Dcheck_only=true) has common_check.c instead.
 */
#include "common.h"

#include <pthread.h>
#include <stdarg.h>

#include <git2.h>

int custody__error_git(custody_error **err, int code, const char *fmt, ...)
{
	const git_error *ge = git_error_last();
	va_list ap;

	va_start(ap, fmt);
	custody__verror(err, code, ge && ge->message ? ge->message :
		"libgit2 error", fmt, ap);
	va_end(ap);
	return code;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result;

static void global_init(void)
{
	if (git_libgit2_init() < 0) {
		init_result = -1;
		return;
	}
	/* Archives must survive a crash: have libgit2 fsync what it writes,
	 * and check every object's id when reading it back. */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1);
	/* Every object a custody tree names was written and hashed by the
	 * same run; libgit2's per-entry existence check would read the
	 * header of each blob through its pack window, mapping the whole
	 * pack into memory. custody verify checks objects itself. */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0);
	/* A log folder's tree holds 1,000 entries (~30 KiB); libgit2 caches
	 * no tree over 4 KiB by default and would inflate it again for
	 * every entry read. */
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE,
		(size_t)1 << 20);
	/* Read packs through small windows and keep few mapped, so that
	 * reading every stored blob (verify --full) does not map whole
	 * packs into the process. */
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)64 << 20);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)256 << 20);
	init_result = 0;
}

int custody__global_init(custody_error **err)
{
	pthread_once(&init_once, global_init);
	if (init_result != 0)
		return custody__error_git(err, CUSTODY_ERROR,
			"cannot initialise libgit2");
	return 0;
}

/*
 * What every archive's repository config says: custody's format version,
 * and pack.window 0. custody writes one pack per change without deltas,
 * and its objects (entries, private parts, distinct documents) gain
 * nothing from them: a 20,000-entry archive packs to 9.8 MB either way.
 * A stock git server (git daemon, http-backend, sshd) serving the
 * archive reads this and skips the delta search, which was most of a
 * partner's first clone over git:// (bench/sync).
 */
int custody__git_archive_config(git_config *config)
{
	if (git_config_set_int32(config, "custody.version", 1) != 0 ||
	    git_config_set_int32(config, "pack.window", 0) != 0)
		return -1;
	return 0;
}
