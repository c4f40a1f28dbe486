/*
 * custody/key.h: private keys (generate, save, load, import) and public
 * keys (parse, compare, copy, the OpenSSH line, the fingerprint, the
 * verifier key), checked against stock ssh-keygen where it has a view.
 */
#include "api.h"

#define PASSPHRASE "correct horse battery staple"

/* The second field of `ssh-keygen -lf FILE`: the fingerprint it shows. */
static char *ssh_keygen_fingerprint(const char *file)
{
	return api_sh_line("ssh-keygen -lf '%s' | cut -d' ' -f2", file);
}

/* A key ssh-keygen made, unencrypted: its private file is `name`, its
 * public line `name`.pub. */
static void ssh_keygen_key(const char *name, const char *passphrase,
	const char *type)
{
	EXPECT_INT(api_sh(NULL, "ssh-keygen -q -t %s -N '%s' -C api -f '%s'",
		type, passphrase, name), 0);
}

static void test_key__generate_makes_distinct_usable_keys(void)
{
	custody_error *err = NULL;
	custody_key *one = NULL, *two = NULL;

	REQUIRE_OK(custody_key_generate(&one, &err));
	REQUIRE_OK(custody_key_generate(&two, &err));
	EXPECT(custody_key_public(one) != NULL);
	EXPECT_INT(custody_pubkey_equal(custody_key_public(one),
		custody_key_public(one)), 1);
	EXPECT_INT(custody_pubkey_equal(custody_key_public(one),
		custody_key_public(two)), 0);
	EXPECT_INT(custody_key_wait(one, &err), 0);
	custody_key_free(one);
	custody_key_free(two);
	custody_key_free(NULL);
}

static void test_key__save_writes_an_encrypted_0600_file_once(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key(), *other = api_key();
	char *path = api_path("alice.key"), *before, *text;
	size_t before_len, len;
	struct stat st;

	EXPECT_OK(custody_key_save(key, path, PASSPHRASE, strlen(PASSPHRASE),
		&err));
	EXPECT_INT(stat(path, &st), 0);
	EXPECT_INT(st.st_mode & 07777, 0600);
	EXPECT(S_ISREG(st.st_mode));
	text = api_read(path, &len);
	EXPECT(text != NULL && strncmp(text, "-----BEGIN ENCRYPTED PRIVATE "
		"KEY-----\n", 38) == 0);
	EXPECT_HAS(text, "-----END ENCRYPTED PRIVATE KEY-----\n");

	/* an existing file is never replaced */
	before = api_read(path, &before_len);
	EXPECT_ERROR(custody_key_save(other, path, PASSPHRASE,
		strlen(PASSPHRASE), &err), CUSTODY_EEXISTS,
		api_printf("%s: already exists", path));
	text = api_read(path, &len);
	EXPECT(text && len == before_len && memcmp(text, before, len) == 0);

	/* nor is a key left unprotected */
	EXPECT_ERROR(custody_key_save(key, api_path("bare.key"), "", 0, &err),
		CUSTODY_EINVALID, api_printf("%s: an empty passphrase would "
		"leave the key unprotected", api_path("bare.key")));
	EXPECT(access(api_path("bare.key"), F_OK) != 0);
	custody_key_free(key);
	custody_key_free(other);
}

static void test_key__load_needs_the_passphrase_and_a_private_file(
	void)
{
	custody_error *err = NULL;
	custody_key *key = api_key(), *loaded = NULL;
	char *path = api_path("alice.key");
	custody_buf sig = CUSTODY_BUF_INIT;
	custody_pubkey *signer = NULL;

	REQUIRE_OK(custody_key_save(key, path, PASSPHRASE, strlen(PASSPHRASE),
		&err));
	EXPECT_OK(custody_key_load(&loaded, path, PASSPHRASE,
		strlen(PASSPHRASE), &err));
	EXPECT(loaded != NULL && custody_pubkey_equal(custody_key_public(
		loaded), custody_key_public(key)) == 1);
	/* the loaded key signs as the saved one */
	if (loaded) {
		EXPECT_OK(custody_sshsig_sign(loaded, "custody", "m", 1, &sig,
			&err));
		EXPECT_OK(custody_sshsig_verify(sig.ptr, sig.size, "custody",
			"m", 1, &signer, &err));
		EXPECT(signer && custody_pubkey_equal(signer,
			custody_key_public(key)) == 1);
	}
	custody_buf_dispose(&sig);
	custody_pubkey_free(signer);
	custody_key_free(loaded);
	loaded = NULL;

	EXPECT_ERROR(custody_key_load(&loaded, path, "wrong", 5, &err),
		CUSTODY_EPASSPHRASE, api_printf("%s: wrong passphrase", path));
	EXPECT(loaded == NULL);

	/* readable by the group: refused before any decryption */
	EXPECT_INT(chmod(path, 0640), 0);
	EXPECT_ERROR(custody_key_load(&loaded, path, PASSPHRASE,
		strlen(PASSPHRASE), &err), CUSTODY_EINVALID,
		api_printf("%s: refused: group or others may access this "
		"private key (mode 0640)", path));
	EXPECT(loaded == NULL);

	/* not a key file at all */
	api_write("notes.key", "just some notes\n");
	EXPECT_INT(chmod("notes.key", 0600), 0);
	EXPECT_ERROR(custody_key_load(&loaded, api_path("notes.key"),
		PASSPHRASE, strlen(PASSPHRASE), &err), CUSTODY_EINVALID,
		api_printf("%s: not an encrypted private key",
		api_path("notes.key")));
	EXPECT(loaded == NULL);
	custody_key_free(key);
}

