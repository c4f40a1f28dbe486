/*
 * RFC 3161 requests sent to a timestamp authority over HTTP (http.h).
 */
#include "tsa.h"
#include "common.h"
#include "http.h"

#include <stdlib.h>

#define QUERY_TYPE "application/timestamp-query"
#define REPLY_TYPE "application/timestamp-reply"
#define CONNECT_TIMEOUT_S 10L
#define TOTAL_TIMEOUT_S 30L

static int check_reply(const struct custody_http_reply *r, const char *url,
	custody_error **err)
{
	if (r->status >= 300 && r->status < 400)
		return custody__error(err, CUSTODY_ERROR,
			"%s: the TSA redirects (HTTP %ld) to %.200s; "
			"redirects are not followed", url, r->status,
			r->location[0] ? r->location : "nowhere");
	if (r->status != 200)
		return custody__error(err, CUSTODY_ERROR,
			"%s: the TSA answered HTTP %ld, not 200", url,
			r->status);
	if (r->content_type[0] == '\0')
		return custody__error(err, CUSTODY_ERROR,
			"%s: the response has no Content-Type (expected "
			REPLY_TYPE ")", url);
	if (!custody_http__media_type_is(r->content_type, REPLY_TYPE))
		return custody__error(err, CUSTODY_ERROR,
			"%s: the response is of type \"%.100s\", not "
			REPLY_TYPE, url, r->content_type);
	return 0;
}

int custody_tsa__post(const char *url, const void *query, size_t len,
	custody_buf *out, custody_error **err)
{
	struct custody_http_reply reply;
	int rc;

	if ((rc = custody_http__post(url, QUERY_TYPE, query, len,
	    CUSTODY_TSA_RESPONSE_MAX, CONNECT_TIMEOUT_S, TOTAL_TIMEOUT_S,
	    "a TSA", &reply, err)) != 0)
		return rc;
	if ((rc = check_reply(&reply, url, err)) != 0) {
		custody_buf_dispose(&reply.body);
		return rc;
	}
	*out = reply.body;
	return 0;
}
