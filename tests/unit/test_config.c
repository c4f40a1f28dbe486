/*
 * custody.yaml, the archive's policy (config.c): the reader and the
 * emitter, against the fixtures in tests/data/config (run from tests/,
 * as meson does).
 */
#include "config.h"
#include "fixture.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

/* A verifier key named by example.org/leaks (custody key export --vkey). */
#define LOG_KEY "example.org/leaks+6b441d54+ASUNv6YJVg/4LjHw2YkLGTXFlmXsfGr2nCIGFWoSnMYn"

static void accept_config(const char *path, const char *bytes, size_t len)
{
	struct custody_config *c = NULL, *again = NULL;
	custody_buf yaml = CUSTODY_BUF_INIT;
	custody_error *err = NULL;

	CHECK_INT(custody_config__parse(&c, bytes, len, path, &err), 0);
	if (err != NULL)
		fprintf(stderr, "  %s\n", custody_error_message(err));
	if (c != NULL) {
		CHECK_INT(custody_config__emit(&yaml, c, &err), 0);
		CHECK_INT(custody_config__parse(&again, yaml.ptr, yaml.size,
			path, &err), 0);
		CHECK(again != NULL && same_string(c->origin, again->origin)
			&& c->sha512 == again->sha512 &&
			c->store == again->store);
	}
	custody_buf_dispose(&yaml);
	custody_config__free(again);
	custody_config__free(c);
	custody_error_free(err);
}

static void refuse_config(const char *path, const char *bytes, size_t len)
{
	struct custody_config *c = NULL;
	custody_error *err = NULL;

	CHECK_INT(custody_config__parse(&c, bytes, len, path, &err),
		CUSTODY_EINVALID);
	CHECK(c == NULL);
	check_names_file(custody_error_message(err), path);
	custody_config__free(c);
	custody_error_free(err);
}

static void test_config__good_fixtures_parse_and_round_trip(void)
{
	CHECK(each_file("data/config/good", accept_config) >= 3);
}

static void test_config__bad_fixtures_are_refused_naming_the_file(void)
{
	CHECK(each_file("data/config/bad", refuse_config) >= 10);
}

/* Why each fixture is refused: the message says what is wrong. */
static const struct {
	const char *file;
	const char *reason;
} config_reasons[] = {
	{ "missing-store.yaml", ":1:1: missing 'store'" },
	{ "unknown-key.yaml", ":7:1: unknown key 'witnesses'" },
	{ "digests-order.yaml", "'digests' item 1 must be \"sha256\"" },
	{ "digests-three.yaml", "'digests' must be a list" },
	{ "store-yes.yaml", ":6:8: 'store' must be true or false, not 'yes'" },
	{ "store-quoted.yaml", "'store' must be true or false (unquoted)" },
	{ "origin-plain.yaml", "'origin' must be a quoted string" },
	{ "format-3.yaml", "archive format 3; this custody reads format 2" },
	{ "log-key-missing.yaml", ":1:1: missing 'log_key'" },
	{ "log-key-not-vkey.yaml", ":3:10: 'log_key' must be a C2SP Ed25519 "
		"verifier key" },
	{ "alias.yaml", "an anchor (&o)" },
	{ "utf16.yaml", "UTF-16 byte-order mark" },
	{ "digests-empty.yaml", ":4:10: 'digests' must be a list: \"sha256\", "
		"optionally followed by \"sha512\"" },
	{ "digests-md5.yaml", ":5:3: 'digests' item 1 must be \"sha256\", "
		"not \"md5\"" },
	{ "digests-plain.yaml", ":5:3: 'digests' must be a quoted string" },
	{ "digests-scalar.yaml", ":4:10: 'digests' must be a list" },
	{ "duplicate-key.yaml", ":7:1: duplicate key 'store' (first at line "
		"6)" },
	{ "entry-not-config.yaml", ":1:1: missing 'custody-archive' (not a "
		"custody policy file?)" },
	{ "missing-format.yaml", ":1:1: missing 'custody-archive'" },
	{ "missing-origin.yaml", ":1:1: missing 'origin'" },
	{ "origin-space.yaml", ":2:9: 'origin' must be printable ASCII "
		"without spaces" },
	{ "store-one.yaml", ":6:8: 'store' must be true or false, not '1'" },
	{ "media-types-unknown.yaml", ":7:14: 'media_types' must be "
		"\"libmagic\" or \"none\", not \"shared-mime-info\"" },
	{ "media-types-plain.yaml", ":7:14: 'media_types' must be a quoted "
		"string" },
	{ NULL, NULL }
};

