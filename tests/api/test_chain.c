/*
 * custody/chain.h: events, derivatives, the timeline, and the
 * disclosure of a derivative's original with its offline check.
 */
#include "api.h"

/*
 * The header documents it, the library does not do it (yet): say so in
 * the log without failing, so the gap stays visible until it is closed
 * one way or the other.
 */
#define KNOWN_GAP(documented, what) do { \
	if (!(documented)) \
		fprintf(stderr, "%s:%d: known gap: %s (%s does not hold)\n", \
			__FILE__, __LINE__, what, #documented); \
	else \
		fprintf(stderr, "%s:%d: %s now holds: make it an EXPECT\n", \
			__FILE__, __LINE__, #documented); \
} while (0)

static const char *const actions[] = { "received", "transferred", "copied",
	"accessed", "verified", "sealed", "returned", "destroyed", "note" };

/* alice's archive with memo.txt and other.txt registered (entries 1, 2) */
static custody_archive *archive_with_documents(custody_key *key)
{
	custody_archive *archive = api_archive(key, "memo.txt",
		"The memo, as the source gave it.\n", "other.txt", "other\n",
		NULL);
	const char *paths[] = { "coll/memo.txt", "coll/other.txt" };

	api_add(archive, paths, 2);
	return archive;
}

static uint64_t event(custody_archive *archive, const char *path,
	const char *action, const char *from, const char *to)
{
	custody_error *err = NULL;
	custody_event_options opts = CUSTODY_EVENT_OPTIONS_INIT;
	uint64_t index = 0;

	opts.action = action;
	opts.from = from;
	opts.to = to;
	REQUIRE_OK(custody_archive_event(archive, path, &opts, &index, NULL,
		&err));
	return index;
}

static uint64_t derive(custody_archive *archive, const char *original,
	const char *derivative, const char *text, const char *derivation)
{
	custody_error *err = NULL;
	custody_derive_options opts = CUSTODY_DERIVE_OPTIONS_INIT;
	uint64_t index = 0;

	api_write(derivative, text);
	opts.derivation = derivation;
	REQUIRE_OK(custody_archive_derive(archive, original, derivative,
		&opts, &index, NULL, &err));
	return index;
}

static void test_chain__every_event_action_is_recorded(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = archive_with_documents(key);
	custody_event_options opts = CUSTODY_EVENT_OPTIONS_INIT;
	char commit[CUSTODY_COMMIT_ID_SIZE];

	for (size_t i = 0; i < sizeof(actions) / sizeof(*actions); i++) {
		custody_entry *e = NULL;
		uint64_t index = 0;

		opts.action = actions[i];
		opts.from = "Desk A";
		opts.to = "Desk B";
		memset(commit, 0, sizeof(commit));
		EXPECT_OK(custody_archive_event(archive, "coll/memo.txt",
			&opts, &index, commit, &err));
		EXPECT_INT(index, 3 + i);
		EXPECT_STR(commit, custody_archive_head(archive));
		EXPECT_INT(custody_archive_size(archive), 4 + i);
		REQUIRE_OK(custody_archive_entry(archive, index, &e, &err));
		EXPECT_STR(custody_entry_action(e), actions[i]);
		EXPECT_INT(custody_entry_event_document(e), 1);
		custody_entry_free(e);
	}
	/* index and commit may be NULL */
	EXPECT_OK(custody_archive_event(archive, "coll/memo.txt", &opts, NULL,
		NULL, &err));
	custody_archive_free(archive);
	custody_key_free(key);
}

static void test_chain__bad_events_are_refused_and_change_nothing(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = archive_with_documents(key);
	custody_event_options opts = CUSTODY_EVENT_OPTIONS_INIT;
	char *head = api_printf("%s", custody_archive_head(archive));
	char note[4098];
	uint64_t index = 77;

	opts.action = "teleported";
	EXPECT_ERROR(custody_archive_event(archive, "coll/memo.txt", &opts,
		&index, NULL, &err), CUSTODY_EINVALID, "'action'");
	opts.action = NULL;
	EXPECT_ERROR(custody_archive_event(archive, "coll/memo.txt", &opts,
		&index, NULL, &err), CUSTODY_EINVALID, NULL);
	opts.action = "received";
	api_write("coll/unknown.txt", "x\n");
	EXPECT_ERROR(custody_archive_event(archive, "coll/unknown.txt", &opts,
		&index, NULL, &err), CUSTODY_ENOTFOUND,
		"unknown.txt: not registered in this archive");
	opts.to = "a\033b";
	EXPECT_ERROR(custody_archive_event(archive, "coll/memo.txt", &opts,
		&index, NULL, &err), CUSTODY_EINVALID,
		"'to' contains a control character");
	opts.to = NULL;
	memset(note, 'x', sizeof(note) - 1);
	note[sizeof(note) - 1] = '\0';
	opts.note = note;
	EXPECT_ERROR(custody_archive_event(archive, "coll/memo.txt", &opts,
		&index, NULL, &err), CUSTODY_EINVALID,
		"'note' is longer than 4096 bytes");
	opts.note = NULL;
	opts.at = "2001-01-01T00:00:00Z";
	EXPECT_ERROR(custody_archive_event(archive, "coll/memo.txt", &opts,
		&index, NULL, &err), CUSTODY_EINVALID,
		"is before the document was registered");
	EXPECT_INT(index, 77);
	EXPECT_STR(custody_archive_head(archive), head);
	EXPECT_INT(custody_archive_size(archive), 3);

	/* with a reason, backdating is accepted */
	opts.backdate_reason = "handed over in 2001";
	EXPECT_OK(custody_archive_event(archive, "coll/memo.txt", &opts,
		&index, NULL, &err));
	EXPECT_INT(index, 3);
	custody_archive_free(archive);
	custody_key_free(key);
}

static void test_chain__derive_refuses_unknown_cycles_and_repeats(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = archive_with_documents(key);
	custody_derive_options opts = CUSTODY_DERIVE_OPTIONS_INIT;
	char commit[CUSTODY_COMMIT_ID_SIZE] = "";
	uint64_t index = 0;
	char *head;

	api_write("coll/r.txt", "The memo, [redacted].\n");
	opts.derivation = "redact";
	EXPECT_OK(custody_archive_derive(archive, "coll/memo.txt",
		"coll/r.txt", &opts, &index, commit, &err));
	EXPECT_INT(index, 3);
	EXPECT_STR(commit, custody_archive_head(archive));
	head = api_printf("%s", custody_archive_head(archive));

	api_write("coll/x.txt", "x\n");
	EXPECT_ERROR(custody_archive_derive(archive, "coll/nowhere.txt",
		"coll/x.txt", &opts, &index, NULL, &err), CUSTODY_ENOTFOUND,
		"nowhere.txt: not registered in this archive");
	opts.derivation = "translate";
	EXPECT_ERROR(custody_archive_derive(archive, "coll/r.txt",
		"coll/memo.txt", &opts, &index, NULL, &err), CUSTODY_EINVALID,
		"memo.txt cannot be derived from r.txt: it is one of its "
		"originals (a cycle)");
	EXPECT_ERROR(custody_archive_derive(archive, "coll/r.txt",
		"coll/r.txt", &opts, &index, NULL, &err), CUSTODY_EINVALID,
		"it is the same document");
	opts.derivation = "redact";
	EXPECT_ERROR(custody_archive_derive(archive, "coll/memo.txt",
		"coll/r.txt", &opts, &index, NULL, &err), CUSTODY_EEXISTS,
		"already registered as it is");
	api_mkdir("coll/folder");
	EXPECT_ERROR(custody_archive_derive(archive, "coll/memo.txt",
		"coll/folder", &opts, &index, NULL, &err), CUSTODY_EINVALID,
		NULL);
	opts.derivation = "shred";
	EXPECT_ERROR(custody_archive_derive(archive, "coll/memo.txt",
		"coll/x.txt", &opts, &index, NULL, &err), CUSTODY_EINVALID,
		"'derivation'");
	/* a copy would show the original's digest in the derivative's */
	api_write("coll/same.txt", "The memo, as the source gave it.\n");
	opts.derivation = "convert";
	EXPECT_ERROR(custody_archive_derive(archive, "coll/memo.txt",
		"coll/same.txt", &opts, &index, NULL, &err), CUSTODY_EINVALID,
		"would reveal the original's digest");
	EXPECT_STR(custody_archive_head(archive), head);
	EXPECT_INT(custody_archive_size(archive), 4);
	custody_archive_free(archive);
	custody_key_free(key);
}

/* Steps of a timeline, copied. */
struct step_seen {
	custody_step_kind kind;
	uint64_t entry, version, related;
	int depth;
	char *when, *recorded, *actor, *path, *what, *from, *to, *url,
		*related_path, *message;
};

struct steps_seen {
	int n;
	struct step_seen s[16];
};

static char *copy_or_null(const char *s)
{
	return s ? api_printf("%s", s) : NULL;
}

static int on_step(const custody_step *step, void *payload)
{
	struct steps_seen *s = payload;
	struct step_seen *c;

	if (s->n >= 16)
		return 1;
	c = &s->s[s->n++];
	c->kind = step->kind;
	c->entry = step->entry;
	c->version = step->version;
	c->related = step->related;
	c->depth = step->depth;
	c->when = copy_or_null(step->when);
	c->recorded = copy_or_null(step->recorded);
	c->actor = copy_or_null(step->actor);
	c->path = copy_or_null(step->path);
	c->what = copy_or_null(step->what);
	c->from = copy_or_null(step->from);
	c->to = copy_or_null(step->to);
	c->url = copy_or_null(step->url);
	c->related_path = copy_or_null(step->related_path);
	c->message = copy_or_null(step->message);
	return 0;
}

static void expect_step(const struct steps_seen *s, int i,
	custody_step_kind kind, uint64_t entry, const char *path, int depth)
{
	if (i >= s->n) {
		api_fail(__FILE__, __LINE__, "no step %d (only %d)", i, s->n);
		return;
	}
	if (s->s[i].kind != kind || s->s[i].entry != entry ||
	    s->s[i].depth != depth || s->s[i].path == NULL ||
	    strcmp(s->s[i].path, path) != 0)
		api_fail(__FILE__, __LINE__, "step %d is kind %d, entry %llu, "
			"%s at depth %d; expected kind %d, entry %llu, %s at "
			"depth %d", i, (int)s->s[i].kind,
			(unsigned long long)s->s[i].entry,
			s->s[i].path ? s->s[i].path : "(null)", s->s[i].depth,
			(int)kind, (unsigned long long)entry, path, depth);
}

static void test_chain__timeline_has_versions_events_and_derivatives(
	void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = archive_with_documents(key);
	custody_publish_options publish = CUSTODY_PUBLISH_OPTIONS_INIT;
	const char *memo[] = { "coll/memo.txt" };
	const char *redacted[] = { "coll/redacted.txt" };
	struct steps_seen s;

	EXPECT_INT(event(archive, "coll/memo.txt", "received", "Source S",
		"Desk A"), 3);
	EXPECT_INT(event(archive, "coll/memo.txt", "transferred", "Desk A",
		"Legal"), 4);
	api_write("coll/memo.txt", "The memo, second version.\n");
	api_add(archive, memo, 1);                             /* entry 5 */
	EXPECT_INT(derive(archive, "coll/memo.txt", "coll/redacted.txt",
		"The memo, [redacted].\n", "redact"), 6);
	EXPECT_INT(event(archive, "coll/redacted.txt", "copied", NULL, NULL),
		7);
	publish.url = "https://example.org/story";
	REQUIRE_OK(custody_archive_publish(archive, redacted, 1, &publish,
		NULL, NULL, &err));                            /* entry 8 */
	EXPECT_INT(event(archive, "coll/other.txt", "sealed", NULL, NULL), 9);

	memset(&s, 0, sizeof(s));
	REQUIRE_OK(custody_archive_timeline(archive, "coll/memo.txt", on_step,
		&s, &err));
	EXPECT_INT(s.n, 9);
	expect_step(&s, 0, CUSTODY_STEP_REGISTERED, 1, "memo.txt", 0);
	EXPECT_INT(s.s[0].version, 1);
	EXPECT_STR(s.s[0].actor, "alice");
	EXPECT_STR(s.s[0].when, s.s[0].recorded);
	expect_step(&s, 1, CUSTODY_STEP_EVENT, 3, "memo.txt", 0);
	EXPECT_STR(s.s[1].what, "received");
	EXPECT_STR(s.s[1].from, "Source S");
	EXPECT_STR(s.s[1].to, "Desk A");
	expect_step(&s, 2, CUSTODY_STEP_EVENT, 4, "memo.txt", 0);
	EXPECT_STR(s.s[2].what, "transferred");
	expect_step(&s, 3, CUSTODY_STEP_REGISTERED, 5, "memo.txt", 0);
	EXPECT_INT(s.s[3].version, 2);
	expect_step(&s, 4, CUSTODY_STEP_DERIVATIVE, 6, "memo.txt", 0);
	EXPECT_STR(s.s[4].what, "redact");
	EXPECT_INT(s.s[4].related, 6);
	EXPECT_STR(s.s[4].related_path, "redacted.txt");
	expect_step(&s, 5, CUSTODY_STEP_REGISTERED, 6, "redacted.txt", 1);
	EXPECT_INT(s.s[5].version, 1);
	EXPECT_STR(s.s[5].what, "redact");
	EXPECT_INT(s.s[5].related, 5);
	expect_step(&s, 6, CUSTODY_STEP_EVENT, 7, "redacted.txt", 1);
	EXPECT_STR(s.s[6].what, "copied");
	expect_step(&s, 7, CUSTODY_STEP_PUBLISHED, 8, "redacted.txt", 1);
	EXPECT_STR(s.s[7].url, "https://example.org/story");
	EXPECT_INT(s.s[7].related, 6);
	/* the transfer to Legal has nothing from Legal since */
	expect_step(&s, 8, CUSTODY_STEP_GAP, 4, "memo.txt", 0);
	EXPECT_STR(s.s[8].to, "Legal");
	EXPECT_STR(s.s[8].message, api_printf("transferred to Legal at %s "
		"(entry 4); nothing recorded from Legal since", s.s[2].when));

	/* Legal's answer closes the gap */
	event(archive, "coll/memo.txt", "returned", "Legal", "Desk A");
	memset(&s, 0, sizeof(s));
	REQUIRE_OK(custody_archive_timeline(archive, "coll/memo.txt", on_step,
		&s, &err));
	EXPECT_INT(s.n, 9);
	EXPECT(s.n < 1 || s.s[s.n - 1].kind != CUSTODY_STEP_GAP);

	/* the derivative's own timeline starts at its registration */
	memset(&s, 0, sizeof(s));
	REQUIRE_OK(custody_archive_timeline(archive, "coll/redacted.txt",
		on_step, &s, &err));
	EXPECT_INT(s.n, 3);
	EXPECT_INT(s.s[0].entry, 6);
	EXPECT_STR(s.s[0].path, "redacted.txt");
	EXPECT_INT(s.s[0].depth, 0);
	EXPECT_INT(s.s[0].related, 5);
	KNOWN_GAP(s.s[0].kind == CUSTODY_STEP_DERIVED, "chain.h documents "
		"CUSTODY_STEP_DERIVED ('it was made from another document'); "
		"the timeline reports a derivative's registration as "
		"CUSTODY_STEP_REGISTERED with `related` set, and never emits "
		"DERIVED");
	EXPECT_INT(s.s[0].kind, CUSTODY_STEP_REGISTERED);

	EXPECT_ERROR(custody_archive_timeline(archive, "coll/nowhere.txt",
		on_step, &s, &err), CUSTODY_ENOTFOUND, NULL);
	custody_archive_free(archive);
	custody_key_free(key);
}

/* The outlet's verifier key and the disclosure of redacted.txt. */
struct disclosure {
	custody_key *key;
	custody_archive *archive;
	char *vkey;
	custody_buf reveal;
	uint64_t original, derivative;
};

static void disclose(struct disclosure *d)
{
	custody_error *err = NULL;
	custody_buf vkey = CUSTODY_BUF_INIT;
	const char *redacted[] = { "coll/redacted.txt" };
	custody_publish_options publish = CUSTODY_PUBLISH_OPTIONS_INIT;

	d->key = api_key();
	d->archive = archive_with_documents(d->key);
	d->original = 1;
	d->derivative = derive(d->archive, "coll/memo.txt",
		"coll/redacted.txt", "The memo, [redacted].\n", "redact");
	publish.url = "https://example.org/story";
	REQUIRE_OK(custody_archive_publish(d->archive, redacted, 1, &publish,
		NULL, NULL, &err));
	REQUIRE_OK(custody_pubkey_vkey(custody_key_public(d->key),
		custody_archive_origin(d->archive), &vkey, &err));
	d->vkey = api_printf("%s", vkey.ptr);
	custody_buf_dispose(&vkey);
	d->reveal.ptr = NULL;
	d->reveal.size = 0;
	REQUIRE_OK(custody_archive_reveal(d->archive, "coll/redacted.txt",
		&d->reveal, &err));
	api_write_bytes("disclosure", d->reveal.ptr, d->reveal.size);
}

static void undisclose(struct disclosure *d)
{
	custody_buf_dispose(&d->reveal);
	custody_archive_free(d->archive);
	custody_key_free(d->key);
}

static void test_chain__reveal_checks_offline_with_both_files(void)
{
	custody_error *err = NULL;
	struct disclosure d;
	custody_reveal_result r;

	disclose(&d);
	EXPECT(strncmp(d.reveal.ptr, "custody-reveal/v2\nderivative ", 29)
		== 0);
	memset(&r, 0x55, sizeof(r));
	EXPECT_OK(custody_reveal_check(d.reveal.ptr, d.reveal.size, d.vkey,
		"coll/memo.txt", "coll/redacted.txt", &r, &err));
	EXPECT_STR(r.failed_step, "");
	EXPECT_INT(r.derivative, d.derivative);
	EXPECT_INT(r.original, d.original);
	EXPECT_STR(r.derivative_path, "redacted.txt");
	EXPECT_STR(r.original_path, "memo.txt");
	EXPECT_STR(r.derivation, "redact");
	EXPECT_STR(r.original_sha256,
		api_sh_line("sha256sum coll/memo.txt | cut -c1-64"));
	EXPECT_STR(r.origin, "example.org/api-test");
	EXPECT_INT(r.tree_size, custody_archive_size(d.archive));
	EXPECT_INT(r.original_file_checked, 1);

	/* the files are optional; then the original is not checked */
	EXPECT_OK(custody_reveal_check(d.reveal.ptr, d.reveal.size, d.vkey,
		NULL, NULL, &r, &err));
	EXPECT_INT(r.original_file_checked, 0);
	EXPECT_STR(r.original_path, "memo.txt");
	undisclose(&d);
}

static void test_chain__reveal_check_names_the_step_that_fails(void)
{
	custody_error *err = NULL;
	struct disclosure d;
	custody_reveal_result r;
	custody_key *other = api_key();
	char *other_key, *swapped;
	size_t len;

	disclose(&d);
	/* another file as the original */
	api_write("not-it.txt", "not it\n");
	EXPECT_ERROR(custody_reveal_check(d.reveal.ptr, d.reveal.size,
		d.vkey, "not-it.txt", NULL, &r, &err), CUSTODY_EVERIFY,
		"the original's proof");
	EXPECT_STR(r.failed_step, "original");
	/* another file as the derivative */
	EXPECT_ERROR(custody_reveal_check(d.reveal.ptr, d.reveal.size,
		d.vkey, NULL, "not-it.txt", &r, &err), CUSTODY_EVERIFY,
		"the derivative's proof");
	EXPECT_STR(r.failed_step, "derivative");
	/* another outlet's key */
	other_key = api_openssh(custody_key_public(other));
	EXPECT_INT(custody_reveal_check(d.reveal.ptr, d.reveal.size,
		other_key, NULL, NULL, &r, &err), CUSTODY_EVERIFY);
	custody_error_free(err);
	err = NULL;
	EXPECT_STR(r.failed_step, "derivative");

	/* the original's proof swapped for another entry's */
	{
		custody_buf proof = CUSTODY_BUF_INIT;

		REQUIRE_OK(custody_archive_proof(d.archive, "coll/other.txt", 0,
			&proof, &err));
		api_write_bytes("other.proof", proof.ptr, proof.size);
		custody_buf_dispose(&proof);
	}
	EXPECT_INT(api_sh(NULL, "printf 'custody-reveal/v2\\n%%s\\n"
		"original %%s\\n' \"$(sed -n 2p disclosure)\" \"$(base64 -w0 "
		"other.proof)\" >swapped"), 0);
	swapped = api_read("swapped", &len);
	REQUIRE(swapped != NULL);
	EXPECT_ERROR(custody_reveal_check(swapped, len, d.vkey, NULL, NULL,
		&r, &err), CUSTODY_EVERIFY, api_printf("link: derivative "
		"entry %llu was derived from entry 1", (unsigned long long)
		d.derivative));
	EXPECT_STR(r.failed_step, "link");

	EXPECT_ERROR(custody_reveal_check("custody-reveal/v2\ngarbage\n", 26,
		d.vkey, NULL, NULL, &r, &err), CUSTODY_EINVALID, NULL);
	EXPECT_STR(r.failed_step, "disclosure");
	EXPECT_ERROR(custody_reveal_check("hello", 5, d.vkey, NULL, NULL, &r,
		&err), CUSTODY_EINVALID, "not a custody disclosure");
	EXPECT_STR(r.failed_step, "disclosure");
	custody_key_free(other);
	undisclose(&d);
}

static void test_chain__reveal_needs_a_derivative(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = archive_with_documents(key);
	custody_buf out = CUSTODY_BUF_INIT;

	EXPECT_ERROR(custody_archive_reveal(archive, "coll/memo.txt", &out,
		&err), CUSTODY_EINVALID, "memo.txt: its latest version was not "
		"derived from another document; nothing to reveal");
	EXPECT(out.ptr == NULL);
	EXPECT_ERROR(custody_archive_reveal(archive, "coll/nowhere.txt",
		&out, &err), CUSTODY_ENOTFOUND, NULL);
	custody_archive_free(archive);
	custody_key_free(key);
}

int main(void)
{
	static const struct api_test tests[] = {
		API_TEST(test_chain__every_event_action_is_recorded),
		API_TEST(test_chain__bad_events_are_refused_and_change_nothing),
		API_TEST(test_chain__derive_refuses_unknown_cycles_and_repeats),
		API_TEST(
		    test_chain__timeline_has_versions_events_and_derivatives),
		API_TEST(test_chain__reveal_checks_offline_with_both_files),
		API_TEST(test_chain__reveal_check_names_the_step_that_fails),
		API_TEST(test_chain__reveal_needs_a_derivative),
		{ NULL, NULL }
	};
	return api_main("chain", tests);
}
