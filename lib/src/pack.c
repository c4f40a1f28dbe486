#include "pack.h"
#include "common.h"
#include "fsutil.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#define OUT_SIZE (1024 * 1024)   /* bytes gathered before each write(2) */
#define PROBE_SIZE (64 * 1024)   /* prefix compressed to judge an object */
#define ZLIB_MAX_IN (1U << 30)   /* zlib counts in uInt */
#define PACK_HEADER 12
#define LARGE_OFFSET 0x80000000ULL
#define STORED_MAX 65535         /* largest stored deflate block */
/*
 * Objects up to SMALL_MAX bytes (entries, private parts, small trees) go
 * through a stream sized for them, Huffman coding only: a reset clears
 * 8 KiB where the default stream clears 64 KiB (at a few hundred bytes
 * that was most of an object's cost), and with no string matching an
 * entry (mostly hex digits, few repeats) comes out a little smaller than
 * level 1 makes it, in a fifth of the time.
 */
#define SMALL_MAX 2048
#define SMALL_WINDOW_BITS 11
#define SMALL_MEM_LEVEL 5        /* 2,048 symbols a block: one block */
/*
 * Objects up to TINY_MAX bytes (an entry, a private part: 300-700 bytes)
 * are stored, not deflated: zlib's fixed cost of a block (its trees) was
 * a third of the CPU of `add --no-store` of 100,000 small files, for a
 * quarter of those objects' bytes (an entry of 346 bytes deflates to
 * 255). Git reads stored blocks like any other.
 */
#define TINY_MAX 1024

enum obj_state { OBJ_NONE, OBJ_OPEN, OBJ_FAILED };
enum obj_mode { MODE_PROBE, MODE_DEFLATE, MODE_STORE };

struct pack_entry {
	unsigned char id[20];
	uint32_t crc;
	uint64_t offset;
};

struct custody_pack {
	char *dir;
	char *pack_path;          /* temporary pack; NULL once gone */
	char *idx_path;           /* temporary idx; NULL unless written */
	int fd;
	custody_pack_exists_cb exists;
	void *payload;

	unsigned char *out;       /* OUT_SIZE bytes not yet written */
	size_t out_len;
	uint64_t file_off;        /* bytes of the pack already in the file */
	int io_errno;             /* set after a write or truncate failed */

	EVP_MD *sha1;
	EVP_MD_CTX *md;
	z_stream fast;            /* deflate level 1 */
	int fast_ready;
	z_stream small;           /* Huffman only, objects <= SMALL_MAX */
	int small_ready;
	unsigned char *probe;     /* the first PROBE_SIZE bytes of an object */
	unsigned char *scratch;   /* deflated probe */
	size_t scratch_size;

	/* the object being written */
	enum obj_state state;
	enum obj_mode mode;
	uint64_t obj_start, obj_size, obj_written;
	size_t probe_len;
	uint32_t obj_crc;
	uint32_t adler;           /* stored objects: zlib's checksum */
	size_t block_left;        /* stored objects: bytes left in block */
	uint64_t stored;          /* stored objects: bytes stored so far */
	int id_known;
	unsigned char obj_id[20];

	struct pack_entry *entries;
	size_t count, entries_cap;
	uint32_t *slots;          /* hash set: index + 1 into entries */
	size_t slots_cap;
	int committed;
	char *final_pack;         /* what commit put in place, if anything */
	char *final_idx;
};

static uint64_t now_offset(const custody_pack *pack)
{
	return pack->file_off + pack->out_len;
}

