#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static const char help[] =
"usage: custody proof DOC [--version N] [-o FILE] [--archive DIR]\n"
"\n"
"Write the one file a fact-checker needs, with the document and the\n"
"outlet's public key, to check offline that this exact document was\n"
"registered in this log (`custody check`). It holds the document's\n"
"entry, its inclusion proof, the signed checkpoint and, when the\n"
"checkpoint has one, its RFC 3161 timestamp (docs/proof-format.md).\n"
"About other entries it reveals only their salted hashes.\n"
"\n"
"  --version N        the version to prove (default: the latest)\n"
"  -o, --output FILE  write the proof to FILE (default: standard output)\n";

int cmd_proof(int argc, char **argv)
{
	static const struct option own[] = {
		{ "version", required_argument, NULL, 'v' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_options options = {
		.command = "proof", .help = help,
		.common = CLI_ARCHIVE, .own = own, .short_options = "o:",
	};
	custody_archive *archive = NULL;
	custody_error *err = NULL;
	custody_buf proof = CUSTODY_BUF_INIT;
	const char *output = NULL;
	struct cli cli;
	uint64_t version = 0;
	int c, rc;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0) {
		switch (c) {
		case 'v':
			if (cli_parse_u64(optarg, &version) != 0 ||
			    version == 0)
				return cli_usage("proof", "--version wants a "
					"number from 1, not '%s'", optarg);
			break;
		case 'o': output = optarg; break;
		}
	}
	if (c < 0)
		return cli.status;
	if (argc - optind != 1)
		return cli_usage("proof", "name one registered document");
	if (cli_open(&cli, &archive) != EXIT_OK)
		return EXIT_FAILED;
	rc = custody_archive_proof(archive, argv[optind], version, &proof,
		&err);
	custody_archive_free(archive);
	if (rc != 0)
		return cli_fail(err);
	rc = cli_write_file(output, proof.ptr, proof.size);
	custody_buf_dispose(&proof);
	if (rc == EXIT_OK && output != NULL && strcmp(output, "-") != 0)
		fprintf(stderr, "custody: proof of %s written to %s\n",
			argv[optind], output);
	return rc;
}
