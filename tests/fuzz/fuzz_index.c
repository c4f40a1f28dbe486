/*
 * Fuzz target for the local index files, cache/index and
 * cache/index.journal (libFuzzer style), which custody maps or reads
 * back on every add, status and verify. They never leave the machine
 * and carry CRC-32s, but a damaged or planted cache must cost a
 * rebuild, never memory safety or the archive's head.
 *
 * Setup (once, in a temporary folder removed at exit): an archive with
 * three registered files and one changed (so the cache has a journal
 * frame), keys from fixed seeds. Each input is
 *   byte 0:      flags; bit 0: keep the heads as given, bit 1: keep
 *                the CRC-32s as given (else the target puts this
 *                archive's head and right CRCs in, so the fuzzer gets
 *                past them)
 *   bytes 1-4:   n, native byte order: the first n bytes that follow
 *                are cache/index, the rest cache/index.journal
 * Besides "never crash, never leak", it checks that custody_index__load
 * succeeds (a damaged cache is rebuilt, not an error), stands at the
 * archive's head and size, and gives records sorted by path, each with
 * a fold key, and a fold order inside them. (What a cache with right
 * CRCs says is trusted, as a cache: that it lists the registered files
 * is not checked.) A broken property aborts, which a fuzzer reports as
 * a crash.
 *
 *   tests/fuzz/fuzz.sh index SECONDS         (libFuzzer, docs/fuzzing.md)
 *   replay.c + fuzz_index.c                  (without: corpus)
 *
 * The seeds are the cache files the two adds saved: with
 * CUSTODY_FUZZ_SEEDS set to a folder, setup writes them there
 * (make_corpus.py does so).
 */
#define _XOPEN_SOURCE 700
#include "archive.h"
#include "fsutil.h"
#include "index.h"
#include "key.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define FUZZ_TARGET "index"
#include "fuzz.h"
#include "files.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The layouts index.c writes (native byte order; see index.c). */
#define INDEX_HEADER 88     /* magic 8, count, size, written_s,
                             * strings_len 8 each, head 40, crc 4,
                             * reserved 4 */
#define INDEX_HEAD_AT 40
#define INDEX_CRC_AT 80
#define JOURNAL_HEADER 56   /* magic 8, base_crc 4, reserved 4, head 40 */
#define JOURNAL_CRC_AT 8
#define JOURNAL_HEAD_AT 16
#define FRAME_HEADER 80     /* len, count, size, written_s 8 each,
                             * head 40, crc 4, reserved 4 */
#define FRAME_HEAD_AT 32
#define FRAME_CRC_AT 72

static const char *const files[] = { "a.txt", "memos/b.txt", "c.txt" };
static char folder[] = "/tmp/custody-fuzz-index.XXXXXX";
static custody_archive *archive;
static char *index_file, *journal_file;

static void finish(void)
{
	custody_archive_free(archive);
	free(index_file);
	free(journal_file);
	fuzz_remove_tree(folder);
}

static void read_all(const char *path, custody_buf *out)
{
	custody_error *err = NULL;

	if (custody_fs__read_file(out, path, (size_t)1 << 30, &err) != 0)
		broken("cannot read", err);
}

/* One seed: flags, n, the index, the journal. */
static void write_seed(const char *dir, const char *name,
	unsigned char flags, const custody_buf *idx, const custody_buf *jnl)
{
	uint32_t n = (uint32_t)idx->size;
	custody_buf seed = CUSTODY_BUF_INIT;
	char *path = fuzz_join(dir, name);

	if (custody_buf__append(&seed, &flags, 1) != 0 ||
	    custody_buf__append(&seed, &n, 4) != 0 ||
	    custody_buf__append(&seed, idx->ptr, idx->size) != 0 ||
	    (jnl != NULL && custody_buf__append(&seed, jnl->ptr,
	    jnl->size) != 0))
		broken("out of memory", NULL);
	fuzz_write_file(path, seed.ptr, seed.size);
	custody_buf_dispose(&seed);
	free(path);
}

static void write_seeds(const char *dir)
{
	custody_buf idx = CUSTODY_BUF_INIT, jnl = CUSTODY_BUF_INIT;

	read_all(index_file, &idx);
	read_all(journal_file, &jnl);
	write_seed(dir, "cache-as-saved", 3, &idx, &jnl);
	write_seed(dir, "cache-index-only", 3, &idx, NULL);
	write_seed(dir, "cache-fixed-up", 0, &idx, &jnl);
	custody_buf_dispose(&idx);
	custody_buf_dispose(&jnl);
}

static custody_key *key_from(unsigned char fill)
{
	unsigned char seed[32];
	custody_key *key = NULL;
	custody_error *err = NULL;

	memset(seed, fill, sizeof(seed));
	if (custody_key__from_seed(&key, seed, &err) != 0)
		broken("key", err);
	return key;
}

