/*
 * custody/archive.h: init, open, add, status, verify, the log and
 * restore, through the public API only.
 */
#include "api.h"

/* What a status walk reported, copied. */
struct status_seen {
	int n;
	custody_status_kind kind[16];
	char *path[16], *from[16], *duplicate_of[16], *reason[16];
	int stop_at;          /* return 5 at this item (1-based); 0: never */
};

static char *copy_or_null(const char *s)
{
	return s ? api_printf("%s", s) : NULL;
}

static int on_status(const custody_status_item *item, void *payload)
{
	struct status_seen *s = payload;
	int i = s->n++;

	if (i < 16) {
		s->kind[i] = item->kind;
		s->path[i] = copy_or_null(item->path);
		s->from[i] = copy_or_null(item->from);
		s->duplicate_of[i] = copy_or_null(item->duplicate_of);
		s->reason[i] = copy_or_null(item->reason);
	}
	return s->n == s->stop_at ? 5 : 0;
}

/* Entries seen by a callback: index and path (NULL for none). */
struct entries_seen {
	int n;
	uint64_t index[32];
	char *path[32];
	uint64_t version[32];
	int stop_at;
};

static int on_entry(const custody_entry *entry, void *payload)
{
	struct entries_seen *s = payload;
	int i = s->n++;

	if (i < 32) {
		s->index[i] = custody_entry_index(entry);
		s->path[i] = copy_or_null(custody_entry_path(entry));
		s->version[i] = custody_entry_version(entry);
	}
	return s->n == s->stop_at ? 9 : 0;
}

/* Problems verify reported, copied. */
struct problems_seen {
	int n;
	char *where[16], *message[16];
};

static int on_problem(const custody_problem *p, void *payload)
{
	struct problems_seen *s = payload;
	int i = s->n++;

	if (i < 16) {
		s->where[i] = api_printf("%s", p->where);
		s->message[i] = api_printf("%s", p->message);
	}
	return 0;
}

static int has_problem(const struct problems_seen *s, const char *where,
	const char *message)
{
	for (int i = 0; i < s->n && i < 16; i++)
		if (strcmp(s->where[i], where) == 0 &&
		    strcmp(s->message[i], message) == 0)
			return 1;
	return 0;
}

struct refusals {
	int n;
	char *path, *reason;
};

static void on_refused(const char *path, const char *reason, void *payload)
{
	struct refusals *r = payload;

	if (r->n++ == 0) {
		r->path = api_printf("%s", path);
		r->reason = api_printf("%s", reason);
	}
}

/* The SHA-256 of a file as sha256sum prints it. */
static char *sha256sum(const char *path)
{
	return api_sh_line("sha256sum '%s' | cut -c1-64", path);
}

static custody_verify_summary verify(custody_archive *archive, int full,
	struct problems_seen *problems, int *rc)
{
	custody_error *err = NULL;
	custody_verify_options opts = CUSTODY_VERIFY_OPTIONS_INIT;
	custody_verify_summary summary;

	memset(&summary, 0, sizeof(summary));
	memset(problems, 0, sizeof(*problems));
	opts.full = full;
	opts.threads = 1;
	*rc = custody_archive_verify(archive, &opts, on_problem, problems,
		&summary, &err);
	if (*rc != 0 && *rc != CUSTODY_EVERIFY)
		api_fail(__FILE__, __LINE__, "verify could not run: %s",
			err ? custody_error_message(err) : "(no error)");
	custody_error_free(err);
	return summary;
}

