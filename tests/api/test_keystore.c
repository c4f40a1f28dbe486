/*
 * The key folder (custody_keystore_*, custody_key_name_check): where it
 * is, what it lists, which key it finds.
 */
#include "api.h"

#define PASSPHRASE "a passphrase"

/* A key NAME in folder `dir`: NAME.key, and NAME.pub unless no_pub.
 * Returns the key's OpenSSH line. */
static char *store_key(const char *dir, const char *name, int no_pub)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	char *line = api_openssh(custody_key_public(key));

	REQUIRE_OK(custody_key_save(key, api_printf("%s/%s.key", dir, name),
		PASSPHRASE, strlen(PASSPHRASE), &err));
	if (!no_pub)
		api_write(api_printf("%s/%s.pub", dir, name),
			api_printf("%s %s\n", line, name));
	custody_key_free(key);
	return line;
}

struct listed {
	int calls;
	char names[8][80];
	char *keys[8];        /* OpenSSH lines; NULL when none was given */
	int stop_at;          /* return 7 at this call (1-based); 0: never */
};

static int on_key(const char *name, const custody_pubkey *key, void *payload)
{
	struct listed *l = payload;
	int i = l->calls++;

	if (i < 8) {
		snprintf(l->names[i], sizeof(l->names[i]), "%s", name);
		l->keys[i] = key ? api_openssh(key) : NULL;
	}
	return l->calls == l->stop_at ? 7 : 0;
}

static char *dir_of_environment(void)
{
	custody_error *err = NULL;
	custody_buf dir = CUSTODY_BUF_INIT;
	char *copy = NULL;

	EXPECT_OK(custody_keystore_dir(&dir, &err));
	if (dir.ptr)
		copy = api_printf("%s", dir.ptr);
	EXPECT_INT(dir.size, copy ? strlen(copy) : 0);
	custody_buf_dispose(&dir);
	return copy;
}

static void test_keystore__dir_follows_the_documented_variables(void)
{
	custody_error *err = NULL;
	custody_buf dir = CUSTODY_BUF_INIT;
	char *home = api_printf("%s", getenv("HOME"));

	EXPECT_STR(dir_of_environment(), api_printf("%s/.config/custody/keys",
		home));
	setenv("XDG_CONFIG_HOME", "/srv/config", 1);
	EXPECT_STR(dir_of_environment(), "/srv/config/custody/keys");
	setenv("CUSTODY_KEY_DIR", "/srv/keys", 1);
	EXPECT_STR(dir_of_environment(), "/srv/keys");
	/* empty is unset; XDG_CONFIG_HOME must be absolute */
	setenv("CUSTODY_KEY_DIR", "", 1);
	EXPECT_STR(dir_of_environment(), "/srv/config/custody/keys");
	setenv("XDG_CONFIG_HOME", "relative/config", 1);
	EXPECT_STR(dir_of_environment(), api_printf("%s/.config/custody/keys",
		home));

	/* nothing to go by */
	unsetenv("CUSTODY_KEY_DIR");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("HOME");
	EXPECT_ERROR(custody_keystore_dir(&dir, &err), CUSTODY_ENOTFOUND,
		"no key folder: set CUSTODY_KEY_DIR, XDG_CONFIG_HOME or HOME");
	EXPECT(dir.ptr == NULL);
	setenv("HOME", home, 1);
	/* the folder is only named, never made */
	EXPECT(access(api_printf("%s/.config", home), F_OK) != 0);
}

static void test_keystore__list_sorts_names_and_skips_what_is_no_key(void)
{
	custody_error *err = NULL;
	struct listed l;
	char *dir = api_path("keys"), *alice, *carol;

	api_mkdir(dir);
	carol = store_key(dir, "carol", 0);
	alice = store_key(dir, "alice", 0);
	store_key(dir, "bob", 1);          /* no .pub: listed, no key */
	api_write(api_printf("%s/dave.pub", dir), "ssh-ed25519 AAAA\n");
	api_write(api_printf("%s/.hidden.key", dir), "x");
	api_write(api_printf("%s/notes.txt", dir), "x");
	api_write(api_printf("%s/erin.key", dir), "x");
	api_write(api_printf("%s/erin.pub", dir), "damaged\n");

	memset(&l, 0, sizeof(l));
	EXPECT_OK(custody_keystore_list(dir, on_key, &l, &err));
	EXPECT_INT(l.calls, 4);
	EXPECT_STR(l.names[0], "alice");
	EXPECT_STR(l.keys[0], alice);
	EXPECT_STR(l.names[1], "bob");
	EXPECT(l.keys[1] == NULL);
	EXPECT_STR(l.names[2], "carol");
	EXPECT_STR(l.keys[2], carol);
	EXPECT_STR(l.names[3], "erin");
	EXPECT(l.keys[3] == NULL);

	/* a non-zero return stops the walk and comes back */
	memset(&l, 0, sizeof(l));
	l.stop_at = 2;
	EXPECT_INT(custody_keystore_list(dir, on_key, &l, &err), 7);
	EXPECT_INT(l.calls, 2);
	custody_error_free(err);
	err = NULL;

	/* NULL: the default folder */
	setenv("CUSTODY_KEY_DIR", dir, 1);
	memset(&l, 0, sizeof(l));
	EXPECT_OK(custody_keystore_list(NULL, on_key, &l, &err));
	EXPECT_INT(l.calls, 4);

	/* a folder not made yet holds no keys */
	memset(&l, 0, sizeof(l));
	EXPECT_OK(custody_keystore_list(api_path("none"), on_key, &l, &err));
	EXPECT_INT(l.calls, 0);
}

