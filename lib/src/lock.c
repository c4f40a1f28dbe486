#include "lock.h"
#include "common.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

struct custody_lock {
	int fd;
	int held;
	char *path;
};

void custody_lock__read_holder(int fd, long *pid, char *host,
	size_t hostlen)
{
	char text[300] = "";
	const char *p;
	size_t n, len = 0;
	ssize_t got = pread(fd, text, sizeof(text) - 1, 0);

	*pid = 0;
	if (hostlen > 0)
		host[0] = '\0';
	if (got <= 0)
		return;
	text[got] = '\0';
	if (sscanf(text, "pid %ld", pid) != 1 || *pid <= 0) {
		*pid = 0;
		return;
	}
	/* The host name is whatever follows " host ", up to white space,
	 * cut to fit the caller's buffer. */
	if (hostlen == 0 || (p = strstr(text, " host ")) == NULL)
		return;
	p += strlen(" host ");
	n = strcspn(p, " \t\r\n");
	len = n < hostlen - 1 ? n : hostlen - 1;
	memcpy(host, p, len);
	host[len] = '\0';
}

int custody_lock__acquire(custody_lock **out, const char *gitdir,
	unsigned int wait_ms, char **stale_out, custody_error **err)
{
	custody_lock *lock = NULL;
	char host[256], holder_host[256], text[320];
	long holder = 0;
	unsigned int waited = 0;
	int rc = 0, len;

	*out = NULL;
	if (stale_out)
		*stale_out = NULL;
	lock = calloc(1, sizeof(*lock));
	if (lock != NULL)
		lock->fd = -1;
	if (lock == NULL || (lock->path = custody_fs__join(gitdir,
	    "custody.lock")) == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	lock->fd = open(lock->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		0600);
	if (lock->fd < 0) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot open lock file", lock->path);
		goto done;
	}
	while (flock(lock->fd, LOCK_EX | LOCK_NB) != 0) {
		struct timespec pause = { 0, 50 * 1000 * 1000 };

		if (errno != EWOULDBLOCK && errno != EINTR) {
			rc = custody__error_sys(err, CUSTODY_EIO, errno,
				"%s: cannot lock", lock->path);
			goto done;
		}
		if (waited >= wait_ms) {
			custody_lock__read_holder(lock->fd, &holder, holder_host,
				sizeof(holder_host));
			if (holder > 0)
				rc = custody__error(err, CUSTODY_ELOCKED,
					"archive is locked by process %ld on "
					"%s (%s); try again when it has "
					"finished", holder, holder_host,
					lock->path);
			else
				rc = custody__error(err, CUSTODY_ELOCKED,
					"archive is locked by another process "
					"(%s)", lock->path);
			goto done;
		}
		nanosleep(&pause, NULL);
		waited += 50;
	}

	/* We hold it. A pid still written in the file is a holder that died
	 * without releasing: say so, since its work was cut short. */
	lock->held = 1;
	custody_lock__read_holder(lock->fd, &holder, holder_host,
		sizeof(holder_host));
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	if (holder > 0 && stale_out != NULL) {
		char note[400];
		int alive = strcmp(holder_host, host) == 0 &&
			kill((pid_t)holder, 0) == 0;

		snprintf(note, sizeof(note), "stale lock %s left by process "
			"%ld on %s%s; taken over", lock->path, holder,
			holder_host, alive ? "" : " (no longer running)");
		*stale_out = strdup(note);
	}
	len = snprintf(text, sizeof(text), "pid %ld host %s\n",
		(long)getpid(), host);
	if (ftruncate(lock->fd, 0) != 0 ||
	    pwrite(lock->fd, text, (size_t)len, 0) != len) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot write lock file", lock->path);
		goto done;
	}
	*out = lock;
	lock = NULL;
done:
	custody_lock__release(lock);
	return rc;
}

void custody_lock__release(custody_lock *lock)
{
	if (lock == NULL)
		return;
	if (lock->fd >= 0 && lock->held) {
		/* An empty file means "released cleanly". If truncating fails
		 * the flock still goes away; the next holder then reports a
		 * stale lock, which is only a false alarm. */
		if (ftruncate(lock->fd, 0) != 0)
			lock->held = 0;
		flock(lock->fd, LOCK_UN);
	}
	if (lock->fd >= 0)
		close(lock->fd);
	free(lock->path);
	free(lock);
}
