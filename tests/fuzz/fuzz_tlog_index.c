/*
 * Fuzz target for the entry index cache, cache/tlog-index (libFuzzer
 * style), which every proof, publish and sync reads to find the log's
 * publish, log-key and dkim entries without reading all of them. It never
 * leaves the machine, but a damaged or planted file must cost a
 * rebuild, never memory safety, and `custody verify` must put it right.
 *
 * Setup (once, in a temporary folder removed at exit, under /dev/shm
 * when it can be written): an archive with
 * three registered files and two publish entries, keys from fixed
 * seeds. Each input is
 *   byte 0:   flags; bit 0: keep the "last" line as given (else the
 *             target writes in the id of the entry the "size" line
 *             names, when the archive has it, so that the fuzzer gets
 *             past it)
 *   the rest: cache/tlog-index
 * Besides "never crash, never leak", it checks that
 * custody_tlog_index__open succeeds (a damaged cache is rebuilt, not an
 * error) and covers the whole log with records in ascending order,
 * each inside the log, a publish naming earlier entries, a log-key
 * naming none; that opening again what it saved gives the same
 * records; and that after custody_tlog_index__verify the index is the
 * one rebuilt from the entries. (What a cache whose last id fits says
 * is used, as a cache: whoever uses a record reads its entry.)
 *
 *   tests/fuzz/fuzz.sh tlog_index SECONDS    (libFuzzer, docs/fuzzing.md)
 *
 * With CUSTODY_FUZZ_SEEDS set to a folder, setup writes the cache it
 * saved there (make_corpus.py does so).
 */
#define _XOPEN_SOURCE 700
#include "archive.h"
#include "fsutil.h"
#include "key.h"
#include "tlog_index.h"
#include "custody/proof.h"

#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FUZZ_TARGET "tlog_index"
#include "fuzz.h"
#include "files.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const files[] = { "a.txt", "memos/b.txt", "c.txt" };
/* in memory where there is /dev/shm: saving the cache syncs it */
static char folder[64];
static custody_archive *archive;
static git_tree *tree;
static char *cache_file;
static struct custody_tlog_index *truth;

static void finish(void)
{
	custody_tlog_index__free(truth);
	git_tree_free(tree);
	custody_archive_free(archive);
	free(cache_file);
	fuzz_remove_tree(folder);
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

static struct custody_tlog_index *open_index(void)
{
	struct custody_tlog_index *x = NULL;
	custody_error *err = NULL;

	if (custody_tlog_index__open(archive, tree, &x, &err) != 0)
		broken("a damaged cache is an error, not a rebuild", err);
	return x;
}

static void write_seeds(const char *dir)
{
	custody_buf text = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	char *path;
	unsigned char flags = 1;

	if (custody_fs__read_file(&text, cache_file, 1 << 20, &err) != 0)
		broken("cannot read the cache", err);
	path = fuzz_join(dir, "as-saved");
	{
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0 || write(fd, &flags, 1) != 1 ||
		    write(fd, text.ptr, text.size) != (ssize_t)text.size ||
		    close(fd) != 0)
			broken("cannot write a seed", NULL);
	}
	free(path);
	custody_buf_dispose(&text);
}