static int write_all(int fd, const unsigned char *data, size_t len,
	size_t *done)
{
	*done = 0;
	while (*done < len) {
		ssize_t n = write(fd, data + *done, len - *done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return EIO;
		*done += (size_t)n;
	}
	return 0;
}

static int broken(custody_pack *pack, custody_error **err)
{
	return custody__error_sys(err, CUSTODY_EIO, pack->io_errno,
		"%s: pack unusable after an earlier write error",
		pack->pack_path);
}

static int flush_out(custody_pack *pack, custody_error **err)
{
	size_t done;
	int e;

	if (pack->out_len == 0)
		return 0;
	e = write_all(pack->fd, pack->out, pack->out_len, &done);
	pack->file_off += done;
	pack->out_len = 0;
	if (e != 0) {
		pack->io_errno = e;
		return custody__error_sys(err, CUSTODY_EIO, e,
			"cannot write %s", pack->pack_path);
	}
	return 0;
}

/* Append bytes of the current object to the pack (counted in its crc). */
static int put(custody_pack *pack, const void *data, size_t len,
	custody_error **err)
{
	const unsigned char *p = data;

	pack->obj_crc = (uint32_t)crc32_z(pack->obj_crc, p, len);
	while (len > 0) {
		size_t room = OUT_SIZE - pack->out_len;
		size_t n = len < room ? len : room;

		memcpy(pack->out + pack->out_len, p, n);
		pack->out_len += n;
		p += n;
		len -= n;
		if (pack->out_len == OUT_SIZE && flush_out(pack, err) != 0)
			return CUSTODY_EIO;
	}
	return 0;
}

/* Run `len` bytes through a deflate stream into the output buffer. */
static int deflate_into(custody_pack *pack, z_stream *z, const void *data,
	size_t len, int finish, custody_error **err)
{
	const unsigned char *p = data;

	for (;;) {
		size_t chunk = len < ZLIB_MAX_IN ? len : ZLIB_MAX_IN;
		int last = finish && chunk == len;
		unsigned char *before;
		int zrc;

		z->next_in = (unsigned char *)p;
		z->avail_in = (uInt)chunk;
		do {
			if (pack->out_len == OUT_SIZE &&
			    flush_out(pack, err) != 0)
				return CUSTODY_EIO;
			before = pack->out + pack->out_len;
			z->next_out = before;
			z->avail_out = (uInt)(OUT_SIZE - pack->out_len);
			zrc = deflate(z, last ? Z_FINISH : Z_NO_FLUSH);
			if (zrc != Z_OK && zrc != Z_STREAM_END &&
			    zrc != Z_BUF_ERROR)
				return custody__error(err, CUSTODY_ERROR,
					"%s: deflate failed (zlib error %d)",
					pack->pack_path, zrc);
			pack->obj_crc = (uint32_t)crc32_z(pack->obj_crc,
				before, (size_t)(z->next_out - before));
			pack->out_len = (size_t)(z->next_out - pack->out);
		} while (z->avail_in > 0 || z->avail_out == 0 ||
			(last && zrc != Z_STREAM_END));
		p += chunk;
		len -= chunk;
		if (len == 0)
			return 0;
	}
}

/* Deflate the probe at level 1 into scratch; returns its size. */
static int probe_deflate(custody_pack *pack, size_t *size_out,
	custody_error **err)
{
	z_stream *z = pack->probe_len <= SMALL_MAX ? &pack->small :
		&pack->fast;
	int zrc;

	if (deflateReset(z) != Z_OK)
		return custody__error(err, CUSTODY_ERROR,
			"%s: cannot reset deflate", pack->pack_path);
	z->next_in = pack->probe;
	z->avail_in = (uInt)pack->probe_len;
	z->next_out = pack->scratch;
	z->avail_out = (uInt)pack->scratch_size;
	zrc = deflate(z, Z_FINISH);
	if (zrc != Z_STREAM_END)
		return custody__error(err, CUSTODY_ERROR,
			"%s: deflate failed (zlib error %d)", pack->pack_path,
			zrc);
	*size_out = pack->scratch_size - z->avail_out;
	return 0;
}

/*
 * Data whose bytes are spread almost evenly over all 256 values (already
 * compressed or encrypted: JPEG, PDF streams, ZIP, random) will not
 * deflate; a histogram costs a fraction of deflating the probe to find
 * out. 7.2 bits a byte is well under what random data shows even in a
 * 512-byte sample (~7.6) and well over text (~4.5) or base64 (6.0).
 */
static int looks_incompressible(const unsigned char *p, size_t len)
{
	uint32_t count[256] = { 0 };
	double bits = 0;

	if (len < 512)
		return 0;
	if (len > 16384)
		len = 16384;
	for (size_t i = 0; i < len; i++)
		count[p[i]]++;
	for (int i = 0; i < 256; i++)
		if (count[i] != 0) {
			double f = (double)count[i] / (double)len;

			bits -= f * log2(f);
		}
	return bits >= 7.2;
}

/* Worth compressing: deflate saves at least ~3% of the probe. */
static int compresses(size_t in, size_t out)
{
	return (uint64_t)out * 100 < (uint64_t)in * 97;
}

/*
 * Objects that do not compress are written as stored deflate blocks by
 * hand: zlib's level 0 runs at a tenth of the speed of a copy. The size
 * announced at begin says which block is the last.
 */
static int store_start(custody_pack *pack, custody_error **err)
{
	static const unsigned char zlib_header[2] = { 0x78, 0x01 };

	pack->mode = MODE_STORE;
	pack->adler = (uint32_t)adler32_z(0, NULL, 0);
	pack->block_left = 0;
	pack->stored = 0;
	return put(pack, zlib_header, 2, err);
}

static int store_data(custody_pack *pack, const unsigned char *p,
	size_t len, custody_error **err)
{
	pack->adler = (uint32_t)adler32_z(pack->adler, p, len);
	while (len > 0) {
		size_t n;

		if (pack->block_left == 0) {
			uint64_t rest = pack->obj_size - pack->stored;
			unsigned char hdr[5];
			size_t size = rest < STORED_MAX ? (size_t)rest :
				STORED_MAX;

			hdr[0] = size == rest;   /* BFINAL, BTYPE 00 */
			hdr[1] = (unsigned char)size;
			hdr[2] = (unsigned char)(size >> 8);
			hdr[3] = (unsigned char)~size;
			hdr[4] = (unsigned char)(~size >> 8);
			if (put(pack, hdr, sizeof(hdr), err) != 0)
				return CUSTODY_EIO;
			pack->block_left = size;
		}
		n = len < pack->block_left ? len : pack->block_left;
		if (put(pack, p, n, err) != 0)
			return CUSTODY_EIO;
		pack->block_left -= n;
		pack->stored += n;
		p += n;
		len -= n;
	}
	return 0;
}

static int store_finish(custody_pack *pack, custody_error **err)
{
	static const unsigned char empty_final[5] = { 1, 0, 0, 0xff, 0xff };
	unsigned char trailer[4];

	if (pack->obj_size == 0 &&
	    put(pack, empty_final, sizeof(empty_final), err) != 0)
		return CUSTODY_EIO;
	trailer[0] = (unsigned char)(pack->adler >> 24);
	trailer[1] = (unsigned char)(pack->adler >> 16);
	trailer[2] = (unsigned char)(pack->adler >> 8);
	trailer[3] = (unsigned char)pack->adler;
	return put(pack, trailer, sizeof(trailer), err);
}

/* The probe is full and more follows: pick the stream for the object. */
static int choose_mode(custody_pack *pack, custody_error **err)
{
	size_t size;

	if (looks_incompressible(pack->probe, pack->probe_len))
		return store_start(pack, err) != 0 ? CUSTODY_EIO :
			store_data(pack, pack->probe, pack->probe_len, err);
	if (probe_deflate(pack, &size, err) != 0)
		return CUSTODY_ERROR;
	if (!compresses(pack->probe_len, size))
		return store_start(pack, err) != 0 ? CUSTODY_EIO :
			store_data(pack, pack->probe, pack->probe_len, err);
	pack->mode = MODE_DEFLATE;
	if (deflateReset(&pack->fast) != Z_OK)
		return custody__error(err, CUSTODY_ERROR,
			"%s: cannot reset deflate", pack->pack_path);
	return deflate_into(pack, &pack->fast, pack->probe, pack->probe_len,
		0, err);
}

/* The whole object sits in the probe: write it deflated or stored. */
static int finish_small(custody_pack *pack, custody_error **err)
{
	size_t size;

	if (pack->probe_len > TINY_MAX &&
	    !looks_incompressible(pack->probe, pack->probe_len)) {
		if (probe_deflate(pack, &size, err) != 0)
			return CUSTODY_ERROR;
		if (compresses(pack->probe_len, size))
			return put(pack, pack->scratch, size, err);
	}
	if (store_start(pack, err) != 0 ||
	    store_data(pack, pack->probe, pack->probe_len, err) != 0)
		return CUSTODY_EIO;
	return store_finish(pack, err);
}

/* Forget everything written from `offset` on. */
static void drop_from(custody_pack *pack, uint64_t offset)
{
	if (offset >= pack->file_off) {
		pack->out_len = (size_t)(offset - pack->file_off);
		return;
	}
	pack->out_len = 0;
	if (ftruncate(pack->fd, (off_t)offset) != 0 ||
	    lseek(pack->fd, (off_t)offset, SEEK_SET) != (off_t)offset) {
		pack->io_errno = errno;
		return;
	}
	pack->file_off = offset;
}

static uint64_t id_key(const unsigned char id[20])
{
	uint64_t k;

	memcpy(&k, id, sizeof(k));
	return k;
}

static int has_id(const custody_pack *pack, const unsigned char id[20])
{
	size_t mask = pack->slots_cap - 1, i;

	if (pack->slots_cap == 0)
		return 0;
	for (i = id_key(id) & mask; pack->slots[i] != 0; i = (i + 1) & mask)
		if (memcmp(pack->entries[pack->slots[i] - 1].id, id, 20) == 0)
			return 1;
	return 0;
}

static void slot_insert(uint32_t *slots, size_t cap,
	const unsigned char id[20], uint32_t value)
{
	size_t i;

	for (i = id_key(id) & (cap - 1); slots[i] != 0; i = (i + 1) & (cap - 1))
		;
	slots[i] = value;
}

static int add_entry(custody_pack *pack, const unsigned char id[20],
	uint64_t offset, uint32_t crc, custody_error **err)
{
	struct pack_entry *e;

	if (pack->count >= UINT32_MAX - 1)
		return custody__error(err, CUSTODY_EINVALID,
			"%s: too many objects in one pack", pack->pack_path);
	if (pack->count == pack->entries_cap) {
		size_t cap = pack->entries_cap ? pack->entries_cap * 2 : 1024;

		e = realloc(pack->entries, cap * sizeof(*e));
		if (e == NULL)
			return custody__oom(err);
		pack->entries = e;
		pack->entries_cap = cap;
	}
	if ((pack->count + 1) * 2 > pack->slots_cap) {
		size_t cap = pack->slots_cap ? pack->slots_cap * 2 : 2048;
		uint32_t *slots = calloc(cap, sizeof(*slots));

		if (slots == NULL)
			return custody__oom(err);
		for (size_t i = 0; i < pack->count; i++)
			slot_insert(slots, cap, pack->entries[i].id,
				(uint32_t)i + 1);
		free(pack->slots);
		pack->slots = slots;
		pack->slots_cap = cap;
	}
	e = &pack->entries[pack->count];
	memcpy(e->id, id, 20);
	e->crc = crc;
	e->offset = offset;
	pack->count++;
	slot_insert(pack->slots, pack->slots_cap, id, (uint32_t)pack->count);
	return 0;
}

static const char *type_name(int type)
{
	switch (type) {
	case CUSTODY_OBJ_COMMIT: return "commit";
	case CUSTODY_OBJ_TREE: return "tree";
	case CUSTODY_OBJ_BLOB: return "blob";
	default: return NULL;
	}
}

/* Write the object's pack header and start its id; the object is open. */
static int obj_begin(custody_pack *pack, int type, uint64_t size,
	const unsigned char *known_id, custody_error **err)
{
	unsigned char hdr[16];
	char id_hdr[32];
	const char *name = type_name(type);
	uint64_t rest = size >> 4;
	size_t n = 0;
	int len;

	assert(pack->state == OBJ_NONE && !pack->committed);
	if (pack->io_errno != 0)
		return broken(pack, err);
	if (name == NULL)
		return custody__error(err, CUSTODY_EINVALID,
			"%s: unknown object type %d", pack->pack_path, type);
	hdr[n] = (unsigned char)((type << 4) | (size & 15));
	while (rest != 0) {
		hdr[n++] |= 0x80;
		hdr[n] = rest & 0x7f;
		rest >>= 7;
	}
	n++;
	pack->obj_start = now_offset(pack);
	pack->obj_size = size;
	pack->obj_written = 0;
	pack->obj_crc = (uint32_t)crc32_z(0, NULL, 0);
	pack->probe_len = 0;
	pack->mode = MODE_PROBE;
	pack->id_known = known_id != NULL;
	if (known_id != NULL) {
		memcpy(pack->obj_id, known_id, 20);
	} else {
		len = snprintf(id_hdr, sizeof(id_hdr), "%s %llu", name,
			(unsigned long long)size);
		if (EVP_DigestInit_ex(pack->md, pack->sha1, NULL) != 1 ||
		    EVP_DigestUpdate(pack->md, id_hdr, (size_t)len + 1) != 1)
			return custody__error_ssl(err, CUSTODY_ERROR,
				"%s: cannot start SHA-1", pack->pack_path);
	}
	pack->state = OBJ_OPEN;
	if (put(pack, hdr, n, err) != 0) {
		pack->state = OBJ_FAILED;
		return CUSTODY_EIO;
	}
	return 0;
}

static int obj_write(custody_pack *pack, const void *data, size_t len,
	custody_error **err)
{
	const unsigned char *p = data;
	int rc;

	assert(pack->state != OBJ_NONE);
	if (pack->state == OBJ_FAILED)
		return custody__error(err, CUSTODY_EINVALID,
			"%s: write to an object that already failed",
			pack->pack_path);
	if (len > pack->obj_size - pack->obj_written) {
		pack->state = OBJ_FAILED;
		return custody__error(err, CUSTODY_ECHANGED,
			"size changed while reading: more than the %llu bytes "
			"announced", (unsigned long long)pack->obj_size);
	}
	if (!pack->id_known && EVP_DigestUpdate(pack->md, p, len) != 1) {
		pack->state = OBJ_FAILED;
		return custody__error_ssl(err, CUSTODY_ERROR,
			"%s: SHA-1 failed", pack->pack_path);
	}
	pack->obj_written += len;
	if (pack->mode == MODE_PROBE) {
		size_t n = PROBE_SIZE - pack->probe_len;

		if (n > len)
			n = len;
		memcpy(pack->probe + pack->probe_len, p, n);
		pack->probe_len += n;
		p += n;
		len -= n;
		/* an object no larger than the probe is judged at end */
		if (len == 0 && (pack->probe_len < PROBE_SIZE ||
		    pack->obj_written == pack->obj_size))
			return 0;
		if ((rc = choose_mode(pack, err)) != 0) {
			pack->state = OBJ_FAILED;
			return rc;
		}
	}
	if (len == 0)
		return 0;
	if (pack->mode == MODE_STORE)
		rc = store_data(pack, p, len, err);
	else
		rc = deflate_into(pack, &pack->fast, p, len, 0, err);
	if (rc != 0)
		pack->state = OBJ_FAILED;
	return rc;
}

static void obj_drop(custody_pack *pack)
{
	drop_from(pack, pack->obj_start);
	pack->state = OBJ_NONE;
}

static int obj_end(custody_pack *pack, unsigned char id_out[20],
	custody_error **err)
{
	unsigned int mdlen;
	int rc;

	assert(pack->state != OBJ_NONE);
	if (pack->state == OBJ_FAILED) {
		obj_drop(pack);
		return custody__error(err, CUSTODY_EINVALID,
			"%s: end of an object that already failed",
			pack->pack_path);
	}
	if (pack->obj_written != pack->obj_size) {
		obj_drop(pack);
		return custody__error(err, CUSTODY_ECHANGED,
			"size changed while reading: %llu bytes announced, "
			"%llu read", (unsigned long long)pack->obj_size,
			(unsigned long long)pack->obj_written);
	}
	if (!pack->id_known &&
	    EVP_DigestFinal_ex(pack->md, pack->obj_id, &mdlen) != 1) {
		obj_drop(pack);
		return custody__error_ssl(err, CUSTODY_ERROR,
			"%s: SHA-1 failed", pack->pack_path);
	}
	memcpy(id_out, pack->obj_id, 20);
	if (!pack->id_known && (has_id(pack, pack->obj_id) ||
	    (pack->exists && pack->exists(pack->obj_id, pack->payload)))) {
		obj_drop(pack);
		return pack->io_errno ? broken(pack, err) : 0;
	}
	if (pack->mode == MODE_PROBE)
		rc = finish_small(pack, err);
	else if (pack->mode == MODE_STORE)
		rc = store_finish(pack, err);
	else
		rc = deflate_into(pack, &pack->fast, NULL, 0, 1, err);
	if (rc == 0)
		rc = add_entry(pack, pack->obj_id, pack->obj_start,
			pack->obj_crc, err);
	if (rc != 0)
		obj_drop(pack);
	pack->state = OBJ_NONE;
	return rc;
}

int custody_pack__open(custody_pack **out, const char *pack_dir,
	custody_pack_exists_cb exists, void *payload, custody_error **err)
{
	static const unsigned char header[PACK_HEADER] = {
		'P', 'A', 'C', 'K', 0, 0, 0, 2, 0, 0, 0, 0
	};
	custody_pack *pack;
	size_t len = strlen(pack_dir);
	char *path = NULL;
	int rc = CUSTODY_ENOMEM;

	assert(out != NULL && pack_dir != NULL);
	*out = NULL;
	pack = calloc(1, sizeof(*pack));
	if (pack == NULL)
		return custody__oom(err);
	pack->fd = -1;
	pack->exists = exists;
	pack->payload = payload;
	pack->scratch_size = compressBound(PROBE_SIZE);
	pack->dir = strdup(pack_dir);
	path = malloc(len + sizeof("/tmp_custody_pack_XXXXXX"));
	pack->out = malloc(OUT_SIZE);
	pack->probe = malloc(PROBE_SIZE);
	pack->scratch = malloc(pack->scratch_size);
	if (pack->dir == NULL || path == NULL ||
	    pack->out == NULL || pack->probe == NULL ||
	    pack->scratch == NULL) {
		custody__error(err, rc, "out of memory");
		goto cleanup;
	}
	pack->sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	pack->md = EVP_MD_CTX_new();
	if (pack->sha1 == NULL || pack->md == NULL) {
		rc = custody__error_ssl(err, CUSTODY_ERROR,
			"cannot set up SHA-1");
		goto cleanup;
	}
	if (deflateInit(&pack->fast, 1) != Z_OK) {
		custody__error(err, rc, "out of memory");
		goto cleanup;
	}
	pack->fast_ready = 1;
	if (deflateInit2(&pack->small, 1, Z_DEFLATED, SMALL_WINDOW_BITS,
	    SMALL_MEM_LEVEL, Z_HUFFMAN_ONLY) != Z_OK) {
		custody__error(err, rc, "out of memory");
		goto cleanup;
	}
	pack->small_ready = 1;
	memcpy(path, pack_dir, len);
	memcpy(path + len, "/tmp_custody_pack_XXXXXX",
		sizeof("/tmp_custody_pack_XXXXXX"));
	pack->fd = mkostemp(path, O_CLOEXEC);
	if (pack->fd < 0) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"cannot create a temporary pack in %s", pack_dir);
		goto cleanup;
	}
	pack->pack_path = path;
	path = NULL;
	memcpy(pack->out, header, sizeof(header));
	pack->out_len = sizeof(header);
	*out = pack;
	pack = NULL;
	rc = 0;
