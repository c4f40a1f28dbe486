#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "keys.h"

static const char help[] =
"usage: custody add [options] PATH...\n"
"\n"
"Register files (folders are walked recursively) in one commit. A new\n"
"file gets version 1; a changed file a new version; an unchanged file\n"
"records nothing. If any path is refused (a symbolic link, a reserved\n"
"name such as .git, a name that is not UTF-8 in NFC, names differing\n"
"only in case) or a file changes while it is read, nothing is recorded.\n"
"\n"
"Each file recorded gets a line on standard output, then a summary; on a\n"
"terminal only the summary is printed unless --verbose is given.\n"
"\n"
"  -n, --dry-run   hash and decide, write nothing: say what would be\n"
"                  recorded and what refused (no key needed)\n"
"  -q, --quiet     print nothing but errors\n"
"  -v, --verbose   one line per file recorded, on a terminal too\n"
"  --no-store      record hashes only, not the content\n"
"  --store         store the content even if the archive's policy\n"
"                  says --no-store\n"
"  --note TEXT     a note on every new entry\n"
"  --source LABEL  an opaque label for where the files came from; never\n"
"                  a source's identity\n"
"  --wait SECONDS  wait this long if another process holds the archive\n"
"  --threads N     hashing threads (default: one per core)\n"
"  --key NAME      sign with this key (or CUSTODY_KEY; default: the\n"
"                  only key in the key folder)\n"
"  --passphrase-file FILE  read the key's passphrase from FILE (or\n"
"                  CUSTODY_PASSPHRASE; default: ask on the terminal)\n"
"  --archive DIR   the archive (or CUSTODY_ARCHIVE)\n"
"  --json          print the new entries as JSON\n"
"\n"
"The commit is signed with your key; the actor recorded is the member\n"
"that key belongs to.\n"
"\n"
"Examples:\n"
"  custody add --dry-run .       what a registration of everything would\n"
"                                record and refuse\n"
"  custody add --source S-1 inbox/\n"
"  custody add --no-store -q big-dump/\n"
"\n"
"Exit status: 0 recorded (or nothing to record), 1 refused or failed\n"
"(nothing recorded), 2 usage.\n";

struct out {
	int json;
	int first;
	int lines;      /* a line per entry */
	int dry_run;
};

static int on_entry(const custody_entry *e, void *payload)
{
	struct out *o = payload;

	if (o->json) {
		fputs(o->first ? "" : ",", stdout);
		json_entry(stdout, e);
		o->first = 0;
		return 0;
	}
	if (!o->lines)
		return 0;
	cli_progress_end();
	printf("%s%-11s %s  (entry %" PRIu64 ", v%" PRIu64 ", %.16s…, %s)\n",
		o->dry_run ? "would be " : "",
		custody_entry_version(e) == 1 ? "registered" : "new version",
		cli_name(custody_entry_path(e)), custody_entry_index(e),
		custody_entry_version(e), custody_entry_sha256(e),
		custody_entry_media_type(e));
	return 0;
}

static void on_refused(const char *path, const char *reason, void *payload)
{
	(void)payload;
	cli_progress_end();
	cli_error("refused %s: %s%s", cli_name(path), reason,
		strcmp(reason, CUSTODY_REFUSED_STORED_CLASH) == 0 ?
		" (register one of them with --no-store)" : "");
}