static void test_archive__init_makes_one_and_refuses_a_second(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = api_archive(key, NULL), *again = NULL;
	custody_init_options opts = CUSTODY_INIT_OPTIONS_INIT;
	char *coll = api_path("coll"), *yaml = NULL;

	EXPECT_STR(custody_archive_collection(archive), coll);
	EXPECT_STR(custody_archive_path(archive), api_printf("%s/.custody",
		coll));
	EXPECT_STR(custody_archive_origin(archive), "example.org/api-test");
	EXPECT_INT(custody_archive_size(archive), 1);
	EXPECT_INT(strlen(custody_archive_head(archive)), 40);
	/* stock git reads it: one commit on main, the origin recorded */
	EXPECT_INT(api_sh(&yaml, "git --git-dir=coll/.custody show "
		"main:custody.yaml"), 0);
	EXPECT_HAS(yaml, "example.org/api-test");
	EXPECT_INT(api_sh(&yaml, "git --git-dir=coll/.custody rev-list "
		"--count main"), 0);
	EXPECT_STR(yaml, "1\n");
	EXPECT_INT(api_sh(&yaml, "git --git-dir=coll/.custody rev-parse "
		"main"), 0);
	EXPECT_STR(yaml, api_printf("%s\n", custody_archive_head(archive)));

	opts.collection = coll;
	opts.key = key;
	opts.log_key = key;
	opts.member = "alice";
	EXPECT_ERROR(custody_archive_init(&again, &opts, &err),
		CUSTODY_EEXISTS, NULL);
	EXPECT(again == NULL);
	EXPECT_INT(api_sh(&yaml, "git --git-dir=coll/.custody rev-list "
		"--count main"), 0);
	EXPECT_STR(yaml, "1\n");

	/* no key, a bad member name: refused, and no archive left */
	api_mkdir("other");
	opts.collection = api_path("other");
	opts.key = NULL;
	EXPECT_ERROR(custody_archive_init(&again, &opts, &err),
		CUSTODY_EINVALID, NULL);
	opts.key = key;
	opts.member = "no spaces allowed";
	EXPECT_ERROR(custody_archive_init(&again, &opts, &err),
		CUSTODY_EINVALID, NULL);
	EXPECT(again == NULL);
	EXPECT(access("other/.custody", F_OK) != 0);

	/* no origin: "local/<folder name>" */
	opts.member = "alice";
	EXPECT_OK(custody_archive_init(&again, &opts, &err));
	if (again)
		EXPECT_STR(custody_archive_origin(again), "local/other");
	custody_archive_free(again);
	custody_archive_free(archive);
	custody_archive_free(NULL);
	custody_key_free(key);
}

static void test_archive__open_finds_it_from_a_subfolder(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = api_archive(key, "sub/deeper/memo.txt",
		"memo\n", NULL), *opened = NULL;
	custody_open_options opts = CUSTODY_OPEN_OPTIONS_INIT;

	opts.start_dir = api_path("coll/sub/deeper");
	REQUIRE_OK(custody_archive_open(&opened, &opts, &err));
	EXPECT_STR(custody_archive_path(opened),
		custody_archive_path(archive));
	EXPECT_STR(custody_archive_collection(opened), api_path("coll"));
	EXPECT_STR(custody_archive_head(opened), custody_archive_head(archive));
	EXPECT_INT(custody_archive_size(opened), 1);
	EXPECT_STR(custody_archive_origin(opened), "example.org/api-test");
	custody_archive_free(opened);
	opened = NULL;

	/* the borrowed strings outlive a change, which reads the archive's
	 * state again */
	{
		const char *origin = custody_archive_origin(archive),
			*path = custody_archive_path(archive);
		const char *all[] = { "coll" };

		api_add(archive, all, 1);
		EXPECT_STR(origin, "example.org/api-test");
		EXPECT_STR(path, api_path("coll/.custody"));
	}

	/* named outright */
	opts.start_dir = NULL;
	opts.archive_path = api_path("coll/.custody");
	EXPECT_OK(custody_archive_open(&opened, &opts, &err));
	EXPECT(opened != NULL);
	custody_archive_free(opened);
	opened = NULL;

	/* a .custody folder that is no archive */
	api_mkdir("fake");
	api_mkdir("fake/.custody");
	opts.archive_path = NULL;
	opts.start_dir = api_path("fake");
	EXPECT_ERROR(custody_archive_open(&opened, &opts, &err),
		CUSTODY_EINVALID, api_path("fake/.custody"));
	EXPECT(opened == NULL);
	custody_archive_free(archive);
	custody_key_free(key);
}

