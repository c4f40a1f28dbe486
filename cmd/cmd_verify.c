#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static const char help[] =
"usage: custody verify [--full] [--json] [--archive DIR]\n"
"\n"
"Check the archive itself: every commit only appends entries, with\n"
"consecutive indexes and no rewrite; every entry parses and obeys the\n"
"schema; version chains are sound; documents/ matches the entries;\n"
"git objects read back intact.\n"
"\n"
"  --full   also rehash every registered document on disk (reporting\n"
"           modified and missing files) and every stored blob\n"
"  --json   print the problems and counts as JSON\n"
"\n"
"Examples:\n"
"  custody verify\n"
"  custody verify --full --json >verify.json\n"
"\n"
"Exit status 0 if everything checks out, 1 if any problem was found or\n"
"the check could not run, 2 usage.\n";

struct out {
	int json;
	int first;
};

static int on_problem(const custody_problem *p, void *payload)
{
	struct out *o = payload;

	if (o->json) {
		fputs(o->first ? "" : ",", stdout);
		o->first = 0;
		fputs("{\"where\":", stdout);
		json_string(stdout, p->where);
		fputs(",\"message\":", stdout);
		json_string(stdout, p->message);
		fputc('}', stdout);
	} else {
		cli_progress_end();
		printf("problem: %s: %s\n", cli_text(p->where),
			cli_text(p->message));
	}
	return 0;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option own[] = {
		{ "full", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_options options = {
		.command = "verify", .help = help,
		.common = CLI_ARCHIVE | CLI_JSON, .own = own,
	};
	custody_verify_options opts = CUSTODY_VERIFY_OPTIONS_INIT;
	custody_verify_summary sum;
	custody_archive *archive = NULL;
	custody_error *err = NULL;
	struct out o = { 0, 1 };
	struct cli cli;
	int c, rc;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0) {
		switch (c) {
		case 'f': opts.full = 1; break;
		}
	}
	if (c < 0)
		return cli.status;
	if (optind != argc)
		return cli_usage("verify", "unexpected argument '%s'",
			argv[optind]);
	if (cli_open(&cli, &archive) != EXIT_OK)
		return EXIT_FAILED;
	opts.progress = cli.progress ? cli_progress : NULL;
	o.json = cli.json;
	if (cli.json) {
		json_begin("verify");
		fputs(",\"problems\":[", stdout);
	}
	memset(&sum, 0, sizeof(sum));
	rc = custody_archive_verify(archive, &opts, on_problem, &o, &sum,
		&err);
	cli_progress_end();
	custody_archive_free(archive);
	if (cli.json) {
		printf("],\"ok\":%s,\"full\":%s,\"commits\":%" PRIu64
			",\"signatures\":%" PRIu64 ",\"entries\":%" PRIu64
			",\"documents\":%" PRIu64 ",\"files_checked\":%" PRIu64
			",\"blobs_checked\":%" PRIu64 ",\"error\":",
			rc == 0 ? "true" : "false",
			opts.full ? "true" : "false", sum.commits,
			sum.signatures, sum.entries,
			sum.documents, sum.files_checked, sum.blobs_checked);
		json_string(stdout, rc == 0 ? NULL : cli_error_text(err));
		json_end();
	}
	if (rc != 0)
		return cli_fail(err);
	if (!cli.json)
		printf("ok: %" PRIu64 " commits, each signed by a member; %"
			PRIu64 " entries, %" PRIu64 " documents%s\n",
			sum.commits, sum.entries,
			sum.documents, opts.full ? "; every file and stored "
			"blob rehashed" : "");
	return EXIT_OK;
}
