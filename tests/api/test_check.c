/*
 * The offline checks (custody_check, custody_consistency_check): what a
 * reader holds is a file, a proof and the outlet's key, and no archive.
 */
#include "api.h"

#include <inttypes.h>

/* alice's archive with ledger.csv, memo.txt and photo.txt registered
 * (entries 1 to 3, in path order). */
static custody_archive *archive_with_documents(custody_key *key)
{
	custody_archive *archive = api_archive(key, "memo.txt",
		"The memo, as the source gave it.\n", "ledger.csv",
		"date,amount\n", "photo.txt", "photo\n", NULL);
	const char *all[] = { "coll" };

	api_add(archive, all, 1);
	return archive;
}

/* The proof of `path` as a NUL-terminated string, kept to the end. */
static char *proof_of(custody_archive *archive, const char *path,
	size_t *len)
{
	custody_error *err = NULL;
	custody_buf proof = CUSTODY_BUF_INIT;
	char *copy;

	REQUIRE_OK(custody_archive_proof(archive, path, 0, &proof, &err));
	copy = api_own(malloc(proof.size + 1));
	memcpy(copy, proof.ptr, proof.size);
	copy[proof.size] = '\0';
	*len = proof.size;
	custody_buf_dispose(&proof);
	return copy;
}

static char *checkpoint(custody_archive *archive)
{
	custody_error *err = NULL;
	custody_buf note = CUSTODY_BUF_INIT;
	char *copy;

	REQUIRE_OK(custody_archive_checkpoint(archive, &note, NULL, &err));
	copy = api_printf("%.*s", (int)note.size, note.ptr);
	custody_buf_dispose(&note);
	return copy;
}

static char *vkey_of(const custody_key *key, const char *origin)
{
	custody_error *err = NULL;
	custody_buf vkey = CUSTODY_BUF_INIT;
	char *copy;

	REQUIRE_OK(custody_pubkey_vkey(custody_key_public(key), origin, &vkey,
		&err));
	copy = api_printf("%s", vkey.ptr);
	custody_buf_dispose(&vkey);
	return copy;
}

/* custody_check of `file` against `proof` with key `key` only. */
static int check(const char *file, const char *proof, size_t len,
	const char *key, custody_check_result *r, custody_error **err)
{
	custody_check_options opts = CUSTODY_CHECK_OPTIONS_INIT;

	opts.key = key;
	memset(r, 0x55, sizeof(*r));
	return custody_check(file, proof, len, &opts, r, err);
}

static void test_check__a_good_proof_passes_every_step(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = archive_with_documents(key);
	custody_checkpoint_info info;
	custody_check_result r;
	custody_buf note = CUSTODY_BUF_INIT;
	custody_entry *entry = NULL;
	char fingerprint[CUSTODY_FINGERPRINT_SIZE];
	char *line = api_openssh(custody_key_public(key));
	char *proof;
	size_t len;

	static const char *const fields[] = { "path", "version", "actor" };
	custody_buf plain = CUSTODY_BUF_INIT, disclosing = CUSTODY_BUF_INIT;

	/* one proof as it goes out by default, one that discloses three
	 * private fields */
	REQUIRE_OK(custody_archive_proof(archive, "coll/memo.txt", 0, &plain,
		&err));
	REQUIRE_OK(custody_archive_proof_disclosing(archive, "coll/memo.txt",
		0, fields, 3, &disclosing, &err));
	proof = api_own(malloc(disclosing.size + 1));
	memcpy(proof, disclosing.ptr, disclosing.size);
	len = disclosing.size;
	REQUIRE_OK(custody_archive_checkpoint(archive, &note, &info, &err));
	custody_buf_dispose(&note);
	REQUIRE_OK(custody_archive_entry(archive, 2, &entry, &err));
	custody_pubkey_fingerprint(custody_key_public(key), fingerprint);

	/* the archive is gone: only the file, the proof and the key */
	custody_archive_free(archive);
	EXPECT_INT(api_sh(NULL, "cp coll/memo.txt memo.txt && rm -rf coll"),
		0);
	EXPECT_OK(check("memo.txt", proof, len, line, &r, &err));
	EXPECT_STR(r.failed_step, "");
	EXPECT_STR(r.origin, "example.org/api-test");
	EXPECT_INT(r.tree_size, 4);
	EXPECT_STR(r.root, info.root);
	EXPECT_STR(r.fingerprint, fingerprint);
	EXPECT_INT(r.index, 2);
	EXPECT_STR(r.path, "memo.txt");
	EXPECT_INT(r.version, 1);
	EXPECT_INT(r.size, 33);
	EXPECT_STR(r.sha256, api_sh_line("sha256sum memo.txt | cut -c1-64"));
	EXPECT_STR(r.registered, custody_entry_time(entry));
	EXPECT_STR(r.actor, "alice");
	EXPECT_INT(r.has_timestamp, 0);
	EXPECT_INT(r.has_old_checkpoint, 0);
	EXPECT_INT(r.is_derivative, 0);
	EXPECT_STR(r.disclosed, "path,version,actor");
	EXPECT_INT(r.private_fields_known, 1);
	EXPECT_STR(r.private_fields, "actor,path,version,blob");
	EXPECT_INT(r.published, 0);
	/* the default proof: the same verdict, nothing private in it */
	EXPECT_OK(check("memo.txt", plain.ptr, plain.size, line, &r, &err));
	EXPECT_STR(r.path, "");
	EXPECT_STR(r.actor, "");
	EXPECT_INT(r.version, 0);
	EXPECT_STR(r.disclosed, "");
	EXPECT_INT(r.private_fields_known, 0);
	EXPECT_STR(r.private_fields, "");
	custody_buf_dispose(&plain);
	custody_buf_dispose(&disclosing);

	/* the verifier-key form of the same key */
	EXPECT_OK(check("memo.txt", proof, len, vkey_of(key,
		"example.org/api-test"), &r, &err));
	EXPECT_STR(r.failed_step, "");
	custody_entry_free(entry);
	custody_key_free(key);
}

