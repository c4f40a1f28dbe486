/*
 * RFC 3161 requests sent to a timestamp authority over HTTP, with
 * libcurl: only the full library has it, the offline checks need none.
 */
#include "tsa.h"
#include "common.h"
#include "fsutil.h"
#include "custody/version.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#define QUERY_TYPE "application/timestamp-query"
#define REPLY_TYPE "application/timestamp-reply"
#define CONNECT_TIMEOUT_S 10L
#define TOTAL_TIMEOUT_S 30L

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result;

static void curl_init(void)
{
	curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct body {
	custody_buf buf;
	int too_large;
	int no_memory;
};

static size_t on_body(char *data, size_t size, size_t count, void *opaque)
{
	struct body *body = opaque;
	size_t n = size * count;

	/* Returning less than n makes libcurl abort the transfer. */
	if (n > CUSTODY_TSA_RESPONSE_MAX - body->buf.size) {
		body->too_large = 1;
		return 0;
	}
	if (custody_buf__append(&body->buf, data, n) != 0) {
		body->no_memory = 1;
		return 0;
	}
	return n;
}

static int is_http_url(const char *url)
{
	return strncasecmp(url, "http://", 7) == 0 ||
		strncasecmp(url, "https://", 8) == 0;
}

/* The media type of a Content-Type value is `type`, parameters aside. */
static int media_type_is(const char *value, const char *type)
{
	size_t n = strlen(type);

	if (strncasecmp(value, type, n) != 0)
		return 0;
	value += n;
	while (*value == ' ' || *value == '\t')
		value++;
	return *value == '\0' || *value == ';';
}

static int check_reply(CURL *curl, const char *url, custody_error **err)
{
	long status = 0;
	char *type = NULL;
	char *location = NULL;

	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 300 && status < 400) {
		curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location);
		return custody__error(err, CUSTODY_ERROR,
			"%s: the TSA redirects (HTTP %ld) to %.200s; "
			"redirects are not followed", url, status,
			location ? location : "nowhere");
	}
	if (status != 200)
		return custody__error(err, CUSTODY_ERROR,
			"%s: the TSA answered HTTP %ld, not 200", url, status);
	curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
	if (type == NULL)
		return custody__error(err, CUSTODY_ERROR,
			"%s: the response has no Content-Type (expected "
			REPLY_TYPE ")", url);
	if (!media_type_is(type, REPLY_TYPE))
		return custody__error(err, CUSTODY_ERROR,
			"%s: the response is of type \"%.100s\", not "
			REPLY_TYPE, url, type);
	return 0;
}

int custody_tsa__post(const char *url, const void *query, size_t len,
	custody_buf *out, custody_error **err)
{
	struct body body = { CUSTODY_BUF_INIT, 0, 0 };
	struct curl_slist *headers = NULL, *more;
	char message[CURL_ERROR_SIZE] = "";
	CURL *curl = NULL;
	CURLcode res;
	int rc = 0;

	if (!is_http_url(url))
		return custody__error(err, CUSTODY_EINVALID,
			"%s: a TSA URL must start with http:// or https://",
			url);
	pthread_once(&curl_once, curl_init);
	if (curl_init_result != CURLE_OK)
		return custody__error(err, CUSTODY_ERROR,
			"cannot initialise libcurl: %s",
			curl_easy_strerror(curl_init_result));
	curl = curl_easy_init();
	headers = curl_slist_append(NULL, "Content-Type: " QUERY_TYPE);
	/* A small body needs no "Expect: 100-continue" round trip. */
	more = headers ? curl_slist_append(headers, "Expect:") : NULL;
	if (curl == NULL || more == NULL) {
		rc = custody__oom(err);
		goto cleanup;
	}
	headers = more;
	if (curl_easy_setopt(curl, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https") !=
		CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
		CONNECT_TIMEOUT_S) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_TIMEOUT, TOTAL_TIMEOUT_S) !=
		CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_USERAGENT,
		"custody/" CUSTODY_VERSION_STRING) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
		(curl_off_t)len) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, query) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body) !=
		CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, message) !=
		CURLE_OK) {
		rc = custody__error(err, CUSTODY_ERROR,
			"%s: cannot set up the HTTP request", url);
		goto cleanup;
	}
	res = curl_easy_perform(curl);
	if (body.no_memory) {
		rc = custody__oom(err);
		goto cleanup;
	}
	if (body.too_large) {
		rc = custody__error(err, CUSTODY_ERROR,
			"%s: the response is larger than %zu bytes", url,
			CUSTODY_TSA_RESPONSE_MAX);
		goto cleanup;
	}
	if (res != CURLE_OK) {
		rc = custody__error(err, CUSTODY_EIO, "%s: %s", url,
			message[0] ? message : curl_easy_strerror(res));
		goto cleanup;
	}
	rc = check_reply(curl, url, err);
	if (rc == 0) {
		*out = body.buf;
		body.buf.ptr = NULL;
	}
cleanup:
	custody_buf_dispose(&body.buf);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return rc;
}
