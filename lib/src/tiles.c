/* The tile store: the tree's hashes in C2SP tlog-tiles layout; see tiles.h. */
#include "tiles.h"
#include "common.h"
#include "fsutil.h"

#include <assert.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#define HASH CUSTODY_HASH_BYTES
#define WIDTH CUSTODY_TILE_WIDTH
/* Tile levels: a level-8 tile would span 256^9 > 2^64 leaves. */
#define LEVELS 8
#define CACHE_TILES 16
#define STATE_FILE "state"
#define STATE_MAGIC "custody-tiles v1"

/* The rightmost tile of a level, as the store's size makes it: `width`
 * hashes (0: the level has only full tiles, or none). */
struct edge_tile {
	unsigned width;
	unsigned char hashes[WIDTH][HASH];
	/* its complete inner nodes, laid out as a cached tile's, made on
	 * first need for inner_width hashes (0: none made) */
	unsigned inner_width;
	unsigned char inner[WIDTH - 2][HASH];
};

/* A tile read from disk, by (level, index, width): full tiles never
 * change, and a partial one only gains a new path when it grows, so
 * entries stay true until a truncation, which empties the cache. */
struct cached_tile {
	int used;
	unsigned level, width;
	uint64_t index;
	uint64_t last_use;
	unsigned char hashes[WIDTH][HASH];
	/* a full tile's inner nodes, made on first need (has_inner):
	 * the 2^(8-b) subtrees of 2^b hashes from WIDTH - (WIDTH >> (b-1)),
	 * for b = 1..7; one proof asks for up to 8 of them per tile level,
	 * and a batch of proofs for the same tiles again */
	int has_inner;
	unsigned char inner[WIDTH - 2][HASH];
};

struct custody_tiles {
	char *dir;
	uint64_t size;
	unsigned char root[HASH];
	/* the rightmost tiles for `size`; appends and truncations build the
	 * next ones in `spare` and swap on success */
	struct edge_tile *edge, *spare;
	struct edge_tile edges[2][LEVELS];
	struct cached_tile cache[CACHE_TILES];
	uint64_t clock;
};

int custody_tiles__path(char *out, size_t size, unsigned level,
	uint64_t index, unsigned width)
{
	unsigned groups[7], count = 0;
	size_t used;
	int n;

	/* three-digit groups, lowest first; at least one */
	do {
		groups[count++] = (unsigned)(index % 1000);
		index /= 1000;
	} while (index > 0);
	n = snprintf(out, size, "tile/%u/", level);
	if (n < 0 || (size_t)n >= size)
		return -1;
	used = (size_t)n;
	while (count-- > 0) {
		n = snprintf(out + used, size - used, count > 0 ? "x%03u/" :
			"%03u", groups[count]);
		if (n < 0 || (size_t)n >= size - used)
			return -1;
		used += (size_t)n;
	}
	if (width > 0 && width < WIDTH) {
		n = snprintf(out + used, size - used, ".p/%u", width);
		if (n < 0 || (size_t)n >= size - used)
			return -1;
		used += (size_t)n;
	}
	return (int)used;
}

/* "<dir>/<relative path of the tile>", malloc'd; NULL if out of memory. */
static char *tile_file(const struct custody_tiles *t, unsigned level,
	uint64_t index, unsigned width)
{
	char rel[64];

	if (custody_tiles__path(rel, sizeof(rel), level, index, width) < 0)
		return NULL;
	return custody_fs__join(t->dir, rel);
}

/* The hash of the complete subtree over `count` hashes (a power of two,
 * at most a tile). */
