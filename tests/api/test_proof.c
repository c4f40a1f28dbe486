/*
 * custody/proof.h, the archive's side: publications, signed checkpoints,
 * proofs, consistency proofs and RFC 3161 timestamps, each checked with
 * tools custody did not write (python3's hashlib, openssl).
 */
#include "api.h"

#include <inttypes.h>

/* The RFC 6962 root of every entry at main, by python3's hashlib. */
static const char rfc6962_root[] =
	"set -e; rm -rf entries; mkdir entries; "
	"git --git-dir=coll/.custody archive main log | tar -x -C entries; "
	"/usr/bin/python3 - <<'PY'\n"
	"import base64, hashlib, os\n"
	"files = sorted(os.path.join(d, f) for d, _, fs in os.walk('entries')"
	" for f in fs)\n"
	"h = [hashlib.sha256(b'\\0' + open(f, 'rb').read()).digest()"
	" for f in files]\n"
	"def root(h):\n"
	"    if len(h) == 1:\n"
	"        return h[0]\n"
	"    k = 1\n"
	"    while 2 * k < len(h):\n"
	"        k *= 2\n"
	"    return hashlib.sha256(b'\\1' + root(h[:k]) +"
	" root(h[k:])).digest()\n"
	"print(base64.b64encode(root(h)).decode())\n"
	"PY";

/*
 * 0 if openssl pkeyutl accepts the signed note in file `note` as signed
 * by the Ed25519 key whose raw bytes are `hex`, with the key id the
 * C2SP signed-note spec gives.
 */
static int note_signature_checks(const char *note, const char *hex)
{
	return api_sh(NULL, "set -e; /usr/bin/python3 - '%s' '%s' <<'PY'\n"
		"import base64, hashlib, sys\n"
		"note = open(sys.argv[1], 'rb').read()\n"
		"key = bytes.fromhex(sys.argv[2])\n"
		"text, sigs = note.split(b'\\n\\n', 1)\n"
		"line = sigs.decode().splitlines()[0]\n"
		"assert line.startswith('\\u2014 '), line\n"
		"name, b64 = line[2:].rsplit(' ', 1)\n"
		"raw = base64.b64decode(b64)\n"
		"kid = hashlib.sha256(name.encode() + b'\\n\\x01' + key)"
		".digest()[:4]\n"
		"assert raw[:4] == kid, 'key id'\n"
		"open('note.text', 'wb').write(text + b'\\n')\n"
		"open('note.sig', 'wb').write(raw[4:])\n"
		"der = bytes.fromhex('302a300506032b6570032100') + key\n"
		"open('note.pem', 'w').write('-----BEGIN PUBLIC KEY-----\\n' +"
		" base64.b64encode(der).decode() +"
		" '\\n-----END PUBLIC KEY-----\\n')\n"
		"PY\n"
		"openssl pkeyutl -verify -pubin -inkey note.pem -rawin "
		"-in note.text -sigfile note.sig >/dev/null 2>&1", note, hex);
}

