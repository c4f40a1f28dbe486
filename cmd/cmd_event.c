#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "keys.h"

static const char help[] =
"usage: custody event DOC --action ACTION [--from A] [--to B] [--at TIME]\n"
"                     [--note TEXT] [--backdate-reason TEXT] [--json]\n"
"\n"
"Record what happened to a registered document: one entry naming the\n"
"document (its latest version, by entry and digest), in one signed\n"
"commit. `custody log DOC` shows the chain of custody.\n"
"\n"
"  --action ACTION   received, transferred, copied, accessed, verified,\n"
"                    sealed (stored offline), returned, destroyed, note\n"
"  --from A, --to B  who or where: labels the newsroom chooses; never a\n"
"                    source's identity, only an opaque label\n"
"  --at TIME         when it happened, YYYY-MM-DDTHH:MM:SSZ (default:\n"
"                    now); before the document's registration only\n"
"                    with --backdate-reason\n"
"  --backdate-reason TEXT  why it is recorded after the fact (kept with\n"
"                    the event)\n"
"  --note TEXT       a note (at most 4096 bytes)\n"
"  --wait SECONDS    wait this long if another process holds the archive\n"
"  --key NAME        sign with this key (or CUSTODY_KEY)\n"
"  --passphrase-file FILE  read the key's passphrase from FILE\n"
"  --archive DIR     the archive (or CUSTODY_ARCHIVE)\n"
"  --json            print the result as JSON\n"
"\n"
"Examples:\n"
"  custody event memo.pdf --action transferred --from desk --to lawyer\n"
"  custody event memo.pdf --action sealed --note 'safe 2, shelf 3'\n"
"  custody event memo.pdf --action received --at 2026-01-05T09:30:00Z \\\n"
"      --backdate-reason 'logged a day late'\n";

int cmd_event(int argc, char **argv)
{
	static const struct option own[] = {
		{ "action", required_argument, NULL, 'A' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "at", required_argument, NULL, 'T' },
		{ "note", required_argument, NULL, 'N' },
		{ "backdate-reason", required_argument, NULL, 'B' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_options options = {
		.command = "event", .help = help,
		.common = CLI_WAIT | CLI_KEY | CLI_PASSPHRASE_FILE |
			CLI_ARCHIVE | CLI_JSON,
		.own = own,
	};
	custody_event_options opts = CUSTODY_EVENT_OPTIONS_INIT;
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
		case 'A': opts.action = optarg; break;
		case 'f': opts.from = optarg; break;
		case 't': opts.to = optarg; break;
		case 'T': opts.at = optarg; break;
		case 'N': opts.note = optarg; break;
		case 'B': opts.backdate_reason = optarg; break;
		}
	}
	if (c < 0)
		return cli.status;
	opts.lock_wait_ms = cli.wait_ms;
	if (argc - optind != 1)
		return cli_usage("event", "name one registered document");
	if (opts.action == NULL)
		return cli_usage("event", "say what happened with --action");
	if (cli_check_value("event", "--action", CUSTODY_FIELD_EVENT_ACTION,
	    opts.action) || cli_check_value("event", "--from",
	    CUSTODY_FIELD_LABEL, opts.from) || cli_check_value("event",
	    "--to", CUSTODY_FIELD_LABEL, opts.to) || cli_check_value("event",
	    "--at", CUSTODY_FIELD_TIME, opts.at) || cli_check_value("event",
	    "--backdate-reason", CUSTODY_FIELD_LABEL, opts.backdate_reason) ||
	    cli_check_value("event", "--note", CUSTODY_FIELD_NOTE, opts.note))
		return EXIT_USAGE;
	if (cli_open_signed(&cli, cli.key_name, cli.passphrase_file, &archive,
	    &key) != EXIT_OK)
		return EXIT_FAILED;
	rc = custody_archive_event(archive, argv[optind], &opts, &index,
		commit, &err);
	custody_archive_free(archive);
	custody_key_free(key);
	if (rc != 0)
		return cli_fail(err);
	if (cli.json) {
		json_begin("event");
		printf(",\"entry\":%" PRIu64 ",\"action\":", index);
		json_string(stdout, opts.action);
		fputs(",\"commit\":", stdout);
		json_string(stdout, commit);
		json_end();
	} else {
		printf("recorded %s of %s: entry %" PRIu64 ", commit %.12s\n",
			cli_text(opts.action), cli_name(argv[optind]), index,
			commit);
	}
	return EXIT_OK;
}
