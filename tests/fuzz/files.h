/*
 * Files for the targets that read what custody keeps on disk (index,
 * tiles, log index, known_hosts, witness state): a scratch folder made,
 * a path joined, a file written whole, a folder removed with all it
 * holds. Include after
 * fuzz.h (a failure here is broken()).
 */
#ifndef CUSTODY_FUZZ_FILES_H
#define CUSTODY_FUZZ_FILES_H

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

/* A new folder `name`.XXXXXX into folder[size], in /dev/shm when it can
 * be written (these targets write files for every input), else /tmp. */
static inline void fuzz_scratch_folder(char *folder, size_t size,
	const char *name)
{
	snprintf(folder, size, "%s/%s.XXXXXX",
		access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", name);
	if (mkdtemp(folder) == NULL)
		broken("mkdtemp", NULL);
}

/* a/b, newly allocated */
static inline char *fuzz_join(const char *a, const char *b)
{
	char *path = custody_fs__join(a, b);

	if (path == NULL)
		broken("out of memory", NULL);
	return path;
}

/* path holds exactly `len` bytes (mode 0600) */
static inline void fuzz_write_file(const char *path, const void *bytes,
	size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || (len > 0 && write(fd, bytes, len) != (ssize_t)len) ||
	    close(fd) != 0)
		broken("cannot write", NULL);
}

static inline int fuzz_remove_one(const char *path, const struct stat *st,
	int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

/* folder and everything below it, gone (what cannot be removed stays) */
static inline void fuzz_remove_tree(const char *folder)
{
	nftw(folder, fuzz_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
