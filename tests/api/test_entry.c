/*
 * custody/entry.h: every accessor, on entries of each type read back
 * with custody_archive_entry and custody_archive_log; fields a type does
 * not have read as NULL or 0.
 */
#include "api.h"

#include <ctype.h>

/* "YYYY-MM-DDTHH:MM:SSZ" */
static int is_utc_time(const char *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";

	if (t == NULL || strlen(t) != sizeof(shape) - 1)
		return 0;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)t[i]) :
		    t[i] != shape[i])
			return 0;
	return 1;
}

static int is_hex(const char *s, size_t len)
{
	if (s == NULL || strlen(s) != len)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && !(*s >= 'a' && *s <= 'f'))
			return 0;
	return 1;
}

static char *log_path(uint64_t index)
{
	return api_printf("log/%03u/%03u/%09u.yaml",
		(unsigned)(index / 1000000), (unsigned)(index / 1000 % 1000),
		(unsigned)index);
}

static custody_entry *entry_at(custody_archive *archive, uint64_t index)
{
	custody_error *err = NULL;
	custody_entry *entry = NULL;

	REQUIRE_OK(custody_archive_entry(archive, index, &entry, &err));
	EXPECT_INT(custody_entry_index(entry), index);
	EXPECT(is_utc_time(custody_entry_time(entry)));
	return entry;
}

/* The fields only registrations, events, derivatives and publications
 * have are absent. */
static void expect_no_document_fields(const custody_entry *e)
{
	uint64_t previous = 99;

	EXPECT(custody_entry_path(e) == NULL);
	EXPECT_INT(custody_entry_size(e), 0);
	EXPECT(custody_entry_sha256(e) == NULL);
	EXPECT(custody_entry_sha512(e) == NULL);
	EXPECT(custody_entry_media_type(e) == NULL);
	EXPECT(custody_entry_blob(e) == NULL);
	EXPECT_INT(custody_entry_version(e), 0);
	EXPECT_INT(custody_entry_previous(e, &previous), 0);
	EXPECT_INT(previous, 0);
	EXPECT(custody_entry_source(e) == NULL);
}

static void expect_no_event_fields(const custody_entry *e)
{
	EXPECT_INT(custody_entry_event_document(e), 0);
	EXPECT(custody_entry_from(e) == NULL);
	EXPECT(custody_entry_to(e) == NULL);
	EXPECT(custody_entry_at(e) == NULL);
	EXPECT(custody_entry_backdate_reason(e) == NULL);
}

static void expect_no_derive_fields(const custody_entry *e)
{
	EXPECT_INT(custody_entry_derived_from(e), 0);
	EXPECT(custody_entry_original_leaf(e) == NULL);
	EXPECT(custody_entry_derivation(e) == NULL);
}

static void expect_no_publish_fields(const custody_entry *e)
{
	uint64_t index = 99;

	EXPECT(custody_entry_url(e) == NULL);
	EXPECT(custody_entry_title(e) == NULL);
	EXPECT(custody_entry_published(e) == NULL);
	EXPECT_INT(custody_entry_document_count(e), 0);
	EXPECT(custody_entry_document(e, 0, &index) == NULL);
	EXPECT_INT(index, 99);
}

static void expect_no_member_fields(const custody_entry *e)
{
	EXPECT(custody_entry_member(e) == NULL);
	EXPECT(custody_entry_key(e) == NULL);
}

/* An archive keeping SHA-512 too, with the files of `coll` registered
 * (a.txt, then memo.txt with a note and a source). */
static custody_archive *archive_with_sha512(custody_key *key)
{
	custody_error *err = NULL;
	custody_archive *archive = NULL;
	custody_init_options opts = CUSTODY_INIT_OPTIONS_INIT;
	custody_add_options add = CUSTODY_ADD_OPTIONS_INIT;
	custody_add_summary summary;
	const char *a[] = { "coll/a.txt" }, *memo[] = { "coll/memo.txt" };

	api_mkdir("coll");
	api_write("coll/a.txt", "alpha\n");
	api_write("coll/memo.txt", "The memo, as the source gave it.\n");
	opts.collection = api_path("coll");
	opts.origin = "example.org/entries";
	opts.key = key;
	opts.log_key = key;
	opts.member = "alice";
	opts.sha512 = 1;
	REQUIRE_OK(custody_archive_init(&archive, &opts, &err));
	add.threads = 1;
	REQUIRE_OK(custody_archive_add(archive, a, 1, &add, NULL, NULL,
		&summary, &err));
	add.note = "given by hand";
	add.source = "tip line";
	REQUIRE_OK(custody_archive_add(archive, memo, 1, &add, NULL, NULL,
		&summary, &err));
	return archive;
}