int cmd_add(int argc, char **argv)
{
	static const struct option own[] = {
		{ "no-store", no_argument, NULL, 'x' },
		{ "store", no_argument, NULL, 's' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "note", required_argument, NULL, 'N' },
		{ "source", required_argument, NULL, 'S' },
		{ "threads", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_options options = {
		.command = "add", .help = help,
		.common = CLI_WAIT | CLI_KEY | CLI_PASSPHRASE_FILE |
			CLI_ARCHIVE | CLI_JSON,
		.own = own, .short_options = "nqv",
	};
	custody_add_options opts = CUSTODY_ADD_OPTIONS_INIT;
	custody_key *key = NULL;
	custody_add_summary sum;
	custody_archive *archive = NULL;
	custody_error *err = NULL;
	struct out o = { 0, 1, 0, 0 };
	struct cli cli;
	uint64_t n;
	int c, rc, quiet = 0, verbose = 0;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0) {
		switch (c) {
		case 'x': opts.store = 0; break;
		case 's': opts.store = 1; break;
		case 'n': opts.dry_run = 1; break;
		case 'q': quiet = 1; break;
		case 'v': verbose = 1; break;
		case 'N': opts.note = optarg; break;
		case 'S': opts.source = optarg; break;
		case 't':
			if (cli_parse_u64(optarg, &n) != 0 || n < 1 || n > 64)
				return cli_usage("add", "--threads wants 1 to "
					"64, not '%s'", optarg);
			opts.threads = (unsigned int)n;
			break;
		}
	}
	if (c < 0)
		return cli.status;
	opts.lock_wait_ms = cli.wait_ms;
	if (optind == argc)
		return cli_usage("add", "name the files or folders to "
			"register (use . for the whole collection)");
	if (quiet && (verbose || cli.json))
		return cli_usage("add", "--quiet goes with neither --verbose "
			"nor --json");
	if (cli_check_value("add", "--note", CUSTODY_FIELD_NOTE, opts.note) ||
	    cli_check_value("add", "--source", CUSTODY_FIELD_LABEL,
	    opts.source))
		return EXIT_USAGE;
	if (opts.dry_run ? cli_open(&cli, &archive) != EXIT_OK :
	    cli_open_signed(&cli, cli.key_name, cli.passphrase_file, &archive,
	    &key) != EXIT_OK)
		return EXIT_FAILED;
	opts.progress = cli.progress && !quiet ? cli_progress : NULL;
	opts.refused = on_refused;
	o.json = cli.json;
	o.dry_run = opts.dry_run;
	o.lines = !quiet && (verbose || !isatty(STDOUT_FILENO));
	if (cli.json) {
		json_begin("add");
		fputs(",\"entries\":[", stdout);
	}
	rc = custody_archive_add(archive, (const char *const *)argv + optind,
		(size_t)(argc - optind), &opts, on_entry, &o, &sum, &err);
	cli_progress_end();
	if (rc != 0) {
		custody_archive_free(archive);
		custody_key_free(key);
		return cli_fail(err);
	}
	if (cli.json) {
		fprintf(stdout, "],\"registered\":%" PRIu64 ",\"new_versions\":%"
			PRIu64 ",\"unchanged\":%" PRIu64 ",\"commit\":",
			sum.registered, sum.new_versions, sum.unchanged);
		json_string(stdout, sum.commit[0] ? sum.commit : NULL);
		fprintf(stdout, ",\"dry_run\":%s", opts.dry_run ?
			"true" : "false");
		json_end();
	} else if (quiet) {
		/* nothing */
	} else if (opts.dry_run) {
		printf("dry run: %" PRIu64 " would be registered, %" PRIu64
			" new version%s, %" PRIu64 " unchanged; nothing was "
			"written\n", sum.registered, sum.new_versions,
			sum.new_versions == 1 ? "" : "s", sum.unchanged);
	} else if (sum.commit[0]) {
		printf("%" PRIu64 " registered, %" PRIu64 " new version%s, %"
			PRIu64 " unchanged; commit %.12s\n", sum.registered,
			sum.new_versions, sum.new_versions == 1 ? "" : "s",
			sum.unchanged, sum.commit);
	} else {
		printf("nothing to record: %" PRIu64 " file%s unchanged\n",
			sum.unchanged, sum.unchanged == 1 ? "" : "s");
	}
	custody_archive_free(archive);
	custody_key_free(key);
	return EXIT_OK;
}
