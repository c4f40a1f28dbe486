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
"  --json          print the result as JSON\n";

int cmd_publish(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "title", required_argument, NULL, 't' },
		{ "at", required_argument, NULL, 'T' },
		{ "note", required_argument, NULL, 'N' },
		{ "wait", required_argument, NULL, 'w' },
		{ "key", required_argument, NULL, 'k' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "archive", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	custody_publish_options opts = CUSTODY_PUBLISH_OPTIONS_INIT;
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
		case 'u': opts.url = optarg; break;
		case 't': opts.title = optarg; break;
		case 'T': opts.published = optarg; break;
		case 'N': opts.note = optarg; break;
		case 'w':
			if (cli_parse_wait("publish", optarg, &opts.lock_wait_ms)
			    != EXIT_OK)
				return EXIT_USAGE;
			break;
		case 'k': key_name = optarg; break;
		case 'p': passphrase_file = optarg; break;
		case 'a': cli.archive = optarg; break;
		case 'j': cli.json = 1; break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default:
			return cli_usage("publish", "unknown or incomplete "
				"option '%s'", argv[optind - 1]);
		}
	}
	if (optind == argc)
		return cli_usage("publish", "name the published documents");
	if (opts.url == NULL)
		return cli_usage("publish", "say where with --url URL");
	if (cli_open_signed(&cli, key_name, passphrase_file, &archive, &key)
	    != EXIT_OK)
		return EXIT_FAILED;
	rc = custody_archive_publish(archive, (const char *const *)argv +
		optind, (size_t)(argc - optind), &opts, &index, commit, &err);
	custody_archive_free(archive);
	custody_key_free(key);
	if (rc != 0)
		return cli_fail(err);
	if (cli.json) {
		printf("{\"entry\":%" PRIu64 ",\"documents\":%d,\"url\":",
			index, argc - optind);
		json_string(stdout, opts.url);
		fputs(",\"commit\":", stdout);
		json_string(stdout, commit);
		fputs("}\n", stdout);
	} else {
		printf("published %d document%s at %s: entry %" PRIu64
			", commit %.12s\n", argc - optind,
			argc - optind == 1 ? "" : "s", opts.url, index, commit);
	}
	return EXIT_OK;
}