static void test_entry__genesis_names_the_origin_and_founding_member(void)
{
	custody_key *key = api_key();
	custody_archive *archive = archive_with_sha512(key);
	custody_entry *e = entry_at(archive, 0);

	EXPECT_STR(custody_entry_type_name(e), "genesis");
	EXPECT_STR(custody_entry_origin(e), "example.org/entries");
	EXPECT_STR(custody_entry_member(e), "alice");
	EXPECT_STR(custody_entry_key(e), api_openssh(custody_key_public(key)));
	EXPECT_STR(custody_entry_actor(e), "alice");
	EXPECT(custody_entry_note(e) == NULL);
	EXPECT(custody_entry_action(e) == NULL);
	expect_no_document_fields(e);
	expect_no_event_fields(e);
	expect_no_derive_fields(e);
	expect_no_publish_fields(e);
	custody_entry_free(e);
	custody_entry_free(NULL);
	custody_archive_free(archive);
	custody_key_free(key);
}

static void test_entry__register_has_the_digests_and_the_version(
	void)
{
	custody_key *key = api_key();
	custody_archive *archive = archive_with_sha512(key);
	custody_entry *e = entry_at(archive, 2);
	const custody_add_options defaults = CUSTODY_ADD_OPTIONS_INIT;
	custody_add_summary summary;
	custody_error *err = NULL;
	const char *memo[] = { "coll/memo.txt" };
	uint64_t previous = 99;
	char *blob;

	EXPECT_STR(custody_entry_type_name(e), "register");
	EXPECT_STR(custody_entry_path(e), "memo.txt");
	EXPECT_INT(custody_entry_size(e), 33);
	EXPECT_STR(custody_entry_sha256(e), api_sh_line(
		"sha256sum coll/memo.txt | cut -c1-64"));
	EXPECT_STR(custody_entry_sha512(e), api_sh_line(
		"sha512sum coll/memo.txt | cut -c1-128"));
	EXPECT_STR(custody_entry_media_type(e), "text/plain");
	/* the stored content is the git blob of the file */
	blob = api_sh_line("git hash-object coll/memo.txt");
	EXPECT_STR(custody_entry_blob(e), blob);
	EXPECT_INT(custody_entry_version(e), 1);
	EXPECT_INT(custody_entry_previous(e, &previous), 0);
	EXPECT_INT(previous, 0);
	EXPECT_STR(custody_entry_note(e), "given by hand");
	EXPECT_STR(custody_entry_source(e), "tip line");
	EXPECT_STR(custody_entry_actor(e), "alice");
	EXPECT(custody_entry_origin(e) == NULL);
	EXPECT(custody_entry_action(e) == NULL);
	expect_no_member_fields(e);
	expect_no_event_fields(e);
	expect_no_derive_fields(e);
	expect_no_publish_fields(e);
	custody_entry_free(e);

	/* a second version points back at the first */
	api_write("coll/memo.txt", "The memo, edited.\n");
	REQUIRE_OK(custody_archive_add(archive, memo, 1, &defaults, NULL,
		NULL, &summary, &err));
	e = entry_at(archive, 3);
	EXPECT_INT(custody_entry_version(e), 2);
	EXPECT_INT(custody_entry_previous(e, &previous), 1);
	EXPECT_INT(previous, 2);
	EXPECT(custody_entry_note(e) == NULL);
	EXPECT(custody_entry_source(e) == NULL);
	custody_entry_free(e);
	custody_archive_free(archive);
	custody_key_free(key);
}

