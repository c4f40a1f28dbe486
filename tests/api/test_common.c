/*
 * custody/common.h and custody/version.h: errors, buffers, the version,
 * the return codes and the sizes of the public structs' text fields.
 */
#include "api.h"

#define FIELD_SIZE(type, field) sizeof(((type *)0)->field)

static void test_common__missing_archive_enotfound_names_the_folder(
	void)
{
	custody_error *err = NULL;
	custody_archive *archive = NULL;
	custody_open_options opts = CUSTODY_OPEN_OPTIONS_INIT;
	char *empty = api_path("empty");
	int rc;

	api_mkdir(empty);
	opts.start_dir = empty;
	rc = custody_archive_open(&archive, &opts, &err);
	EXPECT_INT(rc, CUSTODY_ENOTFOUND);
	EXPECT(archive == NULL);
	EXPECT(err != NULL);
	if (err) {
		EXPECT_INT(custody_error_code(err), CUSTODY_ENOTFOUND);
		/* the library names no option; it hints, the tool words it */
		EXPECT_STR(custody_error_message(err), api_printf(
			"no archive in %s or any folder above it", empty));
		EXPECT_INT(custody_error_hint(err), CUSTODY_HINT_NO_ARCHIVE);
	}
	custody_error_free(err);
	err = NULL;

	/* named outright: the message names that path */
	opts.start_dir = NULL;
	opts.archive_path = api_path("nowhere/.custody");
	EXPECT_ERROR(custody_archive_open(&archive, &opts, &err),
		CUSTODY_ENOTFOUND, opts.archive_path);
	EXPECT(archive == NULL);
}

static void test_common__an_error_already_set_is_kept(void)
{
	custody_error *err = NULL;
	custody_archive *archive = NULL;
	custody_open_options opts = CUSTODY_OPEN_OPTIONS_INIT;
	custody_pubkey *key = NULL;
	char *first;

	opts.archive_path = api_path("first/.custody");
	EXPECT_INT(custody_archive_open(&archive, &opts, &err),
		CUSTODY_ENOTFOUND);
	if (err == NULL) {
		EXPECT(err != NULL);
		return;
	}
	first = api_printf("%s", custody_error_message(err));
	/* the second failure reports through the same, set, variable */
	EXPECT_INT(custody_pubkey_parse(&key, "ssh-rsa AAAA", 12, &err),
		CUSTODY_EINVALID);
	EXPECT(key == NULL);
	EXPECT_INT(custody_error_code(err), CUSTODY_ENOTFOUND);
	EXPECT_STR(custody_error_message(err), first);
	custody_error_free(err);
}

static void test_common__a_null_error_pointer_still_gets_the_code(void)
{
	custody_archive *archive = NULL;
	custody_open_options opts = CUSTODY_OPEN_OPTIONS_INIT;
	custody_pubkey *key = NULL;

	opts.archive_path = api_path("none/.custody");
	EXPECT_INT(custody_archive_open(&archive, &opts, NULL),
		CUSTODY_ENOTFOUND);
	EXPECT(archive == NULL);
	EXPECT_INT(custody_pubkey_parse(&key, "ssh-rsa AAAA", 12, NULL),
		CUSTODY_EINVALID);
	EXPECT(key == NULL);
	custody_error_free(NULL);
}

static void test_common__buf_dispose_empties_and_accepts_null(void)
{
	custody_error *err = NULL;
	custody_buf empty = CUSTODY_BUF_INIT, line = CUSTODY_BUF_INIT;
	custody_key *key = api_key();

	EXPECT(empty.ptr == NULL);
	EXPECT_INT(empty.size, 0);
	custody_buf_dispose(NULL);
	custody_buf_dispose(&empty);
	EXPECT(empty.ptr == NULL);
	EXPECT_INT(empty.size, 0);

	EXPECT_OK(custody_pubkey_openssh(custody_key_public(key), &line,
		&err));
	EXPECT(line.ptr != NULL);
	EXPECT_INT(line.size, strlen("ssh-ed25519 ") + 68);
	custody_buf_dispose(&line);
	EXPECT(line.ptr == NULL);
	EXPECT_INT(line.size, 0);
	custody_buf_dispose(&line);  /* twice is harmless */
	custody_key_free(key);
}

