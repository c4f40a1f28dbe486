/*
 * custody/member.h: adding and revoking members, listing them, and the
 * allowed_signers file that stock ssh-keygen and git read.
 */
#include "api.h"

struct member_seen {
	char *name, *key, *fingerprint, *since, *until;
	int founding, revoked;
	uint64_t added, revoked_entry;
};

struct members_seen {
	int n;
	struct member_seen m[8];
	int stop_at;
};

static char *copy_or_null(const char *s)
{
	return s ? api_printf("%s", s) : NULL;
}

static int on_member(const custody_member_info *info, void *payload)
{
	struct members_seen *s = payload;
	int i = s->n++;

	if (i < 8) {
		s->m[i].name = copy_or_null(info->name);
		s->m[i].key = copy_or_null(info->key);
		s->m[i].fingerprint = copy_or_null(info->fingerprint);
		s->m[i].since = copy_or_null(info->since);
		s->m[i].until = copy_or_null(info->until);
		s->m[i].founding = info->founding;
		s->m[i].revoked = info->revoked;
		s->m[i].added = info->added;
		s->m[i].revoked_entry = info->revoked_entry;
	}
	return s->n == s->stop_at ? 3 : 0;
}

static struct members_seen members(custody_archive *archive)
{
	custody_error *err = NULL;
	struct members_seen s;

	memset(&s, 0, sizeof(s));
	EXPECT_OK(custody_archive_members(archive, on_member, &s, &err));
	return s;
}

static char *fingerprint_of(const custody_pubkey *key)
{
	char fingerprint[CUSTODY_FINGERPRINT_SIZE];

	custody_pubkey_fingerprint(key, fingerprint);
	return api_printf("%s", fingerprint);
}

/* "2026-11-23T01:54:26Z" as allowed_signers writes it: "20261123015426Z" */
static char *ssh_time(const char *t)
{
	if (t == NULL || strlen(t) != 20)
		return api_printf("(bad time %s)", t ? t : "NULL");
	return api_printf("%.4s%.2s%.2s%.2s%.2s%.2sZ", t, t + 5, t + 8,
		t + 11, t + 14, t + 17);
}

/* A key ssh-keygen made, as file `name` (and name.pub), imported. */
static custody_key *ssh_keygen_key(const char *name)
{
	custody_error *err = NULL;
	custody_key *key = NULL;
	char *text;
	size_t len;

	EXPECT_INT(api_sh(NULL, "ssh-keygen -q -t ed25519 -N '' -C %s -f %s",
		name, name), 0);
	text = api_read(name, &len);
	REQUIRE(text != NULL);
	REQUIRE_OK(custody_key_import_openssh(&key, text, len, name, &err));
	return key;
}

static void test_member__the_founder_is_the_first_member(void)
{
	custody_key *key = api_key();
	custody_archive *archive = api_archive(key, NULL);
	struct members_seen s = members(archive);

	REQUIRE(s.n == 1);
	EXPECT_STR(s.m[0].name, "alice");
	EXPECT_STR(s.m[0].key, api_openssh(custody_key_public(key)));
	EXPECT_STR(s.m[0].fingerprint, fingerprint_of(custody_key_public(key)));
	EXPECT_INT(s.m[0].founding, 1);
	EXPECT(s.m[0].since == NULL);
	EXPECT_INT(s.m[0].revoked, 0);
	EXPECT(s.m[0].until == NULL);
	EXPECT_INT(s.m[0].added, 0);
	EXPECT_INT(s.m[0].revoked_entry, 0);
	custody_archive_free(archive);
	custody_key_free(key);
}

