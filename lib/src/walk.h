/*
 * Walking the collection: which files a command is about, each checked
 * against the path rules (see custody_path__check_hashes_only; .git
 * names are refused when finishing, if content is stored) without
 * following symbolic links, less what .custodyignore files and
 * --exclude leave out. Shared by add and status.
 */
#ifndef CUSTODY_SRC_WALK_H
#define CUSTODY_SRC_WALK_H

#include <sys/stat.h>
#include "archive.h"
#include "fsutil.h"
#include "ignore.h"
#include "index.h"
#include "map.h"

struct custody_walk_block;
struct custody_walk_follow;

struct custody_walk_file {
	char *path;                /* collection-relative, in the arena */
	char *abs;                 /* when named or found by a stat, until
	                            * finish; NULL when found by readdir */
	struct custody_stat st;    /* lstat when found */
	size_t job;
	size_t dir;                /* its folder, in walk->dirs */
	int stat_errno;            /* stat failed (or -1: not a file now,
	                            * CUSTODY_WALK_STAT_PENDING: not yet
	                            * taken; only during the walk) */
	unsigned int refused : 1;  /* set by finish when it collides */
	unsigned int need_stat : 1; /* found by readdir; st comes later */
	unsigned int known : 1;    /* registered (set by finish) */
	unsigned int ignored : 1;  /* a rule leaves it out, unless known */
};

#define CUSTODY_WALK_STAT_PENDING (-2)

struct custody_refusal {
	char *path;
	char *reason;
};

struct custody_walk {
	custody_archive *archive;
	struct custody_index *index;   /* for collisions with the record */
	custody_progress_cb progress;
	void *payload;
	struct custody_walk_file *files;
	size_t nfiles, alloc;
	struct custody_walk_block *blocks; /* the files' paths (walk.c) */
	struct custody_refusal *refused;
	size_t nrefused, alloc_refused;
	char **dirs;               /* folders whose files await a stat */
	size_t ndirs, alloc_dirs;
	/* --exclude rules (after every .custodyignore) */
	struct custody_ignore_set exclude;
	/* the .custodyignore rules of the folders being walked, top first */
	struct custody_ignore_set *rules;
	size_t nrules, alloc_rules;
	/* the content of new files is stored: a new file in a .git folder
	 * is refused (one refusal per .git folder); registered ones stay */
	int refuse_new_git;
	char **deferred;           /* ignored folders, looked into later */
	size_t ndeferred, alloc_deferred;
	/* stats the folders already read while the walk reads on */
	struct custody_walk_follow *follow;
	int no_follow;             /* one core, or it could not start */
	int have_archive_id;
	dev_t archive_dev;
	ino_t archive_ino;
};

/* Add `rel` ("" for the whole collection): a file, or a folder walked
 * recursively. Bad paths become refusals, not errors; an error return
 * means the walk itself failed (out of memory). What the .custodyignore
 * files (of rel's folders too) and walk->exclude leave out is not
 * walked, except registered files: a rule keeps new files out, it does
 * not hide what is on the record. */
int custody_walk__add(struct custody_walk *walk, const char *rel,
	int explicit_path, custody_error **err);

/* Leave out what these patterns (gitignore syntax, relative to the
 * collection) match, after the .custodyignore files. Call before
 * custody_walk__add. 0 or CUSTODY_ENOMEM. */
int custody_walk__exclude(struct custody_walk *walk,
	const char *const *patterns, size_t npatterns, custody_error **err);

/* Record a refusal. 0 or CUSTODY_ENOMEM. */
int custody_walk__refuse(struct custody_walk *walk, const char *path,
	const char *reason);

/* Sort, drop repeats and ignored files that are not registered, refuse
 * names that collide after NFC and case folding (among the files, and
 * with other registered paths), and new files of a .git folder when
 * walk->refuse_new_git. */
int custody_walk__finish(struct custody_walk *walk, custody_error **err);

/* A file of the finished walk by path (binary search), or NULL. */
struct custody_walk_file *custody_walk__find(struct custody_walk *walk,
	const char *path);

void custody_walk__free(struct custody_walk *walk);

#endif
