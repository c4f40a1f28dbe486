#include "walk.h"
#include "entry.h"
#include "common.h"
#include "fsutil.h"
#include "path.h"
#include "hash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int custody_walk__refuse(struct custody_walk *walk, const char *path,
	const char *reason)
{
	struct custody_refusal *r;

	if (walk->nrefused == walk->alloc_refused) {
		size_t alloc = walk->alloc_refused ? walk->alloc_refused * 2 :
			16;
		struct custody_refusal *grown = realloc(walk->refused,
			alloc * sizeof(*grown));

		if (grown == NULL)
			return CUSTODY_ENOMEM;
		walk->refused = grown;
		walk->alloc_refused = alloc;
	}
	r = &walk->refused[walk->nrefused];
	r->path = strdup(path);
	r->reason = strdup(reason);
	if (r->path == NULL || r->reason == NULL) {
		free(r->path);
		free(r->reason);
		return CUSTODY_ENOMEM;
	}
	walk->nrefused++;
	return 0;
}

/*
 * Room for a path of len bytes (its NUL included) in the walk's arena:
 * blocks of 64 KiB that are never moved, freed with the walk. A batch of
 * millions of files makes no malloc a path, nor pays malloc's header
 * and rounding on each. NULL when out of memory.
 */
#define PATH_BLOCK (64 * 1024)

struct custody_walk_block {
	struct custody_walk_block *next;
	size_t used, size;
	char text[];
};

static char *path_room(struct custody_walk *walk, size_t len)
{
	struct custody_walk_block *b = walk->blocks;
	char *room;

	if (b == NULL || b->size - b->used < len) {
		size_t size = len > PATH_BLOCK ? len : PATH_BLOCK;

		if ((b = malloc(sizeof(*b) + size)) == NULL)
			return NULL;
		b->next = walk->blocks;
		b->used = 0;
		b->size = size;
		walk->blocks = b;
	}
	room = b->text + b->used;
	b->used += len;
	return room;
}

/* "folder/name" (or name, in the top folder) in the arena, or NULL. */
static char *path_join(struct custody_walk *walk, const char *folder,
	const char *name)
{
	size_t flen = strlen(folder), nlen = strlen(name);
	size_t sep = flen > 0;
	char *path = path_room(walk, flen + sep + nlen + 1);

	if (path == NULL)
		return NULL;
	memcpy(path, folder, flen);
	path[flen] = '/';
	memcpy(path + flen + sep, name, nlen + 1);
	return path;
}

/*
 * The follower: a thread that takes the stat of the files of the
 * folders already read while the walk reads the next ones. In a
 * collection of small files, reading the folders and the stat of each
 * file cost about the same; on two cores they now overlap. The walk
 * publishes files once they are whole (a folder done, or every
 * FOLLOW_EVERY files of a large one), and grows walk->files and
 * walk->dirs only holding `grow` for writing; the follower holds it
 * for reading while it works on a batch of published files, so neither
 * array moves under it, and it writes nothing of a file but its stat
 * (st and stat_errno). custody_walk__finish stops it before anything
 * moves the files; the files it had not reached go to the stat pool.
 */
#define FOLLOW_FROM 1024   /* fewer files are not worth a thread */
#define FOLLOW_EVERY 4096
#define FOLLOW_BATCH 256

struct custody_walk_follow {
	struct custody_walk *walk;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t more;
	pthread_rwlock_t grow;
	size_t published;          /* files [0, published) are whole */
	int stop;
};

/* The stat of a file found by readdir, by its name in its folder
 * (*dfd is folder *open_dir, kept open from one file to the next). */
static void stat_file(int root_fd, char *const *dirs,
	struct custody_walk_file *f, size_t *open_dir, int *dfd)
{
	struct stat st;
	const char *name;

