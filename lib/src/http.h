/*
 * One HTTP POST with libcurl, for the services custody talks to: a
 * timestamp authority (tsa_post.c) and the witnesses of an outlet
 * (witness_cosign.c). Only the full library has it; the offline checks
 * need none.
 */
#ifndef CUSTODY_SRC_HTTP_H
#define CUSTODY_SRC_HTTP_H

#include <stddef.h>
#include "custody/common.h"

struct custody_http_reply {
	long status;               /* the HTTP status code */
	char content_type[128];    /* "" when the answer has none */
	char location[256];        /* a redirect's target, or "" */
	custody_buf body;          /* dispose with custody_buf_dispose */
};

/*
 * POST `len` bytes of `content_type` to `url` (http:// or https://,
 * redirects not followed, no "Expect: 100-continue"), waiting at most
 * connect_s to connect and total_s in all, and read an answer of at most
 * `max` bytes. Any status is a reply: judging it is the caller's. Errors:
 * CUSTODY_EINVALID (not an http(s) URL), CUSTODY_EIO (no answer: the
 * message is libcurl's), CUSTODY_ERROR (an answer over `max` bytes),
 * CUSTODY_ENOMEM. `what` names the service in messages ("a TSA").
 */
int custody_http__post(const char *url, const char *content_type,
	const void *data, size_t len, size_t max, long connect_s,
	long total_s, const char *what, struct custody_http_reply *reply,
	custody_error **err);

/* 1 when a Content-Type value is media type `type`, parameters aside. */
int custody_http__media_type_is(const char *value, const char *type);

#endif
