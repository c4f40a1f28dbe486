#include "index.h"
#include "common.h"
#include "fsutil.h"
#include "lock.h"
#include "path.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <zlib.h>

#define INDEX_MAGIC "CUSTIDX\x03"

/* The file: a header, count disk_records sorted by path, count uint32
 * record numbers sorted by fold key, then the NUL-terminated strings. */
struct disk_header {
	char magic[8];
	uint64_t count;
	uint64_t size;
	int64_t written_s;
	uint64_t strings_len;
	char head[40];
	uint32_t crc;             /* CRC-32 of everything after the header */
	uint32_t reserved;
};

struct disk_record {
	uint64_t path_off, fold_off;
	uint64_t index, version, size;
	int64_t mtime_s, mtime_ns, ctime_s, ctime_ns;
	uint64_t ino, dev;
	unsigned char sha256[32];
	char blob[40];
};

/*
 * The journal, cache/index.journal: what changed since the file above
 * was written, so that registering a few files in a large archive does
 * not rewrite the whole index. A header names the index file it extends
 * (its CRC and head); then frames, one per save, each with its own
 * CRC-32: count disk_records (path_off into the frame's strings,
 * fold_off unused) and the NUL-terminated paths, padded with NULs to a
 * multiple of 8 bytes so the next frame's records are aligned. A frame
 * replaces the records of the same paths and moves the index to its
 * head. A torn or damaged frame ends the journal (what it held is caught
 * up from the log); a journal naming another index file is ignored.
 */
#define JOURNAL_MAGIC "CUSTJNL\x01"

struct journal_header {
	char magic[8];
	uint32_t base_crc;
	uint32_t reserved;
	char base_head[40];
};

struct frame_header {
	uint64_t len;             /* bytes after this header */
	uint64_t count;
	uint64_t size;            /* log size at head */
	int64_t written_s;        /* when saved: racy below, see index.h */
	char head[40];
	uint32_t crc;             /* CRC-32 of the len bytes that follow */
	uint32_t reserved;
};

/* Journal records beyond this share of the index (or 4,096, if more)
 * make the next save rewrite the index whole instead. */
#define JOURNAL_SHARE 8
#define JOURNAL_MIN_RECORDS 4096

static int own(struct custody_index *index, char *s)
{
	if (index->nowned == index->owned_alloc) {
		size_t alloc = index->owned_alloc ? index->owned_alloc * 2 :
			64;
		char **grown = realloc(index->owned, alloc * sizeof(*grown));

		if (grown == NULL)
			return -1;
		index->owned = grown;
		index->owned_alloc = alloc;
	}
	index->owned[index->nowned++] = s;
	return 0;
}

/* A record's fields to and from its form on disk (strings aside). */
static void record_to_disk(struct disk_record *dr,
	const struct custody_record *r)
{
	dr->index = r->index;
	dr->version = r->version;
	dr->size = r->size;
	dr->mtime_s = r->mtime_s;
	dr->mtime_ns = r->mtime_ns;
	dr->ctime_s = r->ctime_s;
	dr->ctime_ns = r->ctime_ns;
	dr->ino = r->ino;
	dr->dev = r->dev;
	memcpy(dr->sha256, r->sha256, 32);
	if (r->blob[0])
		memcpy(dr->blob, r->blob, 40);
}

static void record_from_disk(struct custody_record *r,
	const struct disk_record *dr)
{
	r->index = dr->index;
	r->version = dr->version;
	r->size = dr->size;
	memcpy(r->sha256, dr->sha256, 32);
	/* only whether there is one matters to the index */
	if (dr->blob[0])
		memcpy(r->blob, dr->blob, 40);
	r->ino = dr->ino;
	r->dev = dr->dev;
	/* nanoseconds a stat cannot give (the file holds 64 bits): the
	 * stat data is unknown, and the file is read again */
	if (dr->mtime_ns < 0 || dr->mtime_ns >= 1000000000 ||
	    dr->ctime_ns < 0 || dr->ctime_ns >= 1000000000)
		return;
	r->mtime_s = dr->mtime_s;
	r->mtime_ns = (uint32_t)dr->mtime_ns;
	r->ctime_s = dr->ctime_s;
	r->ctime_ns = (uint32_t)dr->ctime_ns;
}

static int grow(struct custody_index *index)
{
	size_t alloc = index->alloc ? index->alloc * 2 : 256;
	struct custody_record *grown;

	if (index->count < index->alloc)
		return 0;
	grown = realloc(index->records, alloc * sizeof(*grown));
	if (grown == NULL)
		return -1;
	index->records = grown;
	index->alloc = alloc;
	return 0;
}

/* Binary search of the sorted part; the position where path is or would
 * be inserted, and whether it is there. */
