#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "keys.h"

static const char help[] =
"usage: custody log-key rotate NEW [--note TEXT] [--key NAME]\n"
"                              [--passphrase-file FILE] [--wait SECONDS]\n"
"                              [--json] [--archive DIR]\n"
"\n"
"Replace the outlet key (the log key that signs every checkpoint) with\n"
"NEW: a key of that name in the key folder's log/, made there if it is\n"
"not (encrypted, 0600, never in the archive). Only the holder of the\n"
"key in force can rotate it. One log entry in one commit: it names the\n"
"new key and the old one and is signed by both; custody.yaml then names\n"
"the new key, and the new key signs this commit's checkpoint and every\n"
"later one. If the checkpoint at head does not cover every entry, the\n"
"old key first signs one that does, so all that came before verifies\n"
"with the old key.\n"
"\n"
"Readers who hold the old key keep checking older proofs with it. A\n"
"newer proof carries the rotation, and `custody check` with the old key\n"
"says that the key was rotated and names the new one, which the old key\n"
"endorsed. Publish the new key (`custody key export --vkey`).\n"
"\n"
"After a compromise, rotate at once and tell readers the size from which\n"
"the old key is no longer to be trusted. The rotation proves that the\n"
"holder of the old key handed over at that entry; it does not stop a\n"
"thief who has the old key from signing a different history, and a\n"
"reader who knows only the old key cannot tell that history from the\n"
"true one. Saved checkpoints, partners and witnesses can: two signed\n"
"checkpoints that cannot both be true are evidence of the fork.\n"
"\n"
"  --note TEXT     a note on the entry (kept private)\n"
"  --key NAME      sign the commit with this member key (or CUSTODY_KEY)\n"
"  --passphrase-file FILE  read the passphrases from FILE (or\n"
"                  CUSTODY_PASSPHRASE; default: ask on the terminal)\n"
"  --wait SECONDS  wait this long if another process holds the archive\n"
"  --archive DIR   the archive (or CUSTODY_ARCHIVE)\n"
"  --json          {index, log_key, previous_log_key, commit}\n"
"\n"
"Examples:\n"
"  custody log-key rotate example.org-leaks-2027 --note 'yearly rotation'\n";

/* rotate's options; the command alone shares them, as it shares the
 * help */
static const struct option own[] = {
	{ "note", required_argument, NULL, 'N' },
	{ NULL, 0, NULL, 0 }
};

static int rotate(int argc, char **argv)
{
	static const struct cli_options options = {
		.command = "log-key", .help = help, .own = own,
		.common = CLI_KEY | CLI_PASSPHRASE_FILE | CLI_ARCHIVE |
			CLI_JSON | CLI_WAIT,
	};
	custody_archive *archive = NULL;
	custody_key *key = NULL, *next = NULL;
	custody_error *err = NULL;
	const custody_key *old = NULL;
	const char *note = NULL;
	char commit[CUSTODY_COMMIT_ID_SIZE], name[128], *before = NULL;
	struct cli cli;
	uint64_t index = 0;
	int c, rc = EXIT_FAILED;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0)
		if (c == 'N')
			note = optarg;
	if (c < 0)
		return cli.status;
	if (optind == argc)
		return cli_usage("log-key", "rotate wants the name of the new "
			"key");
	if (optind + 1 != argc)
		return cli_usage("log-key", "unexpected argument '%s'",
			argv[optind + 1]);
	if (cli_check_value("log-key", "--note", CUSTODY_FIELD_NOTE, note))
		return EXIT_USAGE;
	if (cli_open_signed(&cli, cli.key_name, cli.passphrase_file, &archive,
	    &key) != EXIT_OK)
		return EXIT_FAILED;
	if (cli_load_outlet_key(archive, cli.passphrase_file, &old) !=
	    EXIT_OK)
		goto done;
	if (old == NULL) {
		cli_error("this key folder does not hold the outlet key of %s "
			"(%s): only its holder can rotate it",
			custody_archive_origin(archive),
			custody_archive_log_key(archive));
		goto done;
	}
	if ((before = strdup(custody_archive_log_key(archive))) == NULL) {
		cli_oom();
		goto done;
	}
	if (cli_outlet_key_named(argv[optind], NULL, cli.passphrase_file,
	    &next, name, sizeof(name)) != EXIT_OK)
		goto done;
	if (custody_archive_rotate_log_key(archive, next, note, cli.wait_ms,
	    &index, commit, &err) != 0) {
		rc = cli_fail(err);
		goto done;
	}
	if (cli.json) {
		json_begin("log-key-rotate");
		printf(",\"index\":%" PRIu64 ",\"log_key\":", index);
		json_string(stdout, custody_archive_log_key(archive));
		fputs(",\"previous_log_key\":", stdout);
		json_string(stdout, before);
		printf(",\"commit\":\"%s\"", commit);
		json_end();
	} else {
		printf("rotated the outlet key at entry %" PRIu64 ": commit "
			"%.12s\n  old %s\n  new %s (%s)\n", index, commit,
			before, custody_archive_log_key(archive), name);
	}
	rc = EXIT_OK;
done:
	custody_archive_free(archive);
	custody_key_free(next);
	custody_key_free(key);
	free(before);
	return rc;
}

int cmd_log_key(int argc, char **argv)
{
	static const struct cli_options options = {
		.command = "log-key", .help = help, .own = own,
		.common = CLI_KEY | CLI_PASSPHRASE_FILE | CLI_ARCHIVE |
			CLI_JSON | CLI_WAIT,
	};
	struct cli cli;
	int c;

	if (argc > 1 && strcmp(argv[1], "rotate") == 0)
		return rotate(argc - 1, argv + 1);
	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0)
		;
	if (c < 0)
		return cli.status;
	if (optind < argc)
		return cli_usage("log-key", "unknown subcommand '%s' (there "
			"is: rotate)", argv[optind]);
	return cli_usage("log-key", "want a subcommand: rotate");
}