	if (f->dir != *open_dir) {
		if (*dfd >= 0)
			close(*dfd);
		*dfd = custody_fs__open_beneath(root_fd, dirs[f->dir],
			O_PATH | O_DIRECTORY, 0);
		*open_dir = f->dir;
	}
	name = strrchr(f->path, '/');
	name = name ? name + 1 : f->path;
	if (*dfd < 0 || fstatat(*dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		f->stat_errno = errno ? errno : ENOENT;
		return;
	}
	custody_fs__keep_stat(&f->st, &st);
	f->stat_errno = S_ISREG(st.st_mode) ? 0 : -1;
}

static void *follow_run(void *arg)
{
	struct custody_walk_follow *fw = arg;
	struct custody_walk *walk = fw->walk;
	size_t open_dir = (size_t)-1, done = 0, to;
	int dfd = -1, stop;

	for (;;) {
		pthread_mutex_lock(&fw->lock);
		while (!fw->stop && fw->published == done)
			pthread_cond_wait(&fw->more, &fw->lock);
		stop = fw->stop;
		to = fw->published;
		pthread_mutex_unlock(&fw->lock);
		if (stop)
			break;
		if (to - done > FOLLOW_BATCH)
			to = done + FOLLOW_BATCH;
		pthread_rwlock_rdlock(&fw->grow);
		for (; done < to; done++) {
			struct custody_walk_file *f = &walk->files[done];

			if (f->need_stat)
				stat_file(walk->archive->root_fd, walk->dirs,
					f, &open_dir, &dfd);
		}
		pthread_rwlock_unlock(&fw->grow);
	}
	if (dfd >= 0)
		close(dfd);
	return NULL;
}

static void follow_free(struct custody_walk_follow *fw)
{
	pthread_rwlock_destroy(&fw->grow);
	pthread_cond_destroy(&fw->more);
	pthread_mutex_destroy(&fw->lock);
	free(fw);
}

/* The follower, started on files [0, walk->nfiles); NULL when it
 * cannot be (the stat pool then takes every file, as it would). */
static struct custody_walk_follow *follow_start(struct custody_walk *walk)
{
	struct custody_walk_follow *fw = calloc(1, sizeof(*fw));

