/*
 * SSHSIG signatures (custody_sshsig_*), checked both ways with stock
 * ssh-keygen: what custody signs `ssh-keygen -Y verify` accepts, what
 * `ssh-keygen -Y sign` makes custody accepts, and a changed file or
 * namespace is refused with the documented code.
 */
#include "api.h"

static const char armour_begin[] = "-----BEGIN SSH SIGNATURE-----\n";
static const char armour_end[] = "-----END SSH SIGNATURE-----\n";

/* ssh-keygen's key "id" imported; "allowed" lets ssh-keygen trust it as
 * principal alice. */
static custody_key *ssh_keygen_key(void)
{
	custody_error *err = NULL;
	custody_key *key = NULL;
	char *text, *pub;
	size_t len;

	EXPECT_INT(api_sh(NULL, "ssh-keygen -q -t ed25519 -N '' -C alice "
		"-f id"), 0);
	text = api_read("id", &len);
	REQUIRE(text != NULL);
	REQUIRE_OK(custody_key_import_openssh(&key, text, len, "id", &err));
	pub = api_read("id.pub", NULL);
	REQUIRE(pub != NULL);
	api_write("allowed", api_printf("alice %s", pub));
	return key;
}

/* A document of `size` bytes, not all alike. */
static void write_document(const char *path, size_t size)
{
	char *data = api_own(malloc(size ? size : 1));

	for (size_t i = 0; i < size; i++)
		data[i] = (char)('a' + (i * 7 + i / 251) % 26);
	api_write_bytes(path, data, size);
}

static int open_or_die(const char *path)
{
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		perror(path);
		api_abort();
	}
	return fd;
}

static void test_sshsig__ssh_keygen_verifies_what_custody_signs(void)
{
	custody_error *err = NULL;
	custody_key *key = ssh_keygen_key();
	custody_buf sig = CUSTODY_BUF_INIT;
	char fingerprint[CUSTODY_FINGERPRINT_SIZE], *out = NULL;
	int fd;

	write_document("doc.bin", 1 << 20);   /* streamed, over many reads */
	fd = open_or_die("doc.bin");
	REQUIRE_OK(custody_sshsig_sign_fd(key, "custody", fd, &sig, &err));
	close(fd);
	EXPECT(sig.size > sizeof(armour_begin) + sizeof(armour_end));
	EXPECT(strncmp(sig.ptr, armour_begin, strlen(armour_begin)) == 0);
	EXPECT(strcmp(sig.ptr + sig.size - strlen(armour_end), armour_end)
		== 0);
	api_write_bytes("doc.bin.sig", sig.ptr, sig.size);
	custody_pubkey_fingerprint(custody_key_public(key), fingerprint);
	EXPECT_INT(api_sh(&out, "ssh-keygen -Y verify -f allowed -I alice "
		"-n custody -s doc.bin.sig <doc.bin 2>&1"), 0);
	EXPECT_HAS(out, api_printf("Good \"custody\" signature for alice "
		"with ED25519 key %s", fingerprint));
	/* signed for custody, not for git */
	EXPECT(api_sh(NULL, "ssh-keygen -Y verify -f allowed -I alice -n git "
		"-s doc.bin.sig <doc.bin >/dev/null 2>&1") != 0);
	custody_buf_dispose(&sig);

	/* the in-memory form, namespace git */
	REQUIRE_OK(custody_sshsig_sign(key, "git", "tree 0\n", 7, &sig, &err));
	api_write("commit", "tree 0\n");
	api_write_bytes("commit.sig", sig.ptr, sig.size);
	EXPECT_INT(api_sh(NULL, "ssh-keygen -Y verify -f allowed -I alice "
		"-n git -s commit.sig <commit >/dev/null 2>&1"), 0);
	custody_buf_dispose(&sig);
	custody_key_free(key);
}

static void test_sshsig__custody_verifies_what_ssh_keygen_signs(void)
{
	custody_error *err = NULL;
	custody_key *key = ssh_keygen_key();
	custody_pubkey *signer = NULL;
	custody_buf ours = CUSTODY_BUF_INIT;
	char *sig, *doc;
	size_t sig_len, doc_len;
	int fd;

	write_document("doc.bin", 70000);
	EXPECT_INT(api_sh(NULL, "ssh-keygen -q -Y sign -f id -n custody "
		"doc.bin 2>/dev/null"), 0);
	sig = api_read("doc.bin.sig", &sig_len);
	doc = api_read("doc.bin", &doc_len);
	REQUIRE(sig != NULL && doc != NULL);

	EXPECT_OK(custody_sshsig_verify(sig, sig_len, "custody", doc, doc_len,
		&signer, &err));
	EXPECT(signer && custody_pubkey_equal(signer,
		custody_key_public(key)) == 1);
	custody_pubkey_free(signer);
	signer = NULL;
	fd = open_or_die("doc.bin");
	EXPECT_OK(custody_sshsig_verify_fd(sig, sig_len, "custody", fd,
		&signer, &err));
	close(fd);
	EXPECT(signer && custody_pubkey_equal(signer,
		custody_key_public(key)) == 1);
	custody_pubkey_free(signer);
	/* no signer wanted */
	EXPECT_OK(custody_sshsig_verify(sig, sig_len, "custody", doc, doc_len,
		NULL, &err));

	/* Ed25519 is deterministic: custody makes the very same file */
	EXPECT_OK(custody_sshsig_sign(key, "custody", doc, doc_len, &ours,
		&err));
	EXPECT(ours.size == sig_len && memcmp(ours.ptr, sig, sig_len) == 0);
	custody_buf_dispose(&ours);
	custody_key_free(key);
}

