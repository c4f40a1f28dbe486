#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "keys.h"

static const char help[] =
"usage: custody key new [NAME] [--passphrase-file FILE] [--json]\n"
"       custody key import FILE [NAME] [--passphrase-file FILE] [--json]\n"
"       custody key list [--json]\n"
"       custody key export [NAME] [--allowed-signers | --vkey [--origin O]]\n"
"                          [--json]\n"
"       custody key export --outlet [--vkey] [--archive DIR] [--json]\n"
"\n"
"Your signing keys (Ed25519). Each lives in the key folder, outside every\n"
"archive: $CUSTODY_KEY_DIR, else $XDG_CONFIG_HOME/custody/keys, else\n"
"~/.config/custody/keys. NAME.key is the private key, encrypted with your\n"
"passphrase (PKCS#8, scrypt, AES-256; mode 0600); NAME.pub is its public\n"
"line. With one key, every command uses it; with several, choose with\n"
"--key NAME or CUSTODY_KEY.\n"
"\n"
"  new       make a key (NAME defaults to your login name)\n"
"  import    take an unencrypted OpenSSH Ed25519 private key (the file\n"
"            `ssh-keygen -t ed25519 -N ''` writes) and keep it encrypted;\n"
"            NAME defaults to the key's comment\n"
"  list      every key: name, fingerprint (as `ssh-keygen -lf` shows it)\n"
"  export    the public key as an OpenSSH line (for `custody member add`\n"
"            and ssh-keygen), as an allowed_signers line, or as a C2SP\n"
"            verifier key named after a log's origin (--origin, or this\n"
"            archive's). In an archive, `--vkey` alone prints the outlet\n"
"            key: the one key that signs the log's checkpoints, which\n"
"            readers check every proof with; `--outlet` prints it as an\n"
"            OpenSSH line\n"
"\n"
"Outlet keys (the log keys `custody init` makes) live apart, in the key\n"
"folder's log/ subfolder, encrypted like member keys; a member key is\n"
"never confused with one.\n"
"\n"
"The passphrase is asked on the terminal without echo, or taken from\n"
"--passphrase-file FILE (first line) or CUSTODY_PASSPHRASE.\n"
"\n"
"  --archive DIR   the archive whose origin --vkey uses\n"
"  --json          print the result as JSON (export: {name, outlet,\n"
"                  fingerprint, public_key, form, line})\n"
"\n"
"Examples:\n"
"  custody key new jane\n"
"  custody key import ~/.ssh/id_ed25519 jane\n"
"  custody key export --vkey\n";

/* Save key as NAME.key and NAME.pub in the key folder; print it. */
static int store(const custody_key *key, const char *name,
	const char *passphrase_file, int json, const char *verb)
{
	custody_buf key_path = CUSTODY_BUF_INIT, line = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	char passphrase[CLI_PASSPHRASE_MAX + 2], prompt[160];
	char fingerprint[64];
	size_t passphrase_len;
	int rc = EXIT_FAILED;

	/* everything that can refuse the key does so before the prompt */
	if (custody_keystore_prepare(NULL, name, &err) != 0)
		return cli_fail(err);
	snprintf(prompt, sizeof(prompt), "Passphrase for the new key '%s': ",
		name);
	if (cli_passphrase(passphrase_file, prompt, 1, passphrase,
	    &passphrase_len) != EXIT_OK)
		return EXIT_FAILED;
	rc = custody_keystore_save(NULL, name, key, passphrase, passphrase_len,
		&key_path, &err);
	explicit_bzero(passphrase, sizeof(passphrase));
	if (rc != 0 || custody_pubkey_openssh(custody_key_public(key), &line,
	    &err) != 0) {
		rc = cli_fail(err);
		goto done;
	}
	custody_pubkey_fingerprint(custody_key_public(key), fingerprint);
	if (json) {
		json_begin("key");
		fputs(",\"name\":", stdout);
		json_string(stdout, name);
		fputs(",\"fingerprint\":", stdout);
		json_string(stdout, fingerprint);
		fputs(",\"public_key\":", stdout);
		json_string(stdout, line.ptr);
		fputs(",\"private_key_file\":", stdout);
		json_string(stdout, key_path.ptr);
		json_end();
	} else {
		printf("%s key %s\n  fingerprint %s\n  public      %s %s\n"
			"  private     %s (encrypted, mode 0600)\n", verb, name,
			fingerprint, line.ptr, name, key_path.ptr);
	}
	rc = EXIT_OK;
done:
	custody_buf_dispose(&key_path);
	custody_buf_dispose(&line);
	return rc;
}