	if (fw == NULL)
		return NULL;
	fw->walk = walk;
	fw->published = walk->nfiles;
	if (pthread_mutex_init(&fw->lock, NULL) != 0)
		goto no_lock;
	if (pthread_cond_init(&fw->more, NULL) != 0)
		goto no_cond;
	if (pthread_rwlock_init(&fw->grow, NULL) != 0)
		goto no_rwlock;
	if (pthread_create(&fw->thread, NULL, follow_run, fw) == 0)
		return fw;
	pthread_rwlock_destroy(&fw->grow);
no_rwlock:
	pthread_cond_destroy(&fw->more);
no_cond:
	pthread_mutex_destroy(&fw->lock);
no_lock:
	free(fw);
	return NULL;
}

/* Files [0, walk->nfiles) are whole: the follower may take them. Once
 * there are enough, it is started, or found not worth it or not to be
 * had, once for the walk. */
static void follow_publish(struct custody_walk *walk)
{
	struct custody_walk_follow *fw = walk->follow;

	if (fw == NULL) {
		if (walk->no_follow || walk->nfiles < FOLLOW_FROM)
			return;
		if (custody_hash__default_threads() < 2 ||
		    (walk->follow = follow_start(walk)) == NULL)
			walk->no_follow = 1;
		return;
	}
	pthread_mutex_lock(&fw->lock);
	fw->published = walk->nfiles;
	pthread_cond_signal(&fw->more);
	pthread_mutex_unlock(&fw->lock);
}

/* Stop the follower (it ends the batch it is on) and wait for it. */
static void follow_stop(struct custody_walk *walk)
{
	struct custody_walk_follow *fw = walk->follow;

	if (fw == NULL)
		return;
	pthread_mutex_lock(&fw->lock);
	fw->stop = 1;
	pthread_cond_signal(&fw->more);
	pthread_mutex_unlock(&fw->lock);
	pthread_join(fw->thread, NULL);
	follow_free(fw);
	walk->follow = NULL;
}

/* Around the growing of an array the follower reads (walk->files,
 * walk->dirs): from the realloc to the new pointer's store, the
 * follower cannot read it. */
static void follow_hold(struct custody_walk *walk)
{
	if (walk->follow != NULL)
		pthread_rwlock_wrlock(&walk->follow->grow);
}

static void follow_release(struct custody_walk *walk)
{
	if (walk->follow != NULL)
		pthread_rwlock_unlock(&walk->follow->grow);
}

/* Record a file: rel is in the walk's arena; the walk takes abs
 * (malloc'd, or NULL), also on failure. */
static int add_file_owned(struct custody_walk *walk, char *rel, char *abs,
	const struct stat *st, size_t dir, custody_error **err)
{
	struct custody_walk_file *f;

	if (walk->nfiles == walk->alloc) {
		size_t alloc = walk->alloc ? walk->alloc * 2 : 256;
		struct custody_walk_file *grown;

		follow_hold(walk);
		if ((grown = realloc(walk->files, alloc * sizeof(*grown)))
		    != NULL)
			walk->files = grown;
		follow_release(walk);
		if (grown == NULL) {
			free(abs);
			return custody__oom(err);
		}
		walk->alloc = alloc;
	}
	f = &walk->files[walk->nfiles];
	memset(f, 0, sizeof(*f));
	f->path = rel;
	f->abs = abs;
	if (st != NULL)
		custody_fs__keep_stat(&f->st, st);
	f->need_stat = st == NULL;
	f->stat_errno = st == NULL ? CUSTODY_WALK_STAT_PENDING : 0;
	f->dir = dir;
	walk->nfiles++;
	if (walk->progress && walk->nfiles % 4096 == 0)
		walk->progress("scanning", walk->nfiles, 0, 0, 0,
			walk->payload);
	return 0;
}

static int add_file(struct custody_walk *walk, const char *rel,
	const char *abs, const struct stat *st, size_t dir,
	custody_error **err)
{
	char *rel_copy = path_join(walk, "", rel), *abs_copy = strdup(abs);

	if (rel_copy == NULL || abs_copy == NULL) {
		free(abs_copy);
		return custody__oom(err);
	}
	return add_file_owned(walk, rel_copy, abs_copy, st, dir, err);
}

static int refuse_or_oom(struct custody_walk *walk, const char *path,
	const char *reason, custody_error **err)
{
	if (custody_walk__refuse(walk, path, reason) != 0)
		return custody__oom(err);
	return 0;
}

static int check_name(struct custody_walk *walk, const char *rel,
	custody_error **err)
{
	custody_error *perr = NULL;
	int rc;

	/* .git names pass here: refused, if they are, when finishing */
	if (custody_path__check_hashes_only(rel, 0, &perr) != 0) {
		rc = refuse_or_oom(walk, rel, custody_error_message(perr),
			err);
		custody_error_free(perr);
		return rc ? rc : 1;
	}
	return 0;
}

/* Push the rules of folder rel's .custodyignore, if it has one:
 * *pushed says whether it did. A file that cannot be read is refused
 * (its rules would be missing); a link there is refused as a link. */
static int push_rules(struct custody_walk *walk, const char *rel,
	int *pushed, custody_error **err)
{
	char *path = *rel ? custody_fs__join(rel, CUSTODY_IGNORE_FILE) :
		strdup(CUSTODY_IGNORE_FILE);
	custody_buf text = { NULL, 0 };
	char reason[256];
	struct stat st;
	int fd, rc = 0;

	*pushed = 0;
	if (path == NULL)
		return custody__oom(err);
	fd = custody_fs__open_beneath(walk->archive->root_fd, path,
		O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
	if (fd < 0) {
		if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP) {
			snprintf(reason, sizeof(reason), "cannot read its "
				"rules: %s", strerror(errno));
			rc = refuse_or_oom(walk, path, reason, err);
		}
		free(path);
		return rc;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		/* a folder or a device of that name: refused by the walk */
		close(fd);
		free(path);
		return 0;
	}
	for (;;) {
		char chunk[8192];
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(reason, sizeof(reason), "cannot read its "
				"rules: %s", strerror(errno));
			rc = refuse_or_oom(walk, path, reason, err);
			goto done;
		}
		if (n == 0)
			break;
		if (custody_buf__append(&text, chunk, (size_t)n) != 0) {
			rc = custody__oom(err);
			goto done;
		}
	}
	if (walk->nrules == walk->alloc_rules) {
		size_t alloc = walk->alloc_rules ? walk->alloc_rules * 2 : 8;
		struct custody_ignore_set *grown = realloc(walk->rules,
			alloc * sizeof(*grown));

		if (grown == NULL) {
			rc = custody__oom(err);
			goto done;
		}
		walk->rules = grown;
		walk->alloc_rules = alloc;
	}
	rc = custody_ignore__parse(&walk->rules[walk->nrules], rel,
		text.ptr ? text.ptr : "", text.size, err);
	walk->nrules++;   /* freed with the others, also when half made */
	*pushed = rc == 0;
	if (rc != 0)
		custody_ignore__free(&walk->rules[--walk->nrules]);
done:
	close(fd);
	free(path);
	custody_buf_dispose(&text);
	return rc;
}

static void pop_rules(struct custody_walk *walk)
{
	custody_ignore__free(&walk->rules[--walk->nrules]);
}

/* 1 when the rules in force leave rel out. */
static int is_ignored(const struct custody_walk *walk, const char *rel,
	int is_dir)
{
	int verdict = 0, v;

	for (size_t i = 0; i < walk->nrules; i++)
		if ((v = custody_ignore__match(&walk->rules[i], rel, is_dir)))
			verdict = v;
	if (walk->exclude.nrules > 0 && (v = custody_ignore__match(
	    &walk->exclude, rel, is_dir)))
		verdict = v;
	return verdict == 1;
}

static int visit(struct custody_walk *walk, const char *rel, const char *abs,
	const struct stat *st, int explicit_path, int ignored,
	custody_error **err);