static void test_archive__add_counts_new_changed_and_unchanged_files(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = api_archive(key, "a.txt", "alpha\n",
		"b.txt", "bravo\n", "memos/c.txt", "charlie\n", NULL);
	custody_add_options opts = CUSTODY_ADD_OPTIONS_INIT;
	custody_add_summary summary;
	struct entries_seen seen;
	const char *all[] = { "coll" };
	const char *one[] = { "coll/a.txt" };
	char *head;

	memset(&seen, 0, sizeof(seen));
	memset(&summary, 0, sizeof(summary));
	opts.threads = 2;
	REQUIRE_OK(custody_archive_add(archive, all, 1, &opts, on_entry,
		&seen, &summary, &err));
	EXPECT_INT(summary.registered, 3);
	EXPECT_INT(summary.new_versions, 0);
	EXPECT_INT(summary.unchanged, 0);
	EXPECT_INT(summary.hashed_bytes, 6 + 6 + 8);
	EXPECT_STR(summary.commit, custody_archive_head(archive));
	EXPECT_INT(custody_archive_size(archive), 4);
	/* the entry callback: each new entry, in log order */
	EXPECT_INT(seen.n, 3);
	EXPECT_INT(seen.index[0], 1);
	EXPECT_INT(seen.index[1], 2);
	EXPECT_INT(seen.index[2], 3);
	EXPECT_STR(seen.path[0], "a.txt");
	EXPECT_STR(seen.path[1], "b.txt");
	EXPECT_STR(seen.path[2], "memos/c.txt");

	/* nothing changed: nothing recorded, no commit */
	head = api_printf("%s", custody_archive_head(archive));
	memset(&summary, 0, sizeof(summary));
	REQUIRE_OK(custody_archive_add(archive, all, 1, &opts, NULL, NULL,
		&summary, &err));
	EXPECT_INT(summary.registered, 0);
	EXPECT_INT(summary.new_versions, 0);
	EXPECT_INT(summary.unchanged, 3);
	EXPECT_STR(summary.commit, "");
	EXPECT_STR(custody_archive_head(archive), head);
	EXPECT_INT(custody_archive_size(archive), 4);

	/* one changed: a second version */
	api_write("coll/a.txt", "alpha, edited\n");
	memset(&summary, 0, sizeof(summary));
	memset(&seen, 0, sizeof(seen));
	REQUIRE_OK(custody_archive_add(archive, all, 1, &opts, on_entry,
		&seen, &summary, &err));
	EXPECT_INT(summary.registered, 0);
	EXPECT_INT(summary.new_versions, 1);
	EXPECT_INT(summary.unchanged, 2);
	EXPECT_INT(seen.n, 1);
	EXPECT_STR(seen.path[0], "a.txt");
	EXPECT_INT(seen.version[0], 2);
	EXPECT_INT(custody_archive_size(archive), 5);

	/* one path only */
	api_write("coll/a.txt", "alpha, third\n");
	api_write("coll/b.txt", "bravo, edited\n");
	memset(&summary, 0, sizeof(summary));
	REQUIRE_OK(custody_archive_add(archive, one, 1, &opts, NULL, NULL,
		&summary, &err));
	EXPECT_INT(summary.new_versions, 1);
	EXPECT_INT(summary.unchanged, 0);
	EXPECT_INT(custody_archive_size(archive), 6);
	custody_archive_free(archive);
	custody_key_free(key);
}

static void test_archive__add_records_nothing_when_a_path_is_refused(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = api_archive(key, "a.txt", "alpha\n", NULL);
	custody_add_options opts = CUSTODY_ADD_OPTIONS_INIT;
	custody_add_summary summary;
	struct refusals refused;
	const char *all[] = { "coll" };
	char *head = api_printf("%s", custody_archive_head(archive));

	EXPECT_INT(symlink("a.txt", "coll/link.txt"), 0);
	memset(&refused, 0, sizeof(refused));
	memset(&summary, 0, sizeof(summary));
	opts.refused = on_refused;
	opts.payload = &refused;
	EXPECT_ERROR(custody_archive_add(archive, all, 1, &opts, NULL, NULL,
		&summary, &err), CUSTODY_EINVALID, NULL);
	EXPECT_INT(refused.n, 1);
	EXPECT_STR(refused.path, "link.txt");
	EXPECT_HAS(refused.reason, "is a symbolic link");
	EXPECT_INT(summary.registered, 0);
	EXPECT_STR(custody_archive_head(archive), head);
	EXPECT_INT(custody_archive_size(archive), 1);
	custody_archive_free(archive);
	custody_key_free(key);
}

