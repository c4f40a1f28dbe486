/*
 * The public API as an outside program uses it: compiled with only the
 * flags `pkg-config --cflags --libs custody` gives and linked against the
 * shared library. Registers a folder, checks its status, verifies the
 * archive, makes a proof for one document and checks that proof offline,
 * then checks that a changed document fails the check at the file step.
 */
#include "api.h"

static int ok(int rc, custody_error *err, const char *what)
{
	if (rc == 0)
		return 1;
	fprintf(stderr, "%s: %d: %s\n", what, rc,
		err ? custody_error_message(err) : "(no error)");
	custody_error_free(err);
	api_state()->failures++;
	return 0;
}

struct seen {
	int modified;
	int other;
	char path[256];
};

static int on_status(const custody_status_item *item, void *payload)
{
	struct seen *s = payload;
	if (item->kind == CUSTODY_STATUS_MODIFIED) {
		s->modified++;
		snprintf(s->path, sizeof(s->path), "%s", item->path);
	} else {
		s->other++;
	}
	return 0;
}

static int on_problem(const custody_problem *p, void *payload)
{
	(void)payload;
	fprintf(stderr, "verify: %s: %s\n", p->where, p->message);
	return 0;
}

static void test_flow__register_verify_prove_check_refuse_a_change(void)
{
	char dir[4096], file[4200], other[4200];
	custody_error *err = NULL;
	custody_key *key = NULL;
	custody_archive *a = NULL;

	api_mkdir("collection");
	snprintf(dir, sizeof(dir), "%s", api_path("collection"));
	snprintf(file, sizeof(file), "%s/memo.txt", dir);
	snprintf(other, sizeof(other), "%s/ledger.csv", dir);
	api_write(file, "The memo, as the source gave it.\n");
	api_write(other, "date,amount\n2019-04-01,1000\n");

	EXPECT(strcmp(custody_version(), CUSTODY_VERSION_STRING) == 0);

	if (!ok(custody_key_generate(&key, &err), err, "key"))
		api_abort();
	custody_init_options io = CUSTODY_INIT_OPTIONS_INIT;
	io.collection = dir;
	io.origin = "example.org/api-test";
	io.key = key;
	io.log_key = key;
	io.member = "alice";
	if (!ok(custody_archive_init(&a, &io, &err), err, "init"))
		api_abort();
	EXPECT(custody_archive_size(a) == 1);   /* the genesis entry */

	const char *paths[] = { file, other };
	custody_add_options ao = CUSTODY_ADD_OPTIONS_INIT;
	custody_add_summary added;
	memset(&added, 0, sizeof(added));
	if (!ok(custody_archive_add(a, paths, 2, &ao, NULL, NULL, &added,
			&err), err, "add"))
		api_abort();
	EXPECT(added.registered == 2);
	EXPECT(added.struct_version == CUSTODY_ADD_SUMMARY_VERSION);
	EXPECT(strlen(added.commit) == 40);
	EXPECT(strcmp(added.commit, custody_archive_head(a)) == 0);
	EXPECT(custody_archive_size(a) == 3);

	custody_verify_options vo = CUSTODY_VERIFY_OPTIONS_INIT;
	vo.full = 1;
	custody_verify_summary vs;
	memset(&vs, 0, sizeof(vs));
	EXPECT(custody_archive_verify(a, &vo, on_problem, NULL, &vs, &err)
		== 0);
	custody_error_free(err);
	err = NULL;
	EXPECT(vs.problems == 0);
	EXPECT(vs.struct_version == CUSTODY_VERIFY_SUMMARY_VERSION);
	EXPECT(vs.entries == 3);
	EXPECT(vs.signatures >= 2);

	custody_buf proof = CUSTODY_BUF_INIT;
	static const char *const disclose[] = { "path", "version", "actor" };
	if (!ok(custody_archive_proof_disclosing(a, file, 0, disclose, 3,
			&proof, &err), err, "proof"))
		api_abort();
	custody_buf pub = CUSTODY_BUF_INIT;
	if (!ok(custody_pubkey_openssh(custody_key_public(key), &pub, &err),
			err, "public key"))
		api_abort();

	custody_check_options co = CUSTODY_CHECK_OPTIONS_INIT;
	co.key = pub.ptr;
	custody_check_result cr;
	memset(&cr, 0, sizeof(cr));
	EXPECT(custody_check(file, proof.ptr, proof.size, &co, &cr, &err)
		== 0);
	custody_error_free(err);
	err = NULL;
	EXPECT(strcmp(cr.failed_step, "") == 0);
	EXPECT(cr.struct_version == CUSTODY_CHECK_RESULT_VERSION);
	EXPECT(strcmp(cr.origin, "example.org/api-test") == 0);
	EXPECT(strcmp(cr.path, "memo.txt") == 0);
	EXPECT(cr.version == 1);
	EXPECT(cr.tree_size == 3);
	EXPECT(strcmp(cr.actor, "alice") == 0);

	/* The document changes on disk: status says so, the check refuses. */
	api_write(file, "The memo, edited.\n");
	custody_status_options so = CUSTODY_STATUS_OPTIONS_INIT;
	custody_status_summary ss;
	struct seen seen;
	memset(&ss, 0, sizeof(ss));
	memset(&seen, 0, sizeof(seen));
	if (ok(custody_archive_status(a, &so, on_status, &seen, &ss, &err),
			err, "status")) {
		EXPECT(seen.modified == 1 && seen.other == 0);
		EXPECT(strcmp(seen.path, "memo.txt") == 0);
		EXPECT(ss.modified == 1 && ss.unchanged == 1);
		EXPECT(ss.struct_version ==
			CUSTODY_STATUS_SUMMARY_VERSION);
	}
	memset(&cr, 0, sizeof(cr));
	EXPECT(custody_check(file, proof.ptr, proof.size, &co, &cr, &err)
		== CUSTODY_EVERIFY);
	EXPECT(err != NULL && custody_error_code(err) == CUSTODY_EVERIFY);
	EXPECT(strcmp(cr.failed_step, "file") == 0);
	custody_error_free(err);

	custody_buf_dispose(&proof);
	custody_buf_dispose(&pub);
	custody_archive_free(a);
	custody_key_free(key);
}

int main(void)
{
	static const struct api_test tests[] = {
		API_TEST(
		    test_flow__register_verify_prove_check_refuse_a_change),
		{ NULL, NULL }
	};
	return api_main("flow", tests);
}