int custody_walk__exclude(struct custody_walk *walk,
	const char *const *patterns, size_t npatterns, custody_error **err)
{
	int rc;

	custody_ignore__free(&walk->exclude);
	if ((rc = custody_ignore__parse(&walk->exclude, "", "", 0, err)) != 0)
		return rc;
	for (size_t i = 0; i < npatterns; i++)
		if ((rc = custody_ignore__add_line(&walk->exclude,
		    patterns[i], strlen(patterns[i]), err)) != 0)
			return rc;
	return 0;
}

/* An ignored folder met before the record is known (status loads it
 * meanwhile): looked into when finishing, if it holds registered files. */
static int defer_dir(struct custody_walk *walk, const char *rel,
	custody_error **err)
{
	if (walk->ndeferred == walk->alloc_deferred) {
		size_t alloc = walk->alloc_deferred ? walk->alloc_deferred * 2 :
			16;
		char **grown = realloc(walk->deferred, alloc * sizeof(*grown));

		if (grown == NULL)
			return custody__oom(err);
		walk->deferred = grown;
		walk->alloc_deferred = alloc;
	}
	if ((walk->deferred[walk->ndeferred] = strdup(rel)) == NULL)
		return custody__oom(err);
	walk->ndeferred++;
	return 0;
}

/* Mark the file added last as left out by a rule. */
static void mark_ignored(struct custody_walk *walk, int ignored)
{
	if (ignored && walk->nfiles > 0)
		walk->files[walk->nfiles - 1].ignored = 1;
}

/* A folder's names, in the order their paths sort (see cmp_listed). */
struct listed {
	size_t off;                /* in listing.text */
	uint32_t len;              /* a name is at most NAME_MAX bytes */
	unsigned char type;        /* d_type */
};

struct listing {
	struct listed *v;
	size_t n, alloc;
	char *text;
	size_t len, cap;
	int has_rules;             /* it holds a CUSTODY_IGNORE_FILE */
};

/* The order of the paths rel/a and rel/b: a folder's name sorts as if
 * it ended in '/', which its files' paths continue, so walking each
 * folder in this order finds the files already sorted by path. */
static int cmp_listed(const void *x, const void *y, void *arg)
{
	const struct listed *a = x, *b = y;
	const char *text = arg;
	size_t common = a->len < b->len ? a->len : b->len;
	int c = memcmp(text + a->off, text + b->off, common);
	unsigned int ca, cb;

	if (c != 0 || a->len == b->len)
		return c;
	/* one name begins the other: what follows it decides */
	ca = a->len > common ? (unsigned char)text[a->off + common] :
		a->type == DT_DIR ? '/' : 0;
	cb = b->len > common ? (unsigned char)text[b->off + common] :
		b->type == DT_DIR ? '/' : 0;
	return ca < cb ? -1 : ca > cb;
}

/* Read every name of d but "." and ".." into out, sorted. 0 or -1 (out
 * of memory). */
static int list_dir(DIR *d, struct listing *out)
{
	struct dirent *de;

	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name) + 1;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (out->n == out->alloc) {
			size_t alloc = out->alloc ? out->alloc * 2 : 64;
			struct listed *grown = realloc(out->v,
				alloc * sizeof(*grown));

			if (grown == NULL)
				return -1;
			out->v = grown;
			out->alloc = alloc;
		}
		if (out->cap - out->len < len) {
			size_t cap = out->cap ? out->cap * 2 : 4096;
			char *grown;

			while (cap - out->len < len)
				cap *= 2;
			if ((grown = realloc(out->text, cap)) == NULL)
				return -1;
			out->text = grown;
			out->cap = cap;
		}
		if (strcmp(de->d_name, CUSTODY_IGNORE_FILE) == 0)
			out->has_rules = 1;
		memcpy(out->text + out->len, de->d_name, len);
		out->v[out->n].off = out->len;
		out->v[out->n].len = (uint32_t)(len - 1);
		out->v[out->n].type = de->d_type;
		out->n++;
		out->len += len;
	}
	if (out->n > 1)
		qsort_r(out->v, out->n, sizeof(*out->v), cmp_listed,
			out->text);
	return 0;
}

/* Walk a folder. Inside a folder a rule leaves out (`ignored`) only
 * registered files matter: nothing there is refused, no rule read. */