cleanup:
	free(path);
	custody_pack__free(pack);
	return rc;
}

int custody_pack__add_buffer(custody_pack *pack, int type, const void *data,
	size_t len, unsigned char id_out[20], custody_error **err)
{
	const char *name = type_name(type);
	char id_hdr[32];
	unsigned int mdlen;
	int n, rc;

	assert(pack != NULL && (data != NULL || len == 0));
	assert(pack->state == OBJ_NONE && !pack->committed);
	if (pack->io_errno != 0)
		return broken(pack, err);
	if (name == NULL)
		return custody__error(err, CUSTODY_EINVALID,
			"%s: unknown object type %d", pack->pack_path, type);
	/* Hash first, so a duplicate costs no compression and no write. */
	n = snprintf(id_hdr, sizeof(id_hdr), "%s %zu", name, len);
	if (EVP_DigestInit_ex(pack->md, pack->sha1, NULL) != 1 ||
	    EVP_DigestUpdate(pack->md, id_hdr, (size_t)n + 1) != 1 ||
	    EVP_DigestUpdate(pack->md, data, len) != 1 ||
	    EVP_DigestFinal_ex(pack->md, id_out, &mdlen) != 1)
		return custody__error_ssl(err, CUSTODY_ERROR,
			"%s: SHA-1 failed", pack->pack_path);
	if (has_id(pack, id_out) ||
	    (pack->exists && pack->exists(id_out, pack->payload)))
		return 0;
	if ((rc = obj_begin(pack, type, len, id_out, err)) != 0 ||
	    (rc = obj_write(pack, data, len, err)) != 0) {
		if (pack->state != OBJ_NONE)
			obj_drop(pack);
		return rc;
	}
	return obj_end(pack, id_out, err);
}

