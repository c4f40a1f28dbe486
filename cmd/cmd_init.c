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
"                    [--media-types libmagic|none] [--log-key NAME]\n"
"                    [--passphrase-file FILE]\n"
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
"  --media-types libmagic|none  how registrations record a media type:\n"
"                  libmagic's reading of the content (the default), or\n"
"                  none, for collections where hashing speed matters more\n"
"                  (entries then have no media_type; fixed for good)\n"
"  --key NAME      your signing key (or CUSTODY_KEY; default: the only\n"
"                  key in the key folder; make one with `custody key new`)\n"
"  --log-key NAME  the outlet key: NAME in the key folder's log/ if it is\n"
"                  there, else a new key of that name (default: the key\n"
"                  named after the origin, made if it is not there)\n"
"  --passphrase-file FILE  read the key's passphrase from FILE (or\n"
"                  CUSTODY_PASSPHRASE; default: ask on the terminal)\n"
"  --archive DIR   put the archive in DIR instead (or CUSTODY_ARCHIVE);\n"
"                  the collection folder is remembered in its config\n"
"  --json          print the result as JSON\n"
"\n"
"Examples:\n"
"  custody init --origin example.org/china-cables\n"
"  custody init --origin example.org/leaks --no-store --sha512\n"
"  custody init --origin example.org/pandora --no-store --media-types none\n";

int cmd_init(int argc, char **argv)
{
	static const struct option own[] = {
		{ "origin", required_argument, NULL, 'o' },
		{ "no-store", no_argument, NULL, 'n' },
		{ "sha512", no_argument, NULL, '5' },
		{ "media-types", required_argument, NULL, 'm' },
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
	const char *log_key_name = NULL, *media_types = "libmagic";
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
		case 'm': media_types = optarg; break;
		}
	}
	if (c < 0)
		return cli.status;
	if (optind != argc)
		return cli_usage("init", "unexpected argument '%s'",
			argv[optind]);
	if (strcmp(media_types, "none") == 0)
		opts.no_media_types = 1;
	else if (strcmp(media_types, "libmagic") != 0)
		return cli_usage("init", "--media-types must be libmagic or "
			"none, not '%s'", media_types);
	if (cli_check_value("init", "--origin", CUSTODY_FIELD_ORIGIN,
	    opts.origin))
		return EXIT_USAGE;
	opts.archive_path = cli.archive;
	if (cli_signing_key(cli.key_name, cli.passphrase_file, &key,
	    &member) != EXIT_OK)
		return EXIT_FAILED;
	if (cli_outlet_key_named(log_key_name, opts.origin, cli.passphrase_file,
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
		json_begin("init");
		fputs(",\"archive\":", stdout);
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
		json_end();
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