static int walk_dir(struct custody_walk *walk, const char *rel,
	const char *abs, int ignored, custody_error **err)
{
	size_t this_dir;
	int pushed = 0;
	int fd = custody_fs__open_beneath(walk->archive->root_fd, rel,
		O_RDONLY | O_DIRECTORY, 0);
	DIR *d;
	struct listing names = { NULL, 0, 0, NULL, 0, 0, 0 };
	int rc = 0;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		char reason[256];

		snprintf(reason, sizeof(reason), "cannot read folder: %s",
			errno == ELOOP ? "it, or a folder on its way, is a "
			"symbolic link" : strerror(errno));
		if (fd >= 0)
			close(fd);
		if (ignored)
			return 0;
		return refuse_or_oom(walk, *rel ? rel : ".", reason, err);
	}
	if (list_dir(d, &names) != 0) {
		rc = custody__oom(err);
		goto done;
	}
	/* the folder's rules, if it lists a file for them */
	if (!ignored && names.has_rules &&
	    (rc = push_rules(walk, rel, &pushed, err)) != 0)
		goto done;
	if (walk->ndirs == walk->alloc_dirs) {
		size_t alloc = walk->alloc_dirs ? walk->alloc_dirs * 2 : 64;
		char **grown;

		follow_hold(walk);
		if ((grown = realloc(walk->dirs, alloc * sizeof(*grown)))
		    != NULL)
			walk->dirs = grown;
		follow_release(walk);
		if (grown == NULL) {
			rc = custody__oom(err);
			goto done;
		}
		walk->alloc_dirs = alloc;
	}
	if ((walk->dirs[walk->ndirs] = strdup(rel)) == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	this_dir = walk->ndirs++;
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		const char *name = names.text + names.v[i].off;
		unsigned char type = names.v[i].type;
		struct stat cst;
		char *crel = NULL, *cabs = NULL;

		if (type == DT_REG) {
			/* a file: its stat is taken later, on every core,
			 * by its name in this folder; its path goes to the
			 * arena (the bytes of a refused name stay there) */
			char *frel = path_join(walk, rel, name);
			int left_out = frel && (ignored ||
				is_ignored(walk, frel, 0));

			if (frel == NULL)
				rc = custody__oom(err);
			else if ((rc = left_out ? 0 :
			    check_name(walk, frel, err)) == 0) {
				rc = add_file_owned(walk, frel, NULL, NULL,
					this_dir, err);
				mark_ignored(walk, left_out);
				if (rc == 0 &&
				    walk->nfiles % FOLLOW_EVERY == 0)
					follow_publish(walk);
			}
			rc = rc > 0 ? 0 : rc;
		} else if ((crel = *rel ? custody_fs__join(rel, name) :
		    strdup(name)) == NULL) {
			rc = custody__oom(err);
		} else if (fstatat(dirfd(d), name, &cst,
		    AT_SYMLINK_NOFOLLOW) != 0) {
			char reason[256];

			snprintf(reason, sizeof(reason), "cannot stat: %s",
				strerror(errno));
			rc = ignored ? 0 : refuse_or_oom(walk, crel, reason,
				err);
		} else if ((cabs = custody_fs__join(abs, name)) == NULL) {
			rc = custody__oom(err);
		} else {
			rc = visit(walk, crel, cabs, &cst, 0, ignored, err);
		}
		free(crel);
		free(cabs);
	}
	if (rc == 0)
		follow_publish(walk);
done:
	free(names.v);
	free(names.text);
	closedir(d);
	if (pushed)
		pop_rules(walk);
	return rc;
}

static int visit(struct custody_walk *walk, const char *rel, const char *abs,
	const struct stat *st, int explicit_path, int ignored,
	custody_error **err)
{
	int rc;

	if (S_ISDIR(st->st_mode) && walk->have_archive_id &&
	    st->st_dev == walk->archive_dev &&
	    st->st_ino == walk->archive_ino) {
		if (explicit_path)
			return refuse_or_oom(walk, rel, "is the archive itself",
				err);
		return 0;
	}
	if (!ignored && *rel != '\0')
		ignored = is_ignored(walk, rel, S_ISDIR(st->st_mode));
	if (ignored) {
		/* only what is registered is looked at */
		int known = walk->index == NULL || (S_ISDIR(st->st_mode) ?
			custody_index__any_under(walk->index, rel) :
			custody_index__find(walk->index, rel) != NULL);

		if (explicit_path && !known)
			return refuse_or_oom(walk, rel, "is left out by a "
				"rule (" CUSTODY_IGNORE_FILE " or --exclude)",
				err);
		if (!known || !(S_ISDIR(st->st_mode) || S_ISREG(st->st_mode)))
			return 0;
		if (S_ISDIR(st->st_mode) && walk->index == NULL)
			return defer_dir(walk, rel, err);
		if (S_ISDIR(st->st_mode))
			return walk_dir(walk, rel, abs, 1, err);
		rc = add_file(walk, rel, abs, st, 0, err);
		mark_ignored(walk, rc == 0);
		return rc;
	}
	if (*rel != '\0' && (rc = check_name(walk, rel, err)) != 0)
		return rc < 0 ? rc : 0;
	if (S_ISLNK(st->st_mode))
		return refuse_or_oom(walk, rel, "is a symbolic link; custody "
			"neither follows nor records links (register the "
			"file it points to instead)", err);
	if (S_ISDIR(st->st_mode))
		return walk_dir(walk, rel, abs, 0, err);
	if (!S_ISREG(st->st_mode))
		return refuse_or_oom(walk, rel, "is not a regular file "
			"(a device, pipe or socket)", err);
	return add_file(walk, rel, abs, st, 0, err);
}

