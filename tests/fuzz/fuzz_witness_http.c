/*
 * Fuzz target for the head of a request to `custody witness serve`
 * (libFuzzer style): the bytes a client sends, as the server holds them
 * when it reads the head (custody_witness__read_head, witness_head.c).
 * The server holds at most 8 KiB before the head must have ended, so
 * longer inputs are cut there, as recv would. Besides "never crash,
 * never leak", it checks:
 *   - the status is 0 (go on) or one of 400 404 405 411 413 431 501;
 *     a refusal's text is one printable line ending in "\n", a 405 alone
 *     has an Allow header; 431 exactly when the input has no empty line;
 *   - the method and target, once read, are the request line's first
 *     two words, byte for byte (no byte of them lost or cut short);
 *   - only the head decides: the head alone gets the same verdict (but
 *     for add-checkpoint's "more bytes than Content-Length");
 *   - add-checkpoint is POST /add-checkpoint with exactly one
 *     Content-Length of at most 128 KiB whose digits, read here again
 *     on their own, are the body length, and never more bytes than it;
 *     the latest-checkpoint route is GET or HEAD of /<64 hex>/checkpoint.
 * A broken property aborts, which a fuzzer reports as a crash.
 *
 *   tests/fuzz/fuzz.sh witness_http SECONDS    (libFuzzer, docs/fuzzing.md)
 *   replay.c + fuzz_witness_http.c            (without: the corpus)
 *
 * Seeds named valid-* must be routed (status 0), refused-* refused.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "witness.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FUZZ_TARGET "witness_http"
#include "fuzz.h"
#include "expect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const struct custody_witness__request *req)
{
	size_t n;

	if (req->text == NULL || (n = strlen(req->text)) == 0 ||
	    req->text[n - 1] != '\n')
		broken("a refusal's text is not one line", NULL);
	for (size_t i = 0; i + 1 < n; i++)
		if ((unsigned char)req->text[i] < 0x20 ||
		    (unsigned char)req->text[i] >= 0x7f)
			broken("a refusal's text is not printable", NULL);
	if ((req->allow != NULL) != (req->status == 405))
		broken("an Allow header without a 405, or a 405 without one",
			NULL);
}

/* The request line's words, as the client sent them. */
static void check_words(const struct custody_witness__request *req,
	const char *head, size_t head_len)
{
	const char *eol = memmem(head, head_len, "\r\n", 2);
	const char *sp1 = memchr(head, ' ', (size_t)(eol - head));
	const char *sp2 = sp1 ? memchr(sp1 + 1, ' ',
		(size_t)(eol - sp1 - 1)) : NULL;
	size_t ml, tl;

	if (strcmp(req->method, "-") == 0 && strcmp(req->target, "-") == 0 &&
	    req->status == 400)
		return; /* refused before the words were taken */
	if (sp1 == NULL || sp2 == NULL)
		broken("words taken from a line without two spaces", NULL);
	ml = (size_t)(sp1 - head);
	tl = (size_t)(sp2 - sp1 - 1);
	if (strlen(req->method) != ml || memcmp(req->method, head, ml) != 0)
		broken("the method is not the request line's first word",
			NULL);
	if (strlen(req->target) != tl || memcmp(req->target, sp1 + 1, tl) != 0)
		broken("the target is not the request line's second word",
			NULL);
}

/* Content-Length read again: the values of every header line named so
 * (any case), each only digits then blanks; -1 if one is not that. */
static long long content_length(const char *head, size_t head_len,
	int *count)
{
	const char *p = (const char *)memmem(head, head_len, "\r\n", 2) + 2;
	const char *end = head + head_len - 2;
	long long value = -1;

	*count = 0;
	while (p < end) {
		const char *eol = memmem(p, (size_t)(end + 2 - p), "\r\n", 2);
		const char *v = p + 15;
		long long n = 0;
		int digits = 0;

		if (eol - p > 15 &&
		    strncasecmp(p, "content-length:", 15) == 0) {
			(*count)++;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			for (; v < eol && *v >= '0' && *v <= '9'; v++, digits++)
				if (n < 1000000)
					n = n * 10 + (*v - '0');
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			value = digits > 0 && v == eol ? n : -2;
		}
		p = eol + 2;
	}
	return value;
}

static void check_route(const struct custody_witness__request *req,
	const char *head, size_t head_len, size_t have)
{
	long long length;
	int count;

	if (req->route == CUSTODY_WITNESS__ADD_CHECKPOINT) {
		if (strcmp(req->method, "POST") != 0 ||
		    strcmp(req->target, "/add-checkpoint") != 0)
			broken("add-checkpoint routed from another request",
				NULL);
		length = content_length(head, head_len, &count);
		if (count != 1 || length < 0 ||
		    (size_t)length != req->body_len ||
		    req->body_len > CUSTODY_WITNESS__BODY_MAX)
			broken("the body length is not the one Content-Length",
				NULL);
		if (have > req->head_len + req->body_len)
			broken("more bytes than the body length taken", NULL);
	} else if (req->route == CUSTODY_WITNESS__LATEST) {
		if ((strcmp(req->method, "GET") != 0 &&
		    strcmp(req->method, "HEAD") != 0) ||
		    strlen(req->target) != 76 || req->target[0] != '/' ||
		    strspn(req->target + 1, "0123456789abcdef") != 64 ||
		    strcmp(req->target + 65, "/checkpoint") != 0)
			broken("latest-checkpoint routed from another request",
				NULL);
	} else {
		broken("no refusal and no route", NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct custody_witness__request req, alone;
	size_t have = size < CUSTODY_WITNESS__HEAD_MAX ? size :
		CUSTODY_WITNESS__HEAD_MAX;
	char *buf = fuzz_copy(data, have);
	const char *end;

	if (buf == NULL)
		return 0;
	custody_witness__read_head(&req, buf, have);
	end = memmem(buf, have, "\r\n\r\n", 4);
	switch (req.status) {
	case 0: case 400: case 404: case 405: case 411: case 413: case 431:
	case 501:
		break;
	default:
		broken("an unexpected status", NULL);
	}
	if ((req.status == 431) != (end == NULL))
		broken("431 is not exactly \"no empty line\"", NULL);
	if (req.status != 0)
		check_text(&req);
	if (req.status != 0 && req.route != CUSTODY_WITNESS__NO_ROUTE)
		broken("a refusal with a route", NULL);
	if (end != NULL) {
		if (req.head_len != (size_t)(end - buf) + 4)
			broken("the head does not end at its empty line", NULL);
		check_words(&req, buf, req.head_len);
		/* the head alone */
		custody_witness__read_head(&alone, buf, req.head_len);
		if (req.detail != NULL && strcmp(req.detail, "extra bytes") == 0
		    ? alone.route != CUSTODY_WITNESS__ADD_CHECKPOINT ||
		    req.head_len + alone.body_len >= have
		    : alone.status != req.status || alone.route != req.route ||
		    alone.body_len != req.body_len ||
		    alone.expect_continue != req.expect_continue ||
		    strcmp(alone.method, req.method) != 0 ||
		    strcmp(alone.target, req.target) != 0)
			broken("bytes after the head changed the verdict",
				NULL);
	}
	if (req.status == 0)
		check_route(&req, buf, req.head_len, have);
	fuzz_expect(FUZZ_TARGET, req.status == 0);
	if (getenv("FUZZ_WITNESS_HTTP_VERBOSE") != NULL)
		fprintf(stderr, "%d %s %s %zu\n", req.status, req.method,
			req.target, req.body_len);
	free(buf);
	return 0;
}
