/*
 * Fuzz target for tlog-proof files, signed notes and checkpoints
 * (libFuzzer style). Besides "never crash, never leak", it checks what
 * custody relies on:
 *   - a refusal is CUSTODY_EINVALID with a message naming the input, and
 *     leaves the proof empty;
 *   - an accepted proof holds a checkpoint that custody_note__split and
 *     custody_checkpoint__parse accept, within the limits, and formatting
 *     it gives back the input byte for byte (one value, one text);
 *   - a note that parses splits at a blank line, and a checkpoint text
 *     without extension lines formats back to itself;
 *   - custody's proof header (custody-proof/v3) that parses formats back
 *     to the input's header byte for byte, and its counts keep to the
 *     bounds.
 * A broken property aborts, which a fuzzer reports as a crash.
 *
 *   clang -fsanitize=fuzzer,address ... fuzz_proof.c  (with libFuzzer)
 *   replay.c + fuzz_proof.c                          (without: corpus)
 */
#include "checkpoint.h"
#include "note.h"
#include "proof_file.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_TARGET "proof"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A refusal must be CUSTODY_EINVALID, with a message starting `what`. */
static void check_refusal(int rc, const custody_error *err,
	const char *what)
{
	if (rc != CUSTODY_EINVALID || err == NULL ||
	    custody_error_code(err) != rc ||
	    strncmp(custody_error_message(err), what, strlen(what)) != 0)
		broken("refusal without a proper error", err);
}

static int count_signature(const struct custody_note_signature *sig,
	void *payload)
{
	if (sig->name_len == 0 || sig->sig_len == 0)
		broken("empty signature line accepted", NULL);
	(*(size_t *)payload)++;
	return 0;
}

/* A checkpoint text that parses formats back to itself when it has no
 * extension lines. */
static void check_checkpoint(const char *text, size_t len)
{
	struct custody_checkpoint c;
	custody_buf again = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	int rc = custody_checkpoint__parse(&c, text, len, &err);

	if (rc != 0) {
		check_refusal(rc, err, "checkpoint line ");
		goto cleanup;
	}
	if (c.origin[0] == '\0' || c.size > (uint64_t)INT64_MAX)
		broken("checkpoint fields out of range", err);
	if (custody_checkpoint__format(&c, &again, &err) != 0)
		broken("cannot write a checkpoint it read", err);
	if (c.extension_lines == 0 &&
	    (again.size != len || memcmp(again.ptr, text, len) != 0))
		broken("checkpoint changed through parse and format", err);
	if (c.extension_lines > 0 &&
	    (again.size >= len || memcmp(again.ptr, text, again.size) != 0))
		broken("checkpoint extension lines misplaced", err);
cleanup:
	custody_buf_dispose(&again);
	custody_error_free(err);
}

static void check_note(const char *note, size_t len)
{
	/* the C2SP example key: signatures under it are checked for real */
	static const char vkey[] = "example.com/foo+530d903a+"
		"AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
	struct custody_note_verifier v;
	custody_error *err = NULL;
	size_t text_len = 0, verified_len = 0, count = 0;
	int rc;

	rc = custody_note__split(note, len, &text_len, &err);
	if (rc != 0) {
		check_refusal(rc, err, "note line ");
		custody_error_free(err);
		return;
	}
	if (text_len == 0 || text_len + 2 > len || note[text_len - 1] != '\n' ||
	    note[text_len] != '\n')
		broken("note split outside a blank line", NULL);
	if (custody_note__signatures(note, len, count_signature, &count,
	    &err) != 0 || count == 0 || count > CUSTODY_NOTE_MAX_SIGNATURES)
		broken("signature lines miscounted", err);
	if (custody_note__verifier_from_vkey(&v, vkey, strlen(vkey), &err) != 0)
		broken("the example vkey", err);
	rc = custody_note__verify(note, len, &v, 1, &verified_len, &err);
	if (rc == 0 && verified_len != text_len)
		broken("verify and split disagree on the text", err);
	if (rc != 0 && (rc != CUSTODY_EVERIFY || err == NULL))
		broken("a note that splits fails verification oddly", err);
	custody_error_free(err);
	check_checkpoint(note, text_len);
}

