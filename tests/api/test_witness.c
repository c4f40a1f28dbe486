/*
 * The witness (custody_witness_*), as an outside program uses it: a state
 * folder, a trusted log, add-checkpoint verdicts over a real archive's
 * checkpoint, the monitor's view, the listings; and an outlet with two
 * witnesses serving on loopback: its policy, cosign and quorum, and a
 * reader's custody_check with a policy.
 */
#include "api.h"

#include <pthread.h>

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

/* ---- an outlet and its witnesses, over HTTP on loopback ---- */

struct served {
	custody_witness *w;
	pthread_t thread;
	volatile int stop;
	pthread_mutex_t lock;
	pthread_cond_t ready;
	char address[64];
	int rc;
};

static void on_ready(const char *address, void *payload)
{
	struct served *s = payload;

	pthread_mutex_lock(&s->lock);
	snprintf(s->address, sizeof(s->address), "%s", address);
	pthread_cond_signal(&s->ready);
	pthread_mutex_unlock(&s->lock);
}

static void *serve(void *payload)
{
	struct served *s = payload;
	custody_witness_serve_options opts = CUSTODY_WITNESS_SERVE_OPTIONS_INIT;
	custody_error *err = NULL;

	opts.ready = on_ready;
	opts.payload = s;
	opts.stop = &s->stop;
	s->rc = custody_witness_serve(s->w, "127.0.0.1:0", &opts, &err);
	if (s->rc != 0) {
		fprintf(stderr, "serve: %s\n", custody_error_message(err));
		on_ready("", s);    /* do not leave the test waiting */
	}
	custody_error_free(err);
	return NULL;
}

/* A witness named `name` that trusts the api archive's log under
 * `log_vkey`, serving on a loopback port of its own (s->address). */
static void start_witness(struct served *s, const char *name,
	custody_key *key, const char *log_vkey)
{
	custody_error *err = NULL;
	char *dir = api_path(api_printf("state-%s", strrchr(name, '/') + 1));
	int added;

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->ready, NULL);
	REQUIRE_OK(custody_witness_init(dir, name, custody_key_public(key),
		"k", &err));
	REQUIRE_OK(custody_witness_open(&s->w, dir, &err));
	REQUIRE_OK(custody_witness_set_key(s->w, key, &err));
	REQUIRE_OK(custody_witness_trust(s->w, ORIGIN, log_vkey, &added,
		&err));
	pthread_mutex_lock(&s->lock);
	if (pthread_create(&s->thread, NULL, serve, s) != 0) {
		perror("pthread_create");
		api_abort();
	}
	while (s->address[0] == '\0' && s->rc == 0)
		pthread_cond_wait(&s->ready, &s->lock);
	pthread_mutex_unlock(&s->lock);
	REQUIRE(s->rc == 0 && s->address[0] != '\0');
}

static void stop_witness(struct served *s)
{
	if (s->w == NULL)
		return;
	s->stop = 1;
	pthread_join(s->thread, NULL);
	custody_witness_free(s->w);
	s->w = NULL;
}

static custody_check_result check_with_policy(const char *file,
	const char *proof, size_t proof_len, const char *policy, int *rc)
{
	custody_error *err = NULL;
	custody_check_options opts = CUSTODY_CHECK_OPTIONS_INIT;
	custody_check_result r;

	opts.policy = policy;
	opts.policy_len = strlen(policy);
	memset(&r, 0x55, sizeof(r));
	*rc = custody_check(file, proof, proof_len, &opts, &r, &err);
	if (*rc != 0 && *rc != CUSTODY_EVERIFY)
		fprintf(stderr, "check: %s\n", custody_error_message(err));
	custody_error_free(err);
	return r;
}