/* lstat of a collection path, reached without following any link */
static int stat_beneath(int root_fd, const char *rel, struct stat *st)
{
	const char *name;
	int dfd, rc, e;

	if (*rel == '\0')
		return fstat(root_fd, st);
	dfd = custody_fs__open_parent(root_fd, rel, 0, &name);
	if (dfd < 0)
		return -1;
	rc = fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW);
	e = errno;
	close(dfd);
	errno = e;
	return rc;
}

/* The rules of the folders above rel (a path named on the command
 * line), top first; *ignored when one of those folders is left out. */
static int push_ancestor_rules(struct custody_walk *walk, const char *rel,
	size_t *pushed, int *ignored, custody_error **err)
{
	char folder[CUSTODY_PATH_MAX_BYTES + 1];
	int one, rc;

	*pushed = 0;
	*ignored = 0;
	if (*rel == '\0' || strlen(rel) > CUSTODY_PATH_MAX_BYTES)
		return 0;
	folder[0] = '\0';
	for (const char *s = rel; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		if (*s == '\0')
			break;
		/* the rules of the folder before this slash's component */
		if ((rc = push_rules(walk, folder, &one, err)) != 0)
			return rc;
		*pushed += (size_t)one;
		memcpy(folder, rel, (size_t)(s - rel));
		folder[s - rel] = '\0';
		if (is_ignored(walk, folder, 1)) {
			*ignored = 1;
			return 0;
		}
	}
	if ((rc = push_rules(walk, folder, &one, err)) != 0)
		return rc;
	*pushed += (size_t)one;
	return 0;
}

int custody_walk__add(struct custody_walk *walk, const char *rel,
	int explicit_path, custody_error **err)
{
	struct stat st;
	size_t pushed = 0;
	char *abs;
	int rc, ignored = 0;

	if (!walk->have_archive_id) {
		if (stat(walk->archive->gitdir, &st) == 0) {
			walk->archive_dev = st.st_dev;
			walk->archive_ino = st.st_ino;
			walk->have_archive_id = 1;
		}
	}
	abs = *rel ? custody_fs__join(walk->archive->collection, rel) :
		strdup(walk->archive->collection);
	if (abs == NULL)
		return custody__oom(err);
	if ((rc = push_ancestor_rules(walk, rel, &pushed, &ignored, err))
	    != 0)
		goto done;
	if (stat_beneath(walk->archive->root_fd, rel, &st) != 0) {
		char reason[256];

		snprintf(reason, sizeof(reason), "%s", errno == ENOENT ?
			"no such file or folder" : strerror(errno));
		rc = refuse_or_oom(walk, *rel ? rel : ".", reason, err);
	} else {
		rc = visit(walk, rel, abs, &st, explicit_path, ignored, err);
	}
done:
	while (pushed-- > 0)
		pop_rules(walk);
	free(abs);
	return rc;
}

