#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static const char help[] =
"usage: custody status [--exit-code] [--exclude PATTERN]... [--json]\n"
"                      [--archive DIR]\n"
"\n"
"Compare the collection on disk with the record. Files whose size, times\n"
"and inode are as they were when last hashed are not read again.\n"
"\n"
"  new       on disk, never registered\n"
"  modified  registered, content now differs\n"
"  missing   registered, no longer on disk\n"
"  moved     registered content now at another path (old -> new)\n"
"  refused   on disk, but custody add would refuse it (and why)\n"
"A file with the same content as another says so: (same content as X).\n"
"New files that .custodyignore rules or --exclude leave out are not\n"
"reported; a registered file is reported whatever the rules say.\n"
"\n"
"  --exit-code     exit 1 when anything differs (as git diff --exit-code)\n"
"  --exclude PATTERN  leave out what PATTERN matches (.custodyignore\n"
"                  syntax, relative to the collection; repeatable)\n"
"  --archive DIR   the archive (or CUSTODY_ARCHIVE)\n"
"  --json          print the differences as JSON\n"
"\n"
"Examples:\n"
"  custody status\n"
"  custody status --exit-code >/dev/null || echo 'the collection changed'\n"
"  custody status --exclude '*.tmp' --exclude 'scratch/'\n"
"\n"
"Exit status 0 whatever the differences (with --exit-code: 0 clean, 1\n"
"something differs); 1 on error; 2 usage.\n";

static const char *kind_name(custody_status_kind kind)
{
	switch (kind) {
	case CUSTODY_STATUS_NEW: return "new";
	case CUSTODY_STATUS_MODIFIED: return "modified";
	case CUSTODY_STATUS_MISSING: return "missing";
	case CUSTODY_STATUS_MOVED: return "moved";
	case CUSTODY_STATUS_REFUSED: return "refused";
	}
	return "?";
}

struct out {
	int json;
	int first;
};

static int on_item(const custody_status_item *it, void *payload)
{
	struct out *o = payload;

	if (o->json) {
		fputs(o->first ? "" : ",", stdout);
		o->first = 0;
		fputs("{\"status\":", stdout);
		json_string(stdout, kind_name(it->kind));
		fputs(",\"path\":", stdout);
		json_string(stdout, it->path);
		fputs(",\"from\":", stdout);
		json_string(stdout, it->from);
		fputs(",\"duplicate_of\":", stdout);
		json_string(stdout, it->duplicate_of);
		fputs(",\"reason\":", stdout);
		json_string(stdout, it->reason);
		fputc('}', stdout);
		return 0;
	}
	cli_progress_end();
	if (it->kind == CUSTODY_STATUS_MOVED)
		printf("%-9s %s -> %s", kind_name(it->kind),
			cli_name(it->from), cli_name(it->path));
	else
		printf("%-9s %s", kind_name(it->kind), cli_name(it->path));
	if (it->reason)
		printf(": %s", cli_text(it->reason));
	if (it->duplicate_of)
		printf("  (same content as %s)",
			cli_name(it->duplicate_of));
	putchar('\n');
	return 0;
}

int cmd_status(int argc, char **argv)
{
	static const struct option own[] = {
		{ "exit-code", no_argument, NULL, 'e' },
		{ "exclude", required_argument, NULL, 'X' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_options options = {
		.command = "status", .help = help,
		.common = CLI_ARCHIVE | CLI_JSON, .own = own,
	};
	custody_status_options opts = CUSTODY_STATUS_OPTIONS_INIT;
	custody_status_summary sum;
	custody_archive *archive = NULL;
	custody_error *err = NULL;
	struct out o = { 0, 1 };
	struct cli cli;
	int c, rc, exit_code = 0;
	uint64_t differ;

	const char **exclude = calloc((size_t)argc + 1, sizeof(*exclude));

	if (exclude == NULL) {
		cli_oom();
		return EXIT_FAILED;
	}
	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0) {
		if (c == 'e')
			exit_code = 1;
		else if (c == 'X')
			exclude[opts.nexclude++] = optarg;
	}
	opts.exclude = exclude;
	if (c < 0) {
		free(exclude);
		return cli.status;
	}
	if (optind != argc) {
		free(exclude);
		return cli_usage("status", "unexpected argument '%s'",
			argv[optind]);
	}
	if (cli_open(&cli, &archive) != EXIT_OK) {
		free(exclude);
		return EXIT_FAILED;
	}
	opts.progress = cli.progress ? cli_progress : NULL;
	o.json = cli.json;
	if (cli.json) {
		json_begin("status");
		fputs(",\"items\":[", stdout);
	}
	rc = custody_archive_status(archive, &opts, on_item, &o, &sum, &err);
	cli_progress_end();
	custody_archive_free(archive);
	free(exclude);
	if (rc != 0)
		return cli_fail(err);
	differ = sum.added + sum.modified + sum.missing + sum.moved +
		sum.refused;
	if (cli.json) {
		printf("],\"unchanged\":%" PRIu64 ",\"new\":%" PRIu64
			",\"modified\":%" PRIu64 ",\"missing\":%" PRIu64
			",\"moved\":%" PRIu64 ",\"refused\":%" PRIu64
			",\"hashed\":%" PRIu64, sum.unchanged, sum.added,
			sum.modified, sum.missing, sum.moved, sum.refused,
			sum.hashed);
		json_end();
	} else if (differ == 0) {
		printf("clean: %" PRIu64 " document%s as recorded\n",
			sum.unchanged, sum.unchanged == 1 ? "" : "s");
	} else {
		printf("%" PRIu64 " unchanged, %" PRIu64 " new, %" PRIu64
			" modified, %" PRIu64 " missing, %" PRIu64 " moved, %"
			PRIu64 " refused\n", sum.unchanged, sum.added,
			sum.modified, sum.missing, sum.moved, sum.refused);
	}
	return exit_code && differ > 0 ? EXIT_FAILED : EXIT_OK;
}
