/*
 * The archive lock: one process changes an archive at a time.
 *
 * The lock is an flock(2) on <archive>/custody.lock, so the kernel drops
 * it when its holder dies however it dies. The file also holds the
 * holder's pid and host, so a waiting process can name who holds it, and
 * a lock left by a dead process is recognised (and reported) as stale.
 */
#ifndef CUSTODY_SRC_LOCK_H
#define CUSTODY_SRC_LOCK_H

#include "custody/common.h"

typedef struct custody_lock custody_lock;

/*
 * Take the lock. With wait_ms = 0, fail at once with CUSTODY_ELOCKED
 * ("archive is locked by process N on HOST") if another process holds
 * it; otherwise wait up to wait_ms milliseconds. When the previous
 * holder died without releasing it, *stale_out (if not NULL) receives a
 * malloc'd note naming the dead process; the caller frees it.
 */
int custody_lock__acquire(custody_lock **out, const char *gitdir,
	unsigned int wait_ms, char **stale_out, custody_error **err);

/*
 * What the lock file at `fd` says about its holder: the pid (0 when the
 * file is empty or not custody's) and the host name, cut to fit `hostlen`
 * bytes with its NUL ("" when there is none).
 */
void custody_lock__read_holder(int fd, long *pid, char *host,
	size_t hostlen);

/* Release and free. NULL is a no-op. */
void custody_lock__release(custody_lock *lock);

#endif
