#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "keys.h"

static const char help[] =
"usage: custody derive ORIGINAL NEW --action DERIVATION [--note TEXT]\n"
"                      [--no-store|--store] [--json]\n"
"\n"
"Register NEW (one file) as made from the registered document ORIGINAL:\n"
"like `custody add NEW`, and the entry also names ORIGINAL's entry and the\n"
"hash of that entry (its salted leaf hash), never ORIGINAL's digest, so a\n"
"proof of NEW shows that an original was registered earlier without\n"
"revealing which file it is. `custody reveal NEW` discloses it, if the\n"
"outlet ever chooses to. A derivative can itself be derived from.\n"
"\n"
"  --action DERIVATION  redact, translate, ocr, excerpt, convert,\n"
"                       watermark-removal\n"
"  --note TEXT          a note on the entry\n"
"  --no-store, --store  keep NEW's content or only its hashes\n"
"  --wait SECONDS       wait this long if another process holds the archive\n"
"  --key NAME           sign with this key (or CUSTODY_KEY)\n"
"  --passphrase-file FILE  read the key's passphrase from FILE\n"
"  --archive DIR        the archive (or CUSTODY_ARCHIVE)\n"
"  --json               print the result as JSON\n"
"\n"
"Examples:\n"
"  custody derive memo.pdf memo-redacted.pdf --action redact\n"
"  custody derive memo-de.pdf memo-en.pdf --action translate\n";

int cmd_derive(int argc, char **argv)
{
	static const struct option own[] = {
		{ "action", required_argument, NULL, 'A' },
		{ "note", required_argument, NULL, 'N' },
		{ "no-store", no_argument, NULL, 'n' },
		{ "store", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_options options = {
		.command = "derive", .help = help,
		.common = CLI_WAIT | CLI_KEY | CLI_PASSPHRASE_FILE |
			CLI_ARCHIVE | CLI_JSON,
		.own = own,
	};
	custody_derive_options opts = CUSTODY_DERIVE_OPTIONS_INIT;
	custody_archive *archive = NULL;
	custody_key *key = NULL;
	custody_error *err = NULL;
	char commit[41];
	struct cli cli;
	uint64_t index;
	int c, rc;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0) {
		switch (c) {
		case 'A': opts.derivation = optarg; break;
		case 'N': opts.note = optarg; break;
		case 'n': opts.store = 0; break;
		case 's': opts.store = 1; break;
		}
	}
	if (c < 0)
		return cli.status;
	opts.lock_wait_ms = cli.wait_ms;
	if (argc - optind != 2)
		return cli_usage("derive", "want ORIGINAL and NEW");
	if (opts.derivation == NULL)
		return cli_usage("derive", "say how NEW was made with --action");
	if (cli_check_value("derive", "--action", CUSTODY_FIELD_DERIVATION,
	    opts.derivation) || cli_check_value("derive", "--note",
	    CUSTODY_FIELD_NOTE, opts.note))
		return EXIT_USAGE;
	if (cli_open_signed(&cli, cli.key_name, cli.passphrase_file, &archive,
	    &key) != EXIT_OK)
		return EXIT_FAILED;
	rc = custody_archive_derive(archive, argv[optind], argv[optind + 1],
		&opts, &index, commit, &err);
	custody_archive_free(archive);
	custody_key_free(key);
	if (rc != 0)
		return cli_fail(err);
	if (cli.json) {
		json_begin("derive");
		printf(",\"entry\":%" PRIu64 ",\"derivation\":", index);
		json_string(stdout, opts.derivation);
		fputs(",\"commit\":", stdout);
		json_string(stdout, commit);
		json_end();
	} else {
		printf("registered %s (%s of %s): entry %" PRIu64 ", commit "
			"%.12s\n", cli_name(argv[optind + 1]),
			cli_text(opts.derivation), cli_name(argv[optind]),
			index, commit);
	}
	return EXIT_OK;
}
