/*
 * The key folder: NAME.key (encrypted private key, 0600) beside NAME.pub
 * (its OpenSSH public line), in a folder only its owner may enter.
 */
#include "key.h"
#include "error.h"
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int custody_keystore_dir(custody_buf *out, custody_error **err)
{
	const char *dir = getenv("CUSTODY_KEY_DIR");
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int rc;

	if (dir != NULL && dir[0] != '\0')
		rc = custody_buf__printf(out, "%s", dir);
	else if (xdg != NULL && xdg[0] == '/')
		rc = custody_buf__printf(out, "%s/custody/keys", xdg);
	else if (home != NULL && home[0] == '/')
		rc = custody_buf__printf(out, "%s/.config/custody/keys", home);
	else
		return custody__error(err, CUSTODY_ENOTFOUND, "no key folder: "
			"set CUSTODY_KEY_DIR, XDG_CONFIG_HOME or HOME");
	return rc == 0 ? 0 : custody__error(err, CUSTODY_ENOMEM,
		"out of memory");
}

int custody_key_name_check(const char *name, custody_error **err)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64)
		return custody__error(err, CUSTODY_EINVALID, "'%s': a name "
			"has 1 to 64 characters", name);
	if (name[0] == '.' || name[0] == '-')
		return custody__error(err, CUSTODY_EINVALID, "'%s': a name "
			"may not start with '.' or '-'", name);
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("._@+-", *p)))
			return custody__error(err, CUSTODY_EINVALID, "'%s': a "
				"name may use only letters A-Z a-z, digits and "
				". _ @ + -", name);
	return 0;
}

/* Read DIR/NAME.pub. */
static int read_public(custody_pubkey **out, const char *dir,
	const char *name, custody_error **err)
{
	custody_buf path = CUSTODY_BUF_INIT, text = CUSTODY_BUF_INIT;
	custody_error *why = NULL;
	int rc;

	*out = NULL;
	if (custody_buf__printf(&path, "%s/%s.pub", dir, name) != 0)
		return custody__error(err, CUSTODY_ENOMEM, "out of memory");
	rc = custody_fs__read_file(&text, path.ptr, 8192, err);
	if (rc == 0) {
		char *eol = memchr(text.ptr, '\n', text.size);
		size_t len = eol ? (size_t)(eol - text.ptr) : text.size;

		rc = custody_pubkey_parse(out, text.ptr, len, &why);
		if (rc != 0) {
			custody__error(err, rc, "%s: %s", path.ptr,
				custody_error_message(why));
			custody_error_free(why);
		}
	}
	custody_buf_dispose(&path);
	custody_buf_dispose(&text);
	return rc;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of DIR's *.key files, sorted; *count of them. */
static int key_names(char ***out, size_t *count, const char *dir,
	custody_error **err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;

	*out = NULL;
	*count = 0;
	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		return custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot read the key folder", dir);
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		char **grown;

		if (len <= 4 || strcmp(de->d_name + len - 4, ".key") != 0)
			continue;
		if ((grown = realloc(names, (n + 1) * sizeof(*names))) == NULL ||
		    (grown[n] = strndup(de->d_name, len - 4)) == NULL) {
			names = grown ? grown : names;
			goto nomem;
		}
		names = grown;
		if (custody_key_name_check(names[n], NULL) != 0) {
			free(names[n]);
			continue;
		}
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), compare_names);
	*out = names;
	*count = n;
	return 0;
nomem:
	closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return custody__error(err, CUSTODY_ENOMEM, "out of memory");
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int custody_keystore_list(const char *dir, custody_keystore_cb cb,
	void *payload, custody_error **err)
{
	custody_buf dflt = CUSTODY_BUF_INIT;
	char **names;
	size_t n;
	int rc = 0;

	if (dir == NULL) {
		if ((rc = custody_keystore_dir(&dflt, err)) != 0)
			return rc;
		dir = dflt.ptr;
	}
	if ((rc = key_names(&names, &n, dir, err)) == 0) {
		for (size_t i = 0; i < n && rc == 0; i++) {
			custody_pubkey *pub = NULL;

			/* a key whose .pub is missing or damaged is still
			 * listed, without its public half */
			if (read_public(&pub, dir, names[i], NULL) != 0)
				pub = NULL;
			rc = cb(names[i], pub, payload);
			custody_pubkey_free(pub);
		}
		free_names(names, n);
	}
	custody_buf_dispose(&dflt);
	return rc;
}

int custody_keystore_find(const char *dir, const char *name,
	custody_buf *name_out, custody_buf *path_out,
	custody_pubkey **public_out, custody_error **err)
{
	custody_buf dflt = CUSTODY_BUF_INIT, path = CUSTODY_BUF_INIT;
	char **names = NULL;
	size_t n = 0;
	struct stat st;
	int rc;

	if (public_out != NULL)
		*public_out = NULL;
	if (dir == NULL) {
		if ((rc = custody_keystore_dir(&dflt, err)) != 0)
			return rc;
		dir = dflt.ptr;
	}
	if (name == NULL) {
		if ((rc = key_names(&names, &n, dir, err)) != 0)
			goto cleanup;
		if (n == 0) {
			rc = custody__error(err, CUSTODY_ENOTFOUND, "no key in "
				"%s: make one with `custody key new NAME`, or "
				"bring yours with `custody key import`", dir);
			goto cleanup;
		}
		if (n > 1) {
			custody_buf list = CUSTODY_BUF_INIT;

			for (size_t i = 0; i < n; i++)
				custody_buf__printf(&list, "%s%s",
					i ? ", " : "", names[i]);
			rc = custody__error(err, CUSTODY_EINVALID, "%zu keys in "
				"%s (%s): choose one with --key NAME or "
				"CUSTODY_KEY", n, dir, list.ptr ? list.ptr : "");
			custody_buf_dispose(&list);
			goto cleanup;
		}
		name = names[0];
	} else if ((rc = custody_key_name_check(name, err)) != 0) {
		goto cleanup;
	}
	if (custody_buf__printf(&path, "%s/%s.key", dir, name) != 0) {
		rc = custody__error(err, CUSTODY_ENOMEM, "out of memory");
		goto cleanup;
	}
	if (stat(path.ptr, &st) != 0) {
		rc = custody__error(err, CUSTODY_ENOTFOUND, "no key '%s' in %s "
			"(`custody key list` shows the keys there)", name, dir);
		goto cleanup;
	}
	if (public_out != NULL &&
	    (rc = read_public(public_out, dir, name, err)) != 0)
		goto cleanup;
	rc = 0;
	if ((name_out != NULL && custody_buf__printf(name_out, "%s", name)) ||
	    (path_out != NULL && custody_buf__printf(path_out, "%s",
	    path.ptr))) {
		custody_pubkey_free(public_out ? *public_out : NULL);
		if (public_out)
			*public_out = NULL;
		rc = custody__error(err, CUSTODY_ENOMEM, "out of memory");
	}
cleanup:
	free_names(names, n);
	custody_buf_dispose(&path);
	custody_buf_dispose(&dflt);
	return rc;
}
