/*
 * The witness (custody_witness_*), as an outside program uses it: a state
 * folder, a trusted log, add-checkpoint verdicts over a real archive's
 * checkpoint, the monitor's view, the listings.
 */
#include "api.h"

#define ORIGIN "example.org/api-test"

static void test_witness__dir_follows_the_documented_variables(void)
{
	custody_error *err = NULL;
	custody_buf dir = CUSTODY_BUF_INIT;

	setenv("CUSTODY_WITNESS_DIR", "/w/dir", 1);
	EXPECT_OK(custody_witness_dir(&dir, &err));
	EXPECT_STR(dir.ptr, "/w/dir");
	custody_buf_dispose(&dir);
	unsetenv("CUSTODY_WITNESS_DIR");
	setenv("XDG_STATE_HOME", "/xdg", 1);
	EXPECT_OK(custody_witness_dir(&dir, &err));
	EXPECT_STR(dir.ptr, "/xdg/custody/witness");
	custody_buf_dispose(&dir);
	unsetenv("XDG_STATE_HOME");
	setenv("HOME", "/home/w", 1);
	EXPECT_OK(custody_witness_dir(&dir, &err));
	EXPECT_STR(dir.ptr, "/home/w/.local/state/custody/witness");
	custody_buf_dispose(&dir);
	unsetenv("HOME");
	EXPECT_ERROR(custody_witness_dir(&dir, &err), CUSTODY_ENOTFOUND,
		"set CUSTODY_WITNESS_DIR");
	custody_buf_dispose(&dir);
}

struct seen {
	int logs;
	uint64_t size;
	int evidence;
};

static int on_log(const custody_witness_log *log, void *payload)
{
	struct seen *s = payload;

	s->logs++;
	EXPECT_STR(log->origin, ORIGIN);
	if (log->cosigned)
		s->size = log->size;
	return 0;
}

static int on_evidence(const custody_witness_evidence *e, void *payload)
{
	(void)e;
	((struct seen *)payload)->evidence++;
	return 0;
}

static void test_witness__cosigns_a_checkpoint_once_then_answers_409(void)
{
	custody_error *err = NULL;
	custody_key *log_key = api_key(), *witness_key = api_key(),
		*other = api_key();
	custody_archive *archive = api_archive(log_key, "a.txt", "a\n", NULL);
	custody_checkpoint_info info;
	custody_buf note = CUSTODY_BUF_INIT, vkey = CUSTODY_BUF_INIT,
		latest = CUSTODY_BUF_INIT;
	custody_witness_answer answer = CUSTODY_WITNESS_ANSWER_INIT;
	custody_witness *w = NULL;
	struct seen seen = { 0, 0, 0 };
	char *dir = api_path("wstate"), *request, *hash;
	int added = -1;

	REQUIRE_OK(custody_archive_checkpoint(archive, &note, &info, &err));
	REQUIRE_OK(custody_pubkey_vkey(custody_key_public(log_key), ORIGIN,
		&vkey, &err));
	REQUIRE_OK(custody_witness_init(dir, "witness.example/w1",
		custody_key_public(witness_key), "w1", &err));
	EXPECT_ERROR(custody_witness_init(dir, "witness.example/w1",
		custody_key_public(witness_key), "w1", &err), CUSTODY_EEXISTS,
		"holds a witness already");
	REQUIRE_OK(custody_witness_open(&w, dir, &err));
	EXPECT_STR(custody_witness_name(w), "witness.example/w1");
	EXPECT_STR(custody_witness_key_name(w), "w1");
	EXPECT(strncmp(custody_witness_vkey(w), "witness.example/w1+", 19) ==
		0);
	EXPECT_ERROR(custody_witness_trust(w, ORIGIN, "nonsense", &added,
		&err), CUSTODY_EINVALID, "verifier key");
	EXPECT_OK(custody_witness_trust(w, ORIGIN, vkey.ptr, &added, &err));
	EXPECT_INT(added, 1);
	EXPECT_OK(custody_witness_trust(w, ORIGIN, vkey.ptr, &added, &err));
	EXPECT_INT(added, 0);

	request = api_printf("old 0\n\n%s", note.ptr);
	/* no key yet, then not the witness's key */
	EXPECT_ERROR(custody_witness_add_checkpoint(w, request,
		strlen(request), &answer, &err), CUSTODY_EINVALID,
		"no key to cosign with");
	EXPECT_ERROR(custody_witness_set_key(w, other, &err), CUSTODY_EINVALID,
		"is not the key of witness");
	REQUIRE_OK(custody_witness_set_key(w, witness_key, &err));
	EXPECT_OK(custody_witness_add_checkpoint(w, request, strlen(request),
		&answer, &err));
	EXPECT_INT(answer.status, 200);
	EXPECT(answer.body.ptr != NULL &&
		strncmp(answer.body.ptr, "\xe2\x80\x94 witness.example/w1 ",
		23) == 0);
	EXPECT_INT(answer.size, info.size);
	EXPECT_OK(custody_witness_add_checkpoint(w, request, strlen(request),
		&answer, &err));
	EXPECT_INT(answer.status, 409);
	EXPECT_STR(answer.content_type, "text/x.tlog.size");
	EXPECT_STR(answer.body.ptr, api_printf("%llu\n",
		(unsigned long long)info.size));
	custody_witness_answer_dispose(&answer);

	hash = api_sh_line("printf %%s %s | sha256sum | cut -c1-64", ORIGIN);
	EXPECT_OK(custody_witness_latest(w, hash, &latest, &err));
	EXPECT(latest.ptr != NULL && strncmp(latest.ptr, note.ptr,
		note.size) == 0);
	EXPECT_ERROR(custody_witness_latest(w, "00", &latest, &err),
		CUSTODY_EINVALID, "not a SHA-256");
	EXPECT_ERROR(custody_witness_latest(w, api_printf("%064d", 0), &latest,
		&err), CUSTODY_ENOTFOUND, "nothing cosigned");
	EXPECT_OK(custody_witness_logs(w, on_log, &seen, &err));
	EXPECT_INT(seen.logs, 1);
	EXPECT_INT(seen.size, info.size);
	EXPECT_OK(custody_witness_evidence_list(w, on_evidence, &seen, &err));
	EXPECT_INT(seen.evidence, 0);

	custody_buf_dispose(&latest);
	custody_buf_dispose(&note);
	custody_buf_dispose(&vkey);
	custody_witness_free(w);
	custody_archive_free(archive);
	custody_key_free(log_key);
	custody_key_free(witness_key);
	custody_key_free(other);
}

static void test_witness__open_names_a_folder_without_a_witness(void)
{
	custody_error *err = NULL;
	custody_witness *w = NULL;

	EXPECT_ERROR(custody_witness_open(&w, api_path("none"), &err),
		CUSTODY_ENOTFOUND, "no witness here");
	EXPECT(w == NULL);
}

int main(void)
{
	static const struct api_test tests[] = {
		API_TEST(test_witness__dir_follows_the_documented_variables),
		API_TEST(
		    test_witness__cosigns_a_checkpoint_once_then_answers_409),
		API_TEST(test_witness__open_names_a_folder_without_a_witness),
		{ NULL, NULL }
	};
	return api_main("witness", tests);
}
