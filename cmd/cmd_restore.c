#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static const char help[] =
"usage: custody restore PATH [--version N] [-o FILE] [--force]\n"
"                       [--archive DIR]\n"
"\n"
"Give back a stored version of a registered document, byte for byte,\n"
"after checking it against its entry's SHA-256.\n"
"\n"
"  --version N        the version to restore (default: the latest)\n"
"  -o, --output FILE  write to FILE (- for standard output) instead of the\n"
"                     document's place in the collection\n"
"  --force            replace a different file already at the destination\n"
"  --archive DIR      the archive (or CUSTODY_ARCHIVE)\n"
"\n"
"Examples:\n"
"  custody restore memos/budget.txt --version 1 -o old.txt\n"
"  custody restore memos/budget.txt --force\n";

int cmd_restore(int argc, char **argv)
{
	static const struct option own[] = {
		{ "version", required_argument, NULL, 'v' },
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_options options = {
		.command = "restore", .help = help,
		.common = CLI_ARCHIVE, .own = own, .short_options = "o:",
	};
	custody_archive *archive = NULL;
	custody_error *err = NULL;
	struct cli cli;
	uint64_t version = 0;
	const char *dest = NULL;
	int c, force = 0, rc;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0) {
		switch (c) {
		case 'v':
			if (cli_parse_u64(optarg, &version) != 0 ||
			    version == 0)
				return cli_usage("restore", "--version wants "
					"a number from 1, not '%s'", optarg);
			break;
		case 'o': dest = optarg; break;
		case 'f': force = 1; break;
		}
	}
	if (c < 0)
		return cli.status;
	if (argc - optind != 1)
		return cli_usage("restore", "name one registered document");
	if (cli_open(&cli, &archive) != EXIT_OK)
		return EXIT_FAILED;
	rc = custody_archive_restore(archive, argv[optind], version, dest,
		force, &err);
	custody_archive_free(archive);
	if (rc != 0)
		return cli_fail(err);
	if (dest == NULL || strcmp(dest, "-") != 0)
		fprintf(stderr, "restored %s%s%s\n", cli_name(argv[optind]),
			dest ? " to " : "", dest ? cli_name(dest) : "");
	return EXIT_OK;
}
