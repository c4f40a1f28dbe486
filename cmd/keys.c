#include "keys.h"
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* Drop a trailing "\n" or "\r\n". */
static size_t chomp(char *s, size_t len)
{
	if (len > 0 && s[len - 1] == '\n')
		s[--len] = '\0';
	if (len > 0 && s[len - 1] == '\r')
		s[--len] = '\0';
	return len;
}

static int from_file(const char *path, char *out, size_t *len_out)
{
	FILE *f = cli_fopen_input(path, "the passphrase file");
	size_t n = 0;
	int c = 0;

	if (f == NULL) {
		return EXIT_FAILED;
	}
	/* the first line, a byte at a time: a pipe's writer need not
	 * close it after the line */
	while (n < CLI_PASSPHRASE_MAX + 2 && c != '\n' &&
	    (c = getc(f)) != EOF)
		out[n++] = (char)c;
	fclose(f);
	switch (cli_passphrase_line(out, n, len_out)) {
	case CLI_PASSPHRASE_OK:
		out[*len_out] = '\0';
		return EXIT_OK;
	case CLI_PASSPHRASE_EMPTY:
		cli_error("%s: the passphrase file is empty", path);
		break;
	case CLI_PASSPHRASE_LONG:
		cli_error("%s: the passphrase is longer than %d bytes", path,
			CLI_PASSPHRASE_MAX);
		break;
	case CLI_PASSPHRASE_NUL:
		cli_error("%s: the passphrase holds a NUL byte (custody "
			"would read only the bytes before it)", path);
		break;
	}
	explicit_bzero(out, CLI_PASSPHRASE_MAX + 2);
	return EXIT_FAILED;
}

/* The terminal's settings while echo is off, to restore on a signal. */
static int tty_fd = -1;
static struct termios tty_saved;

static void restore_tty(int sig)
{
	if (tty_fd >= 0)
		tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int ask(int fd, const char *prompt, char *out, size_t *len_out)
{
	struct termios quiet;
	struct sigaction sa, old_int, old_term, old_hup;
	size_t len = 0;
	int rc = EXIT_OK;

	if (tcgetattr(fd, &tty_saved) != 0)
		return EXIT_FAILED;
	quiet = tty_saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = restore_tty;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	tty_fd = fd;
	if (write(fd, prompt, strlen(prompt)) < 0 ||
	    tcsetattr(fd, TCSAFLUSH, &quiet) != 0)
		rc = EXIT_FAILED;
	while (rc == EXIT_OK) {
		char c;
		ssize_t n = read(fd, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || c == '\n')
			break;
		if (len >= CLI_PASSPHRASE_MAX) {
			rc = EXIT_FAILED;
			continue;
		}
		out[len++] = c;
	}
	out[len] = '\0';
	tcsetattr(fd, TCSAFLUSH, &tty_saved);
	tty_fd = -1;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	if (write(fd, "\n", 1) < 0)
		rc = EXIT_FAILED;
	*len_out = chomp(out, len);
	return rc;
}

int cli_passphrase(const char *passphrase_file, const char *prompt,
	int confirm, char *out, size_t *len_out)
{
	const char *env = getenv("CUSTODY_PASSPHRASE");
	char again[CLI_PASSPHRASE_MAX + 2];
	size_t again_len;
	int fd, rc;

	if (passphrase_file != NULL)
		return from_file(passphrase_file, out, len_out);
	if (env != NULL) {
		if (strlen(env) > CLI_PASSPHRASE_MAX) {
			cli_error("CUSTODY_PASSPHRASE is longer than %d bytes",
				CLI_PASSPHRASE_MAX);
			return EXIT_FAILED;
		}
		*len_out = strlen(env);
		memcpy(out, env, *len_out + 1);
		return EXIT_OK;
	}
	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		cli_error("no passphrase: there is no terminal to ask on; set "
			"CUSTODY_PASSPHRASE or use --passphrase-file FILE");
		return EXIT_FAILED;
	}
	cli_progress_end();
	rc = ask(fd, prompt, out, len_out);
	if (rc == EXIT_OK && confirm) {
		rc = ask(fd, "Again, to be sure: ", again, &again_len);
		if (rc == EXIT_OK && (again_len != *len_out ||
		    memcmp(again, out, again_len) != 0)) {
			cli_error("the two passphrases differ; nothing was "
				"written");
			rc = EXIT_FAILED;
		}
		explicit_bzero(again, sizeof(again));
	} else if (rc != EXIT_OK) {
		cli_error("cannot read the passphrase from the terminal "
			"(longer than %d bytes?)", CLI_PASSPHRASE_MAX);
	}
	close(fd);
	if (rc != EXIT_OK)
		explicit_bzero(out, CLI_PASSPHRASE_MAX + 2);
	return rc;
}