static int key_new(const char *name, const char *passphrase_file, int json)
{
	custody_key *key = NULL;
	custody_error *err = NULL;
	int rc;

	if (name == NULL) {
		name = getenv("USER");
		if (name == NULL || custody_key_name_check(name, NULL) != 0)
			return cli_usage("key", "give the new key a NAME");
	}
	if (cli_check_value("key", "NAME", CUSTODY_FIELD_MEMBER, name) !=
	    EXIT_OK)
		return EXIT_USAGE;
	if (custody_key_generate(&key, &err) != 0)
		return cli_fail(err);
	rc = store(key, name, passphrase_file, json, "Created");
	custody_key_free(key);
	return rc;
}

/* The comment of an openssh-key-v1 .pub twin, or NULL. */
static char *comment_of(const char *file)
{
	char *pub_path = NULL, line[8192], *sp;
	FILE *f;

	if (asprintf(&pub_path, "%s.pub", file) < 0)
		return NULL;
	f = cli_fopen_input(pub_path, NULL);
	free(pub_path);
	if (f == NULL)
		return NULL;
	if (fgets(line, sizeof(line), f) == NULL) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	if ((sp = strchr(line, ' ')) == NULL ||
	    (sp = strchr(sp + 1, ' ')) == NULL)
		return NULL;
	return strdup(sp + 1);
}