static void test_key__load_start_decrypts_behind_the_callers_back(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key(), *other = api_key(), *started = NULL;
	char *path = api_path("alice.key");
	custody_buf sig = CUSTODY_BUF_INIT;

	REQUIRE_OK(custody_key_save(key, path, PASSPHRASE, strlen(PASSPHRASE),
		&err));
	EXPECT_OK(custody_key_load_start(&started, path, PASSPHRASE,
		strlen(PASSPHRASE), custody_key_public(key), &err));
	if (started) {
		EXPECT_INT(custody_pubkey_equal(custody_key_public(started),
			custody_key_public(key)), 1);
		EXPECT_OK(custody_key_wait(started, &err));
		EXPECT_OK(custody_sshsig_sign(started, "custody", "m", 1,
			&sig, &err));
	}
	custody_buf_dispose(&sig);
	custody_key_free(started);
	started = NULL;

	/* a wrong passphrase shows when waited for, the same each time */
	EXPECT_OK(custody_key_load_start(&started, path, "wrong", 5,
		custody_key_public(key), &err));
	if (started) {
		EXPECT_ERROR(custody_key_wait(started, &err),
			CUSTODY_EPASSPHRASE, path);
		EXPECT_ERROR(custody_key_wait(started, &err),
			CUSTODY_EPASSPHRASE, path);
		EXPECT_ERROR(custody_sshsig_sign(started, "custody", "m", 1,
			&sig, &err), CUSTODY_EPASSPHRASE, NULL);
		EXPECT(sig.ptr == NULL);
	}
	custody_key_free(started);
	started = NULL;

	/* a .pub that is not the private key's public half */
	EXPECT_OK(custody_key_load_start(&started, path, PASSPHRASE,
		strlen(PASSPHRASE), custody_key_public(other), &err));
	if (started)
		EXPECT_ERROR(custody_key_wait(started, &err),
			CUSTODY_EINVALID, NULL);
	custody_key_free(started);
	custody_key_free(key);
	custody_key_free(other);
}