static void test_sshsig__a_changed_file_or_namespace_is_everify(void)
{
	custody_error *err = NULL;
	custody_key *key = ssh_keygen_key();
	custody_pubkey *signer = NULL;
	char *sig, *doc;
	size_t sig_len, doc_len;
	int fd;

	write_document("doc.bin", 5000);
	EXPECT_INT(api_sh(NULL, "ssh-keygen -q -Y sign -f id -n custody "
		"doc.bin 2>/dev/null"), 0);
	sig = api_read("doc.bin.sig", &sig_len);
	doc = api_read("doc.bin", &doc_len);
	REQUIRE(sig != NULL && doc != NULL);

	doc[4000] ^= 1;
	EXPECT_ERROR(custody_sshsig_verify(sig, sig_len, "custody", doc,
		doc_len, &signer, &err), CUSTODY_EVERIFY,
		"the signature does not match the signed data");
	EXPECT(signer == NULL);
	api_write_bytes("doc.bin", doc, doc_len);
	/* ssh-keygen agrees */
	EXPECT(api_sh(NULL, "ssh-keygen -Y verify -f allowed -I alice "
		"-n custody -s doc.bin.sig <doc.bin >/dev/null 2>&1") != 0);
	fd = open_or_die("doc.bin");
	EXPECT_ERROR(custody_sshsig_verify_fd(sig, sig_len, "custody", fd,
		&signer, &err), CUSTODY_EVERIFY,
		"the signature does not match the signed data");
	close(fd);
	EXPECT(signer == NULL);
	doc[4000] ^= 1;
	EXPECT_ERROR(custody_sshsig_verify(sig, sig_len, "custody", doc,
		doc_len - 1, &signer, &err), CUSTODY_EVERIFY,
		"the signature does not match the signed data");

	EXPECT_ERROR(custody_sshsig_verify(sig, sig_len, "git", doc, doc_len,
		&signer, &err), CUSTODY_EVERIFY,
		"the signature was made for namespace 'custody', not 'git'");
	EXPECT(signer == NULL);
	custody_key_free(key);
}

static void test_sshsig__a_malformed_signature_is_einvalid(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_buf sig = CUSTODY_BUF_INIT, none = CUSTODY_BUF_INIT;
	custody_pubkey *signer = NULL;
	static const char junk[] = "-----BEGIN SSH SIGNATURE-----\n"
		"bm90IGEgc2lnbmF0dXJl\n-----END SSH SIGNATURE-----\n";
	char *cut;

	REQUIRE_OK(custody_sshsig_sign(key, "custody", "m", 1, &sig, &err));
	EXPECT_ERROR(custody_sshsig_verify(junk, strlen(junk), "custody", "m",
		1, &signer, &err), CUSTODY_EINVALID,
		"the signature is malformed");
	EXPECT_ERROR(custody_sshsig_verify("hello", 5, "custody", "m", 1,
		&signer, &err), CUSTODY_EINVALID, "the signature ");
	/* the armour cut short */
	cut = api_printf("%.*s", (int)(sig.size / 2), sig.ptr);
	EXPECT_ERROR(custody_sshsig_verify(cut, strlen(cut), "custody", "m",
		1, &signer, &err), CUSTODY_EINVALID, NULL);
	EXPECT(signer == NULL);
	/* and no namespace is no signature */
	EXPECT_ERROR(custody_sshsig_sign(key, "", "m", 1, &none, &err),
		CUSTODY_EINVALID, "a signature needs a namespace");
	EXPECT(none.ptr == NULL);
	custody_buf_dispose(&sig);
	custody_key_free(key);
}

int main(void)
{
	static const struct api_test tests[] = {
		API_TEST(test_sshsig__ssh_keygen_verifies_what_custody_signs),
		API_TEST(test_sshsig__custody_verifies_what_ssh_keygen_signs),
		API_TEST(test_sshsig__a_changed_file_or_namespace_is_everify),
		API_TEST(test_sshsig__a_malformed_signature_is_einvalid),
		{ NULL, NULL }
	};
	return api_main("sshsig", tests);
}
