/*
 * The key folder: NAME.key (encrypted private key, 0600) beside NAME.pub
 * (its OpenSSH public line), in a folder only its owner may enter.
 */
#include "custody/keystore.h"
#include "key.h"
#include "common.h"
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	return rc == 0 ? 0 : custody__oom(err);
}

int custody_keystore_log_dir(custody_buf *out, custody_error **err)
{
	int rc = custody_keystore_dir(out, err);

	if (rc == 0 && custody_buf__printf(out, "/log") != 0)
		rc = custody__oom(err);
	return rc;
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
		return custody__oom(err);
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
	/* an empty key folder leaves names NULL, which qsort must not get */
	if (n > 1)
		qsort(names, n, sizeof(*names), compare_names);
	*out = names;
	*count = n;
	return 0;
nomem:
	closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return custody__oom(err);
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
			rc = custody__error_hint(err, CUSTODY_ENOTFOUND,
				CUSTODY_HINT_NO_KEY, "no key in %s", dir);
			goto cleanup;
		}
		if (n > 1) {
			custody_buf list = CUSTODY_BUF_INIT;

			for (size_t i = 0; i < n; i++)
				custody_buf__printf(&list, "%s%s",
					i ? ", " : "", names[i]);
			/* how to choose is the caller's to say */
			rc = custody__error(err, CUSTODY_EAMBIGUOUS, "%zu keys "
				"in %s (%s)", n, dir, list.ptr ? list.ptr : "");
			custody_buf_dispose(&list);
			goto cleanup;
		}
		name = names[0];
	} else if ((rc = custody_key_name_check(name, err)) != 0) {
		goto cleanup;
	}
	if (custody_buf__printf(&path, "%s/%s.key", dir, name) != 0) {
		rc = custody__oom(err);
		goto cleanup;
	}
	if (stat(path.ptr, &st) != 0) {
		rc = custody__error_hint(err, CUSTODY_ENOTFOUND,
			CUSTODY_HINT_LIST_KEYS, "no key '%s' in %s", name, dir);
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
		rc = custody__oom(err);
	}
cleanup:
	free_names(names, n);
	custody_buf_dispose(&path);
	custody_buf_dispose(&dflt);
	return rc;
}

/* mkdir -p with mode 0700 for what it creates. */
static int make_folder(const char *dir, custody_error **err)
{
	char path[PATH_MAX];
	size_t len = strlen(dir);

	if (len >= sizeof(path))
		return custody__error(err, CUSTODY_EINVALID, "%s: path too "
			"long", dir);
	memcpy(path, dir, len + 1);
	for (char *p = path + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char saved = *p;

			*p = '\0';
			if (mkdir(path, 0700) != 0 && errno != EEXIST)
				return custody__error_sys(err, CUSTODY_EIO,
					errno, "%s: cannot create the key "
					"folder", path);
			*p = saved;
			if (saved == '\0')
				break;
		}
	}
	return 0;
}

/*
 * Refuse a key folder inside a custody collection: `custody add .` would
 * register the private key, and it must never enter an archive.
 */
