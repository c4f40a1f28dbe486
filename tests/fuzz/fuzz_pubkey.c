/*
 * Fuzz target for public keys from outside (libFuzzer style): OpenSSH
 * public key lines and C2SP verifier keys (custody_pubkey_parse, as
 * --key, members' .pub files and witness lists take them), and the note
 * and cosignature verifier keys (custody_note__verifier_from_vkey,
 * custody_cosig__verifier_from_vkey). Besides "never crash, never leak",
 * it checks:
 *   - a refusal is CUSTODY_EINVALID with a message;
 *   - an accepted key is acceptable to ed25519.c (canonical, not of
 *     small order), and written back as an OpenSSH line and as a vkey it
 *     parses again to the same key;
 *   - a note vkey and a cosignature vkey are never the same text (their
 *     key types differ), and each verifier's key id is the one computed
 *     from its name and key.
 * A broken property aborts, which a fuzzer reports as a crash.
 *
 *   tests/fuzz/fuzz.sh pubkey SECONDS        (libFuzzer, docs/fuzzing.md)
 *   replay.c + fuzz_pubkey.c                 (without: corpus)
 */
#include "cosignature.h"
#include "expect.h"
#include "ed25519.h"
#include "key.h"
#include "note.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_TARGET "pubkey"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_refusal(int rc, const custody_error *err)
{
	if (rc != CUSTODY_EINVALID || err == NULL ||
	    custody_error_code(err) != rc ||
	    custody_error_message(err)[0] == '\0')
		broken("refusal without a proper error", err);
}

static void check_same(const custody_pubkey *key, const char *text,
	size_t len, const char *what)
{
	custody_pubkey *again = NULL;
	custody_error *err = NULL;

	if (custody_pubkey_parse(&again, text, len, &err) != 0)
		broken(what, err);
	if (!custody_pubkey_equal(key, again))
		broken(what, NULL);
	custody_pubkey_free(again);
}

static int check_pubkey(const char *bytes, size_t size)
{
	custody_pubkey *key = NULL;
	custody_buf line = CUSTODY_BUF_INIT, vkey = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	int rc = custody_pubkey_parse(&key, bytes, size, &err);

	if (rc != 0) {
		check_refusal(rc, err);
		if (key != NULL)
			broken("refused, yet a key", err);
		goto cleanup;
	}
	if (custody_ed25519__public_key_problem(custody_pubkey_raw(key)))
		broken("accepted an unacceptable key", NULL);
	if (custody_pubkey_openssh(key, &line, &err) != 0)
		broken("cannot write a key it read", err);
	check_same(key, line.ptr, line.size, "its OpenSSH line differs");
	if (custody_pubkey_vkey(key, "fuzz.example/log", &vkey, &err) != 0)
		broken("cannot write a vkey", err);
	check_same(key, vkey.ptr, vkey.size, "its vkey differs");
cleanup:
	custody_buf_dispose(&line);
	custody_buf_dispose(&vkey);
	custody_pubkey_free(key);
	custody_error_free(err);
	return rc == 0;
}

static int check_verifiers(const char *bytes, size_t size)
{
	struct custody_note_verifier note;
	struct custody_cosig_verifier cosig;
	custody_error *err = NULL;
	unsigned char id[4];
	int note_rc, cosig_rc;

	note_rc = custody_note__verifier_from_vkey(&note, bytes, size, &err);
	if (note_rc != 0) {
		check_refusal(note_rc, err);
	} else {
		custody_ed25519__note_key_id(note.name,
			CUSTODY_NOTE_KEY_ED25519, note.pub, id);
		if (memcmp(id, note.key_id, 4) != 0 ||
		    custody_ed25519__public_key_problem(note.pub) != NULL)
			broken("a note vkey with a wrong id or key", NULL);
	}
	custody_error_free(err);
	err = NULL;
	cosig_rc = custody_cosig__verifier_from_vkey(&cosig, bytes, size,
		&err);
	if (cosig_rc != 0) {
		check_refusal(cosig_rc, err);
	} else {
		custody_ed25519__note_key_id(cosig.name,
			CUSTODY_NOTE_KEY_COSIGNATURE, cosig.pub, id);
		if (memcmp(id, cosig.key_id, 4) != 0 ||
		    custody_ed25519__public_key_problem(cosig.pub) != NULL)
			broken("a witness vkey with a wrong id or key", NULL);
	}
	if (note_rc == 0 && cosig_rc == 0)
		broken("one vkey taken as a note key and a witness key", NULL);
	custody_error_free(err);
	return note_rc == 0 || cosig_rc == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *bytes = fuzz_copy(data, size);
	int accepted;

	if (bytes == NULL)
		return 0;
	accepted = check_pubkey(bytes, size);
	accepted |= check_verifiers(bytes, size);
	fuzz_expect("pubkey", accepted);
	free(bytes);
	return 0;
}