static void test_keystore__find_the_named_or_the_only_key(void)
{
	custody_error *err = NULL;
	custody_buf name = CUSTODY_BUF_INIT, path = CUSTODY_BUF_INIT;
	custody_pubkey *pub = NULL;
	char *dir = api_path("keys"), *alice, *line;

	api_mkdir(dir);
	EXPECT_INT(custody_keystore_find(dir, NULL, &name, &path, &pub,
		&err), CUSTODY_ENOTFOUND);
	/* the library says what is missing; the tool says what to run */
	EXPECT_STR(err ? custody_error_message(err) : "",
		api_printf("no key in %s", dir));
	EXPECT_INT(custody_error_hint(err), CUSTODY_HINT_NO_KEY);
	custody_error_free(err);
	err = NULL;
	EXPECT(name.ptr == NULL && path.ptr == NULL && pub == NULL);

	alice = store_key(dir, "alice", 0);
	EXPECT_OK(custody_keystore_find(dir, NULL, &name, &path, &pub, &err));
	EXPECT_STR(name.ptr, "alice");
	EXPECT_STR(path.ptr, api_printf("%s/alice.key", dir));
	EXPECT(pub != NULL);
	if (pub)
		EXPECT_STR(api_openssh(pub), alice);
	custody_pubkey_free(pub);
	pub = NULL;
	custody_buf_dispose(&name);
	custody_buf_dispose(&path);

	/* several: a name is needed */
	store_key(dir, "bob", 0);
	EXPECT_ERROR(custody_keystore_find(dir, NULL, &name, NULL, NULL,
		&err), CUSTODY_EAMBIGUOUS, api_printf("2 keys in %s (alice, "
		"bob)", dir));
	EXPECT(name.ptr == NULL);
	EXPECT_OK(custody_keystore_find(dir, "bob", &name, NULL, &pub, &err));
	EXPECT_STR(name.ptr, "bob");
	line = pub ? api_openssh(pub) : NULL;
	EXPECT(line != NULL && strcmp(line, alice) != 0);
	custody_pubkey_free(pub);
	pub = NULL;
	custody_buf_dispose(&name);

	/* every out-parameter may be NULL */
	EXPECT_OK(custody_keystore_find(dir, "alice", NULL, NULL, NULL, &err));
	EXPECT_ERROR(custody_keystore_find(dir, "carol", &name, &path, &pub,
		&err), CUSTODY_ENOTFOUND, api_printf("no key 'carol' in %s",
		dir));
	EXPECT_ERROR(custody_keystore_find(dir, "../alice", &name, &path,
		&pub, &err), CUSTODY_EINVALID, NULL);
	EXPECT(name.ptr == NULL && path.ptr == NULL && pub == NULL);

	/* NULL: the default folder */
	setenv("CUSTODY_KEY_DIR", dir, 1);
	EXPECT_OK(custody_keystore_find(NULL, "alice", NULL, &path, NULL,
		&err));
	EXPECT_STR(path.ptr, api_printf("%s/alice.key", dir));
	custody_buf_dispose(&path);
}

static void test_keystore__key_names_are_checked(void)
{
	custody_error *err = NULL;
	char longest[65], too_long[66];

	memset(longest, 'k', 64);
	longest[64] = '\0';
	memset(too_long, 'k', 65);
	too_long[65] = '\0';
	EXPECT_OK(custody_key_name_check("alice", &err));
	EXPECT_OK(custody_key_name_check("A.b_c@d+e-9", &err));
	EXPECT_OK(custody_key_name_check(longest, &err));
	EXPECT_ERROR(custody_key_name_check("", &err), CUSTODY_EINVALID,
		"'': a name has 1 to 64 characters");
	EXPECT_ERROR(custody_key_name_check(too_long, &err),
		CUSTODY_EINVALID, "a name has 1 to 64 characters");
	EXPECT_ERROR(custody_key_name_check(".alice", &err), CUSTODY_EINVALID,
		"'.alice': a name may not start with '.' or '-'");
	EXPECT_ERROR(custody_key_name_check("-alice", &err), CUSTODY_EINVALID,
		"may not start with");
	EXPECT_ERROR(custody_key_name_check("al ice", &err), CUSTODY_EINVALID,
		"'al ice': a name may use only letters");
	EXPECT_ERROR(custody_key_name_check("a/b", &err), CUSTODY_EINVALID,
		NULL);
}

int main(void)
{
	static const struct api_test tests[] = {
		API_TEST(test_keystore__dir_follows_the_documented_variables),
		API_TEST(
		    test_keystore__list_sorts_names_and_skips_what_is_no_key),
		API_TEST(test_keystore__find_the_named_or_the_only_key),
		API_TEST(test_keystore__key_names_are_checked),
		{ NULL, NULL }
	};
	return api_main("keystore", tests);
}