static void test_common__version_matches_the_headers(void)
{
	char *parts = api_printf("%d.%d.%d", CUSTODY_VERSION_MAJOR,
		CUSTODY_VERSION_MINOR, CUSTODY_VERSION_PATCH);

	EXPECT_STR(custody_version(), CUSTODY_VERSION_STRING);
	EXPECT_STR(parts, CUSTODY_VERSION_STRING);
	EXPECT_INT(CUSTODY_VERSION_NUMBER, (CUSTODY_VERSION_MAJOR << 16) |
		(CUSTODY_VERSION_MINOR << 8) | CUSTODY_VERSION_PATCH);
	EXPECT(CUSTODY_VERSION_MINOR < 256 && CUSTODY_VERSION_PATCH < 256);
}

/* FIPS 180-2 appendix B.1 ("abc") and the empty message, as sha256sum
 * prints them */
static void test_common__sha256_hex_is_what_sha256sum_prints(void)
{
	custody_error *err = NULL;
	char hex[CUSTODY_SHA256_HEX_SIZE];

	EXPECT_INT(custody_sha256_hex("abc", 3, hex, &err), 0);
	EXPECT_STR(hex, "ba7816bf8f01cfea414140de5dae2223"
		"b00361a396177a9cb410ff61f20015ad");
	EXPECT_INT(custody_sha256_hex("", 0, hex, &err), 0);
	EXPECT_STR(hex, "e3b0c44298fc1c149afbf4c8996fb924"
		"27ae41e4649b934ca495991b7852b855");
	EXPECT(err == NULL);
}

static void test_common__return_codes_keep_their_values(void)
{
	EXPECT_INT(CUSTODY_OK, 0);
	EXPECT_INT(CUSTODY_ERROR, -1);
	EXPECT_INT(CUSTODY_ENOMEM, -2);
	EXPECT_INT(CUSTODY_ENOTFOUND, -3);
	EXPECT_INT(CUSTODY_EEXISTS, -4);
	EXPECT_INT(CUSTODY_EINVALID, -5);
	EXPECT_INT(CUSTODY_EVERIFY, -6);
	EXPECT_INT(CUSTODY_ELOCKED, -7);
	EXPECT_INT(CUSTODY_EIO, -8);
	EXPECT_INT(CUSTODY_ECHANGED, -9);
	EXPECT_INT(CUSTODY_EPASSPHRASE, -10);
}