/* "dir/name.key" -> "name" (malloc'd). */
static char *name_of_path(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len > 4 && strcmp(base + len - 4, ".key") == 0)
		len -= 4;
	return strndup(base, len);
}

static int signing_key(const char *key_name, const char *passphrase_file,
	int in_background, custody_key **key_out, char **member_out)
{
	custody_buf found_name = CUSTODY_BUF_INIT, found_path = CUSTODY_BUF_INIT;
	custody_pubkey *pub = NULL;
	custody_error *err = NULL;
	char passphrase[CLI_PASSPHRASE_MAX + 2], prompt[160];
	const char *path;
	char *name = NULL;
	size_t passphrase_len = 0;
	int rc = EXIT_FAILED;

	*key_out = NULL;
	*member_out = NULL;
	if (key_name == NULL || key_name[0] == '\0')
		key_name = getenv("CUSTODY_KEY");
	if (key_name != NULL && key_name[0] == '\0')
		key_name = NULL;
	if (key_name != NULL && strchr(key_name, '/') != NULL) {
		/* a path to a key file; the member's name is the file's */
		path = key_name;
		if ((name = name_of_path(key_name)) == NULL) {
			cli_oom();
			goto done;
		}
		if (custody_key_name_check(name, &err) != 0) {
			rc = cli_fail(err);
			goto done;
		}
	} else {
		if (custody_keystore_find(NULL, key_name, &found_name,
		    &found_path, &pub, &err) != 0) {
			rc = cli_key_fail(err);
			goto done;
		}
		path = found_path.ptr;
		if ((name = strdup(found_name.ptr)) == NULL) {
			cli_oom();
			goto done;
		}
	}
	snprintf(prompt, sizeof(prompt), "Passphrase for key '%s': ", name);
	if (cli_passphrase(passphrase_file, prompt, 0, passphrase,
	    &passphrase_len) != EXIT_OK)
		goto done;
	/* With its .pub at hand, the key is unlocked (scrypt) on a thread
	 * of its own, which also checks the .pub is the key's: changes work
	 * meanwhile (the library waits before it writes), other commands
	 * wait here. Without one (a path given), it is opened here. */
	if (pub != NULL) {
		if (custody_key_load_start(key_out, path, passphrase,
		    passphrase_len, pub, &err) != 0 ||
		    (!in_background && custody_key_wait(*key_out, &err) != 0)) {
			custody_key_free(*key_out);
			*key_out = NULL;
			rc = cli_fail(err);
			goto done;
		}
	} else if (custody_key_load(key_out, path, passphrase, passphrase_len,
	    &err) != 0) {
		rc = cli_fail(err);
		goto done;
	}
	*member_out = name;
	name = NULL;
	rc = EXIT_OK;
done:
	explicit_bzero(passphrase, sizeof(passphrase));
	custody_pubkey_free(pub);
	custody_buf_dispose(&found_name);
	custody_buf_dispose(&found_path);
	free(name);
	return rc;
}

int cli_key_fail(custody_error *err)
{
	if (err == NULL || custody_error_code(err) != CUSTODY_EAMBIGUOUS)
		return cli_fail(err);
	cli_error("%s: choose one with --key NAME or CUSTODY_KEY",
		custody_error_message(err));
	custody_error_free(err);
	return EXIT_FAILED;
}

int cli_signing_key(const char *key_name, const char *passphrase_file,
	custody_key **key_out, char **member_out)
{
	return signing_key(key_name, passphrase_file, 0, key_out, member_out);
}

/* The first line of a file that is not empty or a # comment. */
static int first_key_line(const char *path, char *line, size_t size)
{
	FILE *f = cli_fopen_input(path, NULL);

	if (f == NULL)
		return -1;
	while (fgets(line, (int)size, f) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		fclose(f);
		return 0;
	}
	fclose(f);
	line[0] = '\0';
	return 0;
}