static int outside_collections(const char *dir, custody_error **err)
{
	char real[PATH_MAX], probe[PATH_MAX + 16], existing[PATH_MAX];
	char *slash;

	/* the folder may not exist yet: judge the nearest one that does,
	 * so that nothing is made before the refusal */
	snprintf(existing, sizeof(existing), "%s", dir);
	while (realpath(existing, real) == NULL) {
		if (errno != ENOENT ||
		    (slash = strrchr(existing, '/')) == NULL) {
			if (errno == ENOENT && realpath(".", real) != NULL)
				break;
			return custody__error_sys(err, CUSTODY_EIO, errno,
				"%s", dir);
		}
		if (slash == existing)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	for (;;) {
		struct stat st;

		snprintf(probe, sizeof(probe), "%s/.custody", real);
		if (stat(probe, &st) == 0 && S_ISDIR(st.st_mode))
			return custody__error(err, CUSTODY_EINVALID, "%s: the "
				"key folder is inside the collection %s; "
				"private keys never go where `custody add` "
				"could register them. Set CUSTODY_KEY_DIR to a "
				"folder outside it", dir, real[1] ? real : "/");
		if ((slash = strrchr(real, '/')) == NULL || real[1] == '\0')
			break;
		if (slash == real)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	return 0;
}

/* DIR/NAME.key and DIR/NAME.pub, malloc'd; both NULL on failure. */
static int key_paths(char **key_out, char **pub_out, const char *dir,
	const char *name, custody_error **err)
{
	if (asprintf(key_out, "%s/%s.key", dir, name) < 0)
		*key_out = NULL;
	if (asprintf(pub_out, "%s/%s.pub", dir, name) < 0)
		*pub_out = NULL;
	if (*key_out == NULL || *pub_out == NULL) {
		free(*key_out);
		free(*pub_out);
		*key_out = *pub_out = NULL;
		return custody__oom(err);
	}
	return 0;
}

int custody_keystore_prepare(const char *dir, const char *name,
	custody_error **err)
{
	custody_buf dflt = CUSTODY_BUF_INIT;
	char *key_path = NULL, *pub_path = NULL;
	int rc;

	if (dir == NULL) {
		if ((rc = custody_keystore_dir(&dflt, err)) != 0)
			return rc;
		dir = dflt.ptr;
	}
	if ((rc = custody_key_name_check(name, err)) != 0 ||
	    (rc = outside_collections(dir, err)) != 0 ||
	    (rc = make_folder(dir, err)) != 0 ||
	    (rc = key_paths(&key_path, &pub_path, dir, name, err)) != 0)
		goto cleanup;
	if (access(key_path, F_OK) == 0 || access(pub_path, F_OK) == 0)
		rc = custody__error(err, CUSTODY_EEXISTS, "a key named '%s' "
			"exists in %s; choose another name (custody never "
			"overwrites a key)", name, dir);
cleanup:
	free(key_path);
	free(pub_path);
	custody_buf_dispose(&dflt);
	return rc;
}

/* NAME.pub: the public line, named; never over an existing file. */
static int write_public(const char *path, const char *line,
	const char *name, custody_error **err)
{
	FILE *f = fopen(path, "wx");
	int e;

	if (f == NULL)
		return custody__error_sys(err, errno == EEXIST ?
			CUSTODY_EEXISTS : CUSTODY_EIO, errno, "%s: cannot "
			"write", path);
	if (fprintf(f, "%s %s\n", line, name) < 0 || fflush(f) != 0 ||
	    fsync(fileno(f)) != 0) {
		e = errno;
		fclose(f);
		unlink(path);
		return custody__error_sys(err, CUSTODY_EIO, e, "%s: cannot "
			"write", path);
	}
	if (fclose(f) != 0) {
		e = errno;
		unlink(path);
		return custody__error_sys(err, CUSTODY_EIO, e, "%s: cannot "
			"write", path);
	}
	return 0;
}

int custody_keystore_save(const char *dir, const char *name,
	const custody_key *key, const char *passphrase,
	size_t passphrase_len, custody_buf *key_path_out,
	custody_error **err)
{
	custody_buf dflt = CUSTODY_BUF_INIT, line = CUSTODY_BUF_INIT;
	char *key_path = NULL, *pub_path = NULL;
	int rc;

	if (dir == NULL) {
		if ((rc = custody_keystore_dir(&dflt, err)) != 0)
			return rc;
		dir = dflt.ptr;
	}
	if ((rc = custody_keystore_prepare(dir, name, err)) != 0 ||
	    (rc = key_paths(&key_path, &pub_path, dir, name, err)) != 0 ||
	    (rc = custody_pubkey_openssh(custody_key_public(key), &line,
	    err)) != 0 ||
	    (rc = custody_key_save(key, key_path, passphrase, passphrase_len,
	    err)) != 0)
		goto cleanup;
	/* a private key without its .pub would be listed as damaged */
	if ((rc = write_public(pub_path, line.ptr, name, err)) != 0) {
		unlink(key_path);
		goto cleanup;
	}
	rc = custody_fs__fsync_dir(dir, err);
	if (rc == 0 && key_path_out != NULL &&
	    custody_buf__printf(key_path_out, "%s", key_path) != 0)
		rc = custody__oom(err);
	if (rc != 0) {
		unlink(key_path);
		unlink(pub_path);
	}
cleanup:
	free(key_path);
	free(pub_path);
	custody_buf_dispose(&line);
	custody_buf_dispose(&dflt);
	return rc;
}