int custody_pack__begin(custody_pack *pack, int type, uint64_t size,
	custody_error **err)
{
	int rc;

	assert(pack != NULL);
	if ((rc = obj_begin(pack, type, size, NULL, err)) != 0 &&
	    pack->state != OBJ_NONE)
		obj_drop(pack);
	return rc;
}

int custody_pack__write(custody_pack *pack, const void *data, size_t len,
	custody_error **err)
{
	assert(pack != NULL && (data != NULL || len == 0));
	return obj_write(pack, data, len, err);
}

int custody_pack__end(custody_pack *pack, unsigned char id_out[20],
	custody_error **err)
{
	assert(pack != NULL);
	return obj_end(pack, id_out, err);
}

void custody_pack__cancel(custody_pack *pack)
{
	if (pack != NULL && pack->state != OBJ_NONE)
		obj_drop(pack);
}

size_t custody_pack__count(const custody_pack *pack)
{
	return pack ? pack->count : 0;
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static int entry_cmp(const void *a, const void *b)
{
	return memcmp(((const struct pack_entry *)a)->id,
		((const struct pack_entry *)b)->id, 20);
}

/* Fix the count, hash the pack into its trailer, append it, fsync. */
static int finish_pack(custody_pack *pack, unsigned char sum[20],
	custody_error **err)
{
	unsigned char count[4];
	uint64_t off = 0;
	unsigned int mdlen;
	size_t done;
	ssize_t n;
	int e;

	if (flush_out(pack, err) != 0)
		return CUSTODY_EIO;
	put_be32(count, (uint32_t)pack->count);
	n = pwrite(pack->fd, count, 4, 8);
	if (n != 4)
		return custody__error_sys(err, CUSTODY_EIO, n < 0 ? errno : EIO,
			"cannot write %s", pack->pack_path);
	if (EVP_DigestInit_ex(pack->md, pack->sha1, NULL) != 1)
		return custody__error_ssl(err, CUSTODY_ERROR,
			"%s: cannot start SHA-1", pack->pack_path);
	posix_fadvise(pack->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	while (off < pack->file_off) {
		uint64_t want = pack->file_off - off;
		n = pread(pack->fd, pack->out,
			want < OUT_SIZE ? (size_t)want : OUT_SIZE, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return custody__error_sys(err, CUSTODY_EIO,
				n < 0 ? errno : EIO, "cannot read back %s",
				pack->pack_path);
		if (EVP_DigestUpdate(pack->md, pack->out, (size_t)n) != 1)
			return custody__error_ssl(err, CUSTODY_ERROR,
				"%s: SHA-1 failed", pack->pack_path);
		off += (uint64_t)n;
	}
	if (EVP_DigestFinal_ex(pack->md, sum, &mdlen) != 1)
		return custody__error_ssl(err, CUSTODY_ERROR,
			"%s: SHA-1 failed", pack->pack_path);
	if ((e = write_all(pack->fd, sum, 20, &done)) != 0)
		return custody__error_sys(err, CUSTODY_EIO, e,
			"cannot write %s", pack->pack_path);
	if (fsync(pack->fd) != 0)
		return custody__error_sys(err, CUSTODY_EIO, errno,
			"cannot fsync %s", pack->pack_path);
	if (fchmod(pack->fd, 0444) != 0)
		return custody__error_sys(err, CUSTODY_EIO, errno,
			"cannot chmod %s", pack->pack_path);
	e = close(pack->fd);
	pack->fd = -1;
	if (e != 0)
		return custody__error_sys(err, CUSTODY_EIO, errno,
			"cannot close %s", pack->pack_path);
	return 0;
}

static int idx_flush(custody_pack *pack, int fd, custody_error **err)
{
	size_t done;
	int e = write_all(fd, pack->out, pack->out_len, &done);

	pack->out_len = 0;
	if (e != 0)
		return custody__error_sys(err, CUSTODY_EIO, e,
			"cannot write %s", pack->idx_path);
	return 0;
}

/* Buffered idx output: bytes go through the SHA-1 and on to fd. */
static int idx_put(custody_pack *pack, int fd, const void *data,
	size_t len, custody_error **err)
{
	const unsigned char *p = data;

	if (EVP_DigestUpdate(pack->md, data, len) != 1)
		return custody__error_ssl(err, CUSTODY_ERROR,
			"%s: SHA-1 failed", pack->idx_path);
	while (len > 0) {
		size_t room = OUT_SIZE - pack->out_len;
		size_t n = len < room ? len : room;

		memcpy(pack->out + pack->out_len, p, n);
		pack->out_len += n;
		p += n;
		len -= n;
		if (pack->out_len == OUT_SIZE && idx_flush(pack, fd, err) != 0)
			return CUSTODY_EIO;
	}
	return 0;
}

static int write_idx(custody_pack *pack, const unsigned char pack_sum[20],
	custody_error **err)
{
	static const unsigned char magic[8] = { 0xff, 't', 'O', 'c',
		0, 0, 0, 2 };
	unsigned char word[8], sum[20];
	uint32_t fanout[256] = { 0 };
	uint32_t nlarge = 0;
	unsigned int mdlen;
	size_t len = strlen(pack->dir), i;
	int fd, rc = CUSTODY_EIO;

	pack->idx_path = malloc(len + sizeof("/tmp_custody_idx_XXXXXX"));
	if (pack->idx_path == NULL)
		return custody__oom(err);
	memcpy(pack->idx_path, pack->dir, len);
	memcpy(pack->idx_path + len, "/tmp_custody_idx_XXXXXX",
		sizeof("/tmp_custody_idx_XXXXXX"));
	fd = mkostemp(pack->idx_path, O_CLOEXEC);
	if (fd < 0) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"cannot create a temporary index in %s", pack->dir);
		free(pack->idx_path);
		pack->idx_path = NULL;
		return rc;
	}
	if (pack->count > 1)
		qsort(pack->entries, pack->count, sizeof(*pack->entries), entry_cmp);
	for (i = 0; i < pack->count; i++)
		fanout[pack->entries[i].id[0]]++;
	for (i = 1; i < 256; i++)
		fanout[i] += fanout[i - 1];
	pack->out_len = 0;
	if (EVP_DigestInit_ex(pack->md, pack->sha1, NULL) != 1) {
		rc = custody__error_ssl(err, CUSTODY_ERROR,
			"%s: cannot start SHA-1", pack->idx_path);
		goto cleanup;
	}
	if (idx_put(pack, fd, magic, sizeof(magic), err) != 0)
		goto cleanup;
	for (i = 0; i < 256; i++) {
		put_be32(word, fanout[i]);
		if (idx_put(pack, fd, word, 4, err) != 0)
			goto cleanup;
	}
	for (i = 0; i < pack->count; i++)
		if (idx_put(pack, fd, pack->entries[i].id, 20, err) != 0)
			goto cleanup;
	for (i = 0; i < pack->count; i++) {
		put_be32(word, pack->entries[i].crc);
		if (idx_put(pack, fd, word, 4, err) != 0)
			goto cleanup;
	}
	for (i = 0; i < pack->count; i++) {
		uint64_t off = pack->entries[i].offset;

		put_be32(word, off < LARGE_OFFSET ? (uint32_t)off :
			(uint32_t)LARGE_OFFSET | nlarge++);
		if (idx_put(pack, fd, word, 4, err) != 0)
			goto cleanup;
	}
	for (i = 0; i < pack->count; i++) {
		uint64_t off = pack->entries[i].offset;

		if (off < LARGE_OFFSET)
			continue;
		put_be32(word, (uint32_t)(off >> 32));
		put_be32(word + 4, (uint32_t)off);
		if (idx_put(pack, fd, word, 8, err) != 0)
			goto cleanup;
	}
	if (idx_put(pack, fd, pack_sum, 20, err) != 0)
		goto cleanup;
	if (EVP_DigestFinal_ex(pack->md, sum, &mdlen) != 1) {
		rc = custody__error_ssl(err, CUSTODY_ERROR,
			"%s: SHA-1 failed", pack->idx_path);
		goto cleanup;
	}
	if (OUT_SIZE - pack->out_len < 20 && idx_flush(pack, fd, err) != 0)
		goto cleanup;
	memcpy(pack->out + pack->out_len, sum, 20);
	pack->out_len += 20;
	if (idx_flush(pack, fd, err) != 0)
		goto cleanup;
	if (fsync(fd) != 0) {
		custody__error_sys(err, rc, errno, "cannot fsync %s",
			pack->idx_path);
		goto cleanup;
	}
	if (fchmod(fd, 0444) != 0) {
		custody__error_sys(err, rc, errno, "cannot chmod %s",
			pack->idx_path);
		goto cleanup;
	}
	rc = 0;
cleanup:
	pack->out_len = 0;
	if (close(fd) != 0 && rc == 0)
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"cannot close %s", pack->idx_path);
	return rc;
}