static void test_common__size_constants_size_the_struct_fields(void)
{
	custody_key *key = api_key();
	char fingerprint[CUSTODY_FINGERPRINT_SIZE];

	EXPECT_INT(FIELD_SIZE(custody_add_summary, commit),
		CUSTODY_COMMIT_ID_SIZE);
	EXPECT_INT(FIELD_SIZE(custody_timestamp_info, commit),
		CUSTODY_COMMIT_ID_SIZE);
	EXPECT_INT(FIELD_SIZE(custody_check_result, sha256),
		CUSTODY_SHA256_HEX_SIZE);
	EXPECT_INT(FIELD_SIZE(custody_reveal_result, original_sha256),
		CUSTODY_SHA256_HEX_SIZE);
	EXPECT_INT(FIELD_SIZE(custody_check_result, root),
		CUSTODY_ROOT_B64_SIZE);
	EXPECT_INT(FIELD_SIZE(custody_checkpoint_info, root),
		CUSTODY_ROOT_B64_SIZE);
	EXPECT_INT(FIELD_SIZE(custody_check_result, fingerprint),
		CUSTODY_FINGERPRINT_SIZE);
	EXPECT_INT(FIELD_SIZE(custody_check_result, path),
		CUSTODY_PATH_SIZE);
	EXPECT_INT(FIELD_SIZE(custody_reveal_result, derivative_path),
		CUSTODY_PATH_SIZE);
	EXPECT_INT(FIELD_SIZE(custody_reveal_result, original_path),
		CUSTODY_PATH_SIZE);
	EXPECT_INT(FIELD_SIZE(custody_check_result, origin),
		CUSTODY_ORIGIN_SIZE);
	EXPECT_INT(FIELD_SIZE(custody_check_result, timestamp_authority),
		CUSTODY_ORIGIN_SIZE);
	EXPECT_INT(FIELD_SIZE(custody_reveal_result, origin),
		CUSTODY_ORIGIN_SIZE);
	EXPECT_INT(FIELD_SIZE(custody_checkpoint_info, origin),
		CUSTODY_ORIGIN_SIZE);
	EXPECT_INT(FIELD_SIZE(custody_timestamp_info, authority),
		CUSTODY_ORIGIN_SIZE);
	EXPECT_INT(FIELD_SIZE(custody_check_result, actor),
		CUSTODY_ACTOR_SIZE);
	EXPECT_INT(FIELD_SIZE(custody_check_result, registered),
		CUSTODY_TIME_SIZE);
	EXPECT_INT(FIELD_SIZE(custody_check_result, timestamp_time),
		CUSTODY_TIME_SIZE);
	EXPECT_INT(FIELD_SIZE(custody_timestamp_info, time),
		CUSTODY_TIME_SIZE);
	EXPECT_INT(FIELD_SIZE(custody_check_result, failed_step),
		CUSTODY_STEP_SIZE);
	EXPECT_INT(FIELD_SIZE(custody_reveal_result, failed_step),
		CUSTODY_STEP_SIZE);
	EXPECT_INT(FIELD_SIZE(custody_check_result, derivation),
		CUSTODY_DERIVATION_SIZE);
	EXPECT_INT(FIELD_SIZE(custody_reveal_result, derivation),
		CUSTODY_DERIVATION_SIZE);

	/* what the sizes promise to hold, on real values */
	custody_pubkey_fingerprint(custody_key_public(key), fingerprint);
	EXPECT_INT(strlen(fingerprint), strlen("SHA256:") + 43);
	EXPECT(strlen(fingerprint) < CUSTODY_FINGERPRINT_SIZE);
	EXPECT_INT(CUSTODY_KEY_RAW_SIZE, 32);
	{
		custody_error *err = NULL;
		custody_pubkey *copy = NULL;

		EXPECT_OK(custody_pubkey_from_raw(&copy, custody_pubkey_raw(
			custody_key_public(key)), &err));
		EXPECT(copy != NULL && memcmp(custody_pubkey_raw(copy),
			custody_pubkey_raw(custody_key_public(key)),
			CUSTODY_KEY_RAW_SIZE) == 0);
		custody_pubkey_free(copy);
	}
	custody_key_free(key);
}

/* Each options struct's _init gives what its _INIT macro gives (byte
 * for byte: both start from a static, zero-padded copy), and
 * refuses a version it does not know; a call handed a struct of another
 * version refuses it by name and does nothing. */
#define SAME_AS_INIT(type, fn, version, init) do { \
	static const type a_ = init; \
	type b_; \
	memset(&b_, 0x5a, sizeof(b_)); \
	EXPECT_INT(fn(&b_, version), 0); \
	EXPECT(memcmp(&a_, &b_, sizeof(a_)) == 0); \
	EXPECT_INT(fn(&b_, version + 1), CUSTODY_EINVALID); \
	EXPECT_INT(fn(NULL, version), CUSTODY_EINVALID); \
} while (0)