static void test_archive__status_names_every_kind_sorted_by_path(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = api_archive(key, "a.txt", "alpha\n",
		"b.txt", "bravo\n", "c.txt", "charlie\n", "d.txt", "delta\n",
		NULL);
	custody_status_options opts = CUSTODY_STATUS_OPTIONS_INIT;
	custody_status_summary sum;
	struct status_seen seen;
	const char *all[] = { "coll" };

	api_add(archive, all, 1);
	memset(&seen, 0, sizeof(seen));
	memset(&sum, 0, sizeof(sum));
	EXPECT_OK(custody_archive_status(archive, &opts, on_status, &seen,
		&sum, &err));
	EXPECT_INT(seen.n, 0);
	EXPECT_INT(sum.unchanged, 4);

	api_write("coll/a.txt", "alpha, edited\n");             /* modified */
	EXPECT_INT(unlink("coll/b.txt"), 0);                    /* missing */
	EXPECT_INT(rename("coll/c.txt", "coll/c-moved.txt"), 0); /* moved */
	api_write("coll/e.txt", "echo\n");                      /* new */
	api_write("coll/f.txt", "delta\n");      /* new, a copy of d.txt */
	EXPECT_INT(symlink("d.txt", "coll/g.txt"), 0);          /* refused */

	memset(&seen, 0, sizeof(seen));
	memset(&sum, 0, sizeof(sum));
	REQUIRE_OK(custody_archive_status(archive, &opts, on_status, &seen,
		&sum, &err));
	REQUIRE(seen.n == 6);
	EXPECT_STR(seen.path[0], "a.txt");
	EXPECT_INT(seen.kind[0], CUSTODY_STATUS_MODIFIED);
	EXPECT_STR(seen.path[1], "b.txt");
	EXPECT_INT(seen.kind[1], CUSTODY_STATUS_MISSING);
	EXPECT_STR(seen.path[2], "c-moved.txt");
	EXPECT_INT(seen.kind[2], CUSTODY_STATUS_MOVED);
	EXPECT_STR(seen.from[2], "c.txt");
	EXPECT_STR(seen.path[3], "e.txt");
	EXPECT_INT(seen.kind[3], CUSTODY_STATUS_NEW);
	EXPECT(seen.duplicate_of[3] == NULL);
	EXPECT_STR(seen.path[4], "f.txt");
	EXPECT_INT(seen.kind[4], CUSTODY_STATUS_NEW);
	EXPECT_STR(seen.duplicate_of[4], "d.txt");
	EXPECT_STR(seen.path[5], "g.txt");
	EXPECT_INT(seen.kind[5], CUSTODY_STATUS_REFUSED);
	EXPECT_HAS(seen.reason[5], "is a symbolic link");
	for (int i = 0; i < 5; i++) {
		EXPECT(seen.reason[i] == NULL);
		if (i != 2)
			EXPECT(seen.from[i] == NULL);
	}
	EXPECT_INT(sum.unchanged, 1);
	EXPECT_INT(sum.added, 2);
	EXPECT_INT(sum.modified, 1);
	EXPECT_INT(sum.missing, 1);
	EXPECT_INT(sum.moved, 1);
	EXPECT_INT(sum.refused, 1);

	/* a non-zero return stops the walk and comes back */
	memset(&seen, 0, sizeof(seen));
	seen.stop_at = 2;
	EXPECT_INT(custody_archive_status(archive, &opts, on_status, &seen,
		&sum, &err), 5);
	EXPECT_INT(seen.n, 2);
	custody_error_free(err);
	custody_archive_free(archive);
	custody_key_free(key);
}

