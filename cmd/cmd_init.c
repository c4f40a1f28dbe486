#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "keys.h"

static const char help[] =
"usage: custody init [--origin NAME] [--no-store] [--sha512] [--key NAME]\n"
"                    [--log-key NAME] [--passphrase-file FILE]\n"
"                    [--archive DIR] [--json]\n"
"\n"
"Create an archive for the collection in the current folder: a bare git\n"
"repository in .custody/ (or DIR) holding custody.yaml, the members'\n"
"keys and the genesis entry, in one commit signed by you. You become\n"
"the founding member, under your key's name.\n"
"\n"
"It also makes the outlet key (the log key): the one key that signs\n"
"every checkpoint, so readers check every proof the outlet writes with\n"
"it (`custody key export --vkey` prints it). It is kept in the key\n"
"folder's log/ subfolder, encrypted, never in the archive. Whoever holds\n"
"it signs checkpoints; a journalist without it still registers\n"
"documents (`custody checkpoint sign` covers them later).\n"
"\n"
"  --origin NAME   the log's name, like example.org/leaks (printable\n"
"                  ASCII, no spaces); default local/<folder name>\n"
"  --no-store      by default keep hashes only, not the content\n"
"  --sha512        record SHA-512 as well as SHA-256\n"
"  --key NAME      your signing key (or CUSTODY_KEY; default: the only\n"
"                  key in the key folder; make one with `custody key new`)\n"
"  --log-key NAME  the outlet key: NAME in the key folder's log/ if it is\n"
"                  there, else a new key of that name (default: the key\n"
"                  named after the origin, made if it is not there)\n"
"  --passphrase-file FILE  read the key's passphrase from FILE (or\n"
"                  CUSTODY_PASSPHRASE; default: ask on the terminal)\n"
"  --archive DIR   put the archive in DIR instead (or CUSTODY_ARCHIVE);\n"
"                  the collection folder is remembered in its config\n"
"  --json          print the result as JSON\n";

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
static int outlet_key(const char *given, const char *origin,
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

int cmd_init(int argc, char **argv)
{
	static const struct option own[] = {
		{ "origin", required_argument, NULL, 'o' },
		{ "no-store", no_argument, NULL, 'n' },
		{ "sha512", no_argument, NULL, '5' },
		{ "log-key", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_options options = {
		.command = "init", .help = help,
		.common = CLI_KEY | CLI_PASSPHRASE_FILE | CLI_ARCHIVE |
			CLI_JSON,
		.own = own,
	};
	custody_init_options opts = CUSTODY_INIT_OPTIONS_INIT;
	custody_key *key = NULL, *log_key = NULL;
	const char *log_key_name = NULL;
	char *member = NULL, outlet[80];
	custody_archive *archive = NULL;
	custody_error *err = NULL;
	struct cli cli;
	int c;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0) {
		switch (c) {
		case 'o': opts.origin = optarg; break;
		case 'n': opts.no_store = 1; break;
		case '5': opts.sha512 = 1; break;
		case 'l': log_key_name = optarg; break;
		}
	}
	if (c < 0)
		return cli.status;
	if (optind != argc)
		return cli_usage("init", "unexpected argument '%s'",
			argv[optind]);
	opts.archive_path = cli.archive;
	if (cli_signing_key(cli.key_name, cli.passphrase_file, &key,
	    &member) != EXIT_OK)
		return EXIT_FAILED;
	if (outlet_key(log_key_name, opts.origin, cli.passphrase_file,
	    &log_key, outlet, sizeof(outlet)) != EXIT_OK) {
		custody_key_free(key);
		free(member);
		return EXIT_FAILED;
	}
	opts.key = key;
	opts.member = member;
	opts.log_key = log_key;
	if (custody_archive_init(&archive, &opts, &err) != 0) {
		custody_key_free(key);
		custody_key_free(log_key);
		free(member);
		return cli_fail(err);
	}
	if (cli.json) {
		fputs("{\"archive\":", stdout);
		json_string(stdout, custody_archive_path(archive));
		fputs(",\"collection\":", stdout);
		json_string(stdout, custody_archive_collection(archive));
		fputs(",\"origin\":", stdout);
		json_string(stdout, custody_archive_origin(archive));
		fputs(",\"member\":", stdout);
		json_string(stdout, member);
		fputs(",\"outlet_key\":", stdout);
		json_string(stdout, outlet);
		fputs(",\"log_key\":", stdout);
		json_string(stdout, custody_archive_log_key(archive));
		fputs(",\"commit\":", stdout);
		json_string(stdout, custody_archive_head(archive));
		fputs("}\n", stdout);
	} else {
		printf("Created archive %s\n  collection %s\n  origin     %s\n"
			"  member     %s\n  outlet key %s (%s)\n",
			custody_archive_path(archive),
			custody_archive_collection(archive),
			custody_archive_origin(archive), member, outlet,
			custody_archive_log_key(archive));
	}
	custody_archive_free(archive);
	custody_key_free(key);
	custody_key_free(log_key);
	free(member);
	return EXIT_OK;
}