static size_t lower_bound(const struct custody_index *index,
	const char *path, int *found)
{
	size_t lo = 0, hi = index->sorted;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(index->records[mid].path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < index->sorted &&
		strcmp(index->records[lo].path, path) == 0;
	return lo;
}

struct custody_record *custody_index__find(struct custody_index *index,
	const char *path)
{
	int found;
	size_t at = lower_bound(index, path, &found);

	if (found)
		return &index->records[at];
	/* records put since loading (only during an add, after its
	 * lookups): few, and searched last */
	for (size_t i = index->sorted; i < index->count; i++)
		if (strcmp(index->records[i].path, path) == 0)
			return &index->records[i];
	return NULL;
}

int custody_index__any_under(struct custody_index *index, const char *dir)
{
	size_t dlen = strlen(dir), at;
	char *prefix;
	int found;

	if (dlen == 0)
		return index->count > 0;
	if ((prefix = malloc(dlen + 2)) == NULL)
		return 1;   /* the safe answer: look inside */
	memcpy(prefix, dir, dlen);
	memcpy(prefix + dlen, "/", 2);
	at = lower_bound(index, prefix, &found);
	found = at < index->sorted && strncmp(index->records[at].path,
		prefix, dlen + 1) == 0;
	for (size_t i = index->sorted; !found && i < index->count; i++)
		found = strncmp(index->records[i].path, prefix, dlen + 1) == 0;
	free(prefix);
	return found;
}

struct custody_record *custody_index__put(struct custody_index *index,
	const struct custody_record *record)
{
	int found;
	size_t at = lower_bound(index, record->path, &found);
	struct custody_record *r;

	if (found) {
		/* same path: keep the index's string, drop the caller's */
		r = &index->records[at];
		if (record->path != r->path)
			free(record->path);
		{
			char *path = r->path;
			const char *fold = r->fold;

			*r = *record;
			r->path = path;
			r->fold = fold;
			r->dirty = 1;
		}
		return r;
	}
	/* a path new to the index (add guarantees each is put once) */
	if (grow(index) != 0 || own(index, record->path) != 0)
		return NULL;
	r = &index->records[index->count++];
	*r = *record;
	r->fold = NULL;
	r->dirty = 1;
	return r;
}

void custody_index__record_from_entry(struct custody_record *out,
	const struct custody_entry *e)
{
	memset(out, 0, sizeof(*out));
	out->index = e->index;
	out->version = e->version;
	out->size = e->size;
	custody_unhex(out->sha256, e->sha256, 32);
	if (e->blob)
		memcpy(out->blob, e->blob, 41);
}

void custody_index__set_stat(struct custody_record *r,
	const struct custody_stat *st)
{
	r->mtime_s = st->mtime_s;
	r->mtime_ns = st->mtime_ns;
	r->ctime_s = st->ctime_s;
	r->ctime_ns = st->ctime_ns;
	r->ino = st->ino;
	r->dev = st->dev;
	r->dirty = 1;
}

int custody_index__stat_clean(const struct custody_index *index,
	const struct custody_record *r, const struct custody_stat *st)
{
	if (r->mtime_s == 0 && r->ctime_s == 0)
		return 0;
	if (st->size != r->size ||
	    st->mtime_s != r->mtime_s || st->mtime_ns != r->mtime_ns ||
	    st->ctime_s != r->ctime_s || st->ctime_ns != r->ctime_ns ||
	    st->ino != r->ino || st->dev != r->dev)
		return 0;
	/* A file written in the same second its record was saved may have
	 * changed again without its time moving: read it again (git's
	 * "racily clean" rule). */
	if (st->mtime_s >= r->written_s)
		return 0;
	return 1;
}

const char *custody_index__fold_clash(struct custody_index *index,
	const char *path, const char *fold)
{
	size_t lo = 0, hi = index->sorted;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(index->records[index->fold_order[mid]].fold, fold)
		    < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < index->sorted; lo++) {
		const struct custody_record *r =
			&index->records[index->fold_order[lo]];

		if (strcmp(r->fold, fold) != 0)
			break;
		if (strcmp(r->path, path) != 0)
			return r->path;
	}
	return NULL;
}

const char *custody_index__stored_under(struct custody_index *index,
	const char *dir)
{
	size_t len = strlen(dir);
	char *prefix = malloc(len + 2);
	int found;
	size_t at;
	const char *hit = NULL;

	if (prefix == NULL)
		return NULL;
	memcpy(prefix, dir, len);
	prefix[len] = '/';
	prefix[len + 1] = '\0';
	for (at = lower_bound(index, prefix, &found); at < index->sorted;
	    at++) {
		const struct custody_record *r = &index->records[at];

		if (strncmp(r->path, prefix, len + 1) != 0)
			break;
		if (r->blob[0]) {
			hit = r->path;
			break;
		}
	}
	free(prefix);
	return hit;
}

void custody_index__free(struct custody_index *index)
{
	if (index == NULL)
		return;
	for (size_t i = 0; i < index->nowned; i++)
		free(index->owned[i]);
	free(index->owned);
	free(index->records);
	free(index->fold_order);
	if (index->image != NULL)
		munmap(index->image, index->image_len);
	free(index);
}

static char *index_path(const custody_archive *a)
{
	return custody_fs__join(a->gitdir, "cache/index");
}

static char *journal_path(const custody_archive *a)
{
	return custody_fs__join(a->gitdir, "cache/index.journal");
}

/* ---- the sorted form: records by path, fold order, fold keys ---- */

static int cmp_record(const void *x, const void *y)
{
	return strcmp(((const struct custody_record *)x)->path,
		((const struct custody_record *)y)->path);
}