static void test_config__bad_fixtures_are_refused_for_the_right_reason(void)
{
	for (size_t i = 0; config_reasons[i].file != NULL; i++) {
		struct custody_config *c = NULL;
		custody_error *err = NULL;
		char path[256];
		char *bytes;
		size_t len;

		snprintf(path, sizeof(path), "data/config/bad/%s",
			config_reasons[i].file);
		bytes = read_file(path, &len);
		CHECK(bytes != NULL);
		if (bytes == NULL)
			continue;
		CHECK_INT(custody_config__parse(&c, bytes, len, path, &err),
			CUSTODY_EINVALID);
		check_names_file(custody_error_message(err), path);
		CHECK_CONTAINS(custody_error_message(err),
			config_reasons[i].reason);
		custody_config__free(c);
		custody_error_free(err);
		free(bytes);
	}
}

/* Refused by custody, though a JSON schema cannot say why: an outlet key
 * named by another origin. */
static void test_config__an_outlet_key_of_another_origin_is_refused(void)
{
	static const char path[] =
		"data/config/bad-c-only/log-key-other-origin.yaml";
	struct custody_config *c = NULL;
	custody_error *err = NULL;
	size_t len;
	char *bytes = read_file(path, &len);

	CHECK(bytes != NULL);
	CHECK_INT(custody_config__parse(&c, bytes, len, path, &err),
		CUSTODY_EINVALID);
	CHECK_CONTAINS(custody_error_message(err),
		":3:10: 'log_key' must be a key named by the origin");
	custody_config__free(c);
	custody_error_free(err);
	free(bytes);
}

/* Every bad fixture has its reason in config_reasons. */
static void note_listed(const char *path, const char *bytes, size_t len)
{
	const char *file = strrchr(path, '/') + 1;
	size_t i;

	for (i = 0; config_reasons[i].file != NULL; i++)
		if (strcmp(config_reasons[i].file, file) == 0)
			break;
	CHECK(config_reasons[i].file != NULL);
	if (config_reasons[i].file == NULL)
		fprintf(stderr, "  %s has no reason listed\n", path);
}

static void test_config__every_bad_fixture_has_a_reason(void)
{
	CHECK_INT(each_file("data/config/bad", note_listed),
		sizeof(config_reasons) / sizeof(config_reasons[0]) - 1);
}

