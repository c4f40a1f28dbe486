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
"records nothing. Names are registered byte for byte as on disk (NFD as\n"
"macOS writes them too; tab, line feed and carriage return too, always\n"
"printed quoted: \"a\\nb\"). If any path is refused (a symbolic link, a\n"
".custody name, a .git folder when storing, a name that is not UTF-8 or\n"
"holds another control character such as ESC, names differing only in\n"
"case or normalisation) or a file changes while it is read, nothing is\n"
"recorded, unless --skip-refused is given.\n"
"\n"
"What .custodyignore files (gitignore syntax; one in a folder applies\n"
"below it) and --exclude match is left out, unless already registered.\n"
".custodyignore files themselves are registered like any file.\n"
"\n"
"Each file recorded gets a line on standard output, then a summary; on a\n"
"terminal only the summary is printed unless --verbose is given.\n"
"\n"
"  -n, --dry-run   hash and decide, write nothing: say what would be\n"
"                  recorded and what refused (no key needed)\n"
"  -q, --quiet     print nothing but errors\n"
"  -v, --verbose   one line per file recorded, on a terminal too\n"
"  --exclude PATTERN  leave out what PATTERN matches (.custodyignore\n"
"                  syntax, relative to the collection; repeatable)\n"
"  --skip-refused  register everything else, and record in the commit a\n"
"                  skip entry naming each refused path and why\n"
"  --no-store      record hashes only, not the content (also registers\n"
"                  .git folders, which are never stored)\n"
"  --store         store the content even if the archive's policy\n"
"                  says --no-store\n"
"  --note TEXT     a note on every new entry\n"
"  --source LABEL  an opaque label for where the files came from; never\n"
"                  a source's identity\n"
"  --dkim          check the DKIM signatures of each new .eml file and\n"
"                  record a dkim entry for it in the same commit (see\n"
"                  custody dkim)\n"
"  --mbox FILE     register the mailbox FILE and each message in it as\n"
"                  its own document, FILE.d/0001.eml, ..., with --dkim\n"
"  --resolver ADDR[:PORT]  the DNS server --dkim asks (default\n"
"                  $CUSTODY_RESOLVER, else the system's)\n"
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
"  custody add --dkim --skip-refused --source S-1 inbox/\n"
"  custody add --mbox leak/inbox.mbox --no-store -q\n"
"\n"
"Exit status: 0 recorded (or nothing to record), 1 refused or failed\n"
"(nothing recorded), 2 usage.\n";

struct out {
	int json;
	int first;
	int lines;      /* a line per entry */
	int dry_run;
	int dkim_first;
	FILE *dkim_json;  /* the dkim part of --json, kept until the
			   * entries are printed */
	char *dkim_text;
	size_t dkim_len;
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
	/* an archive whose media_types is "none" records no media type */
	printf("%s%-11s %s  (entry %" PRIu64 ", v%" PRIu64 ", %.16s…%s%s)\n",
		o->dry_run ? "would be " : "",
		custody_entry_version(e) == 1 ? "registered" : "new version",
		cli_name(custody_entry_path(e)), custody_entry_index(e),
		custody_entry_version(e), custody_entry_sha256(e),
		custody_entry_media_type(e) ? ", " : "",
		custody_entry_media_type(e) ? custody_entry_media_type(e) :
		"");
	return 0;
}


/* 1 when s holds a byte a terminal acts on: a C0 or C1 control, DEL,
 * a bidi control, a line or paragraph separator (as UTF-8). */
/* A message's DKIM verdict, recorded in the add's commit. */
static int on_dkim(const char *path, uint64_t entry, const char *verdict,
	const custody_dkim_report *report, const char *problem, void *payload)
{
	struct out *o = payload;

	(void)problem;
	if (o->json) {
		FILE *f = o->dkim_json;

		if (f == NULL)
			return 0;
		fputs(o->dkim_first ? "{\"file\":" : ",{\"file\":", f);
		o->dkim_first = 0;
		json_string(f, path);
		fputs(",\"verdict\":", f);
		json_string(f, verdict);
		fprintf(f, ",\"entry\":%" PRIu64 "}", entry);
		return 0;
	}
	if (o->lines) {
		printf("dkim %s: %s, entry %" PRIu64 "\n", cli_name(path),
			verdict, entry);
		for (size_t i = 0; i < custody_dkim_report_count(report); i++)
			printf("  %s\n", custody_dkim_report_signature(report,
				i));
	}
	return 0;
}

static int has_terminal_controls(const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c < 0x20 || *c == 0x7f ||
		    (c[0] == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f) ||
		    (c[0] == 0xd8 && c[1] == 0x9c) ||
		    (c[0] == 0xe2 && c[1] == 0x80 && ((c[2] >= 0x8e &&
		    c[2] <= 0x8f) || (c[2] >= 0xa8 && c[2] <= 0xae))) ||
		    (c[0] == 0xe2 && c[1] == 0x81 && c[2] >= 0xa6 &&
		    c[2] <= 0xa9))
			return 1;
	}
	return 0;
}