static void test_archive__verify_passes_then_names_a_modified_document(void)
{
	custody_key *key = api_key();
	custody_archive *archive = api_archive(key, "a.txt", "alpha\n",
		"b.txt", "bravo\n", NULL);
	custody_verify_summary sum;
	struct problems_seen problems;
	const char *all[] = { "coll" };
	char *recorded;
	int rc;

	api_add(archive, all, 1);
	sum = verify(archive, 1, &problems, &rc);
	EXPECT_INT(rc, 0);
	EXPECT_INT(problems.n, 0);
	EXPECT_INT(sum.problems, 0);
	EXPECT_INT(sum.commits, 2);
	EXPECT_INT(sum.entries, 3);
	EXPECT_INT(sum.documents, 2);
	EXPECT_INT(sum.signatures, 2);
	EXPECT_INT(sum.files_checked, 2);
	EXPECT_INT(sum.blobs_checked, 2);

	recorded = sha256sum("coll/a.txt");
	api_write("coll/a.txt", "alpha, edited\n");
	/* without full, documents on disk are not reread */
	sum = verify(archive, 0, &problems, &rc);
	EXPECT_INT(rc, 0);
	EXPECT_INT(problems.n, 0);
	sum = verify(archive, 1, &problems, &rc);
	EXPECT_INT(rc, CUSTODY_EVERIFY);
	EXPECT_INT(sum.problems, 1);
	REQUIRE(problems.n == 1);
	EXPECT_STR(problems.where[0], "a.txt");
	EXPECT_STR(problems.message[0], api_printf("modified: its SHA-256 "
		"is %s, the record (entry 1) says %s",
		sha256sum("coll/a.txt"), recorded));

	/* a missing one is named too */
	EXPECT_INT(unlink("coll/b.txt"), 0);
	sum = verify(archive, 1, &problems, &rc);
	EXPECT_INT(rc, CUSTODY_EVERIFY);
	EXPECT_INT(problems.n, 2);
	EXPECT_STR(problems.where[1], "b.txt");
	EXPECT_STR(problems.message[1], "missing from the collection "
		"(registered at entry 2)");
	custody_archive_free(archive);
	custody_key_free(key);
}

static void test_archive__verify_refuses_an_entry_rewritten_with_git(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = api_archive(key, "a.txt", "alpha\n", NULL);
	custody_archive *reopened = NULL;
	custody_open_options open_opts = CUSTODY_OPEN_OPTIONS_INIT;
	custody_verify_summary sum;
	struct problems_seen problems;
	const char *all[] = { "coll" };
	const char *entry = "log/000/000/000000001.yaml";
	char *forged = NULL;
	int rc;

	api_add(archive, all, 1);
	/* entry 1 says another size; committed (unsigned) by stock git */
	EXPECT_INT(api_sh(NULL, "set -e; export GIT_DIR=coll/.custody "
		"GIT_INDEX_FILE=$PWD/index; git read-tree main; "
		"git show main:%s >entry; grep -q '^size: 6$' entry; "
		"sed -i 's/^size: 6$/size: 7/' entry; "
		"git update-index --cacheinfo 100644,$(git hash-object -w "
		"entry),%s; c=$(git -c user.name=x -c user.email=x "
		"commit-tree -p main -m forged $(git write-tree)); "
		"git update-ref refs/heads/main $c", entry, entry), 0);
	EXPECT_INT(api_sh(&forged, "git --git-dir=coll/.custody rev-parse "
		"--short=12 main"), 0);
	forged = api_printf("commit %s", api_chomp(forged));
	open_opts.archive_path = api_path("coll/.custody");
	REQUIRE_OK(custody_archive_open(&reopened, &open_opts, &err));
	sum = verify(reopened, 1, &problems, &rc);
	EXPECT_INT(rc, CUSTODY_EVERIFY);
	EXPECT_INT(sum.problems, problems.n);
	EXPECT(has_problem(&problems, forged, "is not signed: every custody "
		"commit carries the SSH signature of the member who made it"));
	EXPECT(has_problem(&problems, forged, api_printf("changes entry %s: "
		"the log is append-only; history was rewritten", entry)));
	custody_archive_free(reopened);
	custody_archive_free(archive);
	custody_key_free(key);
}

