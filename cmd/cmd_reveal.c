#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "keys.h"

#ifndef CUSTODY_CHECK_ONLY /* the check-only build opens no archive */
static const char help[] =
"usage: custody reveal DOC [-o FILE] [--force] [--archive DIR]\n"
"\n"
"Write the disclosure an outlet may choose to make (to a court, say) of\n"
"the original a derivative DOC was made from: the proofs of both entries\n"
"at one checkpoint. The original's entry, with its digest, is in it: it\n"
"is a deliberate disclosure. `custody check-reveal` checks it offline.\n"
"\n"
"  -o, --output FILE  write it to FILE (default: standard output)\n"
"  --force            replace FILE if it exists\n"
"\n"
"Examples:\n"
"  custody reveal memo-redacted.pdf -o memo.disclosure\n";

int cmd_reveal(int argc, char **argv)
{
	static const struct option own[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_options options = {
		.command = "reveal", .help = help,
		.common = CLI_ARCHIVE, .own = own, .short_options = "o:",
	};
	custody_archive *archive = NULL;
	custody_error *err = NULL;
	custody_buf out = CUSTODY_BUF_INIT;
	const char *output = NULL;
	struct cli cli;
	int c, rc, force = 0;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0) {
		switch (c) {
		case 'o': output = optarg; break;
		case 'F': force = 1; break;
		}
	}
	if (c < 0)
		return cli.status;
	if (argc - optind != 1)
		return cli_usage("reveal", "name one derivative");
	if (cli_check_output(output, force) != EXIT_OK)
		return EXIT_FAILED;
	if (cli_open(&cli, &archive) != EXIT_OK)
		return EXIT_FAILED;
	rc = custody_archive_reveal(archive, argv[optind], &out, &err);
	custody_archive_free(archive);
	if (rc != 0)
		return cli_fail(err);
	rc = cli_write_output(output, out.ptr, out.size, force);
	custody_buf_dispose(&out);
	return rc;
}
#endif

static const char check_help[] =
"usage: custody check-reveal DISCLOSURE --key KEY [--original FILE]\n"
"                            [--derivative FILE] [--json]\n"
"\n"
"Check a disclosure offline: both proofs hold under one checkpoint signed\n"
"by KEY, the derivative's entry links to the disclosed original's entry\n"
"(by index and leaf hash), and the files, when given, are the documents\n"
"the entries describe. Exit 0 only if every check passes.\n"
"\n"
"Examples:\n"
"  custody check-reveal memo.disclosure --key outlet.vkey\n"
"  custody check-reveal memo.disclosure --key outlet.vkey \\\n"
"      --original memo.pdf --derivative memo-redacted.pdf\n";

int cmd_check_reveal(int argc, char **argv)
{
	static const struct option own[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "original", required_argument, NULL, 'O' },
		{ "derivative", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_options options = {
		.command = "check-reveal", .help = check_help,
		.common = CLI_JSON, .own = own,
	};
	custody_reveal_result r;
	custody_error *err = NULL;
	const char *key = NULL, *original = NULL, *derivative = NULL;
	char *text = NULL, *key_text = NULL;
	size_t len;
	struct cli cli;
	int c, rc = EXIT_FAILED;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0) {
		switch (c) {
		case 'k': key = optarg; break;
		case 'O': original = optarg; break;
		case 'D': derivative = optarg; break;
		}
	}
	if (c < 0)
		return cli.status;
	if (argc - optind != 1 || key == NULL)
		return cli_usage("check-reveal", "want DISCLOSURE and --key");
	if (cli_read_text_file(argv[optind], 16 << 20, &text, &len) != EXIT_OK)
		return EXIT_FAILED;
	if (cli_key_text(key, &key_text) != EXIT_OK)
		goto done;
	if (custody_reveal_check(text, len, key_text, original, derivative,
	    &r, &err) != 0) {
		if (cli.json) {
			json_begin("check-reveal");
			fputs(",\"ok\":false,\"failed_step\":", stdout);
			json_string(stdout, r.failed_step);
			fputs(",\"error\":", stdout);
			json_string(stdout, cli_error_text(err));
			json_end();
		}
		cli_error("check-reveal failed at step '%s': %s",
			r.failed_step, cli_error_text(err));
		custody_error_free(err);
		goto done;
	}
	if (cli.json) {
		json_begin("check-reveal");
		printf(",\"ok\":true,\"derivative\":%" PRIu64
			",\"original\":%" PRIu64 ",\"derivation\":",
			r.derivative, r.original);
		json_string(stdout, r.derivation);
		fputs(",\"original_path\":", stdout);
		json_string(stdout, r.original_path);
		fputs(",\"original_sha256\":", stdout);
		json_string(stdout, r.original_sha256);
		printf(",\"original_file_checked\":%s",
			r.original_file_checked ? "true" : "false");
		json_end();
	} else {
		printf("OK: %s (entry %" PRIu64 ") was made by %s from %s "
			"(entry %" PRIu64 "), both in the log %s at size %"
			PRIu64 "\n", cli_name(r.derivative_path),
			r.derivative, cli_text(r.derivation),
			cli_name(r.original_path), r.original,
			r.origin, r.tree_size);
		printf("  original SHA-256 %s%s\n", r.original_sha256,
			r.original_file_checked ? " (the file given matches)" :
			" (no file given to compare)");
	}
	rc = EXIT_OK;
done:
	free(text);
	free(key_text);
	return rc;
}