static void test_check__another_file_fails_at_the_file_step(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = archive_with_documents(key);
	custody_check_result r;
	char *line = api_openssh(custody_key_public(key)), *proof;
	size_t len;

	proof = proof_of(archive, "coll/memo.txt", &len);
	/* another document of the same archive */
	EXPECT_ERROR(check("coll/photo.txt", proof, len, line, &r, &err),
		CUSTODY_EVERIFY, "file: ");
	EXPECT_STR(r.failed_step, "file");
	/* the document, one byte changed */
	api_write("coll/memo.txt", "The memo, as the source gave it!\n");
	EXPECT_ERROR(check("coll/memo.txt", proof, len, line, &r, &err),
		CUSTODY_EVERIFY, "file: ");
	EXPECT_STR(r.failed_step, "file");
	/* a file that is not there: an I/O error (the header names only
	 * EVERIFY and EINVALID), still at the file step */
	EXPECT_ERROR(check("coll/none.txt", proof, len, line, &r, &err),
		CUSTODY_EIO, "coll/none.txt: cannot read");
	EXPECT_STR(r.failed_step, "file");
	custody_archive_free(archive);
	custody_key_free(key);
}

static void test_check__another_key_fails_at_the_signature_step(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key(), *other = api_key();
	custody_archive *archive = archive_with_documents(key);
	custody_check_result r;
	char *proof;
	size_t len;

	proof = proof_of(archive, "coll/memo.txt", &len);
	/* told apart from a forged log: signed for it, by another key */
	EXPECT_ERROR(check("coll/memo.txt", proof, len, api_openssh(
		custody_key_public(other)), &r, &err), CUSTODY_EVERIFY,
		"checkpoint signed for example.org/api-test, but not by the "
		"key you gave (key id ");
	EXPECT_STR(r.failed_step, "signature");
	/* the right key under another log's name */
	EXPECT_ERROR(check("coll/memo.txt", proof, len, vkey_of(key,
		"example.org/elsewhere"), &r, &err), CUSTODY_EVERIFY,
		"but the key you gave is named example.org/elsewhere");
	EXPECT_STR(r.failed_step, "signature");
	/* no key at all is not a key: step "key", which the header's list
	 * of steps does not name */
	EXPECT_ERROR(check("coll/memo.txt", proof, len, "not a key", &r,
		&err), CUSTODY_EINVALID, NULL);
	EXPECT_STR(r.failed_step, "key");
	custody_archive_free(archive);
	custody_key_free(other);
	custody_key_free(key);
}