static int key_import(const char *file, const char *name,
	const char *passphrase_file, int json)
{
	custody_key *key = NULL;
	custody_error *err = NULL;
	char *data = NULL, *guessed = NULL;
	size_t len = 0, cap = 0;
	FILE *f;
	int rc;

	/* a key's name follows a member's rule (custody_key_name_check) */
	if (name != NULL && cli_check_value("key", "NAME",
	    CUSTODY_FIELD_MEMBER, name) != EXIT_OK)
		return EXIT_USAGE;
	if ((f = cli_fopen_input(file, "")) == NULL)
		return EXIT_FAILED;
	for (;;) {
		if (len + 4096 > cap) {
			char *grown;

			if (cap >= 1 << 20) {
				fclose(f);
				explicit_bzero(data, len);
				free(data);
				cli_error("%s: too big for an OpenSSH key", file);
				return EXIT_FAILED;
			}
			cap = cap ? cap * 2 : 8192;
			if ((grown = realloc(data, cap)) == NULL) {
				fclose(f);
				explicit_bzero(data, len);
				free(data);
				cli_oom();
				return EXIT_FAILED;
			}
			data = grown;
		}
		size_t n = fread(data + len, 1, cap - len, f);

		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	rc = custody_key_import_openssh(&key, data, len, file, &err);
	explicit_bzero(data, len);
	free(data);
	if (rc != 0)
		return cli_fail(err);
	if (name == NULL) {
		guessed = comment_of(file);
		if (guessed == NULL || custody_key_name_check(guessed,
		    NULL) != 0) {
			free(guessed);
			custody_key_free(key);
			return cli_usage("key", "give the imported key a NAME "
				"(its comment is not usable as one)");
		}
		name = guessed;
	}
	rc = store(key, name, passphrase_file, json, "Imported");
	free(guessed);
	custody_key_free(key);
	return rc;
}

struct listing {
	int json, first, count;
};

static int on_key(const char *name, const custody_pubkey *key,
	void *payload)
{
	struct listing *l = payload;
	custody_buf line = CUSTODY_BUF_INIT;
	char fingerprint[64];

	l->count++;
	if (key == NULL) {
		if (!l->json)
			printf("%-20s (its %s.pub is missing or damaged)\n",
				name, name);
		else {
			fputs(l->first ? "" : ",", stdout);
			l->first = 0;
			fputs("{\"name\":", stdout);
			json_string(stdout, name);
			fputs(",\"fingerprint\":null,\"public_key\":null}",
				stdout);
		}
		return 0;
	}
	custody_pubkey_fingerprint(key, fingerprint);
	if (!l->json) {
		printf("%-20s %s\n", name, fingerprint);
		return 0;
	}
	if (custody_pubkey_openssh(key, &line, NULL) != 0)
		return -1;
	fputs(l->first ? "" : ",", stdout);
	l->first = 0;
	fputs("{\"name\":", stdout);
	json_string(stdout, name);
	fputs(",\"fingerprint\":", stdout);
	json_string(stdout, fingerprint);
	fputs(",\"public_key\":", stdout);
	json_string(stdout, line.ptr);
	fputs("}", stdout);
	custody_buf_dispose(&line);
	return 0;
}

static int key_list(int json)
{
	struct listing l = { json, 1, 0 };
	custody_buf dir = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	int rc;

	if (custody_keystore_dir(&dir, &err) != 0)
		return cli_fail(err);
	if (json) {
		json_begin("key-list");
		fputs(",\"folder\":", stdout);
		json_string(stdout, dir.ptr);
		fputs(",\"keys\":[", stdout);
	}
	rc = custody_keystore_list(dir.ptr, on_key, &l, &err);
	if (json && rc == 0) {
		fputs("]", stdout);
		json_end();
	} else if (!json && rc == 0 && l.count == 0)
		fprintf(stderr, "custody: no keys in %s; make one with "
			"`custody key new NAME`\n", dir.ptr);
	custody_buf_dispose(&dir);
	return rc == 0 ? EXIT_OK : cli_fail(err);
}

/*
 * What key export prints: `line` as it is, or under --json an object
 * with it (docs/json.md): the key's name (the origin for the outlet
 * key), its fingerprint and OpenSSH public key, and which form `line` is.
 */
static int print_export(const struct cli *cli, const char *name,
	int outlet, const char *form, const custody_pubkey *pub,
	const char *line)
{
	custody_buf openssh = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	char fingerprint[64];

	if (!cli->json) {
		printf("%s\n", line);
		return EXIT_OK;
	}
	if (custody_pubkey_openssh(pub, &openssh, &err) != 0)
		return cli_fail(err);
	custody_pubkey_fingerprint(pub, fingerprint);
	json_begin("key-export");
	fputs(",\"name\":", stdout);
	json_string(stdout, name);
	printf(",\"outlet\":%s,\"fingerprint\":", outlet ? "true" : "false");
	json_string(stdout, fingerprint);
	fputs(",\"public_key\":", stdout);
	json_string(stdout, openssh.ptr);
	fputs(",\"form\":", stdout);
	json_string(stdout, form);
	fputs(",\"line\":", stdout);
	json_string(stdout, line);
	json_end();
	custody_buf_dispose(&openssh);
	return EXIT_OK;
}

/* The archive's outlet key, as its vkey or an OpenSSH line. */
static int outlet_export(struct cli *cli, int vkey)
{
	custody_archive *archive = NULL;
	custody_pubkey *pub = NULL;
	custody_error *err = NULL;
	custody_buf text = CUSTODY_BUF_INIT;
	char *line = NULL;
	const char *v;
	int rc = EXIT_FAILED;

	if (cli_open(cli, &archive) != EXIT_OK)
		return EXIT_FAILED;
	v = custody_archive_log_key(archive);
	if (custody_pubkey_parse(&pub, v, strlen(v), &err) != 0 ||
	    custody_pubkey_openssh(pub, &text, &err) != 0) {
		rc = cli_fail(err);
	} else if (vkey) {
		rc = print_export(cli, custody_archive_origin(archive), 1,
			"vkey", pub, v);
	} else if (asprintf(&line, "%s %s", text.ptr,
	    custody_archive_origin(archive)) < 0) {
		cli_oom();
		line = NULL;
	} else {
		rc = print_export(cli, custody_archive_origin(archive), 1,
			"openssh", pub, line);
	}
	free(line);
	custody_pubkey_free(pub);
	custody_buf_dispose(&text);
	custody_archive_free(archive);
	return rc;
}

static int key_export(struct cli *cli, const char *name, int vkey,
	const char *origin, int allowed_signers)
{
	custody_buf found = CUSTODY_BUF_INIT, text = CUSTODY_BUF_INIT;
	custody_pubkey *pub = NULL;
	custody_archive *archive = NULL;
	custody_error *err = NULL;
	char *line = NULL;
	int rc = EXIT_FAILED;

	if (vkey && name == NULL && origin == NULL)
		return outlet_export(cli, 1);
	if (custody_keystore_find(NULL, name, &found, NULL, &pub, &err) != 0)
		return cli_key_fail(err);
	if (vkey) {
		if (origin == NULL) {
			if (cli_open(cli, &archive) != EXIT_OK)
				goto done;
			origin = custody_archive_origin(archive);
		}
		if (custody_pubkey_vkey(pub, origin, &text, &err) != 0) {
			rc = cli_fail(err);
			goto done;
		}
		rc = print_export(cli, found.ptr, 0, "vkey", pub, text.ptr);
		goto done;
	}
	if (custody_pubkey_openssh(pub, &text, &err) != 0) {
		rc = cli_fail(err);
		goto done;
	}
	if ((allowed_signers ? asprintf(&line, "%s namespaces=\"git,custody\" "
	    "%s", found.ptr, text.ptr) : asprintf(&line, "%s %s", text.ptr,
	    found.ptr)) < 0) {
		cli_oom();
		line = NULL;
		goto done;
	}
	rc = print_export(cli, found.ptr, 0, allowed_signers ?
		"allowed-signers" : "openssh", pub, line);
done:
	free(line);
	custody_archive_free(archive);
	custody_pubkey_free(pub);
	custody_buf_dispose(&found);
	custody_buf_dispose(&text);
	return rc;
}

int cmd_key(int argc, char **argv)
{
	static const struct option own[] = {
		{ "vkey", no_argument, NULL, 'v' },
		{ "origin", required_argument, NULL, 'o' },
		{ "allowed-signers", no_argument, NULL, 's' },
		{ "outlet", no_argument, NULL, 'O' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_options options = {
		.command = "key", .help = help,
		.common = CLI_PASSPHRASE_FILE | CLI_ARCHIVE | CLI_JSON,
		.own = own, .getopt_messages = 1,
	};
	struct cli cli;
	const char *origin = NULL, *verb;
	int vkey = 0, allowed_signers = 0, outlet = 0, c, nargs;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0) {
		switch (c) {
		case 'v': vkey = 1; break;
		case 'o': origin = optarg; break;
		case 's': allowed_signers = 1; break;
		case 'O': outlet = 1; break;
		}
	}
	if (c < 0)
		return cli.status;
	if (optind >= argc)
		return cli_usage("key", "say new, import, list or export");
	verb = argv[optind++];
	nargs = argc - optind;
	if (strcmp(verb, "new") == 0) {
		if (nargs > 1)
			return cli_usage("key", "key new takes at most a NAME");
		return key_new(nargs ? argv[optind] : NULL,
			cli.passphrase_file, cli.json);
	}
	if (strcmp(verb, "import") == 0) {
		if (nargs < 1 || nargs > 2)
			return cli_usage("key", "key import wants FILE [NAME]");
		return key_import(argv[optind], nargs > 1 ? argv[optind + 1] :
			NULL, cli.passphrase_file, cli.json);
	}
	if (strcmp(verb, "list") == 0) {
		if (nargs > 0)
			return cli_usage("key", "key list takes no arguments");
		return key_list(cli.json);
	}
	if (strcmp(verb, "export") == 0) {
		if (nargs > 1)
			return cli_usage("key", "key export takes at most a NAME");
		if (vkey && allowed_signers)
			return cli_usage("key", "--vkey and --allowed-signers "
				"do not go together");
		if (outlet && (nargs || allowed_signers || origin))
			return cli_usage("key", "--outlet names the archive's "
				"outlet key: no NAME, --origin or "
				"--allowed-signers");
		if (outlet)
			return outlet_export(&cli, vkey);
		if (origin != NULL && !vkey)
			return cli_usage("key", "--origin goes with --vkey");
		if (cli_check_value("key", "--origin", CUSTODY_FIELD_ORIGIN,
		    origin))
			return EXIT_USAGE;
		/* a verifier key is NAME+ID+KEY: its name holds no '+' */
		if (origin != NULL && strchr(origin, '+') != NULL)
			return cli_usage("key", "--origin '%s' cannot name a "
				"verifier key: it holds a '+'", origin);
		return key_export(&cli, nargs ? argv[optind] : NULL, vkey,
			origin, allowed_signers);
	}
	return cli_usage("key", "'%s' is not new, import, list or export",
		verb);
}