static void subtree_hash(const unsigned char (*hashes)[HASH], unsigned count,
	unsigned char out[HASH])
{
	unsigned char level[WIDTH / 2][HASH];

	if (count == 1) {
		memcpy(out, hashes[0], HASH);
		return;
	}
	for (unsigned i = 0; i < count / 2; i++)
		custody_merkle__node_hash(hashes[2 * i], hashes[2 * i + 1],
			level[i]);
	/* in place: entry i is written after entries 2i and 2i + 1 are read */
	for (count /= 2; count > 1; count /= 2)
		for (unsigned i = 0; i < count / 2; i++)
			custody_merkle__node_hash(level[2 * i],
				level[2 * i + 1], level[i]);
	memcpy(out, level[0], HASH);
}

/* Read tile (level, index) of `width` hashes from its file into out. */
static int read_tile(const struct custody_tiles *t, unsigned level,
	uint64_t index, unsigned width, unsigned char (*out)[HASH],
	custody_error **err)
{
	custody_buf bytes = CUSTODY_BUF_INIT;
	char *path = tile_file(t, level, index, width);
	int rc;

	if (path == NULL)
		return custody__oom(err);
	rc = custody_fs__read_file(&bytes, path, (size_t)width * HASH, err);
	if (rc == 0 && bytes.size != (size_t)width * HASH)
		rc = custody__error(err, CUSTODY_EINVALID,
			"%s: damaged tile: %zu bytes, expected %u (%u hashes)",
			path, bytes.size, width * HASH, width);
	if (rc == 0)
		memcpy(out, bytes.ptr, bytes.size);
	custody_buf_dispose(&bytes);
	free(path);
	return rc;
}

/* The hashes of tile (level, index) of `width` hashes: the rightmost tile
 * from memory, others through the cache. */
static int get_tile(struct custody_tiles *t, unsigned level, uint64_t index,
	unsigned width, const unsigned char (**out)[HASH],
	struct cached_tile **cached, custody_error **err)
{
	uint64_t entries = t->size >> (CUSTODY_TILE_HEIGHT * level);
	struct cached_tile *slot = &t->cache[0];
	int rc;

	*cached = NULL;
	if (width < WIDTH && index == entries / WIDTH &&
	    width == t->edge[level].width) {
		*out = (const unsigned char (*)[HASH])t->edge[level].hashes;
		return 0;
	}
	for (size_t i = 0; i < CACHE_TILES; i++) {
		struct cached_tile *c = &t->cache[i];

		if (c->used && c->level == level && c->index == index &&
		    c->width == width) {
			c->last_use = ++t->clock;
			*out = (const unsigned char (*)[HASH])c->hashes;
			*cached = c;
			return 0;
		}
		if (!c->used || (slot->used && c->last_use < slot->last_use))
			slot = c;
	}
	slot->used = 0;
	slot->has_inner = 0;
	rc = read_tile(t, level, index, width, slot->hashes, err);
	if (rc != 0)
		return rc;
	slot->used = 1;
	slot->level = level;
	slot->index = index;
	slot->width = width;
	slot->last_use = ++t->clock;
	*out = (const unsigned char (*)[HASH])slot->hashes;
	*cached = slot;
	return 0;
}

/* The complete inner nodes over the first `width` of a tile's hashes,
 * level by level into inner (WIDTH / 2 slots for level 1, then half as
 * many for each level up). */
static void make_inner(const unsigned char (*hashes)[HASH], unsigned width,
	unsigned char (*inner)[HASH])
{
	const unsigned char (*below)[HASH] = hashes;
	unsigned char (*level)[HASH] = inner;

	for (unsigned n = WIDTH / 2, have = width / 2; n >= 2;
	    n /= 2, have /= 2) {
		for (unsigned i = 0; i < have; i++)
			custody_merkle__node_hash(below[2 * i],
				below[2 * i + 1], level[i]);
		below = (const unsigned char (*)[HASH])level;
		level += n;
	}
}

/* After the rightmost tiles changed: none of their inner nodes hold. */
static void forget_inner(struct edge_tile *edge)
{
	for (unsigned level = 0; level < LEVELS; level++)
		edge[level].inner_width = 0;
}