static void test_check__a_damaged_proof_is_einvalid_or_fails_its_step(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = archive_with_documents(key);
	custody_check_result r;
	char *line = api_openssh(custody_key_public(key)), *proof, *bad;
	char *hash;
	size_t len;

	proof = proof_of(archive, "coll/memo.txt", &len);
	EXPECT_ERROR(check("coll/memo.txt", "garbage\n", 8, line, &r, &err),
		CUSTODY_EINVALID, "the proof does not start with "
		"\"custody-proof/v3\" (not a custody proof file of this "
		"version)");
	EXPECT_STR(r.failed_step, "proof");
	/* saved with CRLF line endings: said, not "not a proof" */
	bad = api_printf("custody-proof/v3\r\n\r\n%s", proof +
		strlen("custody-proof/v3\n\n"));
	EXPECT_ERROR(check("coll/memo.txt", bad, strlen(bad), line, &r, &err),
		CUSTODY_EINVALID, "the proof has CRLF (Windows) line endings");
	EXPECT_STR(r.failed_step, "proof");
	/* cut short */
	EXPECT_ERROR(check("coll/memo.txt", proof, len / 2, line, &r, &err),
		CUSTODY_EINVALID, NULL);
	EXPECT_STR(r.failed_step, "proof");
	/* base64 broken in "extra" */
	bad = api_printf("%s", proof);
	bad[strlen("custody-proof/v3\n\nc2sp.org/tlog-proof@v1\nextra ") +
		3] = '*';
	EXPECT_ERROR(check("coll/memo.txt", bad, len, line, &r, &err),
		CUSTODY_EINVALID, NULL);
	EXPECT_STR(r.failed_step, "proof");
	/* a well-formed inclusion hash that is wrong */
	bad = api_printf("%s", proof);
	hash = strstr(bad, "\nindex 2\n");
	REQUIRE(hash != NULL);
	hash += strlen("\nindex 2\n");
	hash[0] = hash[0] == 'A' ? 'B' : 'A';
	EXPECT_ERROR(check("coll/memo.txt", bad, len, line, &r, &err),
		CUSTODY_EVERIFY, "inclusion");
	EXPECT_STR(r.failed_step, "inclusion");
	/* another index for the same entry */
	bad = api_printf("%s", proof);
	hash = strstr(bad, "\nindex 2\n");
	hash[strlen("\nindex ")] = '3';
	EXPECT_ERROR(check("coll/memo.txt", bad, len, line, &r, &err),
		CUSTODY_EVERIFY, "entry");
	EXPECT_STR(r.failed_step, "entry");
	custody_archive_free(archive);
	custody_key_free(key);
}

static void test_check__a_saved_checkpoint_is_checked_for_consistency(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = archive_with_documents(key);
	custody_check_options opts = CUSTODY_CHECK_OPTIONS_INIT;
	custody_check_result r;
	custody_buf consistency = CUSTODY_BUF_INIT;
	const char *more[] = { "coll/more.txt" };
	char *old, *proof, *line = api_openssh(custody_key_public(key));
	size_t len;

	old = checkpoint(archive);                      /* size 4 */
	api_write("coll/more.txt", "more\n");
	api_add(archive, more, 1);                      /* size 5 */
	proof = proof_of(archive, "coll/memo.txt", &len);
	REQUIRE_OK(custody_archive_consistency(archive, old, strlen(old), NULL,
		0, &consistency, &err));

	opts.key = line;
	opts.old_checkpoint = old;
	opts.old_checkpoint_len = strlen(old);
	opts.consistency = consistency.ptr;
	opts.consistency_len = consistency.size;
	memset(&r, 0, sizeof(r));
	EXPECT_OK(custody_check("coll/memo.txt", proof, len, &opts, &r, &err));
	EXPECT_STR(r.failed_step, "");
	EXPECT_INT(r.has_old_checkpoint, 1);
	EXPECT_INT(r.old_size, 4);
	EXPECT_INT(r.tree_size, 5);

	/* the saved checkpoint without the proof between them */
	opts.consistency = NULL;
	opts.consistency_len = 0;
	EXPECT_ERROR(custody_check("coll/memo.txt", proof, len, &opts, &r,
		&err), CUSTODY_EINVALID, "need a consistency proof");
	EXPECT_STR(r.failed_step, "consistency");
	custody_buf_dispose(&consistency);
	custody_archive_free(archive);
	custody_key_free(key);
}

