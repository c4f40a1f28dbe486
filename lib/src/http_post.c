/*
 * One HTTP POST with libcurl (see http.h).
 */
#include "http.h"
#include "common.h"
#include "libcurl.h"
#include "fsutil.h"
#include "custody/version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct body {
	custody_buf *buf;
	size_t max;
	int too_large;
	int no_memory;
};

static size_t on_body(char *data, size_t size, size_t count, void *opaque)
{
	struct body *body = opaque;
	size_t n = size * count;

	/* Returning less than n makes libcurl abort the transfer. */
	if (n > body->max - body->buf->size) {
		body->too_large = 1;
		return 0;
	}
	if (custody_buf__append(body->buf, data, n) != 0) {
		body->no_memory = 1;
		return 0;
	}
	return n;
}

int custody_http__media_type_is(const char *value, const char *type)
{
	size_t n = strlen(type);

	if (strncasecmp(value, type, n) != 0)
		return 0;
	value += n;
	while (*value == ' ' || *value == '\t')
		value++;
	return *value == '\0' || *value == ';';
}

static int set_up(const struct custody_libcurl *c, CURL *curl,
	const char *url, struct curl_slist *headers,
	const void *data, size_t len, long connect_s, long total_s,
	struct body *body, char *message)
{
	return c->easy_setopt(curl, CURLOPT_URL, url) != CURLE_OK ||
	    c->easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https") !=
		CURLE_OK ||
	    c->easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    c->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    c->easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, connect_s) !=
		CURLE_OK ||
	    c->easy_setopt(curl, CURLOPT_TIMEOUT, total_s) != CURLE_OK ||
	    c->easy_setopt(curl, CURLOPT_USERAGENT,
		"custody/" CUSTODY_VERSION_STRING) != CURLE_OK ||
	    c->easy_setopt(curl, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
	    c->easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
		(curl_off_t)len) != CURLE_OK ||
	    c->easy_setopt(curl, CURLOPT_POSTFIELDS, data) != CURLE_OK ||
	    c->easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body) !=
		CURLE_OK ||
	    c->easy_setopt(curl, CURLOPT_WRITEDATA, body) != CURLE_OK ||
	    c->easy_setopt(curl, CURLOPT_ERRORBUFFER, message) != CURLE_OK;
}

int custody_http__post(const char *url, const char *content_type,
	const void *data, size_t len, size_t max, long connect_s,
	long total_s, const char *what, struct custody_http_reply *reply,
	custody_error **err)
{
	struct body body = { &reply->body, max, 0, 0 };
	struct curl_slist *headers = NULL, *more;
	char message[CURL_ERROR_SIZE] = "", header[160];
	char *type = NULL, *location = NULL;
	const struct custody_libcurl *c;
	CURL *curl = NULL;
	CURLcode res;
	int rc = 0;

	memset(reply, 0, sizeof(*reply));
	if (strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0)
		return custody__error(err, CUSTODY_EINVALID, "%s: %s URL must "
			"start with http:// or https://", url, what);
	if ((c = custody_libcurl__get(err)) == NULL)
		return CUSTODY_ERROR;
	snprintf(header, sizeof(header), "Content-Type: %s", content_type);
	curl = c->easy_init();
	headers = c->slist_append(NULL, header);
	/* A small body needs no "Expect: 100-continue" round trip. */
	more = headers ? c->slist_append(headers, "Expect:") : NULL;
	if (curl == NULL || more == NULL) {
		rc = custody__oom(err);
		goto cleanup;
	}
	headers = more;
	if (set_up(c, curl, url, headers, data, len, connect_s, total_s, &body,
	    message)) {
		rc = custody__error(err, CUSTODY_ERROR, "%s: cannot set up "
			"the HTTP request", url);
		goto cleanup;
	}
	res = c->easy_perform(curl);
	if (body.no_memory) {
		rc = custody__oom(err);
		goto cleanup;
	}
	if (body.too_large) {
		rc = custody__error(err, CUSTODY_ERROR, "%s: the response "
			"is larger than %zu bytes", url, max);
		goto cleanup;
	}
	if (res != CURLE_OK) {
		rc = custody__error(err, CUSTODY_EIO, "%s: %s", url,
			message[0] ? message : c->easy_strerror(res));
		goto cleanup;
	}
	c->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply->status);
	c->easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
	if (type != NULL)
		snprintf(reply->content_type, sizeof(reply->content_type),
			"%s", type);
	if (reply->status >= 300 && reply->status < 400) {
		c->easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location);
		if (location != NULL)
			snprintf(reply->location, sizeof(reply->location),
				"%s", location);
	}
cleanup:
	if (rc != 0)
		custody_buf_dispose(&reply->body);
	c->slist_free_all(headers);
	c->easy_cleanup(curl);
	return rc;
}
