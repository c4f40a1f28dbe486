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
"  --json               print the result as JSON\n";

int cmd_derive(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "action", required_argument, NULL, 'A' },
		{ "note", required_argument, NULL, 'N' },
		{ "no-store", no_argument, NULL, 'n' },
		{ "store", no_argument, NULL, 's' },
		{ "wait", required_argument, NULL, 'w' },
		{ "key", required_argument, NULL, 'k' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "archive", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	custody_derive_options opts = CUSTODY_DERIVE_OPTIONS_INIT;
	custody_archive *archive = NULL;
	custody_key *key = NULL;
	custody_error *err = NULL;
	const char *key_name = NULL, *passphrase_file = NULL;
	char commit[41];
	struct cli cli;
	uint64_t index;
	int c, rc;

	cli_init(&cli);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'A': opts.derivation = optarg; break;
		case 'N': opts.note = optarg; break;
		case 'n': opts.store = 0; break;
		case 's': opts.store = 1; break;
		case 'w':
			if (cli_parse_wait("derive", optarg, &opts.lock_wait_ms)
			    != EXIT_OK)
				return EXIT_USAGE;
			break;
		case 'k': key_name = optarg; break;
		case 'p': passphrase_file = optarg; break;
		case 'a': cli.archive = optarg; break;
		case 'j': cli.json = 1; break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default:
			return cli_usage("derive", "unknown or incomplete "
				"option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		return cli_usage("derive", "want ORIGINAL and NEW");
	if (opts.derivation == NULL)
		return cli_usage("derive", "say how NEW was made with --action");
	if (cli_open_signed(&cli, key_name, passphrase_file, &archive, &key)
	    != EXIT_OK)
		return EXIT_FAILED;
	rc = custody_archive_derive(archive, argv[optind], argv[optind + 1],
		&opts, &index, commit, &err);
	custody_archive_free(archive);
	custody_key_free(key);
	if (rc != 0)
		return cli_fail(err);
	if (cli.json) {
		printf("{\"entry\":%" PRIu64 ",\"derivation\":", index);
		json_string(stdout, opts.derivation);
		fputs(",\"commit\":", stdout);
		json_string(stdout, commit);
		fputs("}\n", stdout);
	} else {
		printf("registered %s (%s of %s): entry %" PRIu64 ", commit "
			"%.12s\n", cli_name(argv[optind + 1]),
			cli_text(opts.derivation), cli_name(argv[optind]),
			index, commit);
	}
	return EXIT_OK;
}