static void test_member__add_then_revoke_in_signed_commits(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key(), *bob = ssh_keygen_key("bob");
	custody_key *carol = api_key(), *dave = api_key();
	custody_archive *archive = api_archive(key, NULL);
	char commit[CUSTODY_COMMIT_ID_SIZE] = "";
	struct members_seen s;

	REQUIRE_OK(custody_archive_member_add(archive, "bob",
		custody_key_public(bob), NULL, commit, &err));
	EXPECT_STR(commit, custody_archive_head(archive));
	EXPECT_INT(custody_archive_size(archive), 2);
	s = members(archive);
	REQUIRE(s.n == 2);
	EXPECT_STR(s.m[1].name, "bob");
	EXPECT_STR(s.m[1].key, api_openssh(custody_key_public(bob)));
	EXPECT_STR(s.m[1].fingerprint,
		api_sh_line("ssh-keygen -lf bob.pub | cut -d' ' -f2"));
	EXPECT_INT(s.m[1].founding, 0);
	EXPECT(s.m[1].since != NULL && strlen(s.m[1].since) == 20);
	EXPECT_INT(s.m[1].revoked, 0);
	EXPECT(s.m[1].until == NULL);

	/* bob, now a member, signs the next change */
	custody_archive_set_signer(archive, bob);
	REQUIRE_OK(custody_archive_member_add(archive, "carol",
		custody_key_public(carol), NULL, NULL, &err));
	{
		custody_entry *e = NULL;

		REQUIRE_OK(custody_archive_entry(archive, 2, &e, &err));
		EXPECT_STR(custody_entry_actor(e), "bob");
		custody_entry_free(e);
	}
	custody_archive_set_signer(archive, key);
	REQUIRE_OK(custody_archive_member_revoke(archive, "bob", NULL, commit,
		&err));
	EXPECT_STR(commit, custody_archive_head(archive));
	s = members(archive);
	REQUIRE(s.n == 3);
	EXPECT_STR(s.m[1].name, "bob");
	EXPECT_INT(s.m[1].revoked, 1);
	EXPECT(s.m[1].until != NULL && strlen(s.m[1].until) == 20);
	/* bob was added by entry 1 and revoked by entry 3 */
	EXPECT_INT(s.m[1].added, 1);
	EXPECT_INT(s.m[1].revoked_entry, 3);
	EXPECT_STR(s.m[2].name, "carol");
	EXPECT_INT(s.m[2].revoked, 0);

	/* a revoked key signs nothing more */
	custody_archive_set_signer(archive, bob);
	EXPECT_ERROR(custody_archive_member_add(archive, "dave",
		custody_key_public(dave), NULL, NULL, &err),
		CUSTODY_EVERIFY, NULL);
	EXPECT_INT(custody_archive_size(archive), 4);

	/* a non-zero return stops the walk */
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	EXPECT_INT(custody_archive_members(archive, on_member, &s, &err), 3);
	EXPECT_INT(s.n, 1);
	custody_error_free(err);
	custody_archive_free(archive);
	custody_key_free(dave);
	custody_key_free(carol);
	custody_key_free(bob);
	custody_key_free(key);
}

static void test_member__refused_changes_change_nothing(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key(), *bob = api_key(), *eve = api_key();
	custody_archive *archive = api_archive(key, NULL), *unsigned_ = NULL;
	custody_open_options opts = CUSTODY_OPEN_OPTIONS_INIT;
	char commit[CUSTODY_COMMIT_ID_SIZE] = "unchanged";
	char *head;

	REQUIRE_OK(custody_archive_member_add(archive, "bob",
		custody_key_public(bob), NULL, NULL, &err));
	head = api_printf("%s", custody_archive_head(archive));

	EXPECT_ERROR(custody_archive_member_add(archive, "bob",
		custody_key_public(eve), NULL, commit, &err), CUSTODY_EEXISTS,
		NULL);
	EXPECT_ERROR(custody_archive_member_add(archive, "robert",
		custody_key_public(bob), NULL, commit, &err), CUSTODY_EEXISTS,
		api_printf("key %s already belongs to member 'bob' (entry 1)",
		fingerprint_of(custody_key_public(bob))));
	EXPECT_ERROR(custody_archive_member_add(archive, "bad name",
		custody_key_public(eve), NULL, commit, &err), CUSTODY_EINVALID,
		"'bad name': a name may use only letters");
	EXPECT_ERROR(custody_archive_member_revoke(archive, "mallory", NULL,
		commit, &err), CUSTODY_ENOTFOUND,
		"'mallory' is not a member of this archive");
	/* someone who is no member */
	custody_archive_set_signer(archive, eve);
	EXPECT_ERROR(custody_archive_member_add(archive, "eve",
		custody_key_public(eve), NULL, commit, &err), CUSTODY_EVERIFY,
		NULL);
	custody_archive_set_signer(archive, key);
	/* no signer at all */
	opts.archive_path = api_path("coll/.custody");
	REQUIRE_OK(custody_archive_open(&unsigned_, &opts, &err));
	EXPECT_ERROR(custody_archive_member_add(unsigned_, "eve",
		custody_key_public(eve), NULL, commit, &err), CUSTODY_EINVALID,
		NULL);
	custody_archive_free(unsigned_);
	/* the last active member stays */
	REQUIRE_OK(custody_archive_member_revoke(archive, "bob", NULL, NULL,
		&err));
	head = api_printf("%s", custody_archive_head(archive));
	EXPECT_ERROR(custody_archive_member_revoke(archive, "alice", NULL,
		commit, &err), CUSTODY_EINVALID, NULL);
	EXPECT_STR(commit, "unchanged");
	EXPECT_STR(custody_archive_head(archive), head);
	EXPECT_INT(custody_archive_size(archive), 3);
	EXPECT_INT(members(archive).n, 2);
	custody_archive_free(archive);
	custody_key_free(eve);
	custody_key_free(bob);
	custody_key_free(key);
}