int custody_tiles__node(void *store, unsigned level, uint64_t index,
	unsigned char out[HASH], custody_error **err)
{
	struct custody_tiles *t = store;
	const unsigned char (*hashes)[HASH];
	const unsigned char (*inner)[HASH];
	struct cached_tile *c;
	unsigned tile_level = level / CUSTODY_TILE_HEIGHT;
	unsigned below = level % CUSTODY_TILE_HEIGHT;
	uint64_t first, entries;
	unsigned width;
	int rc;

	if (level >= 64 || index >= t->size >> level)
		return custody__error(err, CUSTODY_EINVALID,
			"%s: no complete subtree at level %u, index %" PRIu64
			" in a tree of %" PRIu64 " leaves", t->dir, level,
			index, t->size);
	/* the subtree spans 2^below hashes of its tile level, from first */
	first = index << below;
	entries = t->size >> (CUSTODY_TILE_HEIGHT * tile_level);
	width = first / WIDTH < entries / WIDTH ? WIDTH :
		(unsigned)(entries % WIDTH);
	rc = get_tile(t, tile_level, first / WIDTH, width, &hashes, &c, err);
	if (rc != 0)
		return rc;
	if (below == 0) {
		memcpy(out, hashes[first % WIDTH], HASH);
		return 0;
	}
	if (c != NULL && width == WIDTH) {
		if (!c->has_inner) {
			make_inner(hashes, WIDTH, c->inner);
			c->has_inner = 1;
		}
		inner = (const unsigned char (*)[HASH])c->inner;
	} else if (c == NULL) {
		struct edge_tile *e = &t->edge[tile_level];

		if (e->inner_width != width) {
			make_inner(hashes, width, e->inner);
			e->inner_width = width;
		}
		inner = (const unsigned char (*)[HASH])e->inner;
	} else {
		subtree_hash(hashes + first % WIDTH, 1u << below, out);
		return 0;
	}
	memcpy(out, inner[WIDTH - (WIDTH >> (below - 1)) +
		first % WIDTH / (1u << below)], HASH);
	return 0;
}

int custody_tiles__root(struct custody_tiles *t, uint64_t size,
	unsigned char out[HASH], custody_error **err)
{
	if (size > t->size)
		return custody__error(err, CUSTODY_EINVALID,
			"%s: no root for %" PRIu64 " leaves: the tile store "
			"holds %" PRIu64, t->dir, size, t->size);
	return custody_merkle__root(custody_tiles__node, t, size, out, err);
}

uint64_t custody_tiles__size(const struct custody_tiles *t)
{
	return t->size;
}

/* Create the folders between the store's folder and the file `path` in
 * it. No fsync: losing them loses only cache. On failure, errno says why. */
static int make_parents(const struct custody_tiles *t, const char *path)
{
	size_t skip = strlen(t->dir) + 1;
	char *copy = strdup(path);

	if (copy == NULL)
		return CUSTODY_ENOMEM;
	for (char *slash = strchr(copy + skip, '/'); slash != NULL;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(copy, 0700) != 0 && errno != EEXIST) {
			int e = errno;

			free(copy);
			errno = e;
			return CUSTODY_EIO;
		}
		*slash = '/';
	}
	free(copy);
	return 0;
}

static int write_tile(const struct custody_tiles *t, unsigned level,
	uint64_t index, unsigned width, const unsigned char (*hashes)[HASH],
	custody_error **err)
{
	char *path = tile_file(t, level, index, width);
	int rc;

	if (path == NULL)
		return custody__oom(err);
	rc = make_parents(t, path);
	if (rc == CUSTODY_ENOMEM)
		rc = custody__error(err, rc, "out of memory");
	else if (rc != 0)
		rc = custody__error_sys(err, rc, errno,
			"%s: cannot create its folder", path);
	else
		rc = custody_fs__replace(path, hashes, (size_t)width * HASH,
			0600, err);
	free(path);
	return rc;
}