static void test_common__options_init_and_version_checks(void)
{
	custody_error *err = NULL;
	custody_archive *archive = NULL;
	custody_open_options opts = CUSTODY_OPEN_OPTIONS_INIT;
	custody_check_options copts = CUSTODY_CHECK_OPTIONS_INIT;
	custody_check_result result;

	SAME_AS_INIT(custody_init_options, custody_init_options_init,
		CUSTODY_INIT_OPTIONS_VERSION, CUSTODY_INIT_OPTIONS_INIT);
	SAME_AS_INIT(custody_open_options, custody_open_options_init,
		CUSTODY_OPEN_OPTIONS_VERSION, CUSTODY_OPEN_OPTIONS_INIT);
	SAME_AS_INIT(custody_add_options, custody_add_options_init,
		CUSTODY_ADD_OPTIONS_VERSION, CUSTODY_ADD_OPTIONS_INIT);
	SAME_AS_INIT(custody_status_options, custody_status_options_init,
		CUSTODY_STATUS_OPTIONS_VERSION, CUSTODY_STATUS_OPTIONS_INIT);
	SAME_AS_INIT(custody_verify_options, custody_verify_options_init,
		CUSTODY_VERIFY_OPTIONS_VERSION, CUSTODY_VERIFY_OPTIONS_INIT);
	SAME_AS_INIT(custody_event_options, custody_event_options_init,
		CUSTODY_EVENT_OPTIONS_VERSION, CUSTODY_EVENT_OPTIONS_INIT);
	SAME_AS_INIT(custody_derive_options, custody_derive_options_init,
		CUSTODY_DERIVE_OPTIONS_VERSION, CUSTODY_DERIVE_OPTIONS_INIT);
	SAME_AS_INIT(custody_member_options, custody_member_options_init,
		CUSTODY_MEMBER_OPTIONS_VERSION, CUSTODY_MEMBER_OPTIONS_INIT);
	SAME_AS_INIT(custody_publish_options, custody_publish_options_init,
		CUSTODY_PUBLISH_OPTIONS_VERSION, CUSTODY_PUBLISH_OPTIONS_INIT);
	SAME_AS_INIT(custody_check_options, custody_check_options_init,
		CUSTODY_CHECK_OPTIONS_VERSION, CUSTODY_CHECK_OPTIONS_INIT);

	opts.version = CUSTODY_OPEN_OPTIONS_VERSION + 1;
	opts.start_dir = api_path("");
	EXPECT_ERROR(custody_archive_open(&archive, &opts, &err),
		CUSTODY_EINVALID, api_printf("custody_open_options has "
		"version %u; this library (custody %s) reads version %u",
		CUSTODY_OPEN_OPTIONS_VERSION + 1, CUSTODY_VERSION_STRING,
		CUSTODY_OPEN_OPTIONS_VERSION));
	EXPECT(archive == NULL);

	copts.version = 0;
	copts.key = "ssh-ed25519 AAAA";
	EXPECT_ERROR(custody_check("nothing", "x", 1, &copts, &result, &err),
		CUSTODY_EINVALID, "custody_check_options has version 0");
	EXPECT_STR(result.failed_step, "options");
}


int main(void)
{
	static const struct api_test tests[] = {
		API_TEST(
		    test_common__missing_archive_enotfound_names_the_folder),
		API_TEST(test_common__an_error_already_set_is_kept),
		API_TEST(test_common__a_null_error_pointer_still_gets_the_code),
		API_TEST(test_common__buf_dispose_empties_and_accepts_null),
		API_TEST(test_common__version_matches_the_headers),
		API_TEST(test_common__sha256_hex_is_what_sha256sum_prints),
		API_TEST(test_common__return_codes_keep_their_values),
		API_TEST(test_common__size_constants_size_the_struct_fields),
		API_TEST(test_common__options_init_and_version_checks),
		{ NULL, NULL }
	};
	return api_main("common", tests);
}
