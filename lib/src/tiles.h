/*
 * A local cache of the log's Merkle tree hashes, laid out as C2SP
 * tlog-tiles (https://c2sp.org/tlog-tiles): tiles of 256 hashes, level-L
 * tile N holding the hashes of tree level 8L at indexes 256N..256N+255,
 * at `tile/<L>/<N>` (N in three-digit groups, "x" before all but the
 * last: tile/0/x001/x234/067), the rightmost partial tile of a level at
 * `tile/<L>/<N>.p/<W>`. Such a folder can be served as static files.
 *
 * The cache can always be rebuilt from the log's entries, so files are
 * replaced atomically but not synced. A small state file, written last,
 * records the size and root hash the tiles stand for: a crash leaves the
 * store at its previous size. Opening checks that the state file and the
 * rightmost tiles agree; a damaged or lost cache is an error naming the
 * file, after which the caller removes the store and rebuilds it.
 *
 * Memory stays bounded whatever the size: the rightmost tile of each
 * level (at most 8) and a few recently read tiles.
 *
 * Thread safety: a store is used by one thread at a time, and one store
 * per folder (the archive lock keeps other processes out).
 */
#ifndef CUSTODY_SRC_TILES_H
#define CUSTODY_SRC_TILES_H

#include <stddef.h>
#include <stdint.h>
#include "custody/common.h"
#include "merkle.h"

#define CUSTODY_TILE_HEIGHT 8
#define CUSTODY_TILE_WIDTH 256

struct custody_tiles;

/*
 * Open the store in folder `dir`, creating the folder (its parent must
 * exist) and an empty store if there is none. *size_out: how many leaf
 * hashes it holds. CUSTODY_EINVALID if the state file or a rightmost tile
 * is damaged, CUSTODY_ENOTFOUND if such a tile is missing, CUSTODY_EVERIFY
 * if the tiles do not give the recorded root: then
 * custody_tiles__remove() and rebuild.
 */
int custody_tiles__open(struct custody_tiles **out, const char *dir,
	uint64_t *size_out, custody_error **err);

/* Free a store. NULL is a no-op. */
void custody_tiles__free(struct custody_tiles *t);

/* How many leaf hashes the store holds. */
uint64_t custody_tiles__size(const struct custody_tiles *t);

/*
 * Append k leaf hashes: O(k + log n) hashing and tile writes, the state
 * file last. On failure the store still holds its previous size.
 */
int custody_tiles__append(struct custody_tiles *t,
	const unsigned char (*leaves)[CUSTODY_HASH_BYTES], size_t k,
	custody_error **err);

/*
 * Forget everything from leaf `size` on (to resync after a crash, or to
 * rebuild); 0 empties the store without reading any tile. Tiles past the
 * new size are deleted. CUSTODY_EINVALID if size is above the stored
 * size.
 */
int custody_tiles__truncate(struct custody_tiles *t, uint64_t size,
	custody_error **err);

/*
 * A custody_merkle_node_fn over the store (payload: the store): the hash
 * of the complete subtree of 2^level leaves starting at leaf
 * index << level, computed from at most 2^(level % 8) stored hashes.
 * CUSTODY_EINVALID if that subtree is not wholly inside the stored tree;
 * a missing or damaged tile is an error naming its file.
 */
int custody_tiles__node(void *store, unsigned level, uint64_t index,
	unsigned char out[CUSTODY_HASH_BYTES], custody_error **err);

/* The root of the first `size` leaves (size <= the stored size). */
int custody_tiles__root(struct custody_tiles *t, uint64_t size,
	unsigned char out[CUSTODY_HASH_BYTES], custody_error **err);

/*
 * Delete the store in `dir`: its state file and tile folder (the folder
 * itself and anything else in it stay). Nothing there is no error.
 */
int custody_tiles__remove(const char *dir, custody_error **err);

/*
 * The path, relative to the store's folder, of level-`level` tile
 * `index` (tile/<L>/<N>), or of its partial form of `width` hashes when
 * width is 1..255 (tile/<L>/<N>.p/<W>); width 0 or 256 means the full
 * tile. Returns the length written, or -1 if it does not fit in size.
 */
int custody_tiles__path(char *out, size_t size, unsigned level,
	uint64_t index, unsigned width);

#endif