static void test_entry__member_entries_say_add_or_revoke(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key(), *bob = api_key();
	custody_archive *archive = api_archive(key, NULL);
	custody_member_options opts = CUSTODY_MEMBER_OPTIONS_INIT;
	custody_entry *e;

	opts.note = "joins the desk";
	REQUIRE_OK(custody_archive_member_add(archive, "bob",
		custody_key_public(bob), &opts, NULL, &err));
	REQUIRE_OK(custody_archive_member_revoke(archive, "bob", NULL, NULL,
		&err));
	e = entry_at(archive, 1);
	EXPECT_STR(custody_entry_type_name(e), "member");
	EXPECT_STR(custody_entry_action(e), "add");
	EXPECT_STR(custody_entry_member(e), "bob");
	EXPECT_STR(custody_entry_key(e), api_openssh(custody_key_public(bob)));
	EXPECT_STR(custody_entry_note(e), "joins the desk");
	EXPECT_STR(custody_entry_actor(e), "alice");
	expect_no_document_fields(e);
	expect_no_event_fields(e);
	expect_no_derive_fields(e);
	expect_no_publish_fields(e);
	custody_entry_free(e);
	e = entry_at(archive, 2);
	EXPECT_STR(custody_entry_action(e), "revoke");
	EXPECT_STR(custody_entry_member(e), "bob");
	EXPECT_STR(custody_entry_key(e), api_openssh(custody_key_public(bob)));
	EXPECT(custody_entry_note(e) == NULL);
	custody_entry_free(e);
	custody_archive_free(archive);
	custody_key_free(bob);
	custody_key_free(key);
}

static void test_entry__event_names_its_document_labels_and_time(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = archive_with_sha512(key);
	custody_event_options opts = CUSTODY_EVENT_OPTIONS_INIT;
	custody_entry *e;
	uint64_t index = 0;

	opts.action = "transferred";
	opts.from = "Desk A";
	opts.to = "Legal";
	opts.at = "2001-02-03T04:05:06Z";
	opts.backdate_reason = "handed over in 2001";
	opts.note = "in a sealed envelope";
	REQUIRE_OK(custody_archive_event(archive, "coll/memo.txt", &opts,
		&index, NULL, &err));
	EXPECT_INT(index, 3);
	e = entry_at(archive, 3);
	EXPECT_STR(custody_entry_type_name(e), "event");
	EXPECT_STR(custody_entry_action(e), "transferred");
	EXPECT_INT(custody_entry_event_document(e), 2);
	EXPECT_STR(custody_entry_sha256(e), api_sh_line(
		"sha256sum coll/memo.txt | cut -c1-64"));
	EXPECT_STR(custody_entry_from(e), "Desk A");
	EXPECT_STR(custody_entry_to(e), "Legal");
	EXPECT_STR(custody_entry_at(e), "2001-02-03T04:05:06Z");
	EXPECT_STR(custody_entry_backdate_reason(e), "handed over in 2001");
	EXPECT_STR(custody_entry_note(e), "in a sealed envelope");
	EXPECT_STR(custody_entry_actor(e), "alice");
	EXPECT(custody_entry_blob(e) == NULL);
	EXPECT_INT(custody_entry_version(e), 0);
	expect_no_member_fields(e);
	expect_no_derive_fields(e);
	expect_no_publish_fields(e);
	custody_entry_free(e);

	/* the fewest fields: no labels, no time of its own */
	opts = (custody_event_options)CUSTODY_EVENT_OPTIONS_INIT;
	opts.action = "verified";
	REQUIRE_OK(custody_archive_event(archive, "coll/a.txt", &opts,
		&index, NULL, &err));
	e = entry_at(archive, index);
	EXPECT_STR(custody_entry_action(e), "verified");
	EXPECT_INT(custody_entry_event_document(e), 1);
	EXPECT(custody_entry_from(e) == NULL);
	EXPECT(custody_entry_to(e) == NULL);
	EXPECT(custody_entry_at(e) == NULL);
	EXPECT(custody_entry_backdate_reason(e) == NULL);
	EXPECT(custody_entry_note(e) == NULL);
	custody_entry_free(e);
	custody_archive_free(archive);
	custody_key_free(key);
}