static void test_archive__log_walks_newest_first(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = api_archive(key, "a.txt", "alpha\n",
		"b.txt", "bravo\n", NULL);
	struct entries_seen seen;
	const char *all[] = { "coll" };

	api_add(archive, all, 1);
	api_write("coll/a.txt", "alpha, edited\n");
	api_add(archive, all, 1);       /* entry 3: a.txt version 2 */

	memset(&seen, 0, sizeof(seen));
	EXPECT_OK(custody_archive_log(archive, NULL, 0, on_entry, &seen,
		&err));
	REQUIRE(seen.n == 4);
	for (int i = 0; i < 4; i++)
		EXPECT_INT(seen.index[i], 3 - i);
	EXPECT_STR(seen.path[0], "a.txt");
	EXPECT_STR(seen.path[1], "b.txt");
	EXPECT(seen.path[3] == NULL);   /* genesis */

	/* one document's versions, newest first */
	memset(&seen, 0, sizeof(seen));
	EXPECT_OK(custody_archive_log(archive, "coll/a.txt", 0, on_entry,
		&seen, &err));
	EXPECT_INT(seen.n, 2);
	EXPECT_INT(seen.index[0], 3);
	EXPECT_INT(seen.version[0], 2);
	EXPECT_INT(seen.index[1], 1);
	EXPECT_INT(seen.version[1], 1);

	/* a limit; a callback that stops */
	memset(&seen, 0, sizeof(seen));
	EXPECT_OK(custody_archive_log(archive, NULL, 2, on_entry, &seen,
		&err));
	EXPECT_INT(seen.n, 2);
	EXPECT_INT(seen.index[1], 2);
	memset(&seen, 0, sizeof(seen));
	seen.stop_at = 3;
	EXPECT_INT(custody_archive_log(archive, NULL, 0, on_entry, &seen,
		&err), 9);
	EXPECT_INT(seen.n, 3);
	custody_error_free(err);
	err = NULL;
	memset(&seen, 0, sizeof(seen));
	EXPECT_ERROR(custody_archive_log(archive, "coll/none.txt", 0,
		on_entry, &seen, &err), CUSTODY_ENOTFOUND, NULL);
	EXPECT_INT(seen.n, 0);
	custody_archive_free(archive);
	custody_key_free(key);
}

static void test_archive__entry_reads_back_what_was_registered(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = api_archive(key, "memos/a.txt", "alpha\n",
		NULL);
	custody_entry *entry = NULL;
	const char *all[] = { "coll" };

	api_add(archive, all, 1);
	REQUIRE_OK(custody_archive_entry(archive, 1, &entry, &err));
	EXPECT_INT(custody_entry_index(entry), 1);
	EXPECT_STR(custody_entry_type_name(entry), "register");
	EXPECT_STR(custody_entry_path(entry), "memos/a.txt");
	EXPECT_INT(custody_entry_size(entry), 6);
	EXPECT_STR(custody_entry_sha256(entry), sha256sum("coll/memos/a.txt"));
	EXPECT_INT(custody_entry_version(entry), 1);
	EXPECT_STR(custody_entry_actor(entry), "alice");
	custody_entry_free(entry);
	entry = NULL;
	EXPECT_ERROR(custody_archive_entry(archive, 2, &entry, &err),
		CUSTODY_ENOTFOUND, NULL);
	EXPECT(entry == NULL);
	custody_archive_free(archive);
	custody_key_free(key);
}

