#include "blob.h"
#include "common.h"
#include "fsutil.h"
#include "pack.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#define CHUNK (1024 * 1024)      /* bytes read or handed over at a time */
#define WHOLE_MAX (8 * 1024 * 1024) /* smaller: libgit2 reads it whole */
#define OBJ_BLOB 3
#define OBJ_OFS_DELTA 6
#define OBJ_REF_DELTA 7

struct stream {
	int fd;
	uint64_t pos;              /* next byte of the file to read */
	z_stream z;
	int z_ready;
	unsigned char *in, *out;
	EVP_MD_CTX *sha1;
	int loose;                 /* the header is inside the deflate */
	char head[64];             /* a loose object's "blob <size>" */
	size_t head_len;
	int have_size;
	uint64_t size, seen;
	custody_blob_chunk_cb cb;
	void *payload;
	int cb_rc;
};

/* The pack holding id: its open descriptor and the object's offset. */
static int find_packed(const char *gitdir, const git_oid *id, int *pack_fd,
	uint64_t *offset)
{
	char *dir = custody_fs__join(gitdir, "objects/pack");
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *de;
	int found = 0;

	*pack_fd = -1;
	while (d != NULL && !found && (de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		char path[4096];
		int fd;

		if (len < 5 || strcmp(de->d_name + len - 4, ".idx") != 0 ||
		    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(path))
			continue;
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		found = custody_pack__idx_find(fd, id->id, offset) == 1;
		close(fd);
		if (found) {
			memcpy(path + strlen(path) - 4, ".pack", 6);
			*pack_fd = open(path, O_RDONLY | O_CLOEXEC);
			found = *pack_fd >= 0;
		}
	}
	if (d != NULL)
		closedir(d);
	free(dir);
	return found;
}

static int start_content(struct stream *s, uint64_t size)
{
	char head[64];
	int n = snprintf(head, sizeof(head), "blob %" PRIu64, size);

	s->size = size;
	s->have_size = 1;
	return EVP_DigestInit_ex(s->sha1, EVP_sha1(), NULL) == 1 &&
		EVP_DigestUpdate(s->sha1, head, (size_t)n + 1) == 1 ? 0 : -1;
}

static int content(struct stream *s, const unsigned char *p, size_t len)
{
	if (len == 0)
		return 0;
	if (len > s->size - s->seen)
		return -1;  /* longer than its header says */
	s->seen += len;
	if (EVP_DigestUpdate(s->sha1, p, len) != 1)
		return -1;
	if ((s->cb_rc = s->cb(p, len, s->payload)) != 0)
		return -1;
	return 0;
}

/* Inflated bytes: a loose object's header first, then content. */
static int inflated(struct stream *s, const unsigned char *p, size_t len)
{
	while (!s->have_size && len > 0) {
		char *end;
		uint64_t size;

		if (*p != '\0') {
			if (s->head_len + 1 >= sizeof(s->head))
				return -1;
			s->head[s->head_len++] = (char)*p++;
			len--;
			continue;
		}
		p++;
		len--;
		s->head[s->head_len] = '\0';
		if (strncmp(s->head, "blob ", 5) != 0 ||
		    s->head[5] < '0' || s->head[5] > '9')
			return -1;
		errno = 0;
		size = strtoull(s->head + 5, &end, 10);
		if (errno != 0 || *end != '\0' || start_content(s, size) != 0)
			return -1;
	}
	return content(s, p, len);
}

static int inflate_from(struct stream *s)
{
	int zrc = Z_OK;

	if (inflateInit(&s->z) != Z_OK)
		return -1;
	s->z_ready = 1;
	while (zrc != Z_STREAM_END) {
		size_t made;

		if (s->z.avail_in == 0) {
			ssize_t n = pread(s->fd, s->in, CHUNK, (off_t)s->pos);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return -1;  /* truncated */
			s->pos += (uint64_t)n;
			s->z.next_in = s->in;
			s->z.avail_in = (uInt)n;
		}
		s->z.next_out = s->out;
		s->z.avail_out = CHUNK;
		zrc = inflate(&s->z, Z_NO_FLUSH);
		if (zrc != Z_OK && zrc != Z_STREAM_END)
			return -1;
		made = CHUNK - s->z.avail_out;
		if (inflated(s, s->out, made) != 0)
			return -1;
	}
	return 0;
}

/* A packed object at offset: 1 streamed, 0 a delta, -1 bad. */
static int stream_packed(struct stream *s, uint64_t offset)
{
	unsigned char head[16];
	uint64_t size;
	int type, shift = 4;
	size_t i = 0;

	if (custody_fs__pread_all(s->fd, head, 1, offset) != 0)
		return -1;
	type = (head[0] >> 4) & 7;
	size = head[0] & 15;
	while (head[i] & 0x80) {
		if (++i >= sizeof(head) || shift > 57 ||
		    custody_fs__pread_all(s->fd, head + i, 1, offset + i) != 0)
			return -1;
		size |= (uint64_t)(head[i] & 0x7f) << shift;
		shift += 7;
	}
	if (type == OBJ_OFS_DELTA || type == OBJ_REF_DELTA)
		return 0;
	if (type != OBJ_BLOB || start_content(s, size) != 0)
		return -1;
	s->pos = offset + i + 1;
	return inflate_from(s) == 0 ? 1 : -1;
}

/* Read whole by libgit2 (a delta, an alternate), handed over in chunks. */
static int stream_whole(struct stream *s, git_odb *odb, const git_oid *id)
{
	git_odb_object *obj = NULL;
	const unsigned char *p;
	size_t len;
	int rc = -1;

	if (git_odb_read(&obj, odb, id) != 0 ||
	    git_odb_object_type(obj) != GIT_OBJECT_BLOB)
		goto done;
	p = git_odb_object_data(obj);
	len = git_odb_object_size(obj);
	if (start_content(s, len) != 0)
		goto done;
	rc = 0;
	while (rc == 0 && len > 0) {
		size_t n = len < CHUNK ? len : CHUNK;

		rc = content(s, p, n);
		p += n;
		len -= n;
	}
done:
	git_odb_object_free(obj);
	return rc;
}

int custody_blob__stream(const char *gitdir, git_odb *odb,
	const git_oid *id, uint64_t *size_out, custody_blob_chunk_cb cb,
	void *payload, custody_error **err)
{
	struct stream s;
	char hex[GIT_OID_HEXSZ + 1], rel[64];
	unsigned char sum[EVP_MAX_MD_SIZE];
	uint64_t offset = 0;
	size_t small = 0;
	git_object_t type;
	int rc = -1, how;

	memset(&s, 0, sizeof(s));
	s.fd = -1;
	s.cb = cb;
	s.payload = payload;
	git_oid_tostr(hex, sizeof(hex), id);
	*size_out = 0;
	s.in = malloc(CHUNK);
	s.out = malloc(CHUNK);
	s.sha1 = EVP_MD_CTX_new();
	if (s.in == NULL || s.out == NULL || s.sha1 == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	if (git_odb_read_header(&small, &type, odb, id) == 0 &&
	    small <= WHOLE_MAX) {
		/* libgit2's cached pack index is faster for small objects */
		how = 0;
	} else if (find_packed(gitdir, id, &s.fd, &offset)) {
		how = stream_packed(&s, offset);
	} else {
		char *path;

		snprintf(rel, sizeof(rel), "objects/%.2s/%s", hex, hex + 2);
		path = custody_fs__join(gitdir, rel);
		s.fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
		free(path);
		s.loose = 1;
		how = s.fd >= 0 ? (inflate_from(&s) == 0 ? 1 : -1) : 0;
	}
	if (how == 0) {
		/* not whole in this repository: libgit2 resolves it */
		if (s.fd >= 0)
			close(s.fd);
		s.fd = -1;
		memset(&s.z, 0, sizeof(s.z));
		how = stream_whole(&s, odb, id) == 0 ? 1 : -1;
	}
	if (how == 1 && s.have_size && s.seen == s.size &&
	    EVP_DigestFinal_ex(s.sha1, sum, NULL) == 1 &&
	    memcmp(sum, id->id, 20) == 0) {
		*size_out = s.size;
		rc = 0;
	} else if (s.cb_rc != 0) {
		rc = s.cb_rc;
	} else {
		rc = custody__error(err, CUSTODY_EVERIFY, "%s: object %s "
			"cannot be read, or is not the blob its id names",
			gitdir, hex);
	}
done:
	if (s.z_ready)
		inflateEnd(&s.z);
	if (s.fd >= 0)
		close(s.fd);
	EVP_MD_CTX_free(s.sha1);
	free(s.in);
	free(s.out);
	return rc;
}