static void test_entry__derive_links_to_the_original_by_leaf_hash(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = archive_with_sha512(key);
	custody_derive_options opts = CUSTODY_DERIVE_OPTIONS_INIT;
	custody_entry *e;
	uint64_t index = 0, previous = 99;
	char *leaf;

	api_write("coll/memo-redacted.txt", "The memo, [redacted].\n");
	opts.derivation = "redact";
	opts.note = "the source's name removed";
	REQUIRE_OK(custody_archive_derive(archive, "coll/memo.txt",
		"coll/memo-redacted.txt", &opts, &index, NULL, &err));
	EXPECT_INT(index, 3);
	e = entry_at(archive, 3);
	EXPECT_STR(custody_entry_type_name(e), "derive");
	EXPECT_STR(custody_entry_path(e), "memo-redacted.txt");
	EXPECT_INT(custody_entry_size(e), 22);
	EXPECT_STR(custody_entry_sha256(e), api_sh_line(
		"sha256sum coll/memo-redacted.txt | cut -c1-64"));
	EXPECT_INT(custody_entry_version(e), 1);
	EXPECT_INT(custody_entry_previous(e, &previous), 0);
	EXPECT_INT(custody_entry_derived_from(e), 2);
	EXPECT_STR(custody_entry_derivation(e), "redact");
	EXPECT_STR(custody_entry_note(e), "the source's name removed");
	/* RFC 6962 leaf hash of entry 2's bytes, by sha256sum */
	leaf = api_sh_line("%s", api_printf("(printf '\\0'; git --git-dir="
		"coll/.custody show main:%s) | sha256sum | cut -c1-64",
		log_path(2)));
	EXPECT(is_hex(leaf, 64));
	EXPECT_STR(custody_entry_original_leaf(e), leaf);
	EXPECT(strcmp(custody_entry_original_leaf(e), api_sh_line(
		"sha256sum coll/memo.txt | cut -c1-64")) != 0);
	expect_no_member_fields(e);
	expect_no_event_fields(e);
	expect_no_publish_fields(e);
	custody_entry_free(e);
	custody_archive_free(archive);
	custody_key_free(key);
}

static void test_entry__publish_lists_its_documents(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = archive_with_sha512(key);
	custody_publish_options opts = CUSTODY_PUBLISH_OPTIONS_INIT;
	const char *paths[] = { "coll/memo.txt", "coll/a.txt" };
	custody_entry *e;
	uint64_t index = 0, doc = 0;
	char *sha_a = api_sh_line("sha256sum coll/a.txt | cut -c1-64");
	char *sha_memo = api_sh_line("sha256sum coll/memo.txt | cut -c1-64");

	opts.url = "https://example.org/story";
	opts.title = "The story";
	opts.note = "front page";
	REQUIRE_OK(custody_archive_publish(archive, paths, 2, &opts, &index,
		NULL, &err));
	EXPECT_INT(index, 3);
	e = entry_at(archive, 3);
	EXPECT_STR(custody_entry_type_name(e), "publish");
	EXPECT_STR(custody_entry_url(e), "https://example.org/story");
	EXPECT_STR(custody_entry_title(e), "The story");
	EXPECT(is_utc_time(custody_entry_published(e)));
	EXPECT_STR(custody_entry_note(e), "front page");
	REQUIRE(custody_entry_document_count(e) == 2);
	/* both documents, each once, by entry index and digest */
	{
		const char *d0 = custody_entry_document(e, 0, &doc);
		uint64_t doc1 = 0;
		const char *d1 = custody_entry_document(e, 1, &doc1);

		EXPECT((doc == 1 && doc1 == 2) || (doc == 2 && doc1 == 1));
		EXPECT_STR(d0, doc == 1 ? sha_a : sha_memo);
		EXPECT_STR(d1, doc1 == 1 ? sha_a : sha_memo);
	}
	EXPECT(custody_entry_document(e, 2, &doc) == NULL);
	EXPECT(custody_entry_document(e, 0, NULL) != NULL);
	expect_no_member_fields(e);
	expect_no_event_fields(e);
	expect_no_derive_fields(e);
	EXPECT(custody_entry_path(e) == NULL);
	custody_entry_free(e);
	custody_archive_free(archive);
	custody_key_free(key);
}

/* The log hands out the same entries, borrowed. */
struct compared {
	custody_archive *archive;
	int n, same;
};

