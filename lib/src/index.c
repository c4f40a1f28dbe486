#include "index.h"
#include "error.h"
#include "fsutil.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define INDEX_MAGIC "custody-index 1\n"

struct custody_record *custody_index__find(struct custody_index *index,
	const char *path)
{
	size_t *slot = custody_map__get(&index->by_path, path);

	return slot ? &index->records[*slot] : NULL;
}

struct custody_record *custody_index__put(struct custody_index *index,
	const struct custody_record *record)
{
	size_t *slot = custody_map__get(&index->by_path, record->path);
	struct custody_record *r;

	if (slot != NULL) {
		r = &index->records[*slot];
		if (r->path != record->path)
			free(r->path);
		*r = *record;
		return r;
	}
	if (index->count == index->alloc) {
		size_t alloc = index->alloc ? index->alloc * 2 : 256;
		struct custody_record *grown = realloc(index->records,
			alloc * sizeof(*grown));

		if (grown == NULL)
			return NULL;
		index->records = grown;
		index->alloc = alloc;
		/* the map holds positions, not pointers: nothing to redo */
	}
	r = &index->records[index->count];
	*r = *record;
	if (custody_map__put(&index->by_path, r->path, index->count) != 0)
		return NULL;
	index->count++;
	return r;
}

void custody_index__set_stat(struct custody_record *r, const struct stat *st)
{
	r->mtime_s = st->st_mtim.tv_sec;
	r->mtime_ns = st->st_mtim.tv_nsec;
	r->ctime_s = st->st_ctim.tv_sec;
	r->ctime_ns = st->st_ctim.tv_nsec;
	r->ino = (uint64_t)st->st_ino;
	r->dev = (uint64_t)st->st_dev;
}

int custody_index__stat_clean(const struct custody_index *index,
	const struct custody_record *r, const struct stat *st)
{
	if (r->mtime_s == 0 && r->ctime_s == 0)
		return 0;
	if ((uint64_t)st->st_size != r->size ||
	    st->st_mtim.tv_sec != r->mtime_s ||
	    st->st_mtim.tv_nsec != r->mtime_ns ||
	    st->st_ctim.tv_sec != r->ctime_s ||
	    st->st_ctim.tv_nsec != r->ctime_ns ||
	    (uint64_t)st->st_ino != r->ino || (uint64_t)st->st_dev != r->dev)
		return 0;
	/* A file written in the same second the index was saved may have
	 * changed again without its times moving: read it again. */
	if (st->st_mtim.tv_sec >= index->written_s)
		return 0;
	return 1;
}

void custody_index__free(struct custody_index *index)
{
	if (index == NULL)
		return;
	for (size_t i = 0; i < index->count; i++)
		free(index->records[i].path);
	free(index->records);
	custody_map__free(&index->by_path);
	free(index);
}

static char *index_path(const custody_archive *a)
{
	return custody_fs__join(a->gitdir, "cache/index");
}

