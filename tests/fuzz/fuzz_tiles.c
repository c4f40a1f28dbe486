/*
 * Fuzz target for the tile store's state file and its rightmost tiles
 * (libFuzzer style), which custody_tiles__open reads before every proof,
 * publish and cosign (tiles.c: read_state, parse_size, read_tile). It
 * is a cache custody writes and rebuilds from the log, but a damaged
 * or planted one must be an error naming the file, never a wrong tree.
 *
 * Setup (once, in a temporary folder removed at exit, under /dev/shm
 * when it can be written): a store of 300 leaf hashes (SHA-256 of the
 * leaf's number), and the Merkle roots of its first 0 to 300 leaves,
 * computed here by RFC 6962 on their own. Each input is
 *   byte 0:   flags; bit 0: replace the store's rightmost level-0 tile
 *             (tile/0/001.p/44) with the second text
 *   the rest: the state file, NUL, the tile (tests/fuzz/split.h)
 * and the store is put back as it was after each. Besides "never crash,
 * never leak", it checks that:
 *   - a refusal is CUSTODY_EINVALID, CUSTODY_ENOTFOUND or
 *     CUSTODY_EVERIFY with a message naming the store's folder;
 *   - an accepted state file is the one custody writes for its size and
 *     root ("custody-tiles v1\nsize N\nroot HEX\n", N canonical), N is
 *     at most 300 and the root is the true root of N leaves;
 *   - a changed rightmost tile is never accepted for 300 leaves;
 *   - an opened store gives the true root for every size up to N that
 *     it is asked for (its full tiles were not touched).
 * A broken property aborts, which a fuzzer reports as a crash.
 *
 *   tests/fuzz/fuzz.sh tiles SECONDS    (libFuzzer, docs/fuzzing.md)
 *   replay.c + fuzz_tiles.c            (without: the corpus)
 *
 * Seeds named valid-* must open, refused-* must not. With
 * CUSTODY_FUZZ_SEEDS set to a folder, setup writes the seeds there
 * (make_corpus.py does so): they hold this store's roots.
 */
#define _XOPEN_SOURCE 700
#include "common.h"
#include "fsutil.h"
#include "merkle.h"
#include "tiles.h"

#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/sha.h>

#define FUZZ_TARGET "tiles"
#include "fuzz.h"
#include "files.h"
#include "expect.h"
#include "split.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LEAVES 300
#define HASH CUSTODY_HASH_BYTES

static char folder[64];
static char *store_dir, *state_file, *edge_file;
static unsigned char leaves[LEAVES][HASH];
static unsigned char roots[LEAVES + 1][HASH];
static custody_buf saved_state = CUSTODY_BUF_INIT;
static custody_buf saved_edge = CUSTODY_BUF_INIT;

static void finish(void)
{
	fuzz_remove_tree(folder);
	free(store_dir);
	free(state_file);
	free(edge_file);
	custody_buf_dispose(&saved_state);
	custody_buf_dispose(&saved_edge);
}

/* RFC 6962's MTH over leaves[from .. from + n), n >= 1. */
static void tree_hash(size_t from, size_t n, unsigned char out[HASH])
{
	unsigned char left[HASH], right[HASH];
	size_t k = 1;

	if (n == 1) {
		memcpy(out, leaves[from], HASH);
		return;
	}
	while (k * 2 < n)
		k *= 2;
	tree_hash(from, k, left);
	tree_hash(from + k, n - k, right);
	custody_merkle__node_hash(left, right, out);
}

static void state_text(char *out, size_t room, uint64_t n)
{
	char hex[2 * HASH + 1];

	custody_hex(hex, roots[n], HASH);
	snprintf(out, room, "custody-tiles v1\nsize %" PRIu64 "\nroot %s\n",
		n, hex);
}

static void write_seed(const char *dir, const char *name, unsigned char flags,
	const char *state, const void *tile, size_t tile_len)
{
	char *path = fuzz_join(dir, name);
	custody_buf seed = CUSTODY_BUF_INIT;

	if (custody_buf__append(&seed, &flags, 1) != 0 ||
	    custody_buf__append(&seed, state, strlen(state)) != 0 ||
	    (tile != NULL && (custody_buf__append(&seed, "", 1) != 0 ||
	    custody_buf__append(&seed, tile, tile_len) != 0)))
		broken("out of memory", NULL);
	fuzz_write_file(path, seed.ptr, seed.size);
	custody_buf_dispose(&seed);
	free(path);
}

