/*
 * The local index: the current record of every registered path (latest
 * entry, size, SHA-256, blob) plus the stat data seen when the file was
 * last hashed, so unchanged files are not read again (as git's index
 * does). It lives in <archive>/cache/index, is never committed, and is
 * only a cache: when it is missing, damaged (its CRC-32 does not match),
 * or made at another head, it is rebuilt from the log.
 *
 * The file is a binary image (native byte order: it never leaves the
 * machine): a header, the records sorted by path, the record numbers
 * sorted by fold key (NFC + case fold, for collision checks), and the
 * strings. Loading maps it without parsing; lookups are binary
 * searches. Saving a few changed records appends them to
 * <archive>/cache/index.journal instead of rewriting the index (see
 * index.c), so registering k files in an archive of n costs O(k log n)
 * lookups and O(k) writing, plus O(n) checking and converting at load.
 */
#ifndef CUSTODY_SRC_INDEX_H
#define CUSTODY_SRC_INDEX_H

#include <stdint.h>
#include <sys/stat.h>
#include "fsutil.h"
#include "archive.h"
#include "entry.h"
#include "map.h"

struct custody_record {
	char *path;                /* owned by the index */
	const char *fold;          /* fold key; NULL until computed */
	uint64_t index;            /* latest entry for this path */
	uint64_t version;
	uint64_t size;
	unsigned char sha256[32];
	char blob[41];             /* "" when not stored */
	unsigned char dirty;       /* changed since the index was loaded
	                            * or saved (in blob's padding) */
	/* stat when last hashed; all 0 when unknown */
	int64_t mtime_s, ctime_s;
	uint32_t mtime_ns, ctime_ns;
	uint64_t ino, dev;
	int64_t written_s;         /* when this record was last saved */
};

struct custody_index {
	char head[41];
	uint64_t size;             /* log size at head */
	int64_t written_s;         /* when this index was last saved */
	/* records[0, sorted) are sorted by path; records added since
	 * (by put, for paths not in the index) follow, unsorted */
	struct custody_record *records;
	size_t count, alloc, sorted;
	uint32_t *fold_order;      /* sorted records, by fold key */
	void *image;               /* the loaded file, mapped: its paths */
	size_t image_len;          /* and folds are the records' */
	char **owned;              /* other strings the index frees */
	size_t nowned, owned_alloc;
	/* the file on disk this index extends (see index.c) */
	int from_file;             /* loaded from, or saved whole to, it */
	uint32_t base_crc;
	char base_head[40];
	size_t journal_len;        /* bytes of its journal in use; 0: none */
	uint64_t journal_records;
	char saved_head[41];       /* head when loaded or last saved */
	/* the cache files as they were just before loading */
	struct stat file_st, journal_st;
	int file_seen, journal_seen;
};

/* Load the index for the archive's head, rebuilding it if needed. */
int custody_index__load(struct custody_index **out, custody_archive *a,
	custody_error **err);

/* An index with no records, of head `head_hex` and `size` entries, for
 * one who read every entry (a verify) to fill with custody_index__put
 * and save. */
int custody_index__empty(struct custody_index **out, const char *head_hex,
	uint64_t size, custody_error **err);

/* Save what changed since loading: a frame appended to the journal, or,
 * when the journal has grown past its share, the whole index (temp file
 * renamed over the old; not synced: a cache, checked when loaded). */
int custody_index__save(struct custody_index *index, custody_archive *a,
	custody_error **err);

/* 1 when the index holds what its files on disk do not (it was rebuilt
 * or caught up, or records changed): custody_index__save would write. */
int custody_index__learnt(const struct custody_index *index);

/*
 * Keep what a reading command learnt (a rebuilt or caught-up index, the
 * stat data of files read and found as recorded), as add does: under
 * the archive lock, and only if the archive is still at the head the
 * index stands on. A reader never waits for a writer: if the archive is
 * locked, the cache is simply not saved this time (a notice says so).
 */
void custody_index__keep(struct custody_index *index, custody_archive *a);

/* 1 when cache/index and its journal are as they were when the index
 * was loaded (no other process saved one since), else 0. */
int custody_index__on_disk_as_loaded(const struct custody_index *index,
	const custody_archive *a);

struct custody_record *custody_index__find(struct custody_index *index,
	const char *path);

/* Add or replace the record for record->path (the index takes the path
 * string). Returns the stored record or NULL on out of memory. */
struct custody_record *custody_index__put(struct custody_index *index,
	const struct custody_record *record);

/*
 * Another registered path that folds to the same key as `path` (differs
 * only in case or Unicode normalisation), or NULL. `fold` is
 * custody_path__fold(path).
 */
const char *custody_index__fold_clash(struct custody_index *index,
	const char *path, const char *fold);

/* A registered path with stored content strictly under folder `dir`
 * ("x" finds "x/y"), or NULL. */
const char *custody_index__stored_under(struct custody_index *index,
	const char *dir);

/* 1 when some registered path lies under folder `dir` ("" is the
 * whole collection; "x" finds "x/y"), else 0. */
int custody_index__any_under(struct custody_index *index, const char *dir);

/* The record of registration entry `e`: its index, version, size,
 * SHA-256 and blob; path and stat data are left for the caller (all 0). */
void custody_index__record_from_entry(struct custody_record *out,
	const struct custody_entry *e);

/* Remember the stat data of a file just hashed. */
void custody_index__set_stat(struct custody_record *record,
	const struct custody_stat *st);

/* 1 when st matches the record's stat data and is not "racy" (changed
 * within the second the index was written), so the file need not be
 * read again. */
int custody_index__stat_clean(const struct custody_index *index,
	const struct custody_record *record, const struct custody_stat *st);

void custody_index__free(struct custody_index *index);

#endif