int cli_public_key(const char *given, custody_pubkey **out)
{
	custody_error *err = NULL;
	char line[8192];

	*out = NULL;
	if (strncmp(given, "ssh-", 4) == 0 || (strchr(given, '+') != NULL &&
	    access(given, F_OK) != 0)) {
		if (custody_pubkey_parse(out, given, strlen(given), &err) != 0)
			return cli_fail(err);
		return EXIT_OK;
	}
	if (strchr(given, '/') == NULL && access(given, F_OK) != 0 &&
	    custody_key_name_check(given, NULL) == 0) {
		/* a key in the key folder */
		if (custody_keystore_find(NULL, given, NULL, NULL, out,
		    &err) != 0)
			return cli_key_fail(err);
		return EXIT_OK;
	}
	if (first_key_line(given, line, sizeof(line)) != 0) {
		cli_error("%s: cannot read the key: %s (give an `ssh-ed25519 "
			"...` line, a file holding one, or a key's name)",
			given, strerror(errno));
		return EXIT_FAILED;
	}
	if (line[0] == '\0') {
		cli_error("%s: empty, where a public key was expected", given);
		return EXIT_FAILED;
	}
	if (custody_pubkey_parse(out, line, strlen(line), &err) != 0) {
		cli_error("%s: %s", given, cli_error_text(err));
		custody_error_free(err);
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

#ifndef CUSTODY_CHECK_ONLY /* the check-only build opens no archive */
/* The outlet key that signs checkpoints for this process's changes;
 * freed at exit, as the archive only borrows it. */
static custody_key *outlet_key;

static void free_outlet_key(void)
{
	custody_key_free(outlet_key);
	outlet_key = NULL;
}

struct outlet_search {
	const char *origin, *want;   /* the archive's origin and vkey */
	char *name;                  /* the key found */
};

static int match_outlet_key(const char *name, const custody_pubkey *key,
	void *payload)
{
	struct outlet_search *s = payload;
	custody_buf vkey = CUSTODY_BUF_INIT;

	if (key != NULL && s->name == NULL &&
	    custody_pubkey_vkey(key, s->origin, &vkey, NULL) == 0 &&
	    strcmp(vkey.ptr, s->want) == 0)
		s->name = strdup(name);
	custody_buf_dispose(&vkey);
	return 0;
}

/* A key name from an origin: example.org/leaks -> example.org-leaks. */
static void name_of_origin(const char *origin, char *out, size_t size)
{
	size_t n = 0;

	for (const char *p = origin; *p != '\0' && n + 1 < size && n < 64;
	    p++)
		out[n++] = (strchr("._@+-", *p) != NULL ||
			(*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			(*p >= '0' && *p <= '9')) ? *p : '-';
	out[n] = '\0';
	while (out[0] == '.' || out[0] == '-')
		memmove(out, out + 1, strlen(out));
	if (out[0] == '\0')
		snprintf(out, size, "outlet");
}

/* The outlet key: NAME from the key folder's log/, or a new one saved
 * there (before the archive exists, so no archive names a key that was
 * never kept). */
int cli_outlet_key_named(const char *given, const char *origin,
	const char *passphrase_file, custody_key **out, char *name,
	size_t size)
{
	custody_buf dir = CUSTODY_BUF_INIT, path = CUSTODY_BUF_INIT;
	custody_pubkey *pub = NULL;
	custody_error *err = NULL;
	char passphrase[CLI_PASSPHRASE_MAX + 2], prompt[200], cwd[4096];
	size_t len = 0;
	int rc = EXIT_FAILED, exists;

	*out = NULL;
	if (given != NULL)
		snprintf(name, size, "%s", given);
	else if (origin != NULL)
		name_of_origin(origin, name, size);
	else {
		snprintf(prompt, sizeof(prompt), "local/%s", getcwd(cwd,
			sizeof(cwd)) ? strrchr(cwd, '/') + 1 : "outlet");
		name_of_origin(prompt, name, size);
	}
	if (custody_keystore_log_dir(&dir, &err) != 0 ||
	    custody_key_name_check(name, &err) != 0) {
		rc = cli_fail(err);
		goto done;
	}
	/* an origin names one log: a second archive of the same origin
	 * (a copy, a test) takes the outlet key already kept for it */
	exists = custody_keystore_find(dir.ptr, name, NULL, &path, &pub,
		NULL) == 0;
	if (!exists && custody_keystore_prepare(dir.ptr, name, &err) != 0) {
		rc = cli_fail(err);
		goto done;
	}
	snprintf(prompt, sizeof(prompt), exists ? "Passphrase for the outlet "
		"key '%s': " : "Passphrase for the new outlet key '%s': ",
		name);
	if (cli_passphrase(passphrase_file, prompt, !exists, passphrase,
	    &len) != EXIT_OK)
		goto done;
	if (exists)
		rc = custody_key_load_start(out, path.ptr, passphrase, len, pub,
			&err);
	else if ((rc = custody_key_generate(out, &err)) == 0)
		rc = custody_keystore_save(dir.ptr, name, *out, passphrase,
			len, NULL, &err);
	rc = rc != 0 ? cli_fail(err) : EXIT_OK;
	if (rc != EXIT_OK) {
		custody_key_free(*out);
		*out = NULL;
	}
done:
	explicit_bzero(passphrase, sizeof(passphrase));
	custody_pubkey_free(pub);
	custody_buf_dispose(&dir);
	custody_buf_dispose(&path);
	return rc;
}

int cli_load_outlet_key(custody_archive *archive,
	const char *passphrase_file, const custody_key **out)
{
	struct outlet_search s = { custody_archive_origin(archive),
		custody_archive_log_key(archive), NULL };
	custody_buf dir = CUSTODY_BUF_INIT, path = CUSTODY_BUF_INIT;
	custody_pubkey *pub = NULL;
	custody_error *err = NULL;
	char passphrase[CLI_PASSPHRASE_MAX + 2], prompt[160];
	size_t len = 0;
	int rc = EXIT_OK;

	*out = outlet_key;
	if (outlet_key != NULL || s.want == NULL ||
	    custody_keystore_log_dir(&dir, NULL) != 0)
		goto done;
	if (custody_keystore_list(dir.ptr, match_outlet_key, &s, NULL) != 0 ||
	    s.name == NULL)
		goto done;   /* not the holder: changes carry no checkpoint */
	if (custody_keystore_find(dir.ptr, s.name, NULL, &path, &pub,
	    &err) != 0) {
		rc = cli_fail(err);
		goto done;
	}
	snprintf(prompt, sizeof(prompt), "Passphrase for the outlet key "
		"'%s': ", s.name);
	if (cli_passphrase(passphrase_file, prompt, 0, passphrase, &len) !=
	    EXIT_OK) {
		rc = EXIT_FAILED;
		goto done;
	}
	if (custody_key_load_start(&outlet_key, path.ptr, passphrase, len,
	    pub, &err) != 0) {
		outlet_key = NULL;
		rc = cli_fail(err);
		goto done;
	}
	atexit(free_outlet_key);
	*out = outlet_key;
done:
	explicit_bzero(passphrase, sizeof(passphrase));
	custody_pubkey_free(pub);
	custody_buf_dispose(&dir);
	custody_buf_dispose(&path);
	free(s.name);
	return rc;
}

int cli_open_signed(const struct cli *cli, const char *key_name,
	const char *passphrase_file, custody_archive **archive_out,
	custody_key **key_out)
{
	char *member = NULL;

	*key_out = NULL;
	if (cli_open(cli, archive_out) != EXIT_OK)
		return EXIT_FAILED;
	/* every change waits for the key before it writes anything */
	if (signing_key(key_name, passphrase_file, 1, key_out, &member) !=
	    EXIT_OK) {
		custody_archive_free(*archive_out);
		*archive_out = NULL;
		return EXIT_FAILED;
	}
	free(member); /* the archive names its member by the key */
	custody_archive_set_signer(*archive_out, *key_out);
	{
		const custody_key *outlet = NULL;

		if (cli_load_outlet_key(*archive_out, passphrase_file,
		    &outlet) != EXIT_OK) {
			custody_archive_free(*archive_out);
			*archive_out = NULL;
			custody_key_free(*key_out);
			*key_out = NULL;
			return EXIT_FAILED;
		}
		custody_archive_set_log_key(*archive_out, outlet);
	}
	return EXIT_OK;
}
#endif

int cli_key_text(const char *given, char **out)
{
	size_t len;

	/* a verifier key is "name+id+key"; a file of that name wins */
	if (strncmp(given, "ssh-ed25519 ", 12) == 0 ||
	    (strchr(given, '+') != NULL && access(given, F_OK) != 0)) {
		if ((*out = strdup(given)) == NULL) {
			cli_oom();
			return EXIT_FAILED;
		}
		return EXIT_OK;
	}
	if (cli_read_file(given, 8192, out, &len) != EXIT_OK)
		return EXIT_FAILED;
	(*out)[strcspn(*out, "\n")] = '\0';
	return EXIT_OK;
}