static int compare_with_owned(const custody_entry *borrowed, void *payload)
{
	struct compared *c = payload;
	custody_entry *owned = entry_at(c->archive,
		custody_entry_index(borrowed));
	const char *(*const text[])(const custody_entry *) = {
		custody_entry_type_name, custody_entry_time,
		custody_entry_actor, custody_entry_path, custody_entry_sha256,
		custody_entry_blob, custody_entry_member, custody_entry_key,
	};
	int same = custody_entry_version(owned) ==
		custody_entry_version(borrowed);

	for (size_t i = 0; i < sizeof(text) / sizeof(*text); i++) {
		const char *x = text[i](owned), *y = text[i](borrowed);

		if (x == NULL || y == NULL ? x != y : strcmp(x, y) != 0)
			same = 0;
	}
	c->n++;
	c->same += same;
	custody_entry_free(owned);
	return 0;
}

static void test_entry__log_entries_match_custody_archive_entry(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = archive_with_sha512(key);
	struct compared c;

	c.archive = archive;
	c.n = c.same = 0;
	EXPECT_OK(custody_archive_log(archive, NULL, 0, compare_with_owned,
		&c, &err));
	EXPECT_INT(c.n, 3);
	EXPECT_INT(c.same, 3);
	custody_archive_free(archive);
	custody_key_free(key);
}

/* A value checked before any archive is opened, by the entries' rules:
 * NULL for one an entry takes, else the reason. */
static void test_entry__check_value_says_why_a_value_is_refused(void)
{
	static char note[4098];

	EXPECT(custody_entry_check_value(CUSTODY_FIELD_EVENT_ACTION,
	    "sealed") == NULL);
	EXPECT_STR(custody_entry_check_value(CUSTODY_FIELD_EVENT_ACTION,
	    "stolen"), "must be \"received\", \"transferred\", \"copied\", "
	    "\"accessed\", \"verified\", \"sealed\", \"returned\", "
	    "\"destroyed\" or \"note\"");
	EXPECT(custody_entry_check_value(CUSTODY_FIELD_DERIVATION,
	    "watermark-removal") == NULL);
	EXPECT_HAS(custody_entry_check_value(CUSTODY_FIELD_DERIVATION,
	    "paint"), "\"redact\"");
	EXPECT(custody_entry_check_value(CUSTODY_FIELD_TIME,
	    "2024-02-29T23:59:59Z") == NULL);
	EXPECT_STR(custody_entry_check_value(CUSTODY_FIELD_TIME, "yesterday"),
	    "must be a UTC time \"YYYY-MM-DDTHH:MM:SSZ\"");
	EXPECT_STR(custody_entry_check_value(CUSTODY_FIELD_TIME,
	    "2023-02-29T00:00:00Z"),
	    "is not a real date (no such day in that month)");
	EXPECT(custody_entry_check_value(CUSTODY_FIELD_URL,
	    "https://example.org/story") == NULL);
	EXPECT_STR(custody_entry_check_value(CUSTODY_FIELD_URL, "ftp://x"),
	    "must start with https:// or http://");
	EXPECT_STR(custody_entry_check_value(CUSTODY_FIELD_LABEL, ""),
	    "must not be empty");
	EXPECT_STR(custody_entry_check_value(CUSTODY_FIELD_LABEL, "a\tb"),
	    "contains a control character");
	EXPECT(custody_entry_check_value(CUSTODY_FIELD_NOTE, "a\tb\n") ==
	    NULL);
	memset(note, 'x', sizeof(note) - 1);
	EXPECT_STR(custody_entry_check_value(CUSTODY_FIELD_NOTE, note),
	    "is longer than 4096 bytes");
	EXPECT(custody_entry_check_value(CUSTODY_FIELD_ORIGIN,
	    "example.org/leaks") == NULL);
	EXPECT_STR(custody_entry_check_value(CUSTODY_FIELD_ORIGIN, "a b"),
	    "must be printable ASCII without spaces");
}

int main(void)
{
	static const struct api_test tests[] = {
		API_TEST(
		    test_entry__genesis_names_the_origin_and_founding_member),
		API_TEST(
		    test_entry__register_has_the_digests_and_the_version),
		API_TEST(test_entry__member_entries_say_add_or_revoke),
		API_TEST(test_entry__event_names_its_document_labels_and_time),
		API_TEST(test_entry__derive_links_to_the_original_by_leaf_hash),
		API_TEST(test_entry__publish_lists_its_documents),
		API_TEST(test_entry__log_entries_match_custody_archive_entry),
		API_TEST(test_entry__check_value_says_why_a_value_is_refused),
		{ NULL, NULL }
	};
	return api_main("entry", tests);
}