/* Delete a tile the store no longer refers to. Failure is harmless (the
 * state file never names it again; a later write replaces it), so it is
 * not reported. A partial tile's ".p" folder goes too once empty. */
static void drop_tile(const struct custody_tiles *t, unsigned level,
	uint64_t index, unsigned width)
{
	char *path = tile_file(t, level, index, width);

	if (path == NULL)
		return;
	unlink(path);
	if (width > 0 && width < WIDTH) {
		char *slash = strrchr(path, '/');

		*slash = '\0';
		rmdir(path);
	}
	free(path);
}

static int write_state(const struct custody_tiles *t, uint64_t size,
	const unsigned char root[HASH], custody_error **err)
{
	char text[128], hex[2 * HASH + 1];
	char *path = custody_fs__join(t->dir, STATE_FILE);
	int n, rc;

	if (path == NULL)
		return custody__oom(err);
	custody_hex(hex, root, HASH);
	n = snprintf(text, sizeof(text), STATE_MAGIC "\nsize %" PRIu64
		"\nroot %s\n", size, hex);
	rc = custody_fs__replace(path, text, (size_t)n, 0600, err);
	free(path);
	return rc;
}

/* "size <decimal>\n": canonical digits only, no overflow. */
static int parse_size(const char *line, size_t len, uint64_t *out)
{
	uint64_t value = 0;

	if (len < 6 || memcmp(line, "size ", 5) != 0 || line[len - 1] != '\n')
		return -1;
	line += 5;
	len -= 6;
	if (len == 0 || len > 20 || (line[0] == '0' && len > 1))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (line[i] < '0' || line[i] > '9' ||
		    value > (UINT64_MAX - (uint64_t)(line[i] - '0')) / 10)
			return -1;
		value = value * 10 + (uint64_t)(line[i] - '0');
	}
	*out = value;
	return 0;
}

static int read_state(struct custody_tiles *t, const char *path,
	custody_error **err)
{
	static const char magic[] = STATE_MAGIC "\n";
	custody_buf text = CUSTODY_BUF_INIT;
	const char *size_line, *root_line = NULL;
	int rc;

	rc = custody_fs__read_file(&text, path, 256, err);
	if (rc != 0)
		return rc;
	if (text.size >= sizeof(magic) - 1 &&
	    memcmp(text.ptr, magic, sizeof(magic) - 1) == 0) {
		size_line = text.ptr + sizeof(magic) - 1;
		root_line = memchr(size_line, '\n',
			text.size - (size_t)(size_line - text.ptr));
		if (root_line != NULL && parse_size(size_line,
		    (size_t)(++root_line - size_line), &t->size) != 0)
			root_line = NULL;
	}
	if (root_line == NULL ||
	    (size_t)(text.ptr + text.size - root_line) != 5 + 2 * HASH + 1 ||
	    memcmp(root_line, "root ", 5) != 0 ||
	    root_line[5 + 2 * HASH] != '\n' ||
	    custody_unhex(t->root, root_line + 5, HASH) != 0)
		rc = custody__error(err, CUSTODY_EINVALID,
			"%s: damaged tile store state (expected \"" STATE_MAGIC
			"\", a size line and a root line)", path);
	custody_buf_dispose(&text);
	return rc;
}

