/*
 * The tile store (tiles.c): roots, nodes and proofs over the stored tiles
 * against a naive in-memory reference, the C2SP tlog-tiles file layout,
 * reopening, truncation, and damaged or stale caches. Each test works in
 * its own temporary folder.
 */
#include "tiles.h"
#include "merkle.h"
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HASH CUSTODY_HASH_BYTES

/* ---- helpers ---- */

static int remove_entry(const char *path, const struct stat *st, int type,
	struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void remove_tree(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static char *make_temp_dir(void)
{
	char *dir = strdup("/tmp/custody-test-tiles-XXXXXX");

	if (dir == NULL || mkdtemp(dir) == NULL) {
		CHECK(!"cannot create a temporary folder");
		free(dir);
		return NULL;
	}
	return dir;
}

/* "<dir>/<rel>" in a static buffer. */
static const char *in_dir(const char *dir, const char *rel)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return path;
}

/* The size of <dir>/<rel>, or -1 if there is no such file. */
static long file_size(const char *dir, const char *rel)
{
	struct stat st;

	if (stat(in_dir(dir, rel), &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	return (long)st.st_size;
}

static int read_bytes(const char *dir, const char *rel, void *out,
	size_t len)
{
	FILE *f = fopen(in_dir(dir, rel), "rb");
	size_t got;

	if (f == NULL)
		return -1;
	got = fread(out, 1, len, f);
	fclose(f);
	return got == len ? 0 : -1;
}

/* Leaf i's hash, from a generation number so histories can differ. */
static void make_leaves(unsigned char (*leaves)[HASH], uint64_t from,
	uint64_t to, unsigned generation)
{
	for (uint64_t i = from; i < to; i++) {
		unsigned char entry[12];

		for (int j = 0; j < 8; j++)
			entry[j] = (unsigned char)(i >> (8 * j));
		memcpy(entry + 8, &generation, 4);
		custody_merkle__leaf_hash(entry, sizeof(entry), leaves[i]);
	}
}

/* MTH(D[start:end]) straight from RFC 9162 2.1.1. */
static void reference_mth(unsigned char (*leaves)[HASH],
	uint64_t start, uint64_t end, unsigned char out[HASH])
{
	uint64_t n = end - start, k = 1;
	unsigned char left[HASH], right[HASH];

	if (n == 0) {
		custody_merkle__empty_root(out);
		return;
	}
	if (n == 1) {
		memcpy(out, leaves[start], HASH);
		return;
	}
	while (k * 2 < n)
		k *= 2;
	reference_mth(leaves, start, start + k, left);
	reference_mth(leaves, start + k, end, right);
	custody_merkle__node_hash(left, right, out);
}

struct memory_tree {
	unsigned char (*leaves)[HASH];
	uint64_t size;
};

static int memory_node(void *payload, unsigned level, uint64_t index,
	unsigned char out[HASH], custody_error **err)
{
	struct memory_tree *m = payload;
	uint64_t start = index << level, width = (uint64_t)1 << level;

	(void)err;
	if (start + width > m->size)
		return -99;
	reference_mth(m->leaves, start, start + width, out);
	return 0;
}

static struct custody_tiles *open_store(const char *dir, uint64_t *size)
{
	struct custody_tiles *t = NULL;
	custody_error *err = NULL;
	uint64_t ignored;

	CHECK_INT(custody_tiles__open(&t, dir, size ? size : &ignored, &err),
		0);
	if (err != NULL)
		fprintf(stderr, "  %s\n", custody_error_message(err));
	custody_error_free(err);
	return t;
}

static void append(struct custody_tiles *t,
	const unsigned char (*leaves)[HASH], size_t k)
{
	custody_error *err = NULL;

	CHECK_INT(custody_tiles__append(t, leaves, k, &err), 0);
	if (err != NULL)
		fprintf(stderr, "  %s\n", custody_error_message(err));
	custody_error_free(err);
}

/* The store's root of the first `size` leaves is the reference's. */
static int root_matches(struct custody_tiles *t,
	unsigned char (*leaves)[HASH], uint64_t size)
{
	unsigned char got[HASH], want[HASH];
	custody_error *err = NULL;
	int rc = custody_tiles__root(t, size, got, &err);

	if (err != NULL)
		fprintf(stderr, "  %s\n", custody_error_message(err));
	custody_error_free(err);
	reference_mth(leaves, 0, size, want);
	return rc == 0 && memcmp(got, want, HASH) == 0;
}

/* Proofs built from the store equal those built from memory and verify
 * against the reference roots. */
static void check_proofs(struct custody_tiles *t,
	unsigned char (*leaves)[HASH], uint64_t index, uint64_t old_size,
	uint64_t size)
{
	unsigned char got[64][HASH], want[64][HASH];
	unsigned char root[HASH], old_root[HASH];
	struct memory_tree m = { leaves, size };
	size_t ngot = 0, nwant = 0;
	custody_error *err = NULL;

	reference_mth(leaves, 0, size, root);
	reference_mth(leaves, 0, old_size, old_root);
	CHECK_INT(custody_merkle__inclusion_proof(custody_tiles__node, t,
		index, size, got, &ngot, &err), 0);
	CHECK_INT(custody_merkle__inclusion_proof(memory_node, &m, index, size,
		want, &nwant, &err), 0);
	CHECK(ngot == nwant && memcmp(got, want, ngot * HASH) == 0);
	CHECK_INT(custody_merkle__verify_inclusion(leaves[index], index, size,
		(const unsigned char (*)[HASH])got, ngot, root, &err), 0);
	CHECK_INT(custody_merkle__consistency_proof(custody_tiles__node, t,
		old_size, size, got, &ngot, &err), 0);
	CHECK_INT(custody_merkle__consistency_proof(memory_node, &m, old_size,
		size, want, &nwant, &err), 0);
	CHECK(ngot == nwant && memcmp(got, want, ngot * HASH) == 0);
	CHECK_INT(custody_merkle__verify_consistency(old_size, size, old_root,
		root, (const unsigned char (*)[HASH])got, ngot, &err), 0);
	if (err != NULL)
		fprintf(stderr, "  %s\n", custody_error_message(err));
	custody_error_free(err);
}

/* ---- tests ---- */

static void test_tiles__paths_follow_the_c2sp_layout(void)
{
	char path[64];

	CHECK_INT(custody_tiles__path(path, sizeof(path), 0, 0, 0), 10);
	CHECK_STR(path, "tile/0/000");
	custody_tiles__path(path, sizeof(path), 0, 1234067, 256);
	CHECK_STR(path, "tile/0/x001/x234/067");
	custody_tiles__path(path, sizeof(path), 2, 1000, 0);
	CHECK_STR(path, "tile/2/x001/000");
	custody_tiles__path(path, sizeof(path), 0, 273, 112);
	CHECK_STR(path, "tile/0/273.p/112");
	custody_tiles__path(path, sizeof(path), 1, 3906, 1);
	CHECK_STR(path, "tile/1/x003/906.p/1");
	custody_tiles__path(path, sizeof(path), 7, UINT64_MAX, 255);
	CHECK_STR(path, "tile/7/x018/x446/x744/x073/x709/x551/615.p/255");
	CHECK_INT(custody_tiles__path(path, 10, 0, 0, 0), -1);
	CHECK_INT(custody_tiles__path(path, 16, 0, 273, 112), -1);
}

#define BIG 70000

static void test_tiles__batches_match_reference_and_c2sp_files(void)
{
	static const size_t batches[] = { 1, 255, 256, 257, 1000, 2, 65536,
		2693 };
	static unsigned char leaves[BIG][HASH];
	unsigned char tile[256][HASH], want[HASH];
	char *dir = make_temp_dir();
	struct custody_tiles *t;
	uint64_t size = 0, reopened = 99;

	if (dir == NULL)
		return;
	make_leaves(leaves, 0, BIG, 0);
	t = open_store(dir, &size);
	CHECK_INT(size, 0);
	CHECK(t != NULL && root_matches(t, leaves, 0));
	for (size_t b = 0; t != NULL && b < sizeof(batches) /
	     sizeof(batches[0]); b++) {
		append(t, (const unsigned char (*)[HASH])leaves + size,
			batches[b]);
		size += batches[b];
		CHECK_INT(custody_tiles__size(t), size);
		CHECK(root_matches(t, leaves, size));
		CHECK(root_matches(t, leaves, size - 1));
		CHECK(root_matches(t, leaves, size / 2));
		if (size < 5000)
			check_proofs(t, leaves, size / 3, size / 2 + 1, size);
	}
	CHECK_INT(size, BIG);
	check_proofs(t, leaves, 12345, 300, BIG);
	check_proofs(t, leaves, BIG - 1, 65536, BIG);
	check_proofs(t, leaves, 65535, 65537, BIG);
	/* nodes at every level, against the reference */
	for (unsigned level = 0; level <= 16; level++) {
		uint64_t count = BIG >> level;
		uint64_t indexes[] = { 0, count / 2, count - 1 };

		for (int i = 0; i < 3; i++) {
			unsigned char got[HASH];
			uint64_t start = indexes[i] << level;

			CHECK_INT(custody_tiles__node(t, level, indexes[i],
				got, NULL), 0);
			reference_mth(leaves, start,
				start + ((uint64_t)1 << level), want);
			CHECK(memcmp(got, want, HASH) == 0);
		}
		CHECK_INT(custody_tiles__node(t, level, count, want, NULL),
			CUSTODY_EINVALID);
	}

	/*
	 * 70000 leaves (the spec's example): 273 full level-0 tiles and a
	 * partial one of 112, a full level-1 tile and a partial one of 17,
	 * a partial level-2 tile of 1.
	 */
	CHECK_INT(file_size(dir, "tile/0/000"), 8192);
	CHECK_INT(file_size(dir, "tile/0/272"), 8192);
	CHECK_INT(file_size(dir, "tile/0/273"), -1);
	CHECK_INT(file_size(dir, "tile/0/273.p/112"), 112 * 32);
	CHECK_INT(file_size(dir, "tile/1/000"), 8192);
	CHECK_INT(file_size(dir, "tile/1/001.p/17"), 17 * 32);
	CHECK_INT(file_size(dir, "tile/2/000.p/1"), 32);
	CHECK_INT(file_size(dir, "tile/3/000.p/1"), -1);
	/* partial tiles of earlier sizes are gone */
	CHECK_INT(file_size(dir, "tile/0/000.p/1"), -1);
	CHECK_INT(file_size(dir, "tile/0/273.p/111"), -1);
	CHECK_INT(file_size(dir, "tile/1/001.p/16"), -1);
	CHECK_INT(file_size(dir, "tile/1/000.p/6"), -1);
	/* contents: level 0 holds leaf hashes, level 1 the roots of full
	 * level-0 tiles, level 2 the root of the first 65536 leaves */
	CHECK_INT(read_bytes(dir, "tile/0/005", tile, sizeof(tile)), 0);
	CHECK(memcmp(tile, leaves[5 * 256], sizeof(tile)) == 0);
	CHECK_INT(read_bytes(dir, "tile/0/273.p/112", tile, 112 * HASH), 0);
	CHECK(memcmp(tile, leaves[273 * 256], 112 * HASH) == 0);
	CHECK_INT(read_bytes(dir, "tile/1/001.p/17", tile, 17 * HASH), 0);
	reference_mth(leaves, 256 * 256 + 16 * 256, 256 * 256 + 17 * 256,
		want);
	CHECK(memcmp(tile[16], want, HASH) == 0);
	CHECK_INT(read_bytes(dir, "tile/2/000.p/1", tile, HASH), 0);
	reference_mth(leaves, 0, 65536, want);
	CHECK(memcmp(tile[0], want, HASH) == 0);

	/* reopening gives the same store */
	custody_tiles__free(t);
	t = open_store(dir, &reopened);
	CHECK_INT(reopened, BIG);
	CHECK(t != NULL && root_matches(t, leaves, BIG));
	CHECK(t != NULL && root_matches(t, leaves, 4097));
	if (t != NULL)
		check_proofs(t, leaves, 70, 257, BIG);
	custody_tiles__free(t);
	remove_tree(dir);
	free(dir);
}

static void test_tiles__truncate_then_append_gives_same_roots(void)
{
	static unsigned char leaves[BIG][HASH], other[BIG][HASH];
	unsigned char scratch[HASH];
	char *dir = make_temp_dir();
	struct custody_tiles *t;
	custody_error *err = NULL;
	uint64_t size = 0;

	if (dir == NULL)
		return;
	make_leaves(leaves, 0, BIG, 0);
	t = open_store(dir, NULL);
	if (t == NULL)
		goto done;
	append(t, (const unsigned char (*)[HASH])leaves, BIG);
	CHECK(root_matches(t, leaves, BIG));

	CHECK_INT(custody_tiles__truncate(t, BIG + 1, &err), CUSTODY_EINVALID);
	CHECK_CONTAINS(err ? custody_error_message(err) : NULL,
		"cannot truncate the tile store to 70001 leaves");
	custody_error_free(err);
	err = NULL;

	CHECK_INT(custody_tiles__truncate(t, 1000, &err), 0);
	CHECK_INT(custody_tiles__size(t), 1000);
	CHECK(root_matches(t, leaves, 1000));
	CHECK(root_matches(t, leaves, 999));
	CHECK_INT(custody_tiles__root(t, 1001, scratch, NULL),
		CUSTODY_EINVALID);
	/* tiles past the new size are gone; the new partial one is there */
	CHECK_INT(file_size(dir, "tile/0/003.p/232"), 232 * 32);
	CHECK_INT(file_size(dir, "tile/0/003"), -1);
	CHECK_INT(file_size(dir, "tile/0/272"), -1);
	CHECK_INT(file_size(dir, "tile/0/273.p/112"), -1);
	CHECK_INT(file_size(dir, "tile/1/000"), -1);
	CHECK_INT(file_size(dir, "tile/1/001.p/17"), -1);
	CHECK_INT(file_size(dir, "tile/1/000.p/3"), 3 * 32);
	CHECK_INT(file_size(dir, "tile/2/000.p/1"), -1);
	custody_tiles__free(t);
	t = open_store(dir, &size);
	CHECK_INT(size, 1000);
	if (t == NULL)
		goto done;
	append(t, (const unsigned char (*)[HASH])leaves + 1000, BIG - 1000);
	CHECK(root_matches(t, leaves, BIG));
	CHECK_INT(file_size(dir, "tile/2/000.p/1"), 32);

	/* a different history after a truncation: nothing of the old one
	 * (files, cached tiles) may leak into the new roots */
	memcpy(other, leaves, sizeof(leaves));
	make_leaves(other, 500, BIG, 1);
	CHECK_INT(custody_tiles__truncate(t, 500, &err), 0);
	append(t, (const unsigned char (*)[HASH])other + 500, 40000);
	CHECK(root_matches(t, other, 40500));
	CHECK(root_matches(t, other, 1000));
	/* leaves 256..511 share a tile the truncation read from the old
	 * history; 500 on differ */
	CHECK(root_matches(t, other, 510));
	check_proofs(t, other, 505, 501, 40500);
	check_proofs(t, other, 20000, 600, 40500);
	append(t, (const unsigned char (*)[HASH])other + 40500, BIG - 40500);
	CHECK(root_matches(t, other, BIG));

	/* truncating to 0 empties the store, reading nothing */
	CHECK_INT(custody_tiles__truncate(t, 0, &err), 0);
	CHECK_INT(custody_tiles__size(t), 0);
	CHECK(root_matches(t, leaves, 0));
	CHECK_INT(file_size(dir, "tile/0/000"), -1);
	custody_tiles__free(t);
	t = open_store(dir, &size);
	CHECK_INT(size, 0);
	if (t != NULL) {
		append(t, (const unsigned char (*)[HASH])leaves, 300);
		CHECK(root_matches(t, leaves, 300));
	}
done:
	custody_error_free(err);
	custody_tiles__free(t);
	remove_tree(dir);
	free(dir);
}

/* Cut <dir>/<rel> to `len` bytes. */
static void cut_file(const char *dir, const char *rel, off_t len)
{
	CHECK_INT(truncate(in_dir(dir, rel), len), 0);
}

static void test_tiles__damaged_tiles_are_errors_naming_the_file(void)
{
	static unsigned char leaves[1000][HASH];
	char *dir = make_temp_dir(), name[600];
	struct custody_tiles *t = NULL;
	custody_error *err = NULL;
	unsigned char hash[HASH], proof[64][HASH];
	uint64_t size;
	size_t count;

	if (dir == NULL)
		return;
	make_leaves(leaves, 0, 1000, 0);
	t = open_store(dir, NULL);
	if (t == NULL)
		goto done;
	append(t, (const unsigned char (*)[HASH])leaves, 1000);
	custody_tiles__free(t);
	t = NULL;

	/* a full tile cut short: reading it fails, naming it */
	cut_file(dir, "tile/0/001", 100);
	t = open_store(dir, &size);
	CHECK_INT(size, 1000);
	if (t == NULL)
		goto done;
	CHECK_INT(custody_tiles__node(t, 3, 40, hash, &err), CUSTODY_EINVALID);
	snprintf(name, sizeof(name), "%s/tile/0/001: damaged tile: 100 bytes,"
		" expected 8192", dir);
	CHECK_CONTAINS(err ? custody_error_message(err) : NULL, name);
	custody_error_free(err);
	err = NULL;
	CHECK_INT(custody_merkle__inclusion_proof(custody_tiles__node, t, 300,
		1000, proof, &count, &err), CUSTODY_EINVALID);
	CHECK_CONTAINS(err ? custody_error_message(err) : NULL, "tile/0/001");
	custody_error_free(err);
	err = NULL;
	/* a tile grown too long, and one missing */
	cut_file(dir, "tile/0/001", 9000);
	CHECK_INT(custody_tiles__node(t, 0, 257, hash, &err),
		CUSTODY_EINVALID);
	CHECK_CONTAINS(err ? custody_error_message(err) : NULL, "tile/0/001");
	custody_error_free(err);
	err = NULL;
	CHECK_INT(unlink(in_dir(dir, "tile/0/002")), 0);
	CHECK_INT(custody_tiles__node(t, 1, 300, hash, &err),
		CUSTODY_ENOTFOUND);
	CHECK_CONTAINS(err ? custody_error_message(err) : NULL, "tile/0/002");
	custody_error_free(err);
	err = NULL;
	/* tiles not read are not needed: other nodes and the root work */
	CHECK_INT(custody_tiles__node(t, 8, 0, hash, &err), 0);
	CHECK(root_matches(t, leaves, 1000));
	/* truncating to 0 reads nothing, and the store is whole again */
	CHECK_INT(custody_tiles__truncate(t, 0, &err), 0);
	append(t, (const unsigned char (*)[HASH])leaves, 1000);
	CHECK(root_matches(t, leaves, 700));
	custody_tiles__free(t);
	t = NULL;

	/* the rightmost tile cut short: opening fails, naming it */
	cut_file(dir, "tile/0/003.p/232", 64);
	CHECK_INT(custody_tiles__open(&t, dir, &size, &err), CUSTODY_EINVALID);
	CHECK(t == NULL);
	CHECK_CONTAINS(err ? custody_error_message(err) : NULL,
		"tile/0/003.p/232: damaged tile: 64 bytes, expected 7424");
	custody_error_free(err);
	err = NULL;
	/* ... or missing */
	CHECK_INT(unlink(in_dir(dir, "tile/0/003.p/232")), 0);
	CHECK_INT(custody_tiles__open(&t, dir, &size, &err),
		CUSTODY_ENOTFOUND);
	CHECK_CONTAINS(err ? custody_error_message(err) : NULL,
		"tile/0/003.p/232");
	custody_error_free(err);
	err = NULL;
	/* then the caller removes the store and rebuilds it */
	CHECK_INT(custody_tiles__remove(dir, &err), 0);
	CHECK_INT(file_size(dir, "state"), -1);
	CHECK_INT(file_size(dir, "tile/0/000"), -1);
	t = open_store(dir, &size);
	CHECK_INT(size, 0);
	if (t == NULL)
		goto done;
	append(t, (const unsigned char (*)[HASH])leaves, 1000);
	CHECK(root_matches(t, leaves, 1000));
	custody_tiles__free(t);
	t = NULL;

	/* a rightmost tile with a changed hash: the recorded root says so */
	{
		FILE *f = fopen(in_dir(dir, "tile/1/000.p/3"), "r+b");

		CHECK(f != NULL);
		if (f != NULL) {
			fseek(f, 40, SEEK_SET);
			fputc(0x5a, f);
			fclose(f);
		}
	}
	CHECK_INT(custody_tiles__open(&t, dir, &size, &err), CUSTODY_EVERIFY);
	snprintf(name, sizeof(name), "%s/state: the tiles do not give the "
		"root hash recorded for 1000 leaves", dir);
	CHECK_CONTAINS(err ? custody_error_message(err) : NULL, name);
	custody_error_free(err);
	err = NULL;
done:
	custody_tiles__free(t);
	remove_tree(dir);
	free(dir);
}

/* SHA-256 of nothing, in hex */
#define EMPTY_ROOT "e3b0c44298fc1c149afbf4c8996fb924" \
	"27ae41e4649b934ca495991b7852b855"

static void test_tiles__damaged_state_file_is_an_error_naming_it(void)
{
	static const char *const bad[] = {
		"",
		"custody-tiles v2\nsize 0\nroot " EMPTY_ROOT "\n",
		"custody-tiles v1\nsize 01\nroot " EMPTY_ROOT "\n",
		"custody-tiles v1\nsize 18446744073709551616\nroot "
			EMPTY_ROOT "\n",
		"custody-tiles v1\nsize -1\nroot " EMPTY_ROOT "\n",
		"custody-tiles v1\nsize 0\nroot E3B0C44298FC1C149AFBF4C8996F"
			"B92427AE41E4649B934CA495991B7852B855\n",
		"custody-tiles v1\nsize 0\nroot " EMPTY_ROOT,
		"custody-tiles v1\nsize 0\nroot " EMPTY_ROOT "\nextra\n",
		"custody-tiles v1\nsize 0\n",
	};
	char *dir = make_temp_dir(), name[600];
	struct custody_tiles *t = NULL;
	uint64_t size;

	if (dir == NULL)
		return;
	snprintf(name, sizeof(name), "%s/state: damaged tile store state",
		dir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FILE *f = fopen(in_dir(dir, "state"), "wb");
		custody_error *err = NULL;

		CHECK(f != NULL);
		if (f == NULL)
			break;
		fputs(bad[i], f);
		fclose(f);
		CHECK_INT(custody_tiles__open(&t, dir, &size, &err),
			CUSTODY_EINVALID);
		CHECK(t == NULL);
		CHECK_CONTAINS(err ? custody_error_message(err) : NULL, name);
		custody_error_free(err);
	}
	/* the good form of the last lines opens */
	{
		FILE *f = fopen(in_dir(dir, "state"), "wb");

		if (f != NULL) {
			fputs("custody-tiles v1\nsize 0\nroot " EMPTY_ROOT
				"\n", f);
			fclose(f);
		}
		t = open_store(dir, &size);
		CHECK_INT(size, 0);
		custody_tiles__free(t);
	}
	remove_tree(dir);
	free(dir);
}

/* Copy every file under src/tile into dst/tile (overwriting), as the
 * files an append wrote before a crash stopped it short of the state. */
static const char *copy_from, *copy_to;

static int copy_entry(const char *path, const struct stat *st, int type,
	struct FTW *ftw)
{
	char target[1024];
	FILE *in, *out;
	char buf[8192];
	size_t n;

	(void)st;
	(void)ftw;
	snprintf(target, sizeof(target), "%s%s", copy_to,
		path + strlen(copy_from));
	if (type == FTW_D)
		return mkdir(target, 0700) == 0 || errno == EEXIST ? 0 : -1;
	if ((in = fopen(path, "rb")) == NULL)
		return -1;
	if ((out = fopen(target, "wb")) == NULL) {
		fclose(in);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	fclose(out);
	return 0;
}

static void test_tiles__crash_before_state_leaves_the_smaller_store(void)
{
	static unsigned char leaves[3000][HASH], other[3000][HASH];
	char *done_dir = make_temp_dir(), *crash_dir = make_temp_dir();
	struct custody_tiles *t;
	uint64_t size;

	if (done_dir == NULL || crash_dir == NULL)
		goto done;
	make_leaves(leaves, 0, 3000, 0);
	memcpy(other, leaves, sizeof(leaves));
	make_leaves(other, 300, 3000, 7);
	/* both stores at 300 leaves; one goes on to 3000 */
	t = open_store(crash_dir, NULL);
	if (t != NULL)
		append(t, (const unsigned char (*)[HASH])leaves, 300);
	custody_tiles__free(t);
	t = open_store(done_dir, NULL);
	if (t != NULL) {
		append(t, (const unsigned char (*)[HASH])leaves, 300);
		append(t, (const unsigned char (*)[HASH])leaves + 300, 2700);
	}
	custody_tiles__free(t);
	/* the crashed one got all the tiles of that append, not the state */
	copy_from = in_dir(done_dir, "tile");
	copy_from = strdup(copy_from);
	copy_to = strdup(in_dir(crash_dir, "tile"));
	CHECK(copy_from && copy_to &&
		nftw(copy_from, copy_entry, 16, FTW_PHYS) == 0);
	free((char *)copy_from);
	free((char *)copy_to);

	t = open_store(crash_dir, &size);
	CHECK_INT(size, 300);
	if (t == NULL)
		goto done;
	CHECK(root_matches(t, leaves, 300));
	CHECK(root_matches(t, leaves, 257));
	/* and goes on with a history of its own */
	append(t, (const unsigned char (*)[HASH])other + 300, 2700);
	CHECK(root_matches(t, other, 3000));
	CHECK(root_matches(t, other, 2048));
	check_proofs(t, other, 1500, 700, 3000);
	custody_tiles__free(t);
done:
	if (done_dir != NULL)
		remove_tree(done_dir);
	if (crash_dir != NULL)
		remove_tree(crash_dir);
	free(done_dir);
	free(crash_dir);
}

#define MILLION 1000000

static void test_tiles__a_million_leaves(void)
{
	unsigned char (*leaves)[HASH] = malloc((size_t)MILLION * HASH);
	unsigned char root[HASH], want[HASH];
	char *dir = make_temp_dir();
	struct custody_tiles *t = NULL;
	uint64_t size;
	size_t done = 0;

	if (leaves == NULL || dir == NULL)
		goto done;
	make_leaves(leaves, 0, MILLION, 3);
	t = open_store(dir, NULL);
	while (t != NULL && done < MILLION) {
		size_t k = MILLION - done < 100000 ? MILLION - done : 100000;

		append(t, (const unsigned char (*)[HASH])leaves + done, k);
		done += k;
	}
	custody_tiles__free(t);
	/* 3906 full level-0 tiles and one of 64, 15 full level-1 tiles and
	 * one of 66, one level-2 tile of 15 */
	CHECK_INT(file_size(dir, "tile/0/x003/905"), 8192);
	CHECK_INT(file_size(dir, "tile/0/x003/906.p/64"), 64 * 32);
	CHECK_INT(file_size(dir, "tile/1/014"), 8192);
	CHECK_INT(file_size(dir, "tile/1/015.p/66"), 66 * 32);
	CHECK_INT(file_size(dir, "tile/2/000.p/15"), 15 * 32);
	t = open_store(dir, &size);
	CHECK_INT(size, MILLION);
	if (t == NULL)
		goto done;
	reference_mth(leaves, 0, MILLION, want);
	CHECK_INT(custody_tiles__root(t, MILLION, root, NULL), 0);
	CHECK(memcmp(root, want, HASH) == 0);
	{
		unsigned char proof[64][HASH];
		size_t count = 0;

		CHECK_INT(custody_merkle__inclusion_proof(custody_tiles__node,
			t, 765432, MILLION, proof, &count, NULL), 0);
		CHECK_INT(custody_merkle__verify_inclusion(leaves[765432],
			765432, MILLION, (const unsigned char (*)[HASH])proof,
			count, want, NULL), 0);
	}
done:
	custody_tiles__free(t);
	if (dir != NULL)
		remove_tree(dir);
	free(dir);
	free(leaves);
}

static const struct test tests[] = {
	TEST(test_tiles__paths_follow_the_c2sp_layout),
	TEST(test_tiles__batches_match_reference_and_c2sp_files),
	TEST(test_tiles__truncate_then_append_gives_same_roots),
	TEST(test_tiles__damaged_tiles_are_errors_naming_the_file),
	TEST(test_tiles__damaged_state_file_is_an_error_naming_it),
	TEST(test_tiles__crash_before_state_leaves_the_smaller_store),
	TEST(test_tiles__a_million_leaves),
	{ 0 }
};

int main(void)
{
	return test_run(tests);
}