static void write_seeds(const char *dir)
{
	char text[256], hex[2 * HASH + 1];
	custody_buf tile = CUSTODY_BUF_INIT;

	write_seed(dir, "valid-as-saved", 0, saved_state.ptr, NULL, 0);
	write_seed(dir, "valid-as-saved-tile-rewritten", 1, saved_state.ptr,
		saved_edge.ptr, saved_edge.size);
	state_text(text, sizeof(text), 256);
	write_seed(dir, "valid-size-256", 0, text, NULL, 0);
	state_text(text, sizeof(text), 0);
	write_seed(dir, "valid-size-0", 0, text, NULL, 0);
	state_text(text, sizeof(text), 299);
	write_seed(dir, "refused-size-299-no-such-tile", 0, text, NULL, 0);
	state_text(text, sizeof(text), 256);
	memcpy(strstr(text, "size 256"), "size 300", 8);
	write_seed(dir, "refused-root-of-another-size", 0, text, NULL, 0);
	custody_hex(hex, roots[LEAVES], HASH);
	snprintf(text, sizeof(text), "custody-tiles v1\nsize 0300\nroot %s\n",
		hex);
	write_seed(dir, "refused-size-leading-zero", 0, text, NULL, 0);
	snprintf(text, sizeof(text), "custody-tiles v1\r\nsize 300\r\n"
		"root %s\r\n", hex);
	write_seed(dir, "refused-crlf", 0, text, NULL, 0);
	snprintf(text, sizeof(text), "custody-tiles v1\nsize 300\nroot %s\n"
		"\n", hex);
	write_seed(dir, "refused-trailing-line", 0, text, NULL, 0);
	snprintf(text, sizeof(text), "custody-tiles v1\nsize "
		"18446744073709551616\nroot %s\n", hex);
	write_seed(dir, "refused-size-over-64-bits", 0, text, NULL, 0);
	snprintf(text, sizeof(text), "custody-tiles v1\nsize 300\n");
	write_seed(dir, "refused-no-root", 0, text, NULL, 0);
	write_seed(dir, "refused-empty", 0, "", NULL, 0);
	if (custody_buf__append(&tile, saved_edge.ptr, saved_edge.size) != 0)
		broken("out of memory", NULL);
	tile.ptr[5] ^= 1;
	write_seed(dir, "refused-tile-changed", 1, saved_state.ptr, tile.ptr,
		tile.size);
	write_seed(dir, "refused-tile-short", 1, saved_state.ptr, tile.ptr,
		tile.size - 1);
	custody_buf_dispose(&tile);
}

static void setup(void)
{
	struct custody_tiles *t = NULL;
	custody_error *err = NULL;
	const char *seeds = getenv("CUSTODY_FUZZ_SEEDS");
	char rel[64];
	uint64_t size;

	fuzz_scratch_folder(folder, sizeof(folder), "custody-fuzz-tiles");
	atexit(finish);
	store_dir = fuzz_join(folder, "tiles");
	state_file = fuzz_join(store_dir, "state");
	if (custody_tiles__path(rel, sizeof(rel), 0, LEAVES / 256,
	    LEAVES % 256) < 0)
		broken("tile path", NULL);
	edge_file = fuzz_join(store_dir, rel);
	for (uint32_t i = 0; i < LEAVES; i++) {
		unsigned char be[4] = { i >> 24, i >> 16, i >> 8, i };

		SHA256(be, sizeof(be), leaves[i]);
	}
	custody_merkle__empty_root(roots[0]);
	for (size_t n = 1; n <= LEAVES; n++)
		tree_hash(0, n, roots[n]);
	if (custody_tiles__open(&t, store_dir, &size, &err) != 0 ||
	    custody_tiles__append(t, (const unsigned char (*)[HASH])leaves,
	    LEAVES, &err) != 0)
		broken("setup", err);
	custody_tiles__free(t);
	if (custody_fs__read_file(&saved_state, state_file, 4096, &err) != 0 ||
	    custody_fs__read_file(&saved_edge, edge_file, 1 << 16, &err) != 0)
		broken("setup: the store's files", err);
	if (seeds != NULL)
		write_seeds(seeds);
}

static void restore(void)
{
	fuzz_write_file(state_file, saved_state.ptr, saved_state.size);
	fuzz_write_file(edge_file, saved_edge.ptr, saved_edge.size);
}

static void check_opened(struct custody_tiles *t, uint64_t size,
	const struct fuzz_part *state, int tile_changed)
{
	char text[256];
	unsigned char root[HASH];
	custody_error *err = NULL;

	if (size > LEAVES || custody_tiles__size(t) != size)
		broken("a size the store does not hold", NULL);
	state_text(text, sizeof(text), size);
	if (state->len != strlen(text) || memcmp(state->text, text,
	    state->len) != 0)
		broken("a state file accepted that custody does not write",
			NULL);
	if (size == LEAVES && tile_changed)
		broken("a changed rightmost tile accepted", NULL);
	/* the empty tree, one full tile, and the whole store */
	for (int i = 0; i < 3; i++) {
		uint64_t n = i == 0 ? 0 : i == 1 ? 256 : size;

		if (n > size)
			continue;
		if (custody_tiles__root(t, n, root, &err) != 0)
			broken("no root from an opened store", err);
		if (memcmp(root, roots[n], HASH) != 0)
			broken("a wrong root from an opened store", NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_part parts[2];
	struct custody_tiles *t = NULL;
	custody_error *err = NULL;
	uint64_t held = 0;
	char *copy;
	int rc, tile_changed = 0;

	if (state_file == NULL)
		setup();
	if (size < 1)
		return 0;
	if ((copy = fuzz_split(data + 1, size - 1, parts, 2)) == NULL)
		return 0;
	fuzz_write_file(state_file, parts[0].text, parts[0].len);
	if (data[0] & 1) {
		fuzz_write_file(edge_file, parts[1].text, parts[1].len);
		tile_changed = parts[1].len != saved_edge.size ||
			memcmp(parts[1].text, saved_edge.ptr,
			parts[1].len) != 0;
	}
	rc = custody_tiles__open(&t, store_dir, &held, &err);
	if (rc == 0) {
		check_opened(t, held, &parts[0], tile_changed);
	} else {
		if (rc != CUSTODY_EINVALID && rc != CUSTODY_ENOTFOUND &&
		    rc != CUSTODY_EVERIFY)
			broken("an unexpected error code", err);
		if (err == NULL || strstr(custody_error_message(err),
		    store_dir) == NULL)
			broken("a refusal that does not name the store", err);
	}
	fuzz_expect(FUZZ_TARGET, rc == 0);
	if (getenv("FUZZ_TILES_VERBOSE") != NULL)
		fprintf(stderr, "%d %s\n", rc, rc ? custody_error_message(err) :
			"opened");
	custody_error_free(err);
	custody_tiles__free(t);
	restore();
	free(copy);
	return 0;
}