static void check_proof(const char *text, size_t len)
{
	struct custody_tlog_proof p;
	custody_buf again = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	size_t text_len = 0;
	int rc = custody_tlog_proof__parse(&p, text, len, &err);

	if (rc != 0) {
		check_refusal(rc, err, "tlog-proof");
		if (p.extra != NULL || p.hashes != NULL ||
		    p.checkpoint != NULL || p.nhashes != 0)
			broken("a refused proof is not left empty", err);
		goto cleanup;
	}
	if (p.nhashes > CUSTODY_TLOG_PROOF_MAX_HASHES ||
	    p.extra_len > CUSTODY_TLOG_PROOF_MAX_EXTRA ||
	    (!p.has_extra && p.extra_len != 0) ||
	    p.index > (uint64_t)INT64_MAX || p.checkpoint == NULL ||
	    p.checkpoint[p.checkpoint_len] != '\0')
		broken("proof fields out of range", err);
	if (custody_note__split(p.checkpoint, p.checkpoint_len, &text_len,
	    &err) != 0)
		broken("accepted a proof whose checkpoint is not a note", err);
	check_checkpoint(p.checkpoint, text_len);
	if (custody_tlog_proof__format(&p, &again, &err) != 0)
		broken("cannot write a proof it read", err);
	if (again.size != len || memcmp(again.ptr, text, len) != 0)
		broken("proof changed through parse and format", err);
cleanup:
	custody_buf_dispose(&again);
	custody_tlog_proof__clear(&p);
	custody_error_free(err);
}

/* The custody header of a proof file: one text for one value. */
static void check_header(const char *text, size_t len)
{
	struct custody_proof_file f;
	custody_buf again = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	size_t head;
	int rc = custody_proof_file__parse(&f, text, len, &err);

	if (rc != 0) {
		if (rc != CUSTODY_EINVALID || err == NULL ||
		    (strncmp(custody_error_message(err), "proof line ", 11)
		    != 0 && strncmp(custody_error_message(err), "the proof",
		    9) != 0))
			broken("header refused without a proper error", err);
		if (f.token != NULL || f.publication_lines != NULL ||
		    f.publication_documents != NULL ||
		    f.nlog_keys != 0 || f.ndisclosed != 0)
			broken("a refused header is not left empty", err);
		goto cleanup;
	}
	if (f.tlog < text || f.tlog > text + len || f.tlog_len !=
	    (size_t)(text + len - f.tlog) ||
	    f.ncommitments > CUSTODY_ENTRY_MAX_PRIVATE ||
	    f.ndisclosed > CUSTODY_ENTRY_MAX_PRIVATE ||
	    f.npublication_hashes > CUSTODY_MERKLE_MAX_PROOF ||
	    f.nlog_keys > CUSTODY_PROOF_MAX_LOG_KEYS ||
	    (f.npublication_hashes > 0 && !f.has_publication))
		broken("header fields out of range", err);
	head = (size_t)(f.tlog - text);
	if (custody_proof_file__format_header(&f, &again, &err) != 0)
		broken("cannot write a header it read", err);
	if (again.size != head || memcmp(again.ptr, text, head) != 0)
		broken("header changed through parse and format", err);
cleanup:
	custody_buf_dispose(&again);
	custody_proof_file__clear(&f);
	custody_error_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *bytes = fuzz_copy(data, size);

	if (bytes == NULL)
		return 0;
	check_header(bytes, size);
	check_proof(bytes, size);
	check_note(bytes, size);
	check_checkpoint(bytes, size);
	free(bytes);
	return 0;
}
