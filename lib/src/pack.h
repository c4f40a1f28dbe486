/*
 * A streaming writer of git packfiles (version 2) and their .idx (v2).
 *
 * custody stores new objects as one pack per writer instead of loose
 * objects: one fsync per pack rather than one per object, and content is
 * deflated once while it is hashed. Objects are written whole (no deltas).
 *
 * Life cycle: open (a temporary file in objects/pack/), add objects,
 * commit (fix the header's count, write the trailer and the .idx, fsync
 * both, rename them to pack-<hash>.pack/.idx, fsync the folder) or free
 * without commit (the temporary files are removed). A pack with no object
 * commits to nothing. Until commit, nothing in the repository changes.
 *
 * Thread safety: one writer per thread; different writers may run at once.
 */
#ifndef CUSTODY_SRC_PACK_H
#define CUSTODY_SRC_PACK_H

#include <stdint.h>
#include "custody/common.h"

typedef struct custody_pack custody_pack;

/* git object types, as in the pack format */
enum { CUSTODY_OBJ_COMMIT = 1, CUSTODY_OBJ_TREE = 2, CUSTODY_OBJ_BLOB = 3 };

/* Called with a finished object's id; return 1 if the repository already
 * has it (the pack then drops it), 0 if not. May be NULL. */
typedef int (*custody_pack_exists_cb)(const unsigned char id[20],
	void *payload);

int custody_pack__open(custody_pack **out, const char *pack_dir,
	custody_pack_exists_cb exists, void *payload, custody_error **err);

/* Add a whole object held in memory; id_out gets its 20-byte id. */
int custody_pack__add_buffer(custody_pack *pack, int type, const void *data,
	size_t len, unsigned char id_out[20], custody_error **err);

/* Stream an object of a size known in advance: begin, write (any number
 * of times, `size` bytes in all), end. end fails with CUSTODY_ECHANGED if
 * the bytes written do not add up to `size`. An object whose id is
 * already in this pack, or that `exists` reports, is dropped again. */
int custody_pack__begin(custody_pack *pack, int type, uint64_t size,
	custody_error **err);
int custody_pack__write(custody_pack *pack, const void *data, size_t len,
	custody_error **err);
int custody_pack__end(custody_pack *pack, unsigned char id_out[20],
	custody_error **err);
/* Abandon the object begun last (after an error reading its source). */
void custody_pack__cancel(custody_pack *pack);

/* Number of objects in the pack so far. */
size_t custody_pack__count(const custody_pack *pack);

/*
 * Rename the finished pack and its index into place. Just before, its
 * name is appended (fsynced) to CUSTODY_NEW_PACKS in the repository's
 * folder, the parent of objects/, so that a writer killed before its ref
 * moves leaves a record of the packs only it knew of: the next writer
 * removes them (see custody_pack__recover). The journal is cleared once
 * the ref has moved (custody_pack__settled).
 */
int custody_pack__commit(custody_pack *pack, custody_error **err);

#define CUSTODY_NEW_PACKS "custody-new-packs"

/* Look object `id` up in the version-2 pack index open at idx_fd: 1 and
 * its offset in the pack, 0 when it is not listed, -1 when the index is
 * damaged or cannot be read. */
int custody_pack__idx_find(int idx_fd, const unsigned char id[20],
	uint64_t *offset);

/* The commit is recorded, or the packs written for it were taken back:
 * either way they are no longer new. */
void custody_pack__settled(const char *gitdir);

/*
 * Under the archive's lock, before a change: the packs listed in
 * CUSTODY_NEW_PACKS were written by a run that was stopped before or
 * after its ref moved. If `head` (NULL: no head) is in one of them the
 * change was recorded and they stay; otherwise no ref can reach them
 * (nobody else writes while the lock is held, and only custody lists
 * packs there) and they are removed, each named through `notice`.
 */
void custody_pack__recover(const char *gitdir, const unsigned char *head,
	void (*notice)(void *payload, const char *message), void *payload);

/*
 * Remove the pack a successful commit put in place (when the change it
 * belonged to failed before anything referred to it). Only for packs
 * this writer created; one that already existed is left alone.
 */
void custody_pack__uncommit(custody_pack *pack);
void custody_pack__free(custody_pack *pack);

#endif