static void test_witness__an_outlet_reaches_its_quorum_and_a_reader_checks_it(void)
{
	custody_error *err = NULL;
	custody_key *log_key = api_key(), *k1 = api_key(), *k2 = api_key();
	custody_archive *archive = api_archive(log_key, "a.txt", "a\n", NULL);
	custody_buf vkey = CUSTODY_BUF_INIT, policy = CUSTODY_BUF_INIT,
		proof = CUSTODY_BUF_INIT;
	custody_cosign_info info;
	struct served w1, w2;
	const char *all[] = { "coll" };
	char *text, *strict;
	int rc;

	REQUIRE_OK(custody_pubkey_vkey(custody_key_public(log_key), ORIGIN,
		&vkey, &err));
	start_witness(&w1, "witness.example/w1", k1, vkey.ptr);
	start_witness(&w2, "witness.example/w2", k2, vkey.ptr);

	/* no witness yet: nothing to ask */
	memset(&info, 0, sizeof(info));
	info.struct_version = CUSTODY_COSIGN_INFO_VERSION;
	EXPECT_ERROR(custody_archive_cosign(archive, &info, &err),
		CUSTODY_EINVALID, "no witness");
	REQUIRE_OK(custody_archive_witness_add(archive, "witness.example/w1",
		api_printf("http://%s", w1.address),
		custody_witness_vkey(w1.w), NULL, NULL, &err));
	REQUIRE_OK(custody_archive_witness_add(archive, "witness.example/w2",
		api_printf("http://%s", w2.address),
		custody_witness_vkey(w2.w), "all", NULL, &err));
	EXPECT_ERROR(custody_archive_witness_add(archive,
		"witness.example/w2", "http://127.0.0.1:1",
		custody_witness_vkey(w2.w), NULL, NULL, &err),
		CUSTODY_EEXISTS, "witness.example/w2");
	api_add(archive, all, 1);

	/* both cosign the head, which covers every entry */
	memset(&info, 0, sizeof(info));
	info.struct_version = CUSTODY_COSIGN_INFO_VERSION;
	EXPECT_OK(custody_archive_cosign(archive, &info, &err));
	EXPECT_INT(info.nwitnesses, 2);
	EXPECT_INT(info.witnesses[0].result, 1);
	EXPECT_INT(info.witnesses[1].result, 1);
	EXPECT_INT(info.cosignatures, 2);
	EXPECT_INT(info.quorum_met, 1);
	EXPECT(info.commit[0] != '\0');

	REQUIRE_OK(custody_archive_policy_text(archive, &policy, &err));
	text = api_printf("%.*s", (int)policy.size, policy.ptr);
	EXPECT(strstr(text, vkey.ptr) != NULL);
	EXPECT_STR(text, api_printf("log %s\n"
		"witness witness.example/w1 %s http://%s\n"
		"witness witness.example/w2 %s http://%s\n"
		"group witnesses all witness.example/w1 witness.example/w2\n"
		"quorum witnesses\n", vkey.ptr, custody_witness_vkey(w1.w),
		w1.address, custody_witness_vkey(w2.w), w2.address));
	REQUIRE_OK(custody_archive_proof(archive, "coll/a.txt", 0, &proof, &err));

	rc = -1;
	{
		custody_check_result r = check_with_policy("coll/a.txt",
			proof.ptr, proof.size, text, &rc);

		EXPECT_INT(rc, 0);
		EXPECT_STR(r.failed_step, "");
		EXPECT_INT(r.has_policy, 1);
		EXPECT_INT(r.quorum_met, 1);
		EXPECT_INT(r.nwitnesses, 2);
		EXPECT_INT(r.ncosigners, 2);
		EXPECT_STR(r.cosigners[0].name, "witness.example/w1");
		EXPECT_STR(r.cosigners[1].name, "witness.example/w2");
	}

	/* a reader whose policy also wants a third witness, which never
	 * cosigned: the proof falls short of "all" at the cosignature step */
	{
		custody_key *k3 = api_key();
		custody_witness *w3 = NULL;
		custody_check_result r;

		REQUIRE_OK(custody_witness_init(api_path("state-w3"),
			"witness.example/w3", custody_key_public(k3), "k",
			&err));
		REQUIRE_OK(custody_witness_open(&w3, api_path("state-w3"),
			&err));
		strict = api_printf("log %s\nwitness w1 %s\nwitness w2 %s\n"
			"witness w3 %s\ngroup g all w1 w2 w3\nquorum g\n",
			vkey.ptr, custody_witness_vkey(w1.w),
			custody_witness_vkey(w2.w), custody_witness_vkey(w3));
		r = check_with_policy("coll/a.txt", proof.ptr, proof.size,
			strict, &rc);
		EXPECT_INT(rc, CUSTODY_EVERIFY);
		EXPECT_INT(r.quorum_met, 0);
		EXPECT_INT(r.ncosigners, 2);
		EXPECT_STR(r.quorum, "g");
		custody_witness_free(w3);
		custody_key_free(k3);
	}

	/* w2 goes away; a new change gets w1's cosignature only, which is
	 * stored, and the quorum ("all") is not met */
	stop_witness(&w2);
	api_write("coll/b.txt", "b\n");
	api_add(archive, all, 1);
	memset(&info, 0, sizeof(info));
	info.struct_version = CUSTODY_COSIGN_INFO_VERSION;
	EXPECT_INT(custody_archive_cosign(archive, &info, &err),
		CUSTODY_EVERIFY);
	custody_error_free(err);
	err = NULL;
	EXPECT_INT(info.witnesses[0].result, 1);
	EXPECT_INT(info.witnesses[1].result, 0);
	EXPECT(info.witnesses[1].message[0] != '\0');
	EXPECT_INT(info.cosignatures, 1);
	EXPECT_INT(info.quorum_met, 0);

	/* quorum "any" is a policy entry; the next cosign (w1 has it
	 * already) then meets it */
	REQUIRE_OK(custody_archive_witness_quorum(archive, "any", NULL,
		&err));
	memset(&info, 0, sizeof(info));
	info.struct_version = CUSTODY_COSIGN_INFO_VERSION;
	EXPECT_OK(custody_archive_cosign(archive, &info, &err));
	EXPECT_INT(info.quorum_met, 1);

	/* w2 leaves the policy; one removed twice is not found */
	REQUIRE_OK(custody_archive_witness_remove(archive,
		"witness.example/w2", NULL, NULL, &err));
	EXPECT_ERROR(custody_archive_witness_remove(archive,
		"witness.example/w2", NULL, NULL, &err), CUSTODY_ENOTFOUND,
		"witness.example/w2");
	custody_buf_dispose(&policy);
	REQUIRE_OK(custody_archive_policy_text(archive, &policy, &err));
	EXPECT(strstr(policy.ptr, "witness.example/w1") != NULL);
	EXPECT(strstr(policy.ptr, "witness.example/w2") == NULL);

	stop_witness(&w1);
	custody_buf_dispose(&proof);
	custody_buf_dispose(&policy);
	custody_buf_dispose(&vkey);
	custody_archive_free(archive);
	custody_key_free(log_key);
	custody_key_free(k1);
	custody_key_free(k2);
}

int main(void)
{
	static const struct api_test tests[] = {
		API_TEST(test_witness__dir_follows_the_documented_variables),
		API_TEST(
		    test_witness__cosigns_a_checkpoint_once_then_answers_409),
		API_TEST(test_witness__open_names_a_folder_without_a_witness),
		API_TEST(
		    test_witness__an_outlet_reaches_its_quorum_and_a_reader_checks_it),
		{ NULL, NULL }
	};
	return api_main("witness", tests);
}
