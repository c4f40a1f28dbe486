/*
 * custody_archive_verify (archive_verify*.c) on a real archive, made by
 * custody_archive_init in a temporary folder of its own for each test.
 */
#include "archive.h"
#include "test.h"

#include <git2/sys/repository.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture {
	char root[64];             /* temporary folder: the collection */
	custody_key *key;
	custody_archive *archive;
	uint64_t problems;         /* passed to the problem callback */
};

static int remove_entry(const char *path, const struct stat *st, int type,
	struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* An archive of one commit (the genesis entry) signed by "tester". */
static int fixture_init(struct fixture *f)
{
	custody_init_options opts = CUSTODY_INIT_OPTIONS_INIT;
	custody_error *err = NULL;

	memset(f, 0, sizeof(*f));
	snprintf(f->root, sizeof(f->root), "/tmp/custody-test-verify-XXXXXX");
	if (mkdtemp(f->root) == NULL)
		return -1;
	if (custody_key_generate(&f->key, &err) != 0)
		goto fail;
	opts.collection = f->root;
	opts.key = f->key;
	opts.log_key = f->key;
	opts.member = "tester";
	if (custody_archive_init(&f->archive, &opts, &err) != 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "fixture: %s\n", custody_error_message(err));
	custody_error_free(err);
	return -1;
}

static void fixture_cleanup(struct fixture *f)
{
	custody_archive_free(f->archive);
	custody_key_free(f->key);
	nftw(f->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int count_problem(const custody_problem *p, void *payload)
{
	struct fixture *f = payload;

	fprintf(stderr, "  problem: %s: %s\n", p->where, p->message);
	f->problems++;
	return 0;
}

static void test_archive_verify__fresh_archive_passes(void)
{
	struct fixture f;
	custody_verify_summary sum;
	custody_error *err = NULL;

	if (fixture_init(&f) != 0) {
		CHECK(!"cannot make an archive");
		fixture_cleanup(&f);
		return;
	}
	CHECK_INT(custody_archive_verify(f.archive, NULL, count_problem, &f,
		&sum, &err), 0);
	CHECK(err == NULL);
	CHECK_INT(f.problems, 0);
	CHECK_INT(sum.commits, 1);
	CHECK_INT(sum.signatures, 1);
	CHECK_INT(sum.entries, 1);
	custody_error_free(err);
	fixture_cleanup(&f);
}

/*
 * The handle loads its object database when it opens the archive and
 * keeps it, so nothing in the library can make git_repository_odb fail
 * afterwards. Here the objects folder is moved away and the handle's
 * libgit2 caches are dropped (git_repository__cleanup, libgit2's public
 * sys API), so the object database must be opened again from disk, as
 * a fresh process would, and that open fails for real. Verify must then
 * fail, say that it could not open the object database, and check
 * nothing: before this was fixed, a failure to get the object database
 * went unreported and verify returned 0 ("ok").
 */
static void test_archive_verify__fails_when_object_database_cannot_open(void)
{
	struct fixture f;
	custody_verify_summary sum;
	custody_error *err = NULL;
	char objects[256], moved[300], expect[512];

	if (fixture_init(&f) != 0) {
		CHECK(!"cannot make an archive");
		fixture_cleanup(&f);
		return;
	}
	snprintf(objects, sizeof(objects), "%s/objects",
		custody_archive_path(f.archive));
	snprintf(moved, sizeof(moved), "%s.moved", objects);
	CHECK_INT(rename(objects, moved), 0);
	CHECK_INT(git_repository__cleanup(f.archive->repo), 0);
	memset(&sum, 0xff, sizeof(sum));
	CHECK_INT(custody_archive_verify(f.archive, NULL, count_problem, &f,
		&sum, &err), CUSTODY_EVERIFY);
	CHECK_INT(custody_error_code(err), CUSTODY_EVERIFY);
	snprintf(expect, sizeof(expect), "%s: cannot open the object "
		"database: ", custody_archive_path(f.archive));
	CHECK_CONTAINS(custody_error_message(err), expect);
	CHECK_INT(f.problems, 0);
	CHECK_INT(sum.commits, 0);
	CHECK_INT(sum.entries, 0);
	CHECK_INT(sum.problems, 0);
	custody_error_free(err);
	CHECK_INT(rename(moved, objects), 0);
	fixture_cleanup(&f);
}

static const struct test tests[] = {
	TEST(test_archive_verify__fresh_archive_passes),
	TEST(test_archive_verify__fails_when_object_database_cannot_open),
	{ 0 }
};

int main(void)
{
	return test_run(tests);
}
