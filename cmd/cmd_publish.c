#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "keys.h"

static const char help[] =
"usage: custody publish DOC... --url URL [--title T] [--at TIME]\n"
"                       [--note TEXT] [--key NAME] [--json]\n"
"\n"
"Record that registered documents were published: one publish entry\n"
"naming each document (the entry that registered it and its SHA-256),\n"
"where and when, in one signed commit with a new signed checkpoint.\n"
"Each DOC is rehashed first and must be exactly as registered.\n"
"`custody log --published` lists what was published; `custody proof`\n"
"makes the file a fact-checker needs.\n"
"\n"
"  --url URL       where the documents went out (http or https)\n"
"  --title T       the publication's title\n"
"  --at TIME       when, as YYYY-MM-DDTHH:MM:SSZ (default: now)\n"
"  --note TEXT     a note on the entry\n"
"  --wait SECONDS  wait this long if another process holds the archive\n"
"  --key NAME      sign with this key (or CUSTODY_KEY)\n"
"  --passphrase-file FILE  read the key's passphrase from FILE (or\n"
"                  CUSTODY_PASSPHRASE; default: ask on the terminal)\n"
"  --archive DIR   the archive (or CUSTODY_ARCHIVE)\n"
"  --json          print the result as JSON\n"
"\n"
"Examples:\n"
"  custody publish memo-redacted.pdf --url https://example.org/story\n"
"  custody publish a.pdf b.pdf --url https://example.org/s --title 'Memos'\n";

int cmd_publish(int argc, char **argv)
{
	static const struct option own[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "title", required_argument, NULL, 't' },
		{ "at", required_argument, NULL, 'T' },
		{ "note", required_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_options options = {
		.command = "publish", .help = help,
		.common = CLI_WAIT | CLI_KEY | CLI_PASSPHRASE_FILE |
			CLI_ARCHIVE | CLI_JSON,
		.own = own,
	};
	custody_publish_options opts = CUSTODY_PUBLISH_OPTIONS_INIT;
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
		case 'u': opts.url = optarg; break;
		case 't': opts.title = optarg; break;
		case 'T': opts.published = optarg; break;
		case 'N': opts.note = optarg; break;
		}
	}
	if (c < 0)
		return cli.status;
	opts.lock_wait_ms = cli.wait_ms;
	if (optind == argc)
		return cli_usage("publish", "name the published documents");
	if (opts.url == NULL)
		return cli_usage("publish", "say where with --url URL");
	if (cli_check_value("publish", "--url", CUSTODY_FIELD_URL, opts.url) ||
	    cli_check_value("publish", "--title", CUSTODY_FIELD_LABEL,
	    opts.title) || cli_check_value("publish", "--at",
	    CUSTODY_FIELD_TIME, opts.published) || cli_check_value("publish",
	    "--note", CUSTODY_FIELD_NOTE, opts.note))
		return EXIT_USAGE;
	if (cli_open_signed(&cli, cli.key_name, cli.passphrase_file, &archive,
	    &key) != EXIT_OK)
		return EXIT_FAILED;
	rc = custody_archive_publish(archive, (const char *const *)argv +
		optind, (size_t)(argc - optind), &opts, &index, commit, &err);
	custody_archive_free(archive);
	custody_key_free(key);
	if (rc != 0)
		return cli_fail(err);
	if (cli.json) {
		json_begin("publish");
		printf(",\"entry\":%" PRIu64 ",\"documents\":%d,\"url\":",
			index, argc - optind);
		json_string(stdout, opts.url);
		fputs(",\"commit\":", stdout);
		json_string(stdout, commit);
		json_end();
	} else {
		printf("published %d document%s at %s: entry %" PRIu64
			", commit %.12s\n", argc - optind,
			argc - optind == 1 ? "" : "s", opts.url, index, commit);
	}
	return EXIT_OK;
}