/* indices into the records at `base`, by fold key (qsort_r: the
 * records are the sort's argument, not a global, so two threads may
 * sort two indexes at once) */
static int cmp_fold(const void *x, const void *y, void *base)
{
	const struct custody_record *records = base;
	const struct custody_record *a = &records[*(const uint32_t *)x];
	const struct custody_record *b = &records[*(const uint32_t *)y];

	return strcmp(a->fold, b->fold);
}

/* Whether records[0, n) are in order by path (by_fold 0) or by fold
 * key (1), as the sorts above would put them. */
static int sorted_by(const struct custody_record *records, size_t n,
	int by_fold)
{
	for (size_t i = 1; i < n; i++)
		if (strcmp(by_fold ? records[i - 1].fold : records[i - 1].path,
		    by_fold ? records[i].fold : records[i].path) > 0)
			return 0;
	return 1;
}

static int compute_folds(struct custody_index *index, size_t from,
	custody_error **err)
{
	for (size_t i = from; i < index->count; i++) {
		struct custody_record *r = &index->records[i];
		char *fold = NULL;
		int rc;

		if (r->fold != NULL)
			continue;
		if ((rc = custody_path__fold(r->path, &fold, err)) != 0)
			return rc;
		if (own(index, fold) != 0) {
			free(fold);
			return custody__oom(err);
		}
		r->fold = fold;
	}
	return 0;
}

/*
 * Make the whole index sorted again: the records put since loading (the
 * tail) are sorted among themselves and merged with the sorted part, and
 * so is the order by fold key: O(n + k log k) for k new records, O(n log
 * n) after a rebuild.
 */