static void test_key__openssh_line_and_fingerprint_are_ssh_keygens(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	const custody_pubkey *pub = custody_key_public(key);
	custody_pubkey *parsed = NULL;
	char fingerprint[CUSTODY_FINGERPRINT_SIZE];
	char *line = api_openssh(pub), *text;

	EXPECT(strncmp(line, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI", 37)
		== 0);
	EXPECT_INT(strlen(line), strlen("ssh-ed25519 ") + 68);
	EXPECT(strchr(line, '\n') == NULL);

	/* ssh-keygen reads the line and shows the same fingerprint */
	api_write("k.pub", api_printf("%s\n", line));
	custody_pubkey_fingerprint(pub, fingerprint);
	EXPECT_STR(fingerprint, ssh_keygen_fingerprint("k.pub"));
	EXPECT(strncmp(fingerprint, "SHA256:", 7) == 0);

	/* and ssh-keygen's own line of a key parses to the key it shows */
	ssh_keygen_key("id", "", "ed25519");
	text = api_read("id.pub", NULL);
	REQUIRE(text != NULL);
	REQUIRE_OK(custody_pubkey_parse(&parsed, text, strlen(text), &err));
	custody_pubkey_fingerprint(parsed, fingerprint);
	EXPECT_STR(fingerprint, ssh_keygen_fingerprint("id.pub"));
	*strrchr(text, ' ') = '\0';   /* no comment, no newline */
	EXPECT_STR(api_openssh(parsed), text);
	custody_pubkey_free(parsed);
	custody_key_free(key);
}

static void test_key__pubkey_parse_dup_raw_and_from_raw_round_trip(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	const custody_pubkey *pub = custody_key_public(key);
	custody_pubkey *parsed = NULL, *copy = NULL, *raw = NULL;
	char *line = api_openssh(pub);
	char *commented = api_printf("%s reporter@example.org\n", line);
	unsigned char bytes[CUSTODY_KEY_RAW_SIZE];

	EXPECT_OK(custody_pubkey_parse(&parsed, line, strlen(line), &err));
	EXPECT(parsed && custody_pubkey_equal(parsed, pub) == 1);
	custody_pubkey_free(parsed);
	parsed = NULL;
	EXPECT_OK(custody_pubkey_parse(&parsed, commented, strlen(commented),
		&err));
	EXPECT(parsed && custody_pubkey_equal(parsed, pub) == 1);

	EXPECT_OK(custody_pubkey_dup(&copy, pub, &err));
	EXPECT(copy != NULL && copy != pub);
	EXPECT(copy && custody_pubkey_equal(copy, pub) == 1);

	memcpy(bytes, custody_pubkey_raw(pub), sizeof(bytes));
	EXPECT(memcmp(bytes, custody_pubkey_raw(copy), sizeof(bytes)) == 0);
	EXPECT_OK(custody_pubkey_from_raw(&raw, bytes, &err));
	EXPECT(raw && custody_pubkey_equal(raw, pub) == 1);
	EXPECT(raw && strcmp(api_openssh(raw), line) == 0);
	custody_pubkey_free(raw);
	raw = NULL;

	/* one bit off: another key */
	bytes[0] ^= 1;
	if (custody_pubkey_from_raw(&raw, bytes, &err) == 0)
		EXPECT_INT(custody_pubkey_equal(raw, pub), 0);
	custody_error_free(err);
	err = NULL;
	custody_pubkey_free(raw);
	custody_pubkey_free(copy);
	custody_pubkey_free(parsed);
	custody_pubkey_free(NULL);
	custody_key_free(key);
}

static void test_key__pubkey_parse_refuses_what_is_not_one_ed25519_key(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_pubkey *parsed = NULL;
	char *line = api_openssh(custody_key_public(key));
	char *twice = api_printf("%s\n%s\n", line, line);
	char *damaged = api_printf("%s", line);
	static const unsigned char identity[32] = { 1 };
	static const char rsa[] = "ssh-rsa AAAAB3NzaC1yc2E= rsa";

	EXPECT_ERROR(custody_pubkey_parse(&parsed, rsa, strlen(rsa), &err),
		CUSTODY_EINVALID, "a ssh-rsa key; custody uses Ed25519 keys "
		"(ssh-ed25519) only");
	EXPECT(parsed == NULL);
	EXPECT_ERROR(custody_pubkey_parse(&parsed, twice, strlen(twice),
		&err), CUSTODY_EINVALID,
		"expected one key line, found several lines");
	damaged[20] = '*';
	EXPECT_ERROR(custody_pubkey_parse(&parsed, damaged, strlen(damaged),
		&err), CUSTODY_EINVALID, "the key's base64 is damaged");
	EXPECT_ERROR(custody_pubkey_parse(&parsed, line, 40, &err),
		CUSTODY_EINVALID, NULL);
	EXPECT_ERROR(custody_pubkey_parse(&parsed, "", 0, &err),
		CUSTODY_EINVALID, NULL);
	/* the neutral point signs for anyone: refused */
	EXPECT_ERROR(custody_pubkey_from_raw(&parsed, identity, &err),
		CUSTODY_EINVALID, "the public key ");
	EXPECT(parsed == NULL);
	custody_key_free(key);
}

static void test_key__vkey_names_the_key_and_parses_back(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	const custody_pubkey *pub = custody_key_public(key);
	custody_buf vkey = CUSTODY_BUF_INIT, bad = CUSTODY_BUF_INIT;
	custody_pubkey *parsed = NULL;

	REQUIRE_OK(custody_pubkey_vkey(pub, "example.org/log", &vkey, &err));
	/* name + 8 hex + base64 of 33 bytes (0x01 and the key) */
	EXPECT_INT(vkey.size, strlen("example.org/log") + 1 + 8 + 1 + 44);
	EXPECT(strncmp(vkey.ptr, "example.org/log+", 16) == 0);
	EXPECT(vkey.size > 25 && vkey.ptr[24] == '+');
	EXPECT_OK(custody_pubkey_parse(&parsed, vkey.ptr, vkey.size, &err));
	EXPECT(parsed && custody_pubkey_equal(parsed, pub) == 1);
	custody_pubkey_free(parsed);
	parsed = NULL;

	/* a key id that is not the name's and key's */
	vkey.ptr[16] = vkey.ptr[16] == '0' ? '1' : '0';
	EXPECT_ERROR(custody_pubkey_parse(&parsed, vkey.ptr, vkey.size,
		&err), CUSTODY_EINVALID, "the verifier key's id does not "
		"match its name and key");
	EXPECT_ERROR(custody_pubkey_vkey(pub, "two words", &bad, &err),
		CUSTODY_EINVALID, NULL);
	EXPECT_ERROR(custody_pubkey_vkey(pub, "a+b", &bad, &err),
		CUSTODY_EINVALID, NULL);
	EXPECT(bad.ptr == NULL);
	custody_buf_dispose(&vkey);
	custody_key_free(key);
}

static void test_key__import_reads_an_unencrypted_ssh_keygen_key(void)
{
	custody_error *err = NULL;
	custody_key *key = NULL;
	custody_buf sig = CUSTODY_BUF_INIT;
	char fingerprint[CUSTODY_FINGERPRINT_SIZE];
	char *text, *pub;
	size_t len;

	ssh_keygen_key("id", "", "ed25519");
	text = api_read("id", &len);
	REQUIRE(text != NULL);
	REQUIRE_OK(custody_key_import_openssh(&key, text, len, "id", &err));
	pub = api_read("id.pub", NULL);
	REQUIRE(pub != NULL);
	*strrchr(pub, ' ') = '\0';
	EXPECT_STR(api_openssh(custody_key_public(key)), pub);
	custody_pubkey_fingerprint(custody_key_public(key), fingerprint);
	EXPECT_STR(fingerprint, ssh_keygen_fingerprint("id.pub"));

	/* the imported key signs what ssh-keygen accepts as its key's */
	EXPECT_OK(custody_sshsig_sign(key, "custody", "hello\n", 6, &sig,
		&err));
	api_write_bytes("hello.sig", sig.ptr, sig.size);
	api_write("hello", "hello\n");
	api_write("allowed", api_printf("api %s\n", pub));
	EXPECT_INT(api_sh(NULL, "ssh-keygen -Y verify -f allowed -I api "
		"-n custody -s hello.sig <hello >/dev/null 2>&1"), 0);
	custody_buf_dispose(&sig);
	custody_key_free(key);
}

static void test_key__import_refuses_encrypted_other_and_damaged_keys(void)
{
	custody_error *err = NULL;
	custody_key *key = NULL;
	char *text;
	size_t len;

	ssh_keygen_key("locked", "secret", "ed25519");
	text = api_read("locked", &len);
	REQUIRE(text != NULL);
	EXPECT_ERROR(custody_key_import_openssh(&key, text, len, "locked",
		&err), CUSTODY_EINVALID, "locked: the key is encrypted with "
		"a passphrase");
	EXPECT(key == NULL);

	ssh_keygen_key("ecdsa", "", "ecdsa");
	text = api_read("ecdsa", &len);
	REQUIRE(text != NULL);
	EXPECT_ERROR(custody_key_import_openssh(&key, text, len, "ecdsa",
		&err), CUSTODY_EINVALID, "ecdsa: ");
	EXPECT(key == NULL);

	EXPECT_ERROR(custody_key_import_openssh(&key, "not a key\n", 10,
		"junk", &err), CUSTODY_EINVALID, "junk: ");
	EXPECT(key == NULL);

	/* one byte of the base64 changed */
	ssh_keygen_key("id", "", "ed25519");
	text = api_read("id", &len);
	REQUIRE(text != NULL);
	text[100] = text[100] == 'A' ? 'B' : 'A';
	EXPECT_ERROR(custody_key_import_openssh(&key, text, len, "id",
		&err), CUSTODY_EINVALID, "id: ");
	EXPECT(key == NULL);
}

int main(void)
{
	static const struct api_test tests[] = {
		API_TEST(test_key__generate_makes_distinct_usable_keys),
		API_TEST(test_key__save_writes_an_encrypted_0600_file_once),
		API_TEST(
		    test_key__load_needs_the_passphrase_and_a_private_file),
		API_TEST(test_key__load_start_decrypts_behind_the_callers_back),
		API_TEST(
		    test_key__openssh_line_and_fingerprint_are_ssh_keygens),
		API_TEST(
		    test_key__pubkey_parse_dup_raw_and_from_raw_round_trip),
		API_TEST(
		    test_key__pubkey_parse_refuses_what_is_not_one_ed25519_key),
		API_TEST(test_key__vkey_names_the_key_and_parses_back),
		API_TEST(test_key__import_reads_an_unencrypted_ssh_keygen_key),
		API_TEST(
		    test_key__import_refuses_encrypted_other_and_damaged_keys),
		{ NULL, NULL }
	};
	return api_main("key", tests);
}