static void remove_temps(custody_pack *pack)
{
	if (pack->fd >= 0) {
		close(pack->fd);
		pack->fd = -1;
	}
	if (pack->pack_path != NULL) {
		unlink(pack->pack_path);
		free(pack->pack_path);
		pack->pack_path = NULL;
	}
	if (pack->idx_path != NULL) {
		unlink(pack->idx_path);
		free(pack->idx_path);
		pack->idx_path = NULL;
	}
}

/* "<dir>/../../custody-new-packs": the journal beside objects/ */
static char *journal_path(const char *pack_dir)
{
	char *path = NULL;

	if (asprintf(&path, "%s/../../%s", pack_dir, CUSTODY_NEW_PACKS) < 0)
		return NULL;
	return path;
}

static int note_new_pack(const char *pack_dir, const char *hex,
	custody_error **err)
{
	char *path = journal_path(pack_dir), line[48];
	int rc;

	if (path == NULL)
		return custody__oom(err);
	snprintf(line, sizeof(line), "pack-%s\n", hex);
	rc = custody_fs__append(path, line, err);
	free(path);
	return rc;
}

void custody_pack__settled(const char *gitdir)
{
	char *path = NULL;

	if (asprintf(&path, "%s/%s", gitdir, CUSTODY_NEW_PACKS) >= 0)
		unlink(path);
	free(path);
}

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		(uint32_t)p[2] << 8 | p[3];
}

