/*
 * libcurl, loaded on first use (see libcurl.h).
 */
#include "libcurl.h"
#include "common.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* The ABI libcurl has kept since 7.16 (2006): Debian's libcurl4. */
#define LIBCURL_SONAME "libcurl.so.4"

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static struct custody_libcurl curl_fns;
static int loaded;
static char load_error[512];

/* dlsym's object pointer, stored in a function pointer of the right
 * type (ISO C has no cast between the two; POSIX makes them the same
 * size). 0, or -1 when the symbol is missing. */
static int take(void *lib, const char *name, void *fn, size_t size)
{
	void *sym = dlsym(lib, name);

	if (sym == NULL || size != sizeof(sym)) {
		snprintf(load_error, sizeof(load_error), "%s has no %s",
			LIBCURL_SONAME, name);
		return -1;
	}
	memcpy(fn, &sym, sizeof(sym));
	return 0;
}

#define TAKE(lib, field, name) \
	take(lib, name, &c.field, sizeof(c.field))

static void load(void)
{
	struct custody_libcurl c;
	CURLcode (*global_init)(long flags) = NULL;
	CURLcode rc;
	void *lib = dlopen(LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (lib == NULL) {
		const char *why = dlerror();

		snprintf(load_error, sizeof(load_error), "cannot load %s (the "
			"libcurl4 package): %s", LIBCURL_SONAME,
			why ? why : "unknown error");
		return;
	}
	memset(&c, 0, sizeof(c));
	if (TAKE(lib, easy_init, "curl_easy_init") != 0 ||
	    TAKE(lib, easy_setopt, "curl_easy_setopt") != 0 ||
	    TAKE(lib, easy_perform, "curl_easy_perform") != 0 ||
	    TAKE(lib, easy_getinfo, "curl_easy_getinfo") != 0 ||
	    TAKE(lib, easy_strerror, "curl_easy_strerror") != 0 ||
	    TAKE(lib, easy_cleanup, "curl_easy_cleanup") != 0 ||
	    TAKE(lib, slist_append, "curl_slist_append") != 0 ||
	    TAKE(lib, slist_free_all, "curl_slist_free_all") != 0 ||
	    take(lib, "curl_global_init", &global_init,
	    sizeof(global_init)) != 0)
		return;
	/* once, before any other thread could use libcurl */
	if ((rc = global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
		snprintf(load_error, sizeof(load_error), "cannot initialise "
			"libcurl: %s", c.easy_strerror(rc));
		return;
	}
	/* never unloaded: libcurl keeps state until the process ends */
	curl_fns = c;
	loaded = 1;
}

const struct custody_libcurl *custody_libcurl__get(custody_error **err)
{
	pthread_once(&load_once, load);
	if (!loaded) {
		custody__error(err, CUSTODY_ERROR, "%s", load_error);
		return NULL;
	}
	return &curl_fns;
}