static int normalise(struct custody_index *index, custody_error **err)
{
	size_t base = index->sorted, tail = index->count - index->sorted;
	struct custody_record *merged = NULL;
	uint32_t *order = NULL, *tail_order = NULL, *moved_base = NULL,
		*moved_tail = NULL;
	int rc;

	if (index->count > UINT32_MAX)
		return custody__error(err, CUSTODY_EINVALID, "too many "
			"documents for one index");
	if (tail == 0 && (base == 0 || index->fold_order != NULL))
		return 0;
	if ((rc = compute_folds(index, base, err)) != 0)
		return rc;
	merged = malloc((index->count + 1) * sizeof(*merged));
	order = malloc((index->count + 1) * sizeof(*order));
	tail_order = malloc((tail + 1) * sizeof(*tail_order));
	moved_base = malloc((base + 1) * sizeof(*moved_base));
	moved_tail = malloc((tail + 1) * sizeof(*moved_tail));
	if (merged == NULL || order == NULL || tail_order == NULL ||
	    moved_base == NULL || moved_tail == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	/* an add puts its records in the walk's order, which is by path:
	 * a sort is only for a tail that is not */
	if (tail > 1 && !sorted_by(index->records + base, tail, 0))
		qsort(index->records + base, tail, sizeof(*index->records),
			cmp_record);
	/* merge by path, remembering where each record went */
	for (size_t i = 0, j = 0, n = 0; n < index->count; n++) {
		if (j >= tail || (i < base && strcmp(index->records[i].path,
		    index->records[base + j].path) < 0)) {
			moved_base[i] = (uint32_t)n;
			merged[n] = index->records[i++];
		} else {
			moved_tail[j] = (uint32_t)n;
			merged[n] = index->records[base + j++];
		}
	}
	/* the tail's fold order, then merged with the base's */
	for (size_t j = 0; j < tail; j++)
		tail_order[j] = (uint32_t)j;
	/* plain lower-case names fold to themselves: in path order, the
	 * tail is in fold order too */
	if (tail > 1 && !sorted_by(index->records + base, tail, 1))
		qsort_r(tail_order, tail, sizeof(*tail_order), cmp_fold,
			index->records + base);
	for (size_t i = 0, j = 0, n = 0; n < index->count; n++) {
		const struct custody_record *rb = i < base ?
			&index->records[index->fold_order[i]] : NULL;
		const struct custody_record *rt = j < tail ?
			&index->records[base + tail_order[j]] : NULL;

		if (rt == NULL || (rb != NULL && strcmp(rb->fold,
		    rt->fold) <= 0))
			order[n] = moved_base[index->fold_order[i++]];
		else
			order[n] = moved_tail[tail_order[j++]];
	}
	free(index->records);
	free(index->fold_order);
	index->records = merged;
	index->alloc = index->count + 1;
	index->fold_order = order;
	index->sorted = index->count;
	merged = NULL;
	order = NULL;
	rc = 0;
done:
	free(merged);
	free(order);
	free(tail_order);
	free(moved_base);
	free(moved_tail);
	return rc;
}

/* The cached index was written at `head_hex`: is that commit in the
 * history of the archive's head (so the log only grew since)? */
static int is_ancestor(custody_archive *a, const char *head_hex)
{
	git_oid old;

	if (git_oid_fromstrn(&old, head_hex, 40) != 0)
		return 0;
	return git_oid_equal(&old, &a->head) ||
		git_graph_descendant_of(a->repo, &a->head, &old) == 1;
}

/*
 * 1 when some file of tree `old` is changed or gone in tree `new`, 0
 * when `new` only adds to it, <0 when a tree cannot be read. Subtrees
 * with the same id are not opened: the cost follows what changed.
 */
static int tree_rewritten(git_repository *repo, const git_oid *old_id,
	const git_oid *new_id, int depth)
{
	git_tree *old = NULL, *new = NULL;
	int rc = 0;

	if (git_oid_equal(old_id, new_id))
		return 0;
	if (depth > 4)
		return 1;  /* deeper than the log goes: not custody's */
	if (git_tree_lookup(&old, repo, old_id) != 0 ||
	    git_tree_lookup(&new, repo, new_id) != 0) {
		rc = -1;
		goto done;
	}
	for (size_t i = 0; i < git_tree_entrycount(old) && rc == 0; i++) {
		const git_tree_entry *o = git_tree_entry_byindex(old, i);
		const git_tree_entry *n = git_tree_entry_byname(new,
			git_tree_entry_name(o));

		if (n == NULL || git_tree_entry_filemode(n) !=
		    git_tree_entry_filemode(o))
			rc = 1;
		else if (git_oid_equal(git_tree_entry_id(o),
		    git_tree_entry_id(n)))
			continue;
		else if (git_tree_entry_type(o) != GIT_OBJECT_TREE)
			rc = 1;  /* an entry rewritten */
		else
			rc = tree_rewritten(repo, git_tree_entry_id(o),
				git_tree_entry_id(n), depth + 1);
	}
done:
	git_tree_free(old);
	git_tree_free(new);
	return rc;
}

/*
 * What the index stands on is the log at its head. A later head of the
 * same history may still have rewritten an entry the index has read
 * (same log size, or more): then the index is stale. 1 when the log at
 * the index's head is only added to at the archive's head, 0 when
 * something in it was changed or removed, <0 on error.
 */
static int log_only_grew(custody_archive *a, const char *head_hex,
	custody_error **err)
{
	git_oid old_id;
	git_commit *old_commit = NULL;
	git_tree *old_root = NULL, *new_root = NULL;
	git_tree_entry *old_log = NULL, *new_log = NULL;
	int rc;

	if (git_oid_fromstrn(&old_id, head_hex, 40) != 0 ||
	    git_commit_lookup(&old_commit, a->repo, &old_id) != 0 ||
	    git_commit_tree(&old_root, old_commit) != 0) {
		rc = 0;  /* the index's head is unknown here: rebuild */
		goto done;
	}
	if ((rc = custody_archive__head_tree(a, &new_root, err)) != 0)
		goto done;
	if (git_tree_entry_bypath(&old_log, old_root, "log") != 0) {
		rc = 1;  /* no log then: all of it is new */
		goto done;
	}
	if (git_tree_entry_bypath(&new_log, new_root, "log") != 0 ||
	    git_tree_entry_type(old_log) != GIT_OBJECT_TREE ||
	    git_tree_entry_type(new_log) != GIT_OBJECT_TREE) {
		rc = 0;
		goto done;
	}
	rc = tree_rewritten(a->repo, git_tree_entry_id(old_log),
		git_tree_entry_id(new_log), 0);
	if (rc < 0)
		rc = custody__error_git(err, CUSTODY_EVERIFY, "%s: cannot "
			"compare the log with the one the cache was made at",
			a->gitdir);
	else
		rc = !rc;
done:
	git_tree_entry_free(old_log);
	git_tree_entry_free(new_log);
	git_tree_free(old_root);
	git_tree_free(new_root);
	git_commit_free(old_commit);
	return rc;
}

/*
 * Returns 0 when loaded, 1 when unusable (rebuild), <0 on error. The
 * index comes back at the head the file was written at; the caller
 * applies the journal and catches up with the log from there.
 */
static int load_file(struct custody_index *index, custody_archive *a,
	custody_error **err)
{
	struct disk_header h;
	const struct disk_record *dr;
	const uint32_t *order;
	const char *strings;
	char *path = index_path(a);
	struct { char *ptr; size_t size; } file = { NULL, 0 };
	struct stat st;
	size_t body;
	int fd = -1, rc = 1;

	if (path == NULL)
		return custody__oom(err);
	/* mapped, not read: only the pages a command touches are loaded */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 ||
	    fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
		goto done;  /* missing: rebuilt quietly */
	file.size = (size_t)st.st_size;
	file.ptr = mmap(NULL, file.size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (file.ptr == MAP_FAILED) {
		file.ptr = NULL;
		goto done;
	}
	if (file.size < sizeof(h)) {
		custody_archive__notice(a, "%s: damaged cache, rebuilt from "
			"the log", path);
		goto done;
	}
	memcpy(&h, file.ptr, sizeof(h));
	body = file.size - sizeof(h);
	if (memcmp(h.magic, INDEX_MAGIC, 8) != 0 ||
	    h.count > body / (sizeof(*dr) + sizeof(*order)) ||
	    h.strings_len != body - h.count * (sizeof(*dr) +
	    sizeof(*order)) || h.strings_len == 0 ||
	    file.ptr[file.size - 1] != '\0' ||
	    crc32_z(0, (const unsigned char *)file.ptr + sizeof(h), body) !=
	    h.crc) {
		custody_archive__notice(a, "%s: damaged cache, "
			"rebuilt from the log", path);
		goto done;
	}
	if (h.size > a->size)
		goto done;  /* another history: rebuilt quietly */
	index->records = calloc(h.count + 1, sizeof(*index->records));
	index->fold_order = malloc((h.count + 1) * sizeof(uint32_t));
	if (index->records == NULL || index->fold_order == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	index->alloc = h.count + 1;
	dr = (const struct disk_record *)(file.ptr + sizeof(h));
	order = (const uint32_t *)(dr + h.count);
	strings = (const char *)(order + h.count);
	for (uint64_t i = 0; i < h.count; i++) {
		struct custody_record *r = &index->records[i];

		if (dr[i].path_off >= h.strings_len ||
		    dr[i].fold_off >= h.strings_len || order[i] >= h.count ||
		    dr[i].index >= h.size)
			goto damaged;
		/* the index never writes into the image */
		r->path = (char *)(uintptr_t)(strings + dr[i].path_off);
		r->fold = strings + dr[i].fold_off;
		if (i > 0 && strcmp(index->records[i - 1].path, r->path) >= 0)
			goto damaged;
		record_from_disk(r, &dr[i]);
		r->written_s = h.written_s;
		index->fold_order[i] = order[i];
	}
	/* paths and folds point into the file's image, kept mapped */
	index->image = file.ptr;
	index->image_len = file.size;
	file.ptr = NULL;
	memcpy(index->head, h.head, 40);
	index->head[40] = '\0';
	index->size = h.size;
	index->written_s = h.written_s;
	index->count = index->sorted = h.count;
	index->from_file = 1;
	index->base_crc = h.crc;
	memcpy(index->base_head, h.head, 40);
	rc = 0;
	goto done;
damaged:
	custody_archive__notice(a, "%s: damaged cache, rebuilt from "
		"the log", path);
	free(index->records);
	free(index->fold_order);
	index->records = NULL;
	index->fold_order = NULL;
	index->alloc = 0;
done:
	if (file.ptr != NULL)
		munmap(file.ptr, file.size);
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

/* Apply one frame's records; -1 when they are not well formed. */
static int apply_frame(struct custody_index *index,
	const struct frame_header *fh, const char *payload)
{
	const struct disk_record *dr = (const struct disk_record *)payload;
	const char *strings = payload + fh->count * sizeof(*dr);
	size_t strings_len = fh->len - fh->count * sizeof(*dr);

	for (uint64_t i = 0; i < fh->count; i++) {
		struct custody_record rec, *r;

		if (dr[i].path_off >= strings_len || dr[i].index >= fh->size)
			return -1;
		memset(&rec, 0, sizeof(rec));
		record_from_disk(&rec, &dr[i]);
		rec.written_s = fh->written_s;
		r = custody_index__find(index, strings + dr[i].path_off);
		if (r != NULL) {
			rec.path = r->path;
			rec.fold = r->fold;
			*r = rec;
		} else {
			char *fold = NULL;

			/* a new path must be one custody could have written */
			if (custody_path__fold(strings + dr[i].path_off, &fold,
			    NULL) != 0)
				return -1;
			if (own(index, fold) != 0) {
				free(fold);
				return -2;
			}
			if ((rec.path = strdup(strings + dr[i].path_off))
			    == NULL || (r = custody_index__put(index, &rec))
			    == NULL) {
				free(rec.path);
				return -2;
			}
			r->fold = fold;
		}
		r->dirty = 0;  /* it is on disk already */
	}
	return 0;
}

/*
 * Apply cache/index.journal to an index just loaded from cache/index.
 * Frames are applied up to the first torn or damaged one; the index
 * then stands at the last applied frame's head.
 */
static int load_journal(struct custody_index *index, custody_archive *a,
	custody_error **err)
{
	custody_buf file = CUSTODY_BUF_INIT;
	struct journal_header jh;
	char *path = journal_path(a);
	custody_error *rerr = NULL;
	size_t at;
	int rc = 0;

	if (path == NULL)
		return custody__oom(err);
	if (custody_fs__read_file(&file, path, (size_t)1 << 36, &rerr) != 0 ||
	    file.size < sizeof(jh))
		goto done;  /* none yet, or torn at birth: start one */
	memcpy(&jh, file.ptr, sizeof(jh));
	if (memcmp(jh.magic, JOURNAL_MAGIC, 8) != 0 ||
	    jh.base_crc != index->base_crc ||
	    memcmp(jh.base_head, index->base_head, 40) != 0)
		goto done;  /* extends another index file: replaced */
	at = sizeof(jh);
	index->journal_len = at;
	while (file.size - at >= sizeof(struct frame_header)) {
		struct frame_header fh;
		const char *payload = file.ptr + at + sizeof(fh);
		int applied;

		memcpy(&fh, file.ptr + at, sizeof(fh));
		if (fh.len > file.size - at - sizeof(fh) ||
		    fh.count > fh.len / sizeof(struct disk_record) ||
		    fh.len == fh.count * sizeof(struct disk_record) ||
		    fh.len % 8 != 0 ||
		    payload[fh.len - 1] != '\0' || fh.size < index->size ||
		    crc32_z(0, (const unsigned char *)payload, fh.len) !=
		    fh.crc)
			break;  /* torn: the log has the rest */
		if ((applied = apply_frame(index, &fh, payload)) == -2) {
			rc = custody__oom(err);
			goto done;
		}
		if (applied != 0) {
			/* records already applied stand at an unknown head:
			 * start again from the log */
			custody_archive__notice(a, "%s: damaged cache, "
				"rebuilt from the log", path);
			rc = 1;
			goto done;
		}
		memcpy(index->head, fh.head, 40);
		index->size = fh.size;
		index->journal_records += fh.count;
		at += sizeof(fh) + fh.len;
		index->journal_len = at;
	}
	rc = normalise(index, err);
done:
	custody_error_free(rerr);
	custody_buf_dispose(&file);
	free(path);
	return rc;
}

static int rebuild(struct custody_index *index, custody_archive *a,
	custody_error **err)
{
	struct custody_map at = { 0 };
	git_tree *tree = NULL;
	int rc = 0;

	memcpy(index->head, a->head_hex, 41);
	index->size = a->size;
	index->written_s = 0;
	if (!a->has_head)
		return normalise(index, err);
	if ((rc = custody_archive__head_tree(a, &tree, err)) != 0)
		return rc;
	for (uint64_t i = 1; i < a->size && rc == 0; i++) {
		struct custody_entry *e = NULL;
		struct custody_record r;
		size_t *slot;

		/* most entries register nothing (custody events, dkim,
		 * publications): their private parts are not read */
		if ((rc = custody_archive__read_entry_if(a, tree, i,
		    custody_entry__registers, &e, err)) != 0)
			break;
		if (e == NULL)
			continue;
		custody_index__record_from_entry(&r, e);
		slot = custody_map__get(&at, e->path);
		if (slot != NULL) {
			/* a later version replaces the earlier record */
			r.path = index->records[*slot].path;
			index->records[*slot] = r;
		} else if ((r.path = strdup(e->path)) == NULL ||
		    custody_index__put(index, &r) == NULL ||
		    custody_map__put(&at, r.path, index->count - 1) != 0) {
			if (r.path && (index->count == 0 ||
			    index->records[index->count - 1].path != r.path))
				free(r.path);
			rc = custody__oom(err);
		}
		custody_entry__free(e);
	}
	custody_map__free(&at);
	git_tree_free(tree);
	return rc ? rc : normalise(index, err);
}

/* Apply the entries from `from` on to an index loaded at an earlier head
 * of the same history. */
static int catch_up(struct custody_index *index, custody_archive *a,
	uint64_t from, custody_error **err)
{
	git_tree *tree = NULL;
	int rc;

	if ((rc = custody_archive__head_tree(a, &tree, err)) != 0)
		return rc;
	for (uint64_t i = from; i < a->size && rc == 0; i++) {
		struct custody_entry *e = NULL;
		struct custody_record r, *old;

		/* most entries register nothing (custody events, dkim,
		 * publications): their private parts are not read */
		if ((rc = custody_archive__read_entry_if(a, tree, i,
		    custody_entry__registers, &e, err)) != 0)
			break;
		if (e == NULL)
			continue;
		custody_index__record_from_entry(&r, e);
		if ((old = custody_index__find(index, e->path)) != NULL) {
			/* a new version: its stat is unknown until hashed */
			r.path = old->path;
			r.fold = old->fold;
			*old = r;
			old->dirty = 1;
		} else if ((r.path = strdup(e->path)) == NULL ||
		    custody_index__put(index, &r) == NULL) {
			free(r.path);
			rc = custody__oom(err);
		}
		custody_entry__free(e);
	}
	git_tree_free(tree);
	if (rc != 0)
		return rc;
	memcpy(index->head, a->head_hex, 41);
	index->size = a->size;
	return normalise(index, err);
}

/* Stat the cache files: seen is 0 when absent; -1 on out of memory. */
static int stat_cache(const custody_archive *a, struct stat *file_st,
	int *file_seen, struct stat *journal_st, int *journal_seen)
{
	char *file = index_path(a), *journal = journal_path(a);
	int rc = -1;

	if (file != NULL && journal != NULL) {
		memset(file_st, 0, sizeof(*file_st));
		memset(journal_st, 0, sizeof(*journal_st));
		*file_seen = lstat(file, file_st) == 0;
		*journal_seen = lstat(journal, journal_st) == 0;
		rc = 0;
	}
	free(file);
	free(journal);
	return rc;
}

static int same_stat(const struct stat *x, int x_seen, const struct stat *y,
	int y_seen)
{
	if (x_seen != y_seen)
		return 0;
	return !x_seen || (x->st_dev == y->st_dev && x->st_ino == y->st_ino &&
		x->st_size == y->st_size &&
		x->st_mtim.tv_sec == y->st_mtim.tv_sec &&
		x->st_mtim.tv_nsec == y->st_mtim.tv_nsec &&
		x->st_ctim.tv_sec == y->st_ctim.tv_sec &&
		x->st_ctim.tv_nsec == y->st_ctim.tv_nsec);
}

int custody_index__on_disk_as_loaded(const struct custody_index *index,
	const custody_archive *a)
{
	struct stat file_st, journal_st;
	int file_seen, journal_seen;

	if (stat_cache(a, &file_st, &file_seen, &journal_st, &journal_seen)
	    != 0)
		return 0;
	return same_stat(&file_st, file_seen, &index->file_st,
		index->file_seen) && same_stat(&journal_st, journal_seen,
		&index->journal_st, index->journal_seen);
}

int custody_index__empty(struct custody_index **out, const char *head_hex,
	uint64_t size, custody_error **err)
{
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return custody__oom(err);
	snprintf((*out)->head, sizeof((*out)->head), "%s", head_hex);
	(*out)->size = size;
	return 0;
}

int custody_index__load(struct custody_index **out, custody_archive *a,
	custody_error **err)
{
	struct custody_index *index = calloc(1, sizeof(*index));
	struct stat file_st, journal_st;
	int file_seen, journal_seen;
	int rc;

	*out = NULL;
	if (index == NULL || stat_cache(a, &file_st, &file_seen,
	    &journal_st, &journal_seen) != 0) {
		free(index);
		return custody__oom(err);
	}
	rc = load_file(index, a, err);
	if (rc == 0)
		rc = load_journal(index, a, err);
	if (rc == 0) {
		memcpy(index->saved_head, index->head, 41);
		if (memcmp(index->head, a->head_hex, 40) != 0 ||
		    index->size != a->size) {
			/* another head: caught up if the log only grew
			 * since, else rebuilt quietly */
			int grew = 0;

			if (index->size <= a->size &&
			    is_ancestor(a, index->head) &&
			    (grew = log_only_grew(a, index->head, err)) < 0)
				rc = grew;
			else if (grew == 0)
				rc = 1;
			else
				rc = catch_up(index, a, index->size, err);
		}
	}
	if (rc == 1) {
		custody_index__free(index);
		index = calloc(1, sizeof(*index));
		if (index == NULL)
			return custody__oom(err);
		rc = rebuild(index, a, err);
	}
	if (rc != 0) {
		custody_index__free(index);
		return rc;
	}
	index->file_st = file_st;
	index->file_seen = file_seen;
	index->journal_st = journal_st;
	index->journal_seen = journal_seen;
	*out = index;
	return 0;
}

/* Append the records changed since loading to the journal, as one
 * frame. */
static int save_journal(struct custody_index *index, custody_archive *a,
	size_t ndirty, custody_error **err)
{
	struct journal_header jh;
	struct frame_header fh;
	struct disk_record *dr;
	char *frame = NULL, *strings, *path = journal_path(a);
	size_t strings_len = 1, at = 0, n = 0, total;
	off_t where;
	int fd = -1, rc;

	if (path == NULL)
		return custody__oom(err);
	for (size_t i = 0; i < index->count; i++)
		if (index->records[i].dirty)
			strings_len += strlen(index->records[i].path) + 1;
	strings_len += (8 - (ndirty * sizeof(*dr) + strings_len) % 8) % 8;
	memset(&fh, 0, sizeof(fh));
	fh.written_s = (int64_t)time(NULL);
	fh.len = ndirty * sizeof(*dr) + strings_len;
	fh.count = ndirty;
	fh.size = index->size;
	memcpy(fh.head, index->head, 40);
	total = sizeof(jh) + sizeof(fh) + fh.len;
	if ((frame = calloc(1, total)) == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	dr = (struct disk_record *)(frame + sizeof(jh) + sizeof(fh));
	strings = (char *)(dr + ndirty);
	for (size_t i = 0; i < index->count && n < ndirty; i++) {
		const struct custody_record *r = &index->records[i];
		size_t lp;

		if (!r->dirty)
			continue;
		index->records[i].written_s = fh.written_s;
		lp = strlen(r->path) + 1;
		dr[n].path_off = at;
		memcpy(strings + at, r->path, lp);
		at += lp;
		record_to_disk(&dr[n], r);
		n++;
	}
	fh.crc = (uint32_t)crc32_z(0, (const unsigned char *)dr, fh.len);
	memcpy(frame + sizeof(jh), &fh, sizeof(fh));
	memset(&jh, 0, sizeof(jh));
	memcpy(jh.magic, JOURNAL_MAGIC, 8);
	jh.base_crc = index->base_crc;
	memcpy(jh.base_head, index->base_head, 40);
	memcpy(frame, &jh, sizeof(jh));
	/* Not synced: a frame torn by a crash fails its CRC and the log
	 * fills the gap. A torn tail left by an earlier crash is cut. */
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot open", path);
		goto done;
	}
	where = (off_t)index->journal_len;
	if (ftruncate(fd, where) != 0 ||
	    custody_fs__pwrite_all(fd, where ? frame + sizeof(jh) : frame,
	    where ? total - sizeof(jh) : total, where) != 0) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot write", path);
		goto done;
	}
	index->journal_len = (where ? (size_t)where : sizeof(jh)) +
		sizeof(fh) + fh.len;
	index->journal_records += ndirty;
	rc = 0;
done:
	if (fd >= 0 && close(fd) != 0 && rc == 0)
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot write", path);
	free(frame);
	free(path);
	return rc;
}

static int save_whole(struct custody_index *index, custody_archive *a,
	custody_error **err)
{
	struct disk_header h;
	struct disk_record *dr;
	uint32_t *order;
	char *image = NULL, *strings, *path = NULL, *dir = NULL,
		*journal = NULL;
	size_t strings_len = 0, body, at = 0;
	int rc;

	if ((rc = normalise(index, err)) != 0)
		return rc;
	for (size_t i = 0; i < index->count; i++)
		strings_len += strlen(index->records[i].path) +
			strlen(index->records[i].fold) + 2;
	strings_len++;  /* a final NUL, so the image always ends in one */
	body = index->count * (sizeof(*dr) + sizeof(*order)) + strings_len;
	image = calloc(1, sizeof(h) + body);
	path = index_path(a);
	dir = custody_fs__join(a->gitdir, "cache");
	journal = journal_path(a);
	if (image == NULL || path == NULL || dir == NULL || journal == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	dr = (struct disk_record *)(image + sizeof(h));
	order = (uint32_t *)(dr + index->count);
	strings = (char *)(order + index->count);
	for (size_t i = 0; i < index->count; i++) {
		const struct custody_record *r = &index->records[i];
		size_t lp = strlen(r->path) + 1, lf = strlen(r->fold) + 1;

		dr[i].path_off = at;
		memcpy(strings + at, r->path, lp);
		at += lp;
		dr[i].fold_off = at;
		memcpy(strings + at, r->fold, lf);
		at += lf;
		record_to_disk(&dr[i], r);
		order[i] = index->fold_order[i];
	}
	index->written_s = (int64_t)time(NULL);
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, INDEX_MAGIC, 8);
	h.count = index->count;
	h.size = index->size;
	h.written_s = index->written_s;
	h.strings_len = strings_len;
	memcpy(h.head, index->head, 40);
	h.crc = (uint32_t)crc32_z(0, (const unsigned char *)image + sizeof(h),
		body);
	memcpy(image, &h, sizeof(h));
	/* Replaced atomically but not synced: it is a cache, checked by
	 * its CRC and its head, and rebuilt from the log if a crash loses
	 * or tears it. The old journal extends the old file: it goes (and
	 * were it left, it names another CRC and head and is ignored). */
	if ((rc = custody_fs__mkdir(dir, 0700, err)) == 0)
		rc = custody_fs__replace(path, image, sizeof(h) + body, 0600,
			err);
	if (rc == 0) {
		if (unlink(journal) != 0 && errno != ENOENT)
			custody_archive__notice(a, "%s: cannot remove: %s",
				journal, strerror(errno));
		for (size_t i = 0; i < index->count; i++) {
			index->records[i].dirty = 0;
			index->records[i].written_s = h.written_s;
		}
		index->from_file = 1;
		index->base_crc = h.crc;
		memcpy(index->base_head, h.head, 40);
		index->journal_len = 0;
		index->journal_records = 0;
		memcpy(index->saved_head, index->head, 41);
	}
done:
	free(image);
	free(path);
	free(dir);
	free(journal);
	return rc;
}

int custody_index__learnt(const struct custody_index *index)
{
	if (!index->from_file || strcmp(index->saved_head, index->head) != 0)
		return 1;
	for (size_t i = 0; i < index->count; i++)
		if (index->records[i].dirty)
			return 1;
	return 0;
}

int custody_index__save(struct custody_index *index, custody_archive *a,
	custody_error **err)
{
	size_t ndirty = 0, limit;
	int rc;

	for (size_t i = 0; i < index->count; i++)
		ndirty += index->records[i].dirty;
	if (index->from_file && ndirty == 0 &&
	    strcmp(index->saved_head, index->head) == 0)
		return 0;  /* nothing learnt */
	limit = index->sorted / JOURNAL_SHARE;
	if (limit < JOURNAL_MIN_RECORDS)
		limit = JOURNAL_MIN_RECORDS;
	if (!index->from_file || index->journal_records + ndirty > limit)
		return save_whole(index, a, err);
	if ((rc = save_journal(index, a, ndirty, err)) != 0)
		return rc;
	for (size_t i = 0; i < index->count; i++)
		index->records[i].dirty = 0;
	memcpy(index->saved_head, index->head, 41);
	return 0;
}

void custody_index__keep(struct custody_index *index, custody_archive *a)
{
	custody_lock *lock = NULL;
	custody_error *lerr = NULL;
	int rc;

	if (!custody_index__learnt(index))
		return;  /* the cache on disk is this one: nothing to lock */
	rc = custody_lock__acquire(&lock, a->gitdir, 0, NULL, &lerr);
	if (rc == 0 && (rc = custody_archive__refresh(a, &lerr)) == 0 &&
	    (strcmp(a->head_hex, index->head) != 0 ||
	    a->size != index->size || !custody_index__on_disk_as_loaded(
	    index, a))) {
		/* a writer came and went: its cache is newer than ours */
		custody_lock__release(lock);
		return;
	}
	if (rc == 0)
		rc = custody_index__save(index, a, &lerr);
	if (rc == CUSTODY_ELOCKED)
		custody_archive__notice(a, "the stat cache was not saved: "
			"the archive is locked by a writer");
	else if (rc != 0)
		custody_archive__notice(a, "the stat cache was not saved "
			"(%s)", custody_error_message(lerr));
	custody_error_free(lerr);
	custody_lock__release(lock);
}