static void setup(void)
{
	custody_init_options init = CUSTODY_INIT_OPTIONS_INIT;
	custody_add_options add = CUSTODY_ADD_OPTIONS_INIT;
	custody_add_summary summary;
	custody_error *err = NULL;
	custody_key *member = key_from(1), *log_key = key_from(2);
	char *collection, *path, *memos;
	const char *all[1];

	if (mkdtemp(folder) == NULL)
		broken("mkdtemp", NULL);
	atexit(finish);
	collection = fuzz_join(folder, "coll");
	memos = fuzz_join(collection, "memos");
	if (mkdir(collection, 0700) != 0 || mkdir(memos, 0700) != 0)
		broken("mkdir", NULL);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		path = fuzz_join(collection, files[i]);
		fuzz_write_file(path, files[i], strlen(files[i]));
		free(path);
	}
	init.collection = collection;
	init.origin = "fuzz.example/log";
	init.key = member;
	init.member = "fuzz";
	init.log_key = log_key;
	all[0] = collection;
	if (custody_archive_init(&archive, &init, &err) != 0 ||
	    custody_archive_add(archive, all, 1, &add, NULL, NULL, &summary,
	    &err) != 0)
		broken("setup", err);
	/* a second add of one changed file: a journal frame */
	path = fuzz_join(collection, files[2]);
	fuzz_write_file(path, "changed\n", 8);
	free(path);
	if (custody_archive_add(archive, all, 1, &add, NULL, NULL, &summary,
	    &err) != 0)
		broken("setup", err);
	index_file = fuzz_join(archive->gitdir, "cache/index");
	journal_file = fuzz_join(archive->gitdir, "cache/index.journal");
	if (getenv("CUSTODY_FUZZ_SEEDS") != NULL)
		write_seeds(getenv("CUSTODY_FUZZ_SEEDS"));
	custody_key_free(member);
	custody_key_free(log_key);
	free(collection);
	free(memos);
}

static uint32_t crc_of(const unsigned char *bytes, size_t len)
{
	return (uint32_t)crc32_z(0, bytes, len);
}

/* This archive's head and right CRCs into the index and the journal, as
 * far as their lengths say where they go. */
static void fix_up(unsigned char *idx, size_t idx_len, unsigned char *jnl,
	size_t jnl_len, int keep_heads, int keep_crcs)
{
	uint32_t idx_crc = 0;

	if (idx_len >= INDEX_HEADER) {
		if (!keep_heads)
			memcpy(idx + INDEX_HEAD_AT, archive->head_hex, 40);
		idx_crc = crc_of(idx + INDEX_HEADER, idx_len - INDEX_HEADER);
		if (!keep_crcs)
			memcpy(idx + INDEX_CRC_AT, &idx_crc, 4);
		memcpy(&idx_crc, idx + INDEX_CRC_AT, 4);
	}
	if (jnl_len < JOURNAL_HEADER)
		return;
	if (!keep_crcs)
		memcpy(jnl + JOURNAL_CRC_AT, &idx_crc, 4);
	if (!keep_heads && idx_len >= INDEX_HEADER)
		memcpy(jnl + JOURNAL_HEAD_AT, idx + INDEX_HEAD_AT, 40);
	for (size_t at = JOURNAL_HEADER; jnl_len - at >= FRAME_HEADER;) {
		uint64_t len;
		uint32_t crc;

		memcpy(&len, jnl + at, 8);
		if (len > jnl_len - at - FRAME_HEADER)
			break;
		if (!keep_heads)
			memcpy(jnl + at + FRAME_HEAD_AT, archive->head_hex,
				40);
		crc = crc_of(jnl + at + FRAME_HEADER, (size_t)len);
		if (!keep_crcs)
			memcpy(jnl + at + FRAME_CRC_AT, &crc, 4);
		at += FRAME_HEADER + (size_t)len;
	}
}

static void check_index(const struct custody_index *index)
{
	if (strcmp(index->head, archive->head_hex) != 0 ||
	    index->size != archive->size)
		broken("the index is not at the archive's head", NULL);
	if (index->count != index->sorted || (index->count > 0 &&
	    index->fold_order == NULL))
		broken("a loaded index is not normalised", NULL);
	for (size_t i = 0; i < index->count; i++) {
		const struct custody_record *r = &index->records[i];

		if (r->path == NULL || r->fold == NULL ||
		    index->fold_order[i] >= index->count || (i > 0 &&
		    strcmp(index->records[i - 1].path, r->path) >= 0))
			broken("records out of order, without a fold, or "
				"outside the fold order", NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct custody_index *index = NULL;
	custody_error *err = NULL;
	unsigned char *copy;
	uint32_t n;
	size_t idx_len;

	if (archive == NULL)
		setup();
	if (size < 5)
		return 0;
	memcpy(&n, data + 1, 4);
	idx_len = n < size - 5 ? n : size - 5;
	if ((copy = malloc(size)) == NULL)
		return 0;
	memcpy(copy, data, size);
	fix_up(copy + 5, idx_len, copy + 5 + idx_len, size - 5 - idx_len,
		data[0] & 1, data[0] & 2);
	fuzz_write_file(index_file, copy + 5, idx_len);
	fuzz_write_file(journal_file, copy + 5 + idx_len, size - 5 - idx_len);
	if (custody_index__load(&index, archive, &err) != 0)
		broken("a damaged cache is an error, not a rebuild", err);
	check_index(index);
	custody_index__free(index);
	custody_error_free(err);
	free(copy);
	return 0;
}