static void test_archive__restore_is_byte_for_byte_and_asks_for_force(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = api_archive(key, "a.txt", "", NULL);
	static const char first[] = "line one\r\n\0binary\xff\n";
	static const char second[] = "second version\n";
	const char *all[] = { "coll" };
	char *got;
	size_t len;

	api_write_bytes("coll/a.txt", first, sizeof(first) - 1);
	api_add(archive, all, 1);
	api_write("coll/a.txt", second);
	api_add(archive, all, 1);

	EXPECT_OK(custody_archive_restore(archive, "coll/a.txt", 1,
		api_path("v1"), 0, &err));
	got = api_read("v1", &len);
	EXPECT(got && len == sizeof(first) - 1 &&
		memcmp(got, first, len) == 0);
	/* the latest, 0 */
	EXPECT_OK(custody_archive_restore(archive, "coll/a.txt", 0,
		api_path("latest"), 0, &err));
	EXPECT_STR(api_read("latest", NULL), second);

	/* a destination that differs is kept without force */
	EXPECT_INT(custody_archive_restore(archive, "coll/a.txt", 2,
		api_path("v1"), 0, &err), CUSTODY_EEXISTS);
	EXPECT_STR(err ? custody_error_message(err) : "", api_printf(
		"%s: exists and differs from version 2", api_path("v1")));
	EXPECT_INT(custody_error_hint(err), CUSTODY_HINT_FORCE);
	custody_error_free(err);
	err = NULL;
	got = api_read("v1", &len);
	EXPECT(got && len == sizeof(first) - 1 &&
		memcmp(got, first, len) == 0);
	/* one that is identical is fine */
	EXPECT_OK(custody_archive_restore(archive, "coll/a.txt", 0,
		api_path("latest"), 0, &err));
	EXPECT_OK(custody_archive_restore(archive, "coll/a.txt", 2,
		api_path("v1"), 1, &err));
	EXPECT_STR(api_read("v1", NULL), second);

	/* back to its place in the collection */
	EXPECT_INT(unlink("coll/a.txt"), 0);
	EXPECT_OK(custody_archive_restore(archive, "coll/a.txt", 1, NULL, 0,
		&err));
	got = api_read("coll/a.txt", &len);
	EXPECT(got && len == sizeof(first) - 1 &&
		memcmp(got, first, len) == 0);

	EXPECT_ERROR(custody_archive_restore(archive, "coll/a.txt", 3,
		api_path("v3"), 0, &err), CUSTODY_ENOTFOUND,
		"a.txt: has 2 version(s), not 3");
	EXPECT_ERROR(custody_archive_restore(archive, "coll/none.txt", 0,
		api_path("none"), 0, &err), CUSTODY_ENOTFOUND,
		"none.txt: not registered in this archive");
	EXPECT(access("v3", F_OK) != 0 && access("none", F_OK) != 0);
	custody_archive_free(archive);
	custody_key_free(key);
}

static void test_archive__restore_of_hashes_only_is_enotfound(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = api_archive(key, "a.txt", "alpha\n", NULL);
	custody_add_options opts = CUSTODY_ADD_OPTIONS_INIT;
	custody_add_summary summary;
	custody_entry *entry = NULL;
	const char *all[] = { "coll" };

	opts.store = 0;
	REQUIRE_OK(custody_archive_add(archive, all, 1, &opts, NULL, NULL,
		&summary, &err));
	REQUIRE_OK(custody_archive_entry(archive, 1, &entry, &err));
	EXPECT(custody_entry_blob(entry) == NULL);
	custody_entry_free(entry);
	EXPECT_ERROR(custody_archive_restore(archive, "coll/a.txt", 0,
		api_path("out"), 0, &err), CUSTODY_ENOTFOUND,
		"a.txt: version 1 was registered without storing its content");
	EXPECT(access("out", F_OK) != 0);
	custody_archive_free(archive);
	custody_key_free(key);
}

int main(void)
{
	static const struct api_test tests[] = {
		API_TEST(test_archive__init_makes_one_and_refuses_a_second),
		API_TEST(test_archive__open_finds_it_from_a_subfolder),
		API_TEST(
		    test_archive__add_counts_new_changed_and_unchanged_files),
		API_TEST(
		    test_archive__add_records_nothing_when_a_path_is_refused),
		API_TEST(test_archive__status_names_every_kind_sorted_by_path),
		API_TEST(
		    test_archive__verify_passes_then_names_a_modified_document),
		API_TEST(
		    test_archive__verify_refuses_an_entry_rewritten_with_git),
		API_TEST(test_archive__log_walks_newest_first),
		API_TEST(test_archive__entry_reads_back_what_was_registered),
		API_TEST(
		    test_archive__restore_is_byte_for_byte_and_asks_for_force),
		API_TEST(test_archive__restore_of_hashes_only_is_enotfound),
		{ NULL, NULL }
	};
	return api_main("archive", tests);
}
