#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "verifier_page.h"

static const char help[] =
"usage: custody verifier [-o FILE [--force]] [--json]\n"
"\n"
"The offline check as one web page: `custody check` in a browser, for\n"
"fact-checkers who will not install anything. Open the file from disk\n"
"or put it on any static web server; it loads nothing from anywhere.\n"
"The reader chooses the document, its proof and the outlet key (or the\n"
"witness policy), and the page runs the check's steps with the same\n"
"verdicts, hashing a big document in pieces.\n"
"\n"
"The page is built from web/verifier/ with the custody it comes with,\n"
"byte for byte the same from the same source. Its SHA-256 is printed\n"
"(as sha256sum prints it), so that a reader can compare a copy saved\n"
"earlier with this one. Without -o, only the SHA-256 is printed.\n"
"\n"
"  -o, --output FILE  write the page to FILE\n"
"  --force            replace FILE if it exists\n"
"  --json             {sha256, size, output}\n"
"\n"
"Examples:\n"
"  custody verifier -o verify.html\n"
"  custody verifier --json\n"
"\n"
"Exit status: 0 written (or printed), 1 error, 2 usage.\n";

int cmd_verifier(int argc, char **argv)
{
	static const struct option own[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_options options = {
		.command = "verifier", .help = help, .common = CLI_JSON,
		.own = own, .short_options = "o:",
	};
	const char *output = NULL;
	struct cli cli;
	int force = 0, c, rc;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0) {
		switch (c) {
		case 'o': output = optarg; break;
		case 'f': force = 1; break;
		}
	}
	if (c < 0)
		return cli.status;
	if (optind != argc)
		return cli_usage("verifier", "unexpected argument '%s'",
			argv[optind]);
	if (force && output == NULL)
		return cli_usage("verifier", "--force needs -o FILE");
	if (output != NULL && strcmp(output, "-") == 0)
		return cli_usage("verifier", "-o wants a file name (the page "
			"is not written to standard output)");
	if (custody_verifier_page_size == 0) {
		cli_error("this custody was built without the verifier page "
			"(it needs node and web/node_modules: ./dev.sh build)");
		return EXIT_FAILED;
	}
	if (output != NULL) {
		if (!force && access(output, F_OK) == 0) {
			cli_error("%s: exists; use --force to replace it", output);
			return EXIT_FAILED;
		}
		rc = force ? cli_write_file(output, custody_verifier_page,
			custody_verifier_page_size) :
			cli_write_new_file(output, custody_verifier_page,
			custody_verifier_page_size);
		if (rc != EXIT_OK)
			return rc;
	}
	if (cli.json) {
		json_begin("verifier");
		printf(",\"sha256\":\"%s\",\"size\":%zu,\"output\":",
			custody_verifier_page_sha256,
			custody_verifier_page_size);
		json_string(stdout, output);
		json_end();
	} else {
		printf("%s  %s\n", custody_verifier_page_sha256,
			output != NULL ? output : "verify.html");
	}
	return EXIT_OK;
}