/* What each good fixture says, value by value. */
static void test_config__good_fixtures_read_their_values(void)
{
	static const struct {
		const char *file;
		const char *origin;
		int sha512, store, no_media_types;
	} cases[] = {
		{ "default.yaml", "example.org/leaks", 0, 1, 0 },
		{ "indented-flow.yaml", "x", 1, 0, 0 },
		{ "indented-sequence.yaml", "example.org/leaks", 1, 1, 0 },
		{ "no-store.yaml", "example.org/leaks", 0, 0, 0 },
		{ "sha512.yaml", "example.org/leaks", 1, 1, 0 },
		{ "media-types-none.yaml", "example.org/leaks", 0, 0, 1 },
		{ "media-types-libmagic.yaml", "example.org/leaks", 0, 1, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct custody_config *c = NULL;
		custody_error *err = NULL;
		char path[256];
		char *bytes;
		size_t len;

		snprintf(path, sizeof(path), "data/config/good/%s",
			cases[i].file);
		bytes = read_file(path, &len);
		CHECK(bytes != NULL);
		if (bytes == NULL)
			continue;
		CHECK_INT(custody_config__parse(&c, bytes, len, path, &err), 0);
		CHECK(c != NULL);
		if (c != NULL) {
			CHECK_STR(c->origin, cases[i].origin);
			CHECK_INT(c->sha512, cases[i].sha512);
			CHECK_INT(c->store, cases[i].store);
			CHECK_INT(c->no_media_types, cases[i].no_media_types);
		}
		custody_config__free(c);
		custody_error_free(err);
		free(bytes);
	}
}

/* Emitting refuses what the reader would: no origin, a bad origin. */
static void test_config__emit_refuses_a_missing_origin(void)
{
	struct custody_config c = { NULL, 0, 1 };
	custody_buf yaml = CUSTODY_BUF_INIT;
	custody_error *err = NULL;

	CHECK_INT(custody_config__emit(&yaml, &c, &err), CUSTODY_EINVALID);
	CHECK_STR(custody_error_message(err),
		"custody.yaml: 'origin' is missing");
	CHECK(yaml.ptr == NULL && yaml.size == 0);
	custody_error_free(err);
}

static void test_config__emit_writes_the_exact_bytes(void)
{
	static const char expected[] =
		"custody-archive: 2\n"
		"origin: \"example.org/leaks\"\n"
		"log_key: \"example.org/leaks+6b441d54+ASUNv6YJVg/4LjHw2YkLGTXFlmXsfGr2nCIGFWoSnMYn\"\n"
		"digests:\n"
		"- \"sha256\"\n"
		"- \"sha512\"\n"
		"store: true\n"
		"media_types: \"libmagic\"\n";
	struct custody_config c = { "example.org/leaks", LOG_KEY, 1, 1, 0 };
	custody_buf yaml = CUSTODY_BUF_INIT;
	custody_error *err = NULL;

	CHECK_INT(custody_config__emit(&yaml, &c, &err), 0);
	CHECK_STR(yaml.ptr, expected);
	custody_buf_dispose(&yaml);
	c.sha512 = 0;
	c.store = 0;
	c.no_media_types = 1;
	CHECK_INT(custody_config__emit(&yaml, &c, &err), 0);
	CHECK_STR(yaml.ptr, "custody-archive: 2\norigin: \"example.org/leaks\""
		"\nlog_key: \"" LOG_KEY "\"\ndigests:\n- \"sha256\"\n"
		"store: false\nmedia_types: \"none\"\n");
	custody_buf_dispose(&yaml);
	c.origin = "has space";
	CHECK_INT(custody_config__emit(&yaml, &c, &err), CUSTODY_EINVALID);
	CHECK_CONTAINS(custody_error_message(err),
		"'origin' must be printable ASCII without spaces");
	custody_error_free(err);
}

static void test_config__parse_reads_the_policy(void)
{
	static const char text[] = "custody-archive: 2\n"
		"origin: \"example.org/leaks\"\nlog_key: \"" LOG_KEY "\"\n"
		"digests:\n- \"sha256\"\n"
		"- \"sha512\"\nstore: false\n";
	struct custody_config *c = NULL;
	custody_error *err = NULL;

	CHECK_INT(custody_config__parse(&c, text, sizeof(text) - 1,
		"custody.yaml", &err), 0);
	CHECK(c != NULL);
	if (c != NULL) {
		CHECK_STR(c->origin, "example.org/leaks");
		CHECK_INT(c->sha512, 1);
		CHECK_INT(c->store, 0);
	}
	custody_config__free(c);
	custody_error_free(err);
}

static const struct test tests[] = {
	TEST(test_config__good_fixtures_parse_and_round_trip),
	TEST(test_config__bad_fixtures_are_refused_naming_the_file),
	TEST(test_config__bad_fixtures_are_refused_for_the_right_reason),
	TEST(test_config__every_bad_fixture_has_a_reason),
	TEST(test_config__an_outlet_key_of_another_origin_is_refused),
	TEST(test_config__good_fixtures_read_their_values),
	TEST(test_config__emit_writes_the_exact_bytes),
	TEST(test_config__emit_refuses_a_missing_origin),
	TEST(test_config__parse_reads_the_policy),
	{ NULL, NULL }
};

int main(void)
{
	return test_run(tests);
}