static int hex_to_bytes(unsigned char *out, const char *hex, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		char c1 = hex[2 * i], c2 = hex[2 * i + 1];

		hi = c1 >= '0' && c1 <= '9' ? c1 - '0' :
			c1 >= 'a' && c1 <= 'f' ? c1 - 'a' + 10 : -1;
		lo = c2 >= '0' && c2 <= '9' ? c2 - '0' :
			c2 >= 'a' && c2 <= 'f' ? c2 - 'a' + 10 : -1;
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* Parse one record line (modified in place). 0 or -1. */
static int parse_line(struct custody_record *r, char *line)
{
	char *field[12], *p = line, *end;
	int n = 0;
	uint64_t v[6];

	while (n < 12) {
		field[n++] = p;
		p = strchr(p, '\t');
		if (p == NULL)
			break;
		*p++ = '\0';
	}
	if (n != 12 || p != NULL || field[0][0] == '\0')
		return -1;
	for (int i = 0; i < 3; i++) {
		errno = 0;
		v[i] = strtoull(field[1 + i], &end, 10);
		if (errno || *end || end == field[1 + i])
			return -1;
	}
	r->index = v[0];
	r->version = v[1];
	r->size = v[2];
	if (strlen(field[4]) != 64 || hex_to_bytes(r->sha256, field[4], 32))
		return -1;
	if (strcmp(field[5], "-") != 0) {
		if (strlen(field[5]) != 40)
			return -1;
		memcpy(r->blob, field[5], 41);
	}
	for (int i = 0; i < 6; i++) {
		errno = 0;
		v[i] = strtoull(field[6 + i], &end, 10);
		if (errno || *end || end == field[6 + i])
			return -1;
	}
	r->mtime_s = (int64_t)v[0];
	r->mtime_ns = (int64_t)v[1];
	r->ctime_s = (int64_t)v[2];
	r->ctime_ns = (int64_t)v[3];
	r->ino = v[4];
	r->dev = v[5];
	r->path = strdup(field[0]);
	return r->path ? 0 : -1;
}

/* Returns 0 when loaded, 1 when unusable (rebuild), <0 on error. */
static int load_file(struct custody_index *index, custody_archive *a,
	custody_error **err)
{
	custody_buf text = CUSTODY_BUF_INIT;
	char *path = index_path(a), *line, *next;
	custody_error *rerr = NULL;
	int rc = 1;
	unsigned long long size, written;
	char head[41];

	if (path == NULL)
		return custody__error(err, CUSTODY_ENOMEM, "out of memory");
	if (custody_fs__read_file(&text, path, (size_t)1 << 34, &rerr) != 0)
		goto done;
	if (text.size < strlen(INDEX_MAGIC) ||
	    memcmp(text.ptr, INDEX_MAGIC, strlen(INDEX_MAGIC)) != 0)
		goto done;
	line = text.ptr + strlen(INDEX_MAGIC);
	if (sscanf(line, "head %40s\nsize %llu\nwritten %llu\n", head, &size,
	    &written) != 3 || strcmp(head, a->head_hex) != 0 ||
	    size != a->size)
		goto done;
	for (int skip = 0; skip < 3; skip++) {
		line = strchr(line, '\n');
		if (line == NULL)
			goto done;
		line++;
	}
	memcpy(index->head, head, 41);
	index->size = size;
	index->written_s = (int64_t)written;
	for (; *line; line = next) {
		struct custody_record r;

		memset(&r, 0, sizeof(r));
		next = strchr(line, '\n');
		if (next == NULL)
			goto done;
		*next++ = '\0';
		if (parse_line(&r, line) != 0 || r.index >= size ||
		    custody_index__find(index, r.path) != NULL) {
			if (r.path)
				free(r.path);
			goto done;
		}
		if (custody_index__put(index, &r) == NULL) {
			free(r.path);
			rc = custody__error(err, CUSTODY_ENOMEM,
				"out of memory");
			goto done;
		}
	}
	rc = 0;
done:
	if (rc == 1 && rerr == NULL)
		custody_archive__notice(a, "%s: stale or damaged cache, "
			"rebuilt from the log", path);
	custody_error_free(rerr);
	custody_buf_dispose(&text);
	free(path);
	return rc;
}

static int rebuild(struct custody_index *index, custody_archive *a,
	custody_error **err)
{
	git_tree *tree = NULL;
	int rc = 0;

	memcpy(index->head, a->head_hex, 41);
	index->size = a->size;
	index->written_s = 0;
	if (!a->has_head)
		return 0;
	if ((rc = custody_archive__head_tree(a, &tree, err)) != 0)
		return rc;
	for (uint64_t i = 1; i < a->size; i++) {
		struct custody_entry *e = NULL;
		struct custody_record r;

		if ((rc = custody_archive__read_entry(a, tree, i, &e, NULL,
		    err)) != 0)
			break;
		if (e->type != CUSTODY_ENTRY_REGISTER) {
			custody_entry__free(e);
			continue;
		}
		memset(&r, 0, sizeof(r));
		r.path = strdup(e->path);
		r.index = e->index;
		r.version = e->version;
		r.size = e->size;
		hex_to_bytes(r.sha256, e->sha256, 32);
		if (e->blob)
			memcpy(r.blob, e->blob, 41);
		custody_entry__free(e);
		if (r.path == NULL || custody_index__put(index, &r) == NULL) {
			free(r.path);
			rc = custody__error(err, CUSTODY_ENOMEM,
				"out of memory");
			break;
		}
	}
	git_tree_free(tree);
	return rc;
}

int custody_index__load(struct custody_index **out, custody_archive *a,
	custody_error **err)
{
	struct custody_index *index = calloc(1, sizeof(*index));
	int rc;

	*out = NULL;
	if (index == NULL)
		return custody__error(err, CUSTODY_ENOMEM, "out of memory");
	rc = load_file(index, a, err);
	if (rc == 1) {
		custody_index__free(index);
		index = calloc(1, sizeof(*index));
		if (index == NULL)
			return custody__error(err, CUSTODY_ENOMEM,
				"out of memory");
		rc = rebuild(index, a, err);
	}
	if (rc != 0) {
		custody_index__free(index);
		return rc;
	}
	*out = index;
	return 0;
}

int custody_index__save(struct custody_index *index, custody_archive *a,
	custody_error **err)
{
	custody_buf text = CUSTODY_BUF_INIT;
	char *path = index_path(a), *dir = custody_fs__join(a->gitdir,
		"cache");
	int rc = CUSTODY_ENOMEM;

	if (path == NULL || dir == NULL)
		goto oom;
	index->written_s = (int64_t)time(NULL);
	if (custody_buf__printf(&text, INDEX_MAGIC "head %s\nsize %" PRIu64
	    "\nwritten %" PRId64 "\n", index->head, index->size,
	    index->written_s) != 0)
		goto oom;
	for (size_t i = 0; i < index->count; i++) {
		const struct custody_record *r = &index->records[i];
		char sha[65];

		custody_hex(sha, r->sha256, 32);
		if (custody_buf__printf(&text, "%s\t%" PRIu64 "\t%" PRIu64
		    "\t%" PRIu64 "\t%s\t%s\t%" PRId64 "\t%" PRId64 "\t%"
		    PRId64 "\t%" PRId64 "\t%" PRIu64 "\t%" PRIu64 "\n",
		    r->path, r->index, r->version, r->size, sha,
		    r->blob[0] ? r->blob : "-", r->mtime_s, r->mtime_ns,
		    r->ctime_s, r->ctime_ns, r->ino, r->dev) != 0)
			goto oom;
	}
	if ((rc = custody_fs__mkdir(dir, 0700, err)) == 0)
		rc = custody_fs__write_atomic(path, text.ptr, text.size, 0600,
			err);
	goto done;
oom:
	rc = custody__error(err, CUSTODY_ENOMEM, "out of memory");
done:
	custody_buf_dispose(&text);
	free(path);
	free(dir);
	return rc;
}