int custody_tiles__open(struct custody_tiles **out, const char *dir,
	uint64_t *size_out, custody_error **err)
{
	struct custody_tiles *t = calloc(1, sizeof(*t));
	unsigned char root[HASH];
	char *state = NULL;
	int rc;

	*out = NULL;
	*size_out = 0;
	if (t == NULL || (t->dir = strdup(dir)) == NULL ||
	    (state = custody_fs__join(dir, STATE_FILE)) == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	t->edge = t->edges[0];
	t->spare = t->edges[1];
	rc = custody_fs__mkdir(dir, 0700, err);
	if (rc != 0)
		goto done;
	if (access(state, F_OK) != 0 && errno == ENOENT) {
		/* a new store */
		custody_merkle__empty_root(t->root);
		*size_out = 0;
		*out = t;
		t = NULL;
		goto done;
	}
	rc = read_state(t, state, err);
	if (rc != 0)
		goto done;
	for (unsigned level = 0; level < LEVELS; level++) {
		uint64_t entries = t->size >> (CUSTODY_TILE_HEIGHT * level);
		unsigned width = (unsigned)(entries % WIDTH);

		if (width > 0) {
			rc = read_tile(t, level, entries / WIDTH, width,
				t->edge[level].hashes, err);
			if (rc != 0)
				goto done;
		}
		t->edge[level].width = width;
	}
	/* the rightmost tiles are all the root needs: they must give the
	 * root the state file records, or the cache is not what it claims */
	rc = custody_merkle__root(custody_tiles__node, t, t->size, root, err);
	if (rc != 0)
		goto done;
	if (CRYPTO_memcmp(root, t->root, HASH) != 0) {
		rc = custody__error(err, CUSTODY_EVERIFY,
			"%s: the tiles do not give the root hash recorded for "
			"%" PRIu64 " leaves", state, t->size);
		goto done;
	}
	*size_out = t->size;
	*out = t;
	t = NULL;
done:
	free(state);
	custody_tiles__free(t);
	return rc;
}

void custody_tiles__free(struct custody_tiles *t)
{
	if (t == NULL)
		return;
	free(t->dir);
	free(t);
}

int custody_tiles__append(struct custody_tiles *t,
	const unsigned char (*leaves)[HASH], size_t k, custody_error **err)
{
	uint64_t entries[LEVELS], old_size = t->size, new_size;
	struct edge_tile *edge = t->spare, *old_edge = t->edge;
	unsigned char root[HASH];
	int rc = 0;

	if (k == 0)
		return 0;
	if (k > UINT64_MAX - old_size)
		return custody__error(err, CUSTODY_EINVALID,
			"%s: %zu more leaves would overflow the tree size",
			t->dir, k);
	new_size = old_size + k;
	for (unsigned level = 0; level < LEVELS; level++) {
		entries[level] = old_size >> (CUSTODY_TILE_HEIGHT * level);
		edge[level].width = old_edge[level].width;
		memcpy(edge[level].hashes, old_edge[level].hashes,
			(size_t)old_edge[level].width * HASH);
	}
	/* each hash fills its level's rightmost tile; a tile that becomes
	 * full is written and its hash goes one level up */
	for (size_t i = 0; i < k; i++) {
		unsigned char hash[HASH];

		memcpy(hash, leaves[i], HASH);
		for (unsigned level = 0;; level++) {
			struct edge_tile *e = &edge[level];

			assert(level < LEVELS);
			memcpy(e->hashes[entries[level] % WIDTH], hash, HASH);
			if (++entries[level] % WIDTH != 0)
				break;
			rc = write_tile(t, level, entries[level] / WIDTH - 1,
				WIDTH, (const unsigned char (*)[HASH])
				e->hashes, err);
			if (rc != 0)
				return rc;
			subtree_hash((const unsigned char (*)[HASH])e->hashes,
				WIDTH, hash);
		}
	}
	/* the rightmost tiles of the levels that changed */
	for (unsigned level = 0; level < LEVELS; level++) {
		struct edge_tile *e = &edge[level];
		uint64_t before = old_size >> (CUSTODY_TILE_HEIGHT * level);

		e->width = (unsigned)(entries[level] % WIDTH);
		if (e->width == 0 || entries[level] == before)
			continue;
		rc = write_tile(t, level, entries[level] / WIDTH, e->width,
			(const unsigned char (*)[HASH])e->hashes, err);
		if (rc != 0)
			return rc;
	}
	/* the new root, over the new rightmost tiles, then the state file */
	t->size = new_size;
	forget_inner(edge);
	t->edge = edge;
	rc = custody_merkle__root(custody_tiles__node, t, new_size, root, err);
	if (rc == 0)
		rc = write_state(t, new_size, root, err);
	if (rc != 0) {
		t->size = old_size;
		t->edge = old_edge;
		return rc;
	}
	t->spare = old_edge;
	memcpy(t->root, root, HASH);
	for (unsigned level = 0; level < LEVELS; level++) {
		uint64_t before = old_size >> (CUSTODY_TILE_HEIGHT * level);

		if (before % WIDTH != 0 && before != entries[level])
			drop_tile(t, level, before / WIDTH,
				(unsigned)(before % WIDTH));
	}
	return 0;
}

int custody_tiles__truncate(struct custody_tiles *t, uint64_t size,
	custody_error **err)
{
	struct edge_tile *edge = t->spare;
	uint64_t old_size = t->size;
	unsigned char root[HASH];
	int rc;

	if (size > old_size)
		return custody__error(err, CUSTODY_EINVALID,
			"%s: cannot truncate the tile store to %" PRIu64
			" leaves: it holds %" PRIu64, t->dir, size, old_size);
	if (size == old_size)
		return 0;
	rc = custody_merkle__root(custody_tiles__node, t, size, root, err);
	if (rc != 0)
		return rc;
	/* the new rightmost tiles: prefixes of tiles the store has now */
	for (unsigned level = 0; level < LEVELS; level++) {
		uint64_t after = size >> (CUSTODY_TILE_HEIGHT * level);
		uint64_t before = old_size >> (CUSTODY_TILE_HEIGHT * level);
		unsigned width = (unsigned)(after % WIDTH);
		const unsigned char (*hashes)[HASH];
		struct cached_tile *c;

		edge[level].width = width;
		if (width == 0)
			continue;
		rc = get_tile(t, level, after / WIDTH, after / WIDTH <
			before / WIDTH ? WIDTH : (unsigned)(before % WIDTH),
			&hashes, &c, err);
		if (rc != 0)
			return rc;
		memcpy(edge[level].hashes, hashes, (size_t)width * HASH);
		if (after == before)
			continue;
		rc = write_tile(t, level, after / WIDTH, width,
			(const unsigned char (*)[HASH])edge[level].hashes,
			err);
		if (rc != 0)
			return rc;
	}
	rc = write_state(t, size, root, err);
	if (rc != 0)
		return rc;
	forget_inner(edge);
	t->spare = t->edge;
	t->edge = edge;
	t->size = size;
	memcpy(t->root, root, HASH);
	/* new leaves at these positions will differ from the cached ones */
	memset(t->cache, 0, sizeof(t->cache));
	for (unsigned level = 0; level < LEVELS; level++) {
		uint64_t after = size >> (CUSTODY_TILE_HEIGHT * level);
		uint64_t before = old_size >> (CUSTODY_TILE_HEIGHT * level);

		for (uint64_t n = after / WIDTH; n < before / WIDTH; n++)
			drop_tile(t, level, n, WIDTH);
		if (before % WIDTH != 0 && before != after)
			drop_tile(t, level, before / WIDTH,
				(unsigned)(before % WIDTH));
	}
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type,
	struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		return rmdir(path) == 0 || errno == ENOENT ? 0 : -1;
	return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
}

int custody_tiles__remove(const char *dir, custody_error **err)
{
	char *state = custody_fs__join(dir, STATE_FILE);
	char *tiles = custody_fs__join(dir, "tile");
	int rc = 0;

	if (state == NULL || tiles == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	/* the state first: without it, what is left is an empty store */
	if (unlink(state) != 0 && errno != ENOENT) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot remove", state);
		goto done;
	}
	if (nftw(tiles, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 &&
	    errno != ENOENT)
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot remove", tiles);
done:
	free(state);
	free(tiles);
	return rc;
}