static void test_check__consistency_check_refuses_swapped_checkpoints(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = archive_with_documents(key);
	custody_buf proof = CUSTODY_BUF_INIT;
	const char *more[] = { "coll/more.txt" };
	char *old, *new_, *line = api_openssh(custody_key_public(key));

	old = checkpoint(archive);
	api_write("coll/more.txt", "more\n");
	api_add(archive, more, 1);
	new_ = checkpoint(archive);
	REQUIRE_OK(custody_archive_consistency(archive, old, strlen(old), NULL,
		0, &proof, &err));
	EXPECT_OK(custody_consistency_check(old, strlen(old), new_,
		strlen(new_), proof.ptr, proof.size, line, &err));
	EXPECT_ERROR(custody_consistency_check(new_, strlen(new_), old,
		strlen(old), proof.ptr, proof.size, line, &err),
		CUSTODY_EINVALID, "the first checkpoint (size 5) is larger "
		"than the second (size 4): give the older checkpoint first");
	/* one checkpoint twice, with a proof of other sizes */
	EXPECT_ERROR(custody_consistency_check(new_, strlen(new_), new_,
		strlen(new_), proof.ptr, proof.size, line, &err),
		CUSTODY_EINVALID, "the consistency proof is from size 4 to 5, "
		"not from 5 to 5");
	/* the archive will not make one backwards either */
	custody_buf_dispose(&proof);
	EXPECT_ERROR(custody_archive_consistency(archive, new_, strlen(new_),
		old, strlen(old), &proof, &err), CUSTODY_EINVALID,
		"the old checkpoint (size 5) is newer than the new one (size "
		"4); give them the other way round");
	EXPECT(proof.ptr == NULL);
	custody_archive_free(archive);
	custody_key_free(key);
}

static void test_check__two_histories_under_one_key_are_a_fork(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *ours, *theirs = NULL;
	custody_init_options opts = CUSTODY_INIT_OPTIONS_INIT;
	custody_buf proof = CUSTODY_BUF_INIT;
	const char *all[] = { "coll" };
	char *ours_1, *theirs_1, *ours_4;
	char *line = api_openssh(custody_key_public(key));

	/* the same origin and key, two geneses */
	ours = api_archive(key, "memo.txt", "memo\n", "a.txt", "a\n",
		"b.txt", "b\n", NULL);
	ours_1 = checkpoint(ours);
	api_mkdir("twin");
	opts.collection = api_path("twin");
	opts.origin = "example.org/api-test";
	opts.key = key;
	opts.log_key = key;
	opts.member = "alice";
	REQUIRE_OK(custody_archive_init(&theirs, &opts, &err));
	theirs_1 = checkpoint(theirs);
	EXPECT(strcmp(ours_1, theirs_1) != 0);
	api_add(ours, all, 1);
	ours_4 = checkpoint(ours);
	REQUIRE_OK(custody_archive_consistency(ours, ours_1, strlen(ours_1),
		NULL, 0, &proof, &err));

	EXPECT_OK(custody_consistency_check(ours_1, strlen(ours_1), ours_4,
		strlen(ours_4), proof.ptr, proof.size, line, &err));
	EXPECT_ERROR(custody_consistency_check(theirs_1, strlen(theirs_1),
		ours_4, strlen(ours_4), proof.ptr, proof.size, line, &err),
		CUSTODY_EVERIFY, "evidence of a fork: the checkpoints of "
		"example.org/api-test at sizes 1 (root ");
	EXPECT_ERROR(custody_consistency_check(theirs_1, strlen(theirs_1),
		ours_1, strlen(ours_1),
		"custody-consistency/v1\nold 1\nnew 1\n", 35, line, &err),
		CUSTODY_EVERIFY, "evidence of a fork: two "
		"checkpoints of example.org/api-test, both signed by ");
	/* and the archive will not vouch for the other history */
	custody_buf_dispose(&proof);
	EXPECT_ERROR(custody_archive_consistency(ours, theirs_1,
		strlen(theirs_1), NULL, 0, &proof, &err), CUSTODY_EVERIFY,
		"the two are evidence of a fork");
	custody_archive_free(theirs);
	custody_archive_free(ours);
	custody_key_free(key);
}