int custody_pack__idx_find(int idx_fd, const unsigned char id[20],
	uint64_t *offset)
{
	unsigned char head[8], fan[1024], name[20], word[8];
	uint32_t lo, hi, n;

	if (custody_fs__pread_all(idx_fd, head, 8, 0) != 0 ||
	    memcmp(head, "\377tOc\0\0\0\2", 8) != 0 ||
	    custody_fs__pread_all(idx_fd, fan, sizeof(fan), 8) != 0)
		return -1;
	n = get_be32(fan + 255 * 4);
	lo = id[0] ? get_be32(fan + (id[0] - 1) * 4) : 0;
	hi = get_be32(fan + id[0] * 4);
	if (lo > hi || hi > n)
		return -1;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int cmp;

		if (custody_fs__pread_all(idx_fd, name, 20, 8 + 1024 +
		    (uint64_t)mid * 20) != 0)
			return -1;
		cmp = memcmp(id, name, 20);
		if (cmp == 0) {
			uint64_t at = 8 + 1024 + (uint64_t)n * 24 +
				(uint64_t)mid * 4;
			uint32_t small;

			if (custody_fs__pread_all(idx_fd, word, 4, at) != 0)
				return -1;
			small = get_be32(word);
			if (!(small & 0x80000000U)) {
				*offset = small;
				return 1;
			}
			at = 8 + 1024 + (uint64_t)n * 28 +
				(uint64_t)(small & 0x7fffffffU) * 8;
			if (custody_fs__pread_all(idx_fd, word, 8, at) != 0)
				return -1;
			*offset = (uint64_t)get_be32(word) << 32 |
				get_be32(word + 4);
			return 1;
		}
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/* Is object `id` listed in the pack index at path? */
static int idx_contains(const char *path, const unsigned char id[20])
{
	uint64_t offset;
	int fd = open(path, O_RDONLY | O_CLOEXEC), found;

	if (fd < 0)
		return 0;
	found = custody_pack__idx_find(fd, id, &offset) == 1;
	close(fd);
	return found;
}

void custody_pack__recover(const char *gitdir, const unsigned char *head,
	void (*notice)(void *payload, const char *message), void *payload)
{
	custody_buf list = CUSTODY_BUF_INIT;
	char *path = NULL, name[64], *line, *next;
	int landed = 0;

	if (asprintf(&path, "%s/%s", gitdir, CUSTODY_NEW_PACKS) < 0)
		return;
	if (custody_fs__read_file(&list, path, 1 << 20, NULL) != 0)
		goto done;
	/* did the run that wrote them record its commit? */
	for (line = list.ptr; head != NULL && line && *line; line = next) {
		char *idx = NULL;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (strlen(line) != 45 || strncmp(line, "pack-", 5) != 0)
			continue;
		if (asprintf(&idx, "%s/objects/pack/%s.idx", gitdir, line) >= 0 &&
		    idx_contains(idx, head))
			landed = 1;
		free(idx);
		if (next != NULL)
			next[-1] = '\n';
	}
	for (line = list.ptr; !landed && line && *line; line = next) {
		char *idx = NULL, *pk = NULL, message[512];

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (strlen(line) != 45 || strncmp(line, "pack-", 5) != 0)
			continue;
		snprintf(name, sizeof(name), "%s", line);
		if (asprintf(&idx, "%s/objects/pack/%s.idx", gitdir, name) < 0)
			idx = NULL;
		if (asprintf(&pk, "%s/objects/pack/%s.pack", gitdir, name) < 0)
			pk = NULL;
		/* the index first: without it git no longer sees the pack */
		if (idx != NULL && pk != NULL && unlink(idx) == 0) {
			unlink(pk);
			snprintf(message, sizeof(message), "removed %s, written "
				"by an interrupted run that never recorded its "
				"commit (no ref reaches it)", pk);
			notice(payload, message);
		}
		free(idx);
		free(pk);
	}
	unlink(path);
done:
	custody_buf_dispose(&list);
	free(path);
}

int custody_pack__commit(custody_pack *pack, custody_error **err)
{
	unsigned char sum[20];
	char hex[41];
	char *final_pack = NULL, *final_idx = NULL;
	size_t len;
	struct stat st;
	int renamed = 0, rc = CUSTODY_ENOMEM;

	assert(pack != NULL && pack->state == OBJ_NONE && !pack->committed);
	if (pack->io_errno != 0) {
		rc = broken(pack, err);
		goto cleanup;
	}
	if (pack->count == 0) {
		rc = 0;
		goto cleanup;
	}
	if ((rc = finish_pack(pack, sum, err)) != 0 ||
	    (rc = write_idx(pack, sum, err)) != 0)
		goto cleanup;
	for (int i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02x", sum[i]);
	len = strlen(pack->dir) + sizeof("/pack-.pack") + 40;
	final_pack = malloc(len);
	final_idx = malloc(len);
	if (final_pack == NULL || final_idx == NULL) {
		rc = custody__oom(err);
		goto cleanup;
	}
	snprintf(final_pack, len, "%s/pack-%s.pack", pack->dir, hex);
	snprintf(final_idx, len, "%s/pack-%s.idx", pack->dir, hex);
	/* Same name, same bytes: a pack git can already see is kept. */
	if (lstat(final_idx, &st) == 0) {
		rc = 0;
		goto cleanup;
	}
	if ((rc = note_new_pack(pack->dir, hex, err)) != 0)
		goto cleanup;
	if (rename(pack->pack_path, final_pack) != 0) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"cannot rename %s to %s", pack->pack_path, final_pack);
		goto cleanup;
	}
	renamed = 1;
	free(pack->pack_path);
	pack->pack_path = NULL;
	if (rename(pack->idx_path, final_idx) != 0) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"cannot rename %s to %s", pack->idx_path, final_idx);
		goto cleanup;
	}
	renamed = 2;
	free(pack->idx_path);
	pack->idx_path = NULL;
	rc = custody_fs__fsync_dir(pack->dir, err);