/* A word of a command line as a POSIX shell (bash's $'...' for names
 * with controls) reads it back, never raw controls on the terminal. */
static void print_shell_word(FILE *f, const char *word)
{
	if (*word != '\0' && strspn(word, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-=+,:@%") ==
	    strlen(word)) {
		fputs(word, f);
		return;
	}
	if (has_terminal_controls(word)) {
		fputs("$'", f);
		for (const unsigned char *c = (const unsigned char *)word;
		    *c; c++) {
			if (*c < 0x20 || *c >= 0x7f || *c == '\'' ||
			    *c == '\\')
				fprintf(f, "\\x%02x", *c);
			else
				fputc(*c, f);
		}
		fputc('\'', f);
		return;
	}
	fputc('\'', f);
	for (const char *c = word; *c; c++) {
		if (*c == '\'')
			fputs("'\\''", f);
		else
			fputc(*c, f);
	}
	fputc('\'', f);
}

/* After a refusal: the command that registers the rest, leaving on the
 * record what it left out. */
static void print_way_on(int argc, char **argv, int refused_git)
{
	fprintf(stderr, "custody: to register the rest and record what was "
		"refused, run: custody add --skip-refused");
	for (int i = 1; i < argc; i++) {
		fputc(' ', stderr);
		print_shell_word(stderr, argv[i]);
	}
	fputc('\n', stderr);
	if (refused_git) {
		fprintf(stderr, "custody: or, to register the .git folders "
			"too, hashes only (no content stored): custody add "
			"--no-store");
		for (int i = 1; i < argc; i++) {
			fputc(' ', stderr);
			print_shell_word(stderr, argv[i]);
		}
		fputc('\n', stderr);
	}
}

struct refusals {
	size_t count;
	int git;        /* one of them is a .git folder or inside one */
	int skip;       /* --skip-refused: they are skipped, on the record */
};

/* ", 2 skipped (on the record)" when --skip-refused left some out; a
 * skip entry goes only with a commit that registers something. */
static const char *skipped_words(const custody_add_summary *sum,
	int dry_run)
{
	static char words[80];

	if (sum->skipped == 0)
		return "";
	snprintf(words, sizeof(words), ", %" PRIu64 " skipped%s",
		sum->skipped, dry_run ? "" : sum->commit[0] ?
		" (on the record)" : " (not recorded: nothing else was)");
	return words;
}

static void on_refused(const char *path, const char *reason, void *payload)
{
	struct refusals *r = payload;

	r->count++;
	if (strstr(reason, CUSTODY_REFUSED_STORED_GIT) != NULL)
		r->git = 1;
	cli_progress_end();
	cli_error("%s %s: %s%s", r->skip ? "skipped" : "refused",
		cli_name(path), reason,
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
		{ "exclude", required_argument, NULL, 'X' },
		{ "skip-refused", no_argument, NULL, 'k' },
		{ "dkim", no_argument, NULL, 'D' },
		{ "mbox", required_argument, NULL, 'M' },
		{ "resolver", required_argument, NULL, 'R' },
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
	struct out o = { 0, 1, 0, 0, 0, NULL, NULL, 0 };
	struct refusals refusals = { 0, 0, 0 };
	struct cli cli;
	uint64_t n;
	int c, rc, status = EXIT_OK, quiet = 0, verbose = 0, dkim = 0;
	custody_dkim_record_options dopts = CUSTODY_DKIM_RECORD_OPTIONS_INIT;
	const char *mbox = NULL;
	const char **exclude = calloc((size_t)argc + 1, sizeof(*exclude));

	if (exclude == NULL) {
		cli_oom();
		return EXIT_FAILED;
	}
	opts.exclude = exclude;
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
		case 'X': exclude[opts.nexclude++] = optarg; break;
		case 'k': opts.skip_refused = 1; break;
		case 'D': dkim = 1; break;
		case 'M': mbox = optarg; dkim = 1; break;
		case 'R': dopts.dkim.resolver = optarg; break;
		case 't':
			if (cli_parse_u64(optarg, &n) != 0 || n < 1 || n > 64) {
				status = cli_usage("add", "--threads wants 1 "
					"to 64, not '%s'", optarg);
				goto done;
			}
			opts.threads = (unsigned int)n;
			break;
		}
	}
	if (c < 0) {
		status = cli.status;
		goto done;
	}
	opts.lock_wait_ms = cli.wait_ms;
	if (mbox != NULL && optind != argc) {
		status = cli_usage("add", "--mbox FILE registers that mailbox "
			"alone: no PATH");
		goto done;
	}
	if (optind == argc && mbox == NULL) {
		status = cli_usage("add", "name the files or folders to "
			"register (use . for the whole collection)");
		goto done;
	}
	if (dkim && opts.dry_run) {
		status = cli_usage("add", "a dry run asks no DNS: no --dkim "
			"or --mbox with --dry-run");
		goto done;
	}
	if (dopts.dkim.resolver != NULL && !dkim) {
		status = cli_usage("add", "--resolver goes with --dkim");
		goto done;
	}
	if (dopts.dkim.resolver == NULL && getenv("CUSTODY_RESOLVER") != NULL &&
	    getenv("CUSTODY_RESOLVER")[0] != '\0')
		dopts.dkim.resolver = getenv("CUSTODY_RESOLVER");
	o.dkim_first = 1;
	if (cli.json && dkim &&
	    (o.dkim_json = open_memstream(&o.dkim_text, &o.dkim_len)) ==
	    NULL) {
		cli_oom();
		status = EXIT_FAILED;
		goto done;
	}
	if (quiet && (verbose || cli.json)) {
		status = cli_usage("add", "--quiet goes with neither --verbose "
			"nor --json");
		goto done;
	}
	if (cli_check_value("add", "--note", CUSTODY_FIELD_NOTE, opts.note) ||
	    cli_check_value("add", "--source", CUSTODY_FIELD_LABEL,
	    opts.source)) {
		status = EXIT_USAGE;
		goto done;
	}
	if (opts.dry_run ? cli_open(&cli, &archive) != EXIT_OK :
	    cli_open_signed(&cli, cli.key_name, cli.passphrase_file, &archive,
	    &key) != EXIT_OK) {
		status = EXIT_FAILED;
		goto done;
	}
	opts.progress = cli.progress && !quiet ? cli_progress : NULL;
	dopts.progress = opts.progress;
	opts.refused = on_refused;
	opts.payload = &refusals;
	refusals.skip = opts.skip_refused;
	o.json = cli.json;
	o.dry_run = opts.dry_run;
	o.lines = !quiet && (verbose || !isatty(STDOUT_FILENO));
	if (cli.json) {
		json_begin("add");
		fputs(",\"entries\":[", stdout);
	}
	if (mbox != NULL)
		rc = custody_archive_add_mbox(archive, mbox, &opts, &dopts,
			on_entry, on_dkim, &o, &sum, &err);
	else if (dkim)
		rc = custody_archive_add_dkim(archive,
			(const char *const *)argv + optind,
			(size_t)(argc - optind), &opts, &dopts, on_entry,
			on_dkim, &o, &sum, &err);
	else
		rc = custody_archive_add(archive,
			(const char *const *)argv + optind,
			(size_t)(argc - optind), &opts, on_entry, &o, &sum,
			&err);
	cli_progress_end();
	if (rc != 0) {
		status = cli_fail(err);
		if (refusals.count > 0 && !opts.skip_refused)
			print_way_on(argc, argv, refusals.git);
		goto done;
	}
	if (cli.json && dkim) {
		fputs("],\"dkim\":[", stdout);
		if (o.dkim_json != NULL && fflush(o.dkim_json) == 0 &&
		    o.dkim_text != NULL)
			fwrite(o.dkim_text, 1, o.dkim_len, stdout);
	}
	if (cli.json) {
		fprintf(stdout, "],\"registered\":%" PRIu64 ",\"new_versions\":%"
			PRIu64 ",\"unchanged\":%" PRIu64 ",\"skipped\":%" PRIu64
			",\"commit\":", sum.registered, sum.new_versions,
			sum.unchanged, sum.skipped);
		json_string(stdout, sum.commit[0] ? sum.commit : NULL);
		fprintf(stdout, ",\"dry_run\":%s", opts.dry_run ?
			"true" : "false");
		json_end();
	} else if (quiet) {
		/* nothing */
	} else if (opts.dry_run) {
		printf("dry run: %" PRIu64 " would be registered, %" PRIu64
			" new version%s, %" PRIu64 " unchanged%s; nothing was "
			"written\n", sum.registered, sum.new_versions,
			sum.new_versions == 1 ? "" : "s", sum.unchanged,
			skipped_words(&sum, opts.dry_run));
	} else if (sum.commit[0]) {
		printf("%" PRIu64 " registered, %" PRIu64 " new version%s, %"
			PRIu64 " unchanged%s; commit %.12s\n", sum.registered,
			sum.new_versions, sum.new_versions == 1 ? "" : "s",
			sum.unchanged, skipped_words(&sum, opts.dry_run),
			sum.commit);
	} else {
		printf("nothing to record: %" PRIu64 " file%s unchanged%s\n",
			sum.unchanged, sum.unchanged == 1 ? "" : "s",
			skipped_words(&sum, opts.dry_run));
	}
done:
	if (o.dkim_json != NULL)
		fclose(o.dkim_json);
	free(o.dkim_text);
	custody_archive_free(archive);
	custody_key_free(key);
	free(exclude);
	return status;
}