static void setup(void)
{
	custody_init_options init = CUSTODY_INIT_OPTIONS_INIT;
	custody_add_options add = CUSTODY_ADD_OPTIONS_INIT;
	custody_publish_options pub = CUSTODY_PUBLISH_OPTIONS_INIT;
	custody_add_summary summary;
	custody_error *err = NULL;
	custody_key *member = key_from(1), *log_key = key_from(2);
	char *collection, *path, *memos, *a, *c;
	const char *all[1], *two[2];

	fuzz_scratch_folder(folder, sizeof(folder), "custody-fuzz-tlog-index");
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
	two[0] = a = fuzz_join(collection, "a.txt");
	two[1] = c = fuzz_join(collection, "c.txt");
	pub.url = "https://fuzz.example/story";
	pub.published = "2026-12-07T00:00:00Z";
	if (custody_archive_init(&archive, &init, &err) != 0 ||
	    custody_archive_add(archive, all, 1, &add, NULL, NULL, &summary,
	    &err) != 0 ||
	    custody_archive_publish(archive, two, 1, &pub, NULL, NULL,
	    &err) != 0 ||
	    custody_archive_publish(archive, two, 2, &pub, NULL, NULL,
	    &err) != 0 ||
	    custody_archive__head_tree(archive, &tree, &err) != 0)
		broken("setup", err);
	cache_file = fuzz_join(archive->gitdir, "cache/tlog-index");
	(void)remove(cache_file);
	truth = open_index();
	if (getenv("CUSTODY_FUZZ_SEEDS") != NULL)
		write_seeds(getenv("CUSTODY_FUZZ_SEEDS"));
	custody_key_free(member);
	custody_key_free(log_key);
	free(collection);
	free(memos);
	free(a);
	free(c);
}

/* The real id of the entry "size N" names into the "last" line. */
static void fix_last(char *text, size_t len)
{
	char *at = memmem(text, len, "\nlast ", 6), id[GIT_OID_HEXSZ + 1];
	const char *sz = memmem(text, len, "\nsize ", 6);
	custody_error *err = NULL;
	uint64_t n;
	git_oid oid;

	if (at == NULL || sz == NULL || (size_t)(text + len - at) < 6 + 40 ||
	    sscanf(sz + 6, "%" SCNu64, &n) != 1 || n == 0 ||
	    n > archive->size)
		return;
	if (custody_archive__entry_id(archive, tree, n - 1, &oid, &err) != 0)
		broken("an entry of the archive is missing", err);
	git_oid_tostr(id, sizeof(id), &oid);
	memcpy(at + 6, id, 40);
}

static int same(const struct custody_tlog_index *x,
	const struct custody_tlog_index *y)
{
	if (x->size != y->size || x->nrecords != y->nrecords)
		return 0;
	for (size_t i = 0; i < x->nrecords; i++) {
		const struct custody_tlog_index_record *a = &x->records[i];
		const struct custody_tlog_index_record *b = &y->records[i];

		if (a->index != b->index || a->log_key != b->log_key ||
		    a->ndocs != b->ndocs || (a->ndocs > 0 &&
		    memcmp(a->docs, b->docs, a->ndocs * sizeof(*a->docs)) != 0))
			return 0;
	}
	return 1;
}

static void check_shape(const struct custody_tlog_index *x)
{
	if (x->size != archive->size)
		broken("the index does not cover the log", NULL);
	for (size_t i = 0; i < x->nrecords; i++) {
		const struct custody_tlog_index_record *r = &x->records[i];

		if (r->index >= x->size || (i > 0 &&
		    r->index <= x->records[i - 1].index) ||
		    (r->log_key && r->ndocs != 0) ||
		    (!r->log_key && r->ndocs == 0))
			broken("a record out of order, outside the log or of "
				"the wrong shape", NULL);
		for (size_t k = 0; k < r->ndocs; k++)
			if (r->docs[k] >= r->index)
				broken("a publish record naming a later entry",
					NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct custody_tlog_index *x, *again, *repaired;
	custody_error *err = NULL;
	char *copy;

	if (archive == NULL)
		setup();
	if (size < 1)
		return 0;
	if ((copy = fuzz_copy(data + 1, size - 1)) == NULL)
		return 0;
	if (!(data[0] & 1))
		fix_last(copy, size - 1);
	fuzz_write_file(cache_file, copy, size - 1);
	x = open_index();
	check_shape(x);
	again = open_index();
	if (!same(x, again))
		broken("the index changed when opened again", NULL);
	if (custody_tlog_index__verify(archive, tree, &err) != 0)
		broken("verify could not put the cache right", err);
	repaired = open_index();
	if (!same(repaired, truth))
		broken("after verify the index is not the log's", NULL);
	custody_tlog_index__free(x);
	custody_tlog_index__free(again);
	custody_tlog_index__free(repaired);
	free(copy);
	return 0;
}