cleanup:
	if (rc != 0 && renamed >= 1)
		unlink(final_pack);
	if (rc != 0 && renamed == 2)
		unlink(final_idx);
	remove_temps(pack);
	pack->committed = 1;
	if (rc == 0 && renamed == 2) {
		pack->final_pack = final_pack;
		pack->final_idx = final_idx;
	} else {
		free(final_pack);
		free(final_idx);
	}
	return rc;
}

void custody_pack__uncommit(custody_pack *pack)
{
	if (pack == NULL || pack->final_idx == NULL)
		return;
	/* the index first: without it git does not see the pack */
	unlink(pack->final_idx);
	unlink(pack->final_pack);
	free(pack->final_idx);
	free(pack->final_pack);
	pack->final_idx = NULL;
	pack->final_pack = NULL;
}

void custody_pack__free(custody_pack *pack)
{
	if (pack == NULL)
		return;
	remove_temps(pack);
	if (pack->fast_ready)
		deflateEnd(&pack->fast);
	if (pack->small_ready)
		deflateEnd(&pack->small);
	EVP_MD_CTX_free(pack->md);
	EVP_MD_free(pack->sha1);
	free(pack->final_pack);
	free(pack->final_idx);
	free(pack->dir);
	free(pack->out);
	free(pack->probe);
	free(pack->scratch);
	free(pack->entries);
	free(pack->slots);
	free(pack);
}