static void test_member__allowed_signers_works_for_ssh_keygen_and_git(
	void)
{
	custody_error *err = NULL;
	custody_key *alice = ssh_keygen_key("alice"), *bob = ssh_keygen_key(
		"bob"), *carol = api_key();
	custody_archive *archive = api_archive(alice, NULL);
	custody_buf text = CUSTODY_BUF_INIT;
	struct members_seen s;
	char *in_tree = NULL, *out = NULL;

	REQUIRE_OK(custody_archive_member_add(archive, "bob",
		custody_key_public(bob), NULL, NULL, &err));
	REQUIRE_OK(custody_archive_member_add(archive, "carol",
		custody_key_public(carol), NULL, NULL, &err));
	REQUIRE_OK(custody_archive_member_revoke(archive, "bob", NULL, NULL,
		&err));
	s = members(archive);
	REQUIRE(s.n == 3);

	REQUIRE_OK(custody_archive_allowed_signers(archive, &text, &err));
	EXPECT_INT(text.size, strlen(text.ptr));
	/* the head's members/allowed_signers, byte for byte */
	EXPECT_INT(api_sh(&in_tree, "git --git-dir=coll/.custody show "
		"main:members/allowed_signers"), 0);
	EXPECT_STR(text.ptr, in_tree);
	EXPECT_HAS(text.ptr, api_printf("\nalice namespaces=\"git,custody\" "
		"%s\n", s.m[0].key));
	/* revoked: the line stays, with valid-before */
	EXPECT_HAS(text.ptr, api_printf("\nbob namespaces=\"git,custody\","
		"valid-after=\"%s\",valid-before=\"%s\" %s\n",
		ssh_time(s.m[1].since), ssh_time(s.m[1].until), s.m[1].key));
	EXPECT_HAS(text.ptr, api_printf("\ncarol namespaces=\"git,custody\","
		"valid-after=\"%s\" %s\n", ssh_time(s.m[2].since),
		s.m[2].key));
	api_write_bytes("allowed_signers", text.ptr, text.size);

	/* ssh-keygen trusts alice's signatures, and bob's no longer (asked
	 * about a time after his revocation) */
	api_write("doc.txt", "a document\n");
	EXPECT_INT(api_sh(NULL, "ssh-keygen -q -Y sign -f alice -n custody "
		"doc.txt 2>/dev/null && ssh-keygen -Y verify -f "
		"allowed_signers -I alice -n custody "
		"-O verify-time=20991231000000 -s doc.txt.sig <doc.txt "
		">/dev/null 2>&1"), 0);
	EXPECT_INT(api_sh(NULL, "rm doc.txt.sig && ssh-keygen -q -Y sign "
		"-f bob -n custody doc.txt 2>/dev/null"), 0);
	EXPECT(api_sh(NULL, "ssh-keygen -Y verify -f allowed_signers -I bob "
		"-n custody -O verify-time=20991231000000 -s doc.txt.sig "
		"<doc.txt >/dev/null 2>&1") != 0);
	EXPECT_INT(api_sh(NULL, "ssh-keygen -Y verify -f allowed_signers "
		"-I bob -n custody -O verify-time=%.14s -s doc.txt.sig "
		"<doc.txt >/dev/null 2>&1", ssh_time(s.m[1].since)), 0);
	/* stock git checks every commit's signature against it */
	EXPECT_INT(api_sh(&out, "for c in $(git --git-dir=coll/.custody "
		"rev-list main); do git --git-dir=coll/.custody -c "
		"gpg.ssh.allowedSignersFile=$PWD/allowed_signers verify-commit "
		"$c 2>&1 || echo BAD $c; done"), 0);
	EXPECT(out && strstr(out, "BAD") == NULL);
	EXPECT_HAS(out, "Good \"git\" signature for alice");
	custody_buf_dispose(&text);
	custody_archive_free(archive);
	custody_key_free(carol);
	custody_key_free(bob);
	custody_key_free(alice);
}

int main(void)
{
	static const struct api_test tests[] = {
		API_TEST(test_member__the_founder_is_the_first_member),
		API_TEST(test_member__add_then_revoke_in_signed_commits),
		API_TEST(test_member__refused_changes_change_nothing),
		API_TEST(
		    test_member__allowed_signers_works_for_ssh_keygen_and_git),
		{ NULL, NULL }
	};
	return api_main("member", tests);
}
