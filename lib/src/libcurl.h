/*
 * libcurl, loaded when a command first needs it. Linked, it and the
 * twenty libraries it brings (Kerberos, LDAP, GnuTLS, ...) would be
 * loaded into every custody process, about 4 ms of each command's
 * start, though only the talks with a timestamp authority, a witness
 * and a bag's fetch.txt use it (docs/design-notes.md).
 */
#ifndef CUSTODY_SRC_LIBCURL_H
#define CUSTODY_SRC_LIBCURL_H

#include <curl/curl.h>
#include "custody/common.h"

/* The functions custody calls, from libcurl.so.4. */
struct custody_libcurl {
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
	CURLcode (*easy_perform)(CURL *curl);
	CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
	const char *(*easy_strerror)(CURLcode code);
	void (*easy_cleanup)(CURL *curl);
	struct curl_slist *(*slist_append)(struct curl_slist *list,
		const char *text);
	void (*slist_free_all)(struct curl_slist *list);
};

/* libcurl, loaded and curl_global_init'ed once (thread-safe), or NULL
 * with CUSTODY_ERROR when it cannot be (the message says why). */
const struct custody_libcurl *custody_libcurl__get(custody_error **err);

#endif