struct custody_walk_file *custody_walk__find(struct custody_walk *walk,
	const char *path)
{
	size_t lo = 0, hi = walk->nfiles;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(walk->files[mid].path, path);

		if (c == 0)
			return &walk->files[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct stat_pool {
	int root_fd;
	struct custody_walk_file *files;
	char **dirs;
	size_t n;
	atomic_size_t next;
};

static void *stat_worker(void *arg)
{
	struct stat_pool *p = arg;
	size_t open_dir = (size_t)-1;
	int dfd = -1;

	for (;;) {
		size_t start = atomic_fetch_add(&p->next, 256);

		if (start >= p->n)
			break;
		for (size_t i = start; i < p->n && i < start + 256; i++) {
			struct custody_walk_file *f = &p->files[i];

			/* the follower took the stat of most */
			if (f->need_stat &&
			    f->stat_errno == CUSTODY_WALK_STAT_PENDING)
				stat_file(p->root_fd, p->dirs, f, &open_dir,
					&dfd);
		}
	}
	if (dfd >= 0)
		close(dfd);
	return NULL;
}

static int cmp_order(const void *x, const void *y, void *arg)
{
	const struct custody_walk_file *files = arg;

	return strcmp(files[*(const size_t *)x].path,
		files[*(const size_t *)y].path);
}

/*
 * Stat the files readdir found, spread over the cores (most of a walk's
 * time is these calls), and sort them by path meanwhile if the walk
 * did not find them in order (paths named apart, folders looked into
 * later): the first thread sorts an order of the files while the
 * others stat, then joins them. A file that vanished or changed type since it was listed is
 * refused like any other.
 */
static int stat_and_sort(struct custody_walk *walk, custody_error **err)
{
	struct stat_pool pool;
	pthread_t threads[64];
	unsigned int nthreads = custody_hash__default_threads(), started = 0;
	struct custody_walk_file *sorted = NULL;
	size_t *order = NULL;
	int unsorted = 0;

	/* a walk of one folder finds its files in order (see list_dir):
	 * sorting is only for what came in another order */
	for (size_t i = 1; i < walk->nfiles && !unsorted; i++)
		unsorted = strcmp(walk->files[i - 1].path,
			walk->files[i].path) > 0;
	if (unsorted) {
		order = malloc(walk->nfiles * sizeof(*order));
		sorted = malloc(walk->nfiles * sizeof(*sorted));
		if (order == NULL || sorted == NULL) {
			free(order);
			free(sorted);
			return custody__oom(err);
		}
	}
	memset(&pool, 0, sizeof(pool));
	pool.root_fd = walk->archive->root_fd;
	pool.files = walk->files;
	pool.dirs = walk->dirs;
	pool.n = walk->nfiles;
	if (nthreads > 64)
		nthreads = 64;
	for (unsigned int i = 1; i < nthreads && walk->nfiles > 1024; i++)
		if (pthread_create(&threads[started], NULL, stat_worker,
		    &pool) == 0)
			started++;
	if (order != NULL) {
		/* the paths are not what the stat workers write */
		for (size_t i = 0; i < walk->nfiles; i++)
			order[i] = i;
		qsort_r(order, walk->nfiles, sizeof(*order), cmp_order,
			walk->files);
	}
	stat_worker(&pool);
	for (unsigned int i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	for (size_t i = 0; i < walk->nfiles; i++) {
		struct custody_walk_file *f = &walk->files[i];
		char reason[256];

		f->need_stat = 0;
		if (f->stat_errno == 0)
			continue;
		if (f->stat_errno > 0)
			snprintf(reason, sizeof(reason), "cannot stat: %s",
				strerror(f->stat_errno));
		else
			snprintf(reason, sizeof(reason), "%s",
				S_ISLNK(f->st.mode) ? "is a symbolic link; "
				"custody neither follows nor records links" :
				"was replaced while the collection was read");
		f->refused = 1;
		if (custody_walk__refuse(walk, f->path, reason) != 0) {
			free(order);
			free(sorted);
			return custody__oom(err);
		}
	}
	if (order != NULL) {
		for (size_t i = 0; i < walk->nfiles; i++)
			sorted[i] = walk->files[order[i]];
		free(walk->files);
		walk->files = sorted;
		walk->alloc = walk->nfiles;
		free(order);
	}
	return 0;
}

/* New files inside a .git folder, when their content would be stored:
 * refused, once for each such folder (they are sorted by now). */
static int refuse_new_git(struct custody_walk *walk, custody_error **err)
{
	char *folder = NULL;
	size_t flen = 0;
	int rc = 0;

	for (size_t i = 0; i < walk->nfiles && rc == 0; i++) {
		struct custody_walk_file *f = &walk->files[i];
		size_t len;
		custody_error *perr = NULL;

		if (f->known || f->refused ||
		    (len = custody_path__git_prefix(f->path)) == 0)
			continue;
		f->refused = 1;
		if (folder != NULL && len == flen &&
		    memcmp(folder, f->path, len) == 0)
			continue;
		free(folder);
		if ((folder = strndup(f->path, len)) == NULL)
			return custody__oom(err);
		flen = len;
		custody_path__check(folder, &perr);
		rc = refuse_or_oom(walk, folder, custody_error_message(perr),
			err);
		custody_error_free(perr);
	}
	free(folder);
	return rc;
}

/* What a rule leaves out stays out, unless it is registered. */
static void drop_ignored(struct custody_walk *walk)
{
	size_t out = 0;

	for (size_t i = 0; i < walk->nfiles; i++) {
		struct custody_walk_file *f = &walk->files[i];

		if (f->ignored && (walk->index == NULL ||
		    custody_index__find(walk->index, f->path) == NULL)) {
			free(f->abs);
			continue;
		}
		walk->files[out++] = *f;
	}
	walk->nfiles = out;
}

int custody_walk__finish(struct custody_walk *walk, custody_error **err)
{
	struct custody_map folds = { 0 };
	char **keys = NULL;
	size_t nkeys = 0, out = 0;
	int rc = 0, any_new = 0;

	for (size_t i = 0; i < walk->ndeferred && walk->index; i++) {
		char *abs;

		if (!custody_index__any_under(walk->index, walk->deferred[i]))
			continue;
		if ((abs = custody_fs__join(walk->archive->collection,
		    walk->deferred[i])) == NULL)
			return custody__oom(err);
		rc = walk_dir(walk, walk->deferred[i], abs, 1, err);
		free(abs);
		if (rc != 0)
			return rc;
	}
	/* nothing moves the files while the follower reads them */
	follow_stop(walk);
	drop_ignored(walk);
	if ((rc = stat_and_sort(walk, err)) != 0)
		return rc;
	for (size_t i = 0; i < walk->nfiles; i++) {
		/* stat was its last use: a batch of millions keeps no
		 * second copy of every path */
		free(walk->files[i].abs);
		walk->files[i].abs = NULL;
		if (out > 0 && strcmp(walk->files[out - 1].path,
		    walk->files[i].path) == 0)
			continue;
		walk->files[out++] = walk->files[i];
	}
	walk->nfiles = out;
	/* which files are registered: the index's sorted records and the
	 * sorted files, merged in one pass */
	for (size_t i = 0, k = 0; i < walk->nfiles; i++) {
		const struct custody_index *x = walk->index;
		int c = 1;

		while (x && k < x->sorted && (c = strcmp(x->records[k].path,
		    walk->files[i].path)) < 0)
			k++;
		walk->files[i].known = x && ((k < x->sorted && c == 0) ||
			(x->count > x->sorted && custody_index__find(
			walk->index, walk->files[i].path)));
		any_new |= !walk->files[i].known;
	}
	if (!any_new)
		return 0;
	if (walk->refuse_new_git && (rc = refuse_new_git(walk, err)) != 0)
		return rc;

	/* Names that differ only in case or Unicode normalisation cannot
	 * live side by side on every partner's disk: check each new name
	 * against the others in the batch (a map) and against the record
	 * (a binary search of the index's fold keys). */
	keys = calloc(walk->nfiles + 1, sizeof(*keys));
	if (keys == NULL)
		return custody__oom(err);
	for (size_t i = 0; i < walk->nfiles; i++) {
		struct custody_walk_file *f = &walk->files[i];
		const char *other = NULL;
		size_t *slot;

		/* registered names were checked when they were new */
		if (f->known)
			continue;
		if ((rc = custody_path__fold(f->path, &keys[nkeys], err)) != 0)
			goto done;
		slot = custody_map__get(&folds, keys[nkeys]);
		if (slot != NULL)
			other = walk->files[*slot].path;
		else if (custody_map__put(&folds, keys[nkeys], i) != 0) {
			rc = custody__oom(err);
			goto done;
		}
		if (other == NULL && walk->index)
			other = custody_index__fold_clash(walk->index, f->path,
				keys[nkeys]);
		nkeys++;
		if (other != NULL) {
			char reason[1024];

			snprintf(reason, sizeof(reason), "differs only in "
				"letter case or Unicode normalisation from "
				"'%s'; both cannot be kept on every system",
				other);
			f->refused = 1;
			if (custody_walk__refuse(walk, f->path, reason)) {
				rc = custody__oom(err);
				goto done;
			}
		}
	}
done:
	for (size_t i = 0; i < nkeys; i++)
		free(keys[i]);
	free(keys);
	custody_map__free(&folds);
	return rc;
}

void custody_walk__free(struct custody_walk *walk)
{
	follow_stop(walk);
	for (size_t i = 0; i < walk->nfiles; i++)
		free(walk->files[i].abs);
	free(walk->files);
	while (walk->blocks != NULL) {
		struct custody_walk_block *next = walk->blocks->next;

		free(walk->blocks);
		walk->blocks = next;
	}
	for (size_t i = 0; i < walk->nrefused; i++) {
		free(walk->refused[i].path);
		free(walk->refused[i].reason);
	}
	free(walk->refused);
	for (size_t i = 0; i < walk->ndirs; i++)
		free(walk->dirs[i]);
	free(walk->dirs);
	while (walk->nrules > 0)
		pop_rules(walk);
	for (size_t i = 0; i < walk->ndeferred; i++)
		free(walk->deferred[i]);
	free(walk->deferred);
	free(walk->rules);
	custody_ignore__free(&walk->exclude);
	memset(walk, 0, sizeof(*walk));
}