static void test_check__a_derivative_says_so_without_the_original(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = archive_with_documents(key);
	custody_derive_options opts = CUSTODY_DERIVE_OPTIONS_INIT;
	custody_check_result r;
	char *proof, *line = api_openssh(custody_key_public(key));
	size_t len;
	uint64_t index = 0;

	api_write("coll/redacted.txt", "The memo, [redacted].\n");
	opts.derivation = "redact";
	REQUIRE_OK(custody_archive_derive(archive, "coll/memo.txt",
		"coll/redacted.txt", &opts, &index, NULL, &err));
	proof = proof_of(archive, "coll/redacted.txt", &len);
	EXPECT_OK(check("coll/redacted.txt", proof, len, line, &r, &err));
	EXPECT_INT(r.is_derivative, 1);
	EXPECT_STR(r.derivation, "redact");
	EXPECT_INT(r.derived_from, 2);
	EXPECT_INT(r.index, index);
	/* the original's digest is nowhere in the proof */
	EXPECT(strstr(proof, api_sh_line("sha256sum coll/memo.txt | "
		"cut -c1-64")) == NULL);
	custody_archive_free(archive);
	custody_key_free(key);
}

static void test_check__a_timestamp_is_checked_and_trusted_by_its_ca(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = archive_with_documents(key);
	custody_check_options opts = CUSTODY_CHECK_OPTIONS_INIT;
	custody_check_result r;
	custody_timestamp_info info;
	custody_buf query = CUSTODY_BUF_INIT;
	uint64_t nonce = 0;
	char *proof, *response, *line = api_openssh(custody_key_public(key));
	size_t len, response_len;

	REQUIRE(api_tsa_pki() == 0);
	REQUIRE_OK(custody_archive_timestamp_request(archive, &query, &nonce,
		&err));
	api_write_bytes("q.tsq", query.ptr, query.size);
	custody_buf_dispose(&query);
	api_tsa_reply("q.tsq", "q.tsr");
	response = api_read("q.tsr", &response_len);
	REQUIRE(response != NULL);
	REQUIRE_OK(custody_archive_timestamp_add(archive, response,
		response_len, nonce, "pki/ca.pem", &info, &err));
	proof = proof_of(archive, "coll/memo.txt", &len);

	opts.key = line;
	opts.tsa_ca = api_path("pki/ca.pem");
	memset(&r, 0, sizeof(r));
	EXPECT_OK(custody_check("coll/memo.txt", proof, len, &opts, &r, &err));
	EXPECT_INT(r.has_timestamp, 1);
	EXPECT_INT(r.timestamp_trusted, 1);
	EXPECT_STR(r.timestamp_time, info.time);
	EXPECT_STR(r.timestamp_authority, info.authority);
	/* no CA given: checked, not trusted */
	opts.tsa_ca = NULL;
	EXPECT_OK(custody_check("coll/memo.txt", proof, len, &opts, &r, &err));
	EXPECT_INT(r.has_timestamp, 1);
	EXPECT_INT(r.timestamp_trusted, 0);
	/* another CA: refused at the timestamp step */
	opts.tsa_ca = api_path("pki/other-ca.pem");
	EXPECT_ERROR(custody_check("coll/memo.txt", proof, len, &opts, &r,
		&err), CUSTODY_EVERIFY, "timestamp");
	EXPECT_STR(r.failed_step, "timestamp");
	custody_archive_free(archive);
	custody_key_free(key);
}

int main(void)
{
	static const struct api_test tests[] = {
		API_TEST(test_check__a_good_proof_passes_every_step),
		API_TEST(test_check__another_file_fails_at_the_file_step),
		API_TEST(test_check__another_key_fails_at_the_signature_step),
		API_TEST(
		    test_check__a_damaged_proof_is_einvalid_or_fails_its_step),
		API_TEST(
		    test_check__a_saved_checkpoint_is_checked_for_consistency),
		API_TEST(
		    test_check__consistency_check_refuses_swapped_checkpoints),
		API_TEST(test_check__two_histories_under_one_key_are_a_fork),
		API_TEST(test_check__a_derivative_says_so_without_the_original),
		API_TEST(
		    test_check__a_timestamp_is_checked_and_trusted_by_its_ca),
		{ NULL, NULL }
	};
	return api_main("check", tests);
}