static char *hex_of(const unsigned char *raw, size_t len)
{
	char *hex = api_own(malloc(2 * len + 1));

	for (size_t i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	return hex;
}

/* Registered in path order: ledger.csv is entry 1, memo.txt 2,
 * photo.txt 3. */
static custody_archive *archive_with_documents(custody_key *key)
{
	custody_archive *archive = api_archive(key, "memo.txt", "memo\n",
		"ledger.csv", "date,amount\n", "photo.txt", "photo\n", NULL);
	const char *all[] = { "coll" };

	api_add(archive, all, 1);
	return archive;
}

static char *checkpoint(custody_archive *archive,
	custody_checkpoint_info *info)
{
	custody_error *err = NULL;
	custody_buf note = CUSTODY_BUF_INIT;
	char *copy;

	REQUIRE_OK(custody_archive_checkpoint(archive, &note, info, &err));
	copy = api_printf("%.*s", (int)note.size, note.ptr);
	EXPECT_INT(strlen(copy), note.size);
	custody_buf_dispose(&note);
	return copy;
}

/* Publications seen, copied. */
struct published_seen {
	int n;
	custody_publication p[8];
	int stop_at;
};

static char *copy_or_null(const char *s)
{
	return s ? api_printf("%s", s) : NULL;
}

static int on_publication(const custody_publication *p, void *payload)
{
	struct published_seen *s = payload;
	int i = s->n++;

	if (i < 8) {
		s->p[i] = *p;
		s->p[i].url = copy_or_null(p->url);
		s->p[i].title = copy_or_null(p->title);
		s->p[i].published = copy_or_null(p->published);
		s->p[i].recorded = copy_or_null(p->recorded);
		s->p[i].actor = copy_or_null(p->actor);
		s->p[i].path = copy_or_null(p->path);
		s->p[i].sha256 = copy_or_null(p->sha256);
	}
	return s->n == s->stop_at ? 4 : 0;
}

static void test_proof__published_lists_what_publish_recorded(
	void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = archive_with_documents(key);
	custody_publish_options opts = CUSTODY_PUBLISH_OPTIONS_INIT;
	const char *first[] = { "coll/memo.txt" };
	const char *second[] = { "coll/ledger.csv", "coll/photo.txt" };
	char commit[CUSTODY_COMMIT_ID_SIZE] = "";
	struct published_seen s;
	uint64_t index = 0;

	opts.url = "https://example.org/first";
	opts.title = "First story";
	opts.published = "2030-01-02T03:04:05Z";
	REQUIRE_OK(custody_archive_publish(archive, first, 1, &opts, &index,
		commit, &err));
	EXPECT_INT(index, 4);
	EXPECT_STR(commit, custody_archive_head(archive));
	opts = (custody_publish_options)CUSTODY_PUBLISH_OPTIONS_INIT;
	opts.url = "http://example.org/second";
	REQUIRE_OK(custody_archive_publish(archive, second, 2, &opts, NULL,
		NULL, &err));
	EXPECT_INT(custody_archive_size(archive), 6);

	memset(&s, 0, sizeof(s));
	REQUIRE_OK(custody_archive_published(archive, on_publication, &s,
		&err));
	REQUIRE(s.n == 3);
	/* newest publication first */
	EXPECT_INT(s.p[0].entry, 5);
	EXPECT_INT(s.p[1].entry, 5);
	EXPECT_STR(s.p[0].url, "http://example.org/second");
	EXPECT(s.p[0].title == NULL);
	EXPECT(s.p[0].published && s.p[0].recorded &&
		strcmp(s.p[0].published, s.p[0].recorded) == 0);
	EXPECT((s.p[0].document == 1 && s.p[1].document == 3) ||
		(s.p[0].document == 3 && s.p[1].document == 1));
	EXPECT_INT(s.p[2].entry, 4);
	EXPECT_STR(s.p[2].url, "https://example.org/first");
	EXPECT_STR(s.p[2].title, "First story");
	EXPECT_STR(s.p[2].published, "2030-01-02T03:04:05Z");
	EXPECT_STR(s.p[2].actor, "alice");
	EXPECT_INT(s.p[2].document, 2);
	EXPECT_STR(s.p[2].path, "memo.txt");
	EXPECT_STR(s.p[2].sha256,
		api_sh_line("sha256sum coll/memo.txt | cut -c1-64"));

	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	EXPECT_INT(custody_archive_published(archive, on_publication, &s,
		&err), 4);
	EXPECT_INT(s.n, 1);
	custody_error_free(err);
	custody_archive_free(archive);
	custody_key_free(key);
}

static void test_proof__publish_refuses_unknown_changed_and_bad_input(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = archive_with_documents(key);
	custody_publish_options opts = CUSTODY_PUBLISH_OPTIONS_INIT;
	const char *memo[] = { "coll/memo.txt" };
	const char *unknown[] = { "coll/unknown.txt" };
	char *head = api_printf("%s", custody_archive_head(archive));
	uint64_t index = 99;

	opts.url = "https://example.org/story";
	api_write("coll/unknown.txt", "x\n");
	EXPECT_ERROR(custody_archive_publish(archive, unknown, 1, &opts,
		&index, NULL, &err), CUSTODY_ENOTFOUND,
		"unknown.txt: not registered in this archive");
	opts.url = "ftp://example.org/story";
	EXPECT_ERROR(custody_archive_publish(archive, memo, 1, &opts, &index,
		NULL, &err), CUSTODY_EINVALID, NULL);
	opts.url = NULL;
	EXPECT_ERROR(custody_archive_publish(archive, memo, 1, &opts, &index,
		NULL, &err), CUSTODY_EINVALID, NULL);
	opts.url = "https://example.org/story";
	opts.published = "yesterday";
	EXPECT_ERROR(custody_archive_publish(archive, memo, 1, &opts, &index,
		NULL, &err), CUSTODY_EINVALID, NULL);
	opts.published = NULL;
	api_write("coll/memo.txt", "memo, changed since\n");
	EXPECT_ERROR(custody_archive_publish(archive, memo, 1, &opts, &index,
		NULL, &err), CUSTODY_EVERIFY, "memo.txt");
	EXPECT_INT(index, 99);
	EXPECT_STR(custody_archive_head(archive), head);
	EXPECT_INT(custody_archive_size(archive), 4);
	custody_archive_free(archive);
	custody_key_free(key);
}

static void test_proof__checkpoint_is_the_signed_rfc6962_root(
	void)
{
	custody_key *key = api_key();
	custody_archive *archive = archive_with_documents(key);
	custody_checkpoint_info info;
	char *note, *in_tree = NULL, *body;
	const char *raw = hex_of(custody_pubkey_raw(custody_key_public(key)),
		CUSTODY_KEY_RAW_SIZE);

	memset(&info, 0, sizeof(info));
	note = checkpoint(archive, &info);
	EXPECT_STR(info.origin, "example.org/api-test");
	EXPECT_INT(info.size, 4);
	EXPECT_INT(strlen(info.root), 44);
	EXPECT_STR(info.root, api_sh_line("%s", rfc6962_root));
	body = api_printf("example.org/api-test\n4\n%s\n\n\xe2\x80\x94 "
		"example.org/api-test ", info.root);
	EXPECT(strncmp(note, body, strlen(body)) == 0);
	EXPECT(note[strlen(note) - 1] == '\n');
	/* the note in the head's tree, byte for byte */
	EXPECT_INT(api_sh(&in_tree, "git --git-dir=coll/.custody show "
		"main:checkpoint"), 0);
	EXPECT_STR(note, in_tree);
	api_write("note", note);
	EXPECT_INT(note_signature_checks("note", raw), 0);
	/* a changed byte: openssl refuses */
	note[strlen("example.org/api-test\n")] = '5';
	api_write("note", note);
	EXPECT(note_signature_checks("note", raw) != 0);

	/* every change moves it on */
	api_write("coll/new.txt", "new\n");
	{
		const char *one[] = { "coll/new.txt" };

		api_add(archive, one, 1);
	}
	note = checkpoint(archive, &info);
	EXPECT_INT(info.size, 5);
	EXPECT_STR(info.root, api_sh_line("%s", rfc6962_root));
	api_write("note", note);
	EXPECT_INT(note_signature_checks("note", raw), 0);
	/* with a NULL info */
	EXPECT(strcmp(checkpoint(archive, NULL), note) == 0);
	custody_archive_free(archive);
	custody_key_free(key);
}

static void test_proof__proof_holds_entry_inclusion_and_checkpoint(
	void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = archive_with_documents(key);
	custody_buf proof = CUSTODY_BUF_INIT;
	char *note = checkpoint(archive, NULL), *check = NULL;
	static const char head[] = "custody-proof/v3\n\n"
		"c2sp.org/tlog-proof@v1\nextra ";

	REQUIRE_OK(custody_archive_proof(archive, "coll/ledger.csv", 0,
		&proof, &err));
	api_write_bytes("proof", proof.ptr, proof.size);
	EXPECT(proof.size > strlen(head) + strlen(note));
	EXPECT(strncmp(proof.ptr, head, strlen(head)) == 0);
	/* ends with the checkpoint, verbatim */
	EXPECT(proof.size > strlen(note) && memcmp(proof.ptr + proof.size -
		strlen(note), note, strlen(note)) == 0);
	/* "extra" is entry 1's exact bytes, "index" says 1, and the hashes
	 * lead from its leaf to the checkpoint's root (python3) */
	EXPECT_INT(api_sh(&check, "set -e; git --git-dir=coll/.custody show "
		"main:log/000/000/000000001.yaml >entry; "
		"/usr/bin/python3 - <<'PY'\n"
		"import base64, hashlib\n"
		"lines = open('proof', 'rb').read().split(b'\\n')\n"
		"assert lines[3].startswith(b'extra ')\n"
		"extra = base64.b64decode(lines[3][6:])\n"
		"assert extra == open('entry', 'rb').read(), 'extra'\n"
		"assert lines[4] == b'index 1', lines[4]\n"
		"hashes = []\n"
		"for l in lines[5:]:\n"
		"    if l == b'':\n"
		"        break\n"
		"    hashes.append(base64.b64decode(l))\n"
		"cp = lines[6 + len(hashes):]\n"
		"size, root = int(cp[1]), base64.b64decode(cp[2])\n"
		"h = hashlib.sha256(b'\\0' + extra).digest()\n"
		"fn, sn = 1, size - 1\n"
		"for p in hashes:\n"
		"    if fn % 2 == 1 or fn == sn:\n"
		"        h = hashlib.sha256(b'\\1' + p + h).digest()\n"
		"        while fn % 2 == 0 and fn != 0:\n"
		"            fn >>= 1; sn >>= 1\n"
		"    else:\n"
		"        h = hashlib.sha256(b'\\1' + h + p).digest()\n"
		"    fn >>= 1; sn >>= 1\n"
		"assert h == root, 'root'\n"
		"print(len(hashes))\n"
		"PY"), 0);
	EXPECT_STR(check, "2\n");
	custody_buf_dispose(&proof);

	/* an old version; a document never registered */
	api_write("coll/ledger.csv", "date,amount\n2019-04-01,1000\n");
	{
		const char *one[] = { "coll/ledger.csv" };

		api_add(archive, one, 1);
	}
	EXPECT_OK(custody_archive_proof(archive, "coll/ledger.csv", 1, &proof,
		&err));
	EXPECT(proof.ptr && strstr(proof.ptr, "\nindex 1\n") != NULL);
	custody_buf_dispose(&proof);
	EXPECT_OK(custody_archive_proof(archive, "coll/ledger.csv", 0, &proof,
		&err));
	EXPECT(proof.ptr && strstr(proof.ptr, "\nindex 4\n") != NULL);
	custody_buf_dispose(&proof);
	EXPECT_ERROR(custody_archive_proof(archive, "coll/ledger.csv", 3,
		&proof, &err), CUSTODY_ENOTFOUND, NULL);
	EXPECT_ERROR(custody_archive_proof(archive, "coll/none.txt", 0,
		&proof, &err), CUSTODY_ENOTFOUND, NULL);
	EXPECT(proof.ptr == NULL);
	custody_archive_free(archive);
	custody_key_free(key);
}

static void test_proof__consistency_proofs_are_made_and_checked(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key(), *other_key = api_key();
	custody_archive *archive = archive_with_documents(key);
	custody_buf proof = CUSTODY_BUF_INIT, again = CUSTODY_BUF_INIT;
	custody_checkpoint_info old_info, new_info;
	char *old, *new_, *vkey, *prefix;
	const char *more[] = { "coll/a.txt", "coll/b.txt" };

	old = checkpoint(archive, &old_info);
	api_write("coll/a.txt", "a\n");
	api_write("coll/b.txt", "b\n");
	api_add(archive, more, 2);
	new_ = checkpoint(archive, &new_info);
	vkey = api_openssh(custody_key_public(key));

	REQUIRE_OK(custody_archive_consistency(archive, old, strlen(old), NULL,
		0, &proof, &err));
	prefix = api_printf("custody-consistency/v1\nold %" PRIu64 "\nnew "
		"%" PRIu64 "\n", old_info.size, new_info.size);
	EXPECT_STR(prefix, "custody-consistency/v1\nold 4\nnew 6\n");
	EXPECT(strncmp(proof.ptr, prefix, strlen(prefix)) == 0);
	EXPECT(proof.size > 0 && proof.ptr[proof.size - 1] == '\n');
	/* the same with the new checkpoint named */
	EXPECT_OK(custody_archive_consistency(archive, old, strlen(old), new_,
		strlen(new_), &again, &err));
	EXPECT(again.size == proof.size &&
		memcmp(again.ptr, proof.ptr, proof.size) == 0);
	custody_buf_dispose(&again);

	EXPECT_OK(custody_consistency_check(old, strlen(old), new_,
		strlen(new_), proof.ptr, proof.size, vkey, &err));
	/* another key signed neither */
	EXPECT_ERROR(custody_consistency_check(old, strlen(old), new_,
		strlen(new_), proof.ptr, proof.size, api_openssh(
		custody_key_public(other_key)), &err), CUSTODY_EVERIFY, NULL);
	/* one hash changed: the proof no longer holds */
	{
		char *bad = api_printf("%.*s", (int)proof.size, proof.ptr);
		char *last = strrchr(bad, '\n');

		while (last > bad && last[-1] != '\n')
			last--;
		*last = *last == 'A' ? 'B' : 'A';
		EXPECT_ERROR(custody_consistency_check(old, strlen(old), new_,
			strlen(new_), bad, strlen(bad), vkey, &err),
			CUSTODY_EVERIFY, NULL);
	}

	/* a checkpoint of another log */
	{
		custody_archive *elsewhere = NULL;
		custody_init_options opts = CUSTODY_INIT_OPTIONS_INIT;
		char *foreign;

		api_mkdir("elsewhere");
		opts.collection = api_path("elsewhere");
		opts.origin = "example.org/elsewhere";
		opts.key = key;
		opts.log_key = key;
		opts.member = "alice";
		REQUIRE_OK(custody_archive_init(&elsewhere, &opts, &err));
		foreign = checkpoint(elsewhere, NULL);
		EXPECT_ERROR(custody_archive_consistency(archive, foreign,
			strlen(foreign), NULL, 0, &again, &err),
			CUSTODY_EVERIFY, NULL);
		EXPECT(again.ptr == NULL);
		custody_archive_free(elsewhere);
	}
	custody_buf_dispose(&proof);
	custody_archive_free(archive);
	custody_key_free(other_key);
	custody_key_free(key);
}

static void test_proof__a_timestamp_request_is_what_openssl_ts_reads(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = archive_with_documents(key);
	custody_buf query = CUSTODY_BUF_INIT, second = CUSTODY_BUF_INIT;
	uint64_t nonce = 0, nonce2 = 0;
	char *text = NULL, *note = checkpoint(archive, NULL);
	char *imprint, *shown_nonce;

	REQUIRE_OK(custody_archive_timestamp_request(archive, &query, &nonce,
		&err));
	EXPECT(nonce != 0);
	api_write_bytes("q.tsq", query.ptr, query.size);
	EXPECT_INT(api_sh(&text, "openssl ts -query -in q.tsq -text "
		"2>/dev/null"), 0);
	EXPECT_HAS(text, "Version: 1\n");
	EXPECT_HAS(text, "Hash Algorithm: sha256\n");
	EXPECT_HAS(text, "Certificate required: yes\n");
	shown_nonce = strstr(text, "Nonce: 0x");
	EXPECT(shown_nonce != NULL &&
		strtoull(shown_nonce + 9, NULL, 16) == nonce);
	/* its imprint is the SHA-256 of the signed checkpoint's bytes */
	api_write("note", note);
	imprint = api_sh_line("openssl asn1parse -inform DER -in q.tsq | "
		"sed -n 's/.*prim: OCTET STRING *\\[HEX DUMP\\]://p' | "
		"tr A-F a-f");
	EXPECT_STR(imprint, api_sh_line("sha256sum note | cut -c1-64"));
	/* the nonce is kept beside the archive, not in it */
	EXPECT(access("coll/.custody/custody-timestamp-request", F_OK) == 0);
	EXPECT_INT(api_sh(NULL, "git --git-dir=coll/.custody ls-tree -r "
		"--name-only main | grep -q timestamp"), 1);

	/* each request has a fresh nonce */
	REQUIRE_OK(custody_archive_timestamp_request(archive, &second,
		&nonce2, &err));
	EXPECT(nonce2 != nonce);
	custody_buf_dispose(&second);
	custody_buf_dispose(&query);
	custody_archive_free(archive);
	custody_key_free(key);
}

static void test_proof__a_timestamp_reply_is_checked_and_stored(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = archive_with_documents(key);
	custody_buf query = CUSTODY_BUF_INIT, proof = CUSTODY_BUF_INIT;
	custody_timestamp_info info;
	uint64_t nonce = 0;
	char *response, *old, *head;
	size_t len, old_len;

	REQUIRE(api_tsa_pki() == 0);
	REQUIRE_OK(custody_archive_timestamp_request(archive, &query, &nonce,
		&err));
	api_write_bytes("old.tsq", query.ptr, query.size);
	custody_buf_dispose(&query);
	api_tsa_reply("old.tsq", "old.tsr");
	/* a newer request: the reply to the older one answers another */
	REQUIRE_OK(custody_archive_timestamp_request(archive, &query, &nonce,
		&err));
	api_write_bytes("q.tsq", query.ptr, query.size);
	custody_buf_dispose(&query);
	api_tsa_reply("q.tsq", "q.tsr");
	old = api_read("old.tsr", &old_len);
	response = api_read("q.tsr", &len);
	REQUIRE(old != NULL && response != NULL);
	head = api_printf("%s", custody_archive_head(archive));
	EXPECT_ERROR(custody_archive_timestamp_add(archive, old, old_len, 0,
		"pki/ca.pem", &info, &err), CUSTODY_EVERIFY, "its nonce "
		"differs from the request's: it answers another request");
	/* an authority not under the CA given */
	EXPECT_ERROR(custody_archive_timestamp_add(archive, response, len, 0,
		"pki/other-ca.pem", &info, &err), CUSTODY_EVERIFY, NULL);
	EXPECT_STR(custody_archive_head(archive), head);

	memset(&info, 0, sizeof(info));
	REQUIRE_OK(custody_archive_timestamp_add(archive, response, len, 0,
		"pki/ca.pem", &info, &err));
	EXPECT_INT(info.size, 4);
	EXPECT_INT(info.trusted, 1);
	EXPECT(strlen(info.time) == 20 && info.time[19] == 'Z');
	EXPECT_HAS(info.authority, "CN");
	EXPECT_STR(info.commit, custody_archive_head(archive));
	EXPECT_INT(custody_archive_size(archive), 4);  /* no entry added */
	/* stored with its checkpoint; openssl checks the pair alone */
	EXPECT_INT(api_sh(NULL, "set -e; g=coll/.custody; "
		"git --git-dir=$g show main:timestamps/4.checkpoint >cp; "
		"git --git-dir=$g show main:checkpoint | cmp -s - cp; "
		"git --git-dir=$g show main:timestamps/4.tsr >token.der; "
		"openssl ts -verify -data cp -in token.der -token_in "
		"-CAfile pki/ca.pem >/dev/null 2>&1"), 0);
	/* once per checkpoint */
	EXPECT_ERROR(custody_archive_timestamp_add(archive, response, len,
		nonce, "pki/ca.pem", &info, &err), CUSTODY_EEXISTS,
		"the checkpoint of size 4 already has a timestamp "
		"(timestamps/4.tsr)");

	/* the proof now carries the token */
	REQUIRE_OK(custody_archive_proof(archive, "coll/memo.txt", 0, &proof,
		&err));
	EXPECT(strncmp(proof.ptr, "custody-proof/v3\ntimestamp ", 27) == 0);
	custody_buf_dispose(&proof);

	/* with no request waiting, a reply is refused */
	api_write("coll/more.txt", "more\n");
	{
		const char *one[] = { "coll/more.txt" };

		api_add(archive, one, 1);
	}
	EXPECT_ERROR(custody_archive_timestamp_add(archive, response, len, 0,
		NULL, &info, &err), CUSTODY_EVERIFY, NULL);
	custody_archive_free(archive);
	custody_key_free(key);
}

int main(void)
{
	static const struct api_test tests[] = {
		API_TEST(
		    test_proof__published_lists_what_publish_recorded),
		API_TEST(
		    test_proof__publish_refuses_unknown_changed_and_bad_input),
		API_TEST(
		    test_proof__checkpoint_is_the_signed_rfc6962_root),
		API_TEST(
		    test_proof__proof_holds_entry_inclusion_and_checkpoint),
		API_TEST(test_proof__consistency_proofs_are_made_and_checked),
		API_TEST(
		    test_proof__a_timestamp_request_is_what_openssl_ts_reads),
		API_TEST(test_proof__a_timestamp_reply_is_checked_and_stored),
		{ NULL, NULL }
	};
	return api_main("proof", tests);
}
