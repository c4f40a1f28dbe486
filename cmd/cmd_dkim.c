#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "keys.h"

/* Messages read and verified together: a few per core, and a bound on
 * the bytes held at once. */
#define BATCH_MESSAGES 64
#define BATCH_BYTES (128u * 1024 * 1024)

static const char help[] =
"usage: custody dkim MSG... [--resolver ADDR[:PORT]] [--key-record FILE]\n"
"                           [-o EVIDENCE] [--no-record] [--note TEXT] [--json]\n"
"       custody dkim check [MSG...] [--evidence EVIDENCE] [--json]\n"
"\n"
"Verify the DKIM signatures of e-mail messages (.eml, RFC 5322) now,\n"
"while the signing domains still publish their keys, and keep the\n"
"evidence: the key record exactly as DNS served it, the server asked,\n"
"the time, the DNSSEC AD bit. Inside an archive each MSG must be\n"
"registered, and one `dkim` log entry per message (linked to its\n"
"register entry, holding the verdict and the evidence) is appended in\n"
"one signed commit, which the checkpoint and any timestamp then date.\n"
"`dkim check` verifies messages again from their dkim entries (all\n"
"recorded messages when none is named), or from an evidence file,\n"
"with the archived key records at the observation time, not today.\n"
"\n"
"  --resolver ADDR[:PORT]  the DNS server to ask (IPv4; default\n"
"                  $CUSTODY_RESOLVER, else the system's resolver)\n"
"  --key-record FILE  key records captured earlier, instead of asking\n"
"                  DNS: one record (the TXT strings joined, one line)\n"
"                  for every DKIM and ARC signature, or lines\n"
"                  \"SELECTOR._domainkey.DOMAIN RECORD\", each for its\n"
"                  signatures\n"
"  -o, --output EVIDENCE  write the evidence (custody-dkim/v1) there;\n"
"                  one MSG only\n"
"  --no-record     verify only, even inside an archive\n"
"  --note TEXT     a note kept (privately) with each dkim entry\n"
"  --evidence EVIDENCE  (check) an evidence file written earlier,\n"
"                  instead of the archive's dkim entries; one MSG\n"
"  --wait SECONDS  wait this long if another process holds the archive\n"
"  --key NAME      sign with this key (or CUSTODY_KEY)\n"
"  --passphrase-file FILE  read the key's passphrase from FILE\n"
"  --archive DIR   the archive (or CUSTODY_ARCHIVE)\n"
"  --json          print the result as JSON\n"
"\n"
"A pass says: this domain's key, as DNS served it at that time, signed\n"
"these headers and this body. It does not say who typed the message,\n"
"nor that the key had not leaked before. Keys under 1024 bits give\n"
"\"weak\"; headers no signature covers are listed, \"(top)\" marking a\n"
"duplicate above the signed one (a From: added after signing).\n"
"ARC chains (RFC 8617) are evaluated too, with the same keys and\n"
"evidence, and shown beside the verdict, which they do not change: an\n"
"ARC pass is what intermediaries sealed about the mail they passed on,\n"
"a weaker claim than a DKIM pass (docs/dkim.md).\n"
"\n"
"Examples:\n"
"  custody dkim leak/0001.eml leak/0002.eml\n"
"  custody dkim check\n"
"  custody dkim --no-record mail.eml -o mail.eml.dkim\n"
"\n"
"Exit status: 0 every message passed, 1 one did not (or an error),\n"
"2 usage.\n";

#define EVIDENCE_MAX (1024 * 1024)

static void utc(int64_t t, char out[32])
{
	cli_utc(t > 0 ? (uint64_t)t : 0, out);
}

static void json_arc_signer(const custody_dkim_report *r, size_t i,
	const char *part)
{
	static const char *const fields[] = { "domain", "selector",
		"algorithm", "result", "key-bits", "body-hash", NULL };
	const char *bits;
	char name[40];
	size_t k;

	printf(",\"%s\":{", part);
	for (k = 0; fields[k] != NULL; k++) {
		snprintf(name, sizeof(name), "%s-%s", part, fields[k]);
		if (strcmp(fields[k], "body-hash") == 0) {
			if (strcmp(part, "message") != 0)
				continue;
			snprintf(name, sizeof(name), "body-hash");
		}
		if (strcmp(fields[k], "key-bits") == 0) {
			bits = custody_dkim_report_arc_field(r, i, name);
			printf(",\"key_bits\":%s", strcmp(bits, "-") == 0 ?
				"null" : bits);
			continue;
		}
		printf("%s\"%s\":", k ? "," : "",
			strcmp(fields[k], "body-hash") == 0 ? "body_hash" :
			fields[k]);
		json_string(stdout, custody_dkim_report_arc_field(r, i, name));
	}
	fputs("}", stdout);
}

/* The ARC chain, when the message has one. */
static void print_arc(const custody_dkim_report *r, int json)
{
	const char *chain = custody_dkim_report_arc(r);
	size_t i, n = custody_dkim_report_arc_count(r);

	if (strcmp(chain, "none") == 0)
		return;
	if (json) {
		fputs(",\"arc\":{\"chain\":", stdout);
		json_string(stdout, chain);
		fputs(",\"reason\":", stdout);
		json_string(stdout, custody_dkim_report_arc_reason(r));
		printf(",\"failed_instance\":%u,\"oldest_pass\":%u,"
			"\"sets\":[", custody_dkim_report_arc_failed(r),
			custody_dkim_report_arc_oldest_pass(r));
		for (i = 0; i < n; i++) {
			printf("%s{\"instance\":%s,\"cv\":", i ? "," : "",
				custody_dkim_report_arc_field(r, i,
				"instance"));
			json_string(stdout,
				custody_dkim_report_arc_field(r, i, "cv"));
			json_arc_signer(r, i, "seal");
			json_arc_signer(r, i, "message");
			fputs(",\"auth_results\":", stdout);
			json_string(stdout, custody_dkim_report_arc_field(r, i,
				"auth-results"));
			fputs(",\"finding\":", stdout);
			json_string(stdout, custody_dkim_report_arc_set(r, i));
			fputs("}", stdout);
		}
		fputs("]}", stdout);
		return;
	}
	if (strcmp(chain, "pass") == 0)
		printf("  ARC: pass (%zu set%s, oldest-pass %u)\n", n,
			n == 1 ? "" : "s",
			custody_dkim_report_arc_oldest_pass(r));
	else
		printf("  ARC: fail (%s)\n", custody_dkim_report_arc_reason(r));
	for (i = 0; i < n; i++) {
		printf("  ARC %s\n", custody_dkim_report_arc_set(r, i));
		printf("    results: %s\n", custody_dkim_report_arc_field(r, i,
			"auth-results"));
	}
}

/* One message's report; in JSON with the dkim entry (when `entry` is not
 * 0) and the verdict it records (when `recorded` is not NULL). */
static void print_report_at(const char *file, const custody_dkim_report *r,
	int json, int *first, uint64_t entry, const char *recorded)
{
	size_t i, n = custody_dkim_report_count(r);
	char when[32];

	utc(custody_dkim_report_time(r), when);
	if (json) {
		fputs(*first ? "" : ",", stdout);
		*first = 0;
		fputs("{\"file\":", stdout);
		json_string(stdout, file);
		fputs(",\"verdict\":", stdout);
		json_string(stdout, custody_dkim_report_verdict(r));
		fputs(",\"observed\":", stdout);
		json_string(stdout, when);
		fputs(",\"signatures\":[", stdout);
		for (i = 0; i < n; i++) {
			fputs(i ? ",{\"result\":" : "{\"result\":", stdout);
			json_string(stdout, custody_dkim_report_result(r, i));
			fputs(",\"finding\":", stdout);
			json_string(stdout, custody_dkim_report_signature(r, i));
			fputs("}", stdout);
		}
		fputs("],\"unsigned_headers\":", stdout);
		json_string(stdout, custody_dkim_report_unsigned(r));
		print_arc(r, 1);
		if (entry != 0)
			printf(",\"entry\":%" PRIu64, entry);
		if (recorded != NULL) {
			fputs(",\"recorded_verdict\":", stdout);
			json_string(stdout, recorded);
		}
		fputs("}", stdout);
		return;
	}
	printf("%s: %s (keys observed %s)\n", file,
		custody_dkim_report_verdict(r), when);
	for (i = 0; i < n; i++)
		printf("  %s\n", custody_dkim_report_signature(r, i));
	if (custody_dkim_report_unsigned(r)[0] != '\0')
		printf("  not signed: %s\n", custody_dkim_report_unsigned(r));
	print_arc(r, 0);
}

static void print_report(const char *file, const custody_dkim_report *r,
	int json, int *first)
{
	print_report_at(file, r, json, first, 0, NULL);
}

static int passed(const custody_dkim_report *r)
{
	return strcmp(custody_dkim_report_verdict(r), "pass") == 0;
}

/* Both forms take the same options (one --help lists them), and refuse
 * the other form's. */
static const struct option own[] = {
	{ "resolver", required_argument, NULL, 'r' },
	{ "key-record", required_argument, NULL, 'k' },
	{ "output", required_argument, NULL, 'o' },
	{ "evidence", required_argument, NULL, 'e' },
	{ "no-record", no_argument, NULL, 'n' },
	{ "note", required_argument, NULL, 'N' },
	{ NULL, 0, NULL, 0 }
};

#define COMMON (CLI_JSON | CLI_WAIT | CLI_KEY | CLI_PASSPHRASE_FILE | \
	CLI_ARCHIVE)

/*
 * Is there an archive to record in? One named (--archive,
 * CUSTODY_ARCHIVE) must open; otherwise the folders up from here are
 * looked at, and none found means verify only. EXIT_OK with *found set,
 * or EXIT_FAILED (printed).
 */
static int find_archive(const struct cli *cli, int *found)
{
	custody_open_options opts = CUSTODY_OPEN_OPTIONS_INIT;
	custody_archive *a = NULL;
	custody_error *err = NULL;

	*found = 0;
	opts.archive_path = cli->archive;
	if (custody_archive_open(&a, &opts, &err) == 0) {
		custody_archive_free(a);
		*found = 1;
		return EXIT_OK;
	}
	if (cli->archive == NULL &&
	    custody_error_hint(err) == CUSTODY_HINT_NO_ARCHIVE) {
		custody_error_free(err);
		return EXIT_OK;
	}
	return cli_fail(err);
}

static void print_problem(const char *file, uint64_t entry,
	const char *recorded, const char *problem, int json, int *first)
{
	if (json) {
		fputs(*first ? "{\"file\":" : ",{\"file\":", stdout);
		*first = 0;
		json_string(stdout, file);
		printf(",\"entry\":%" PRIu64 ",\"recorded_verdict\":", entry);
		json_string(stdout, recorded);
		fputs(",\"problem\":", stdout);
		json_string(stdout, problem);
		fputs("}", stdout);
		return;
	}
	printf("%s: not checked (dkim entry %" PRIu64 " says %s): %s\n",
		file, entry, recorded, problem);
}

struct check_state {
	int json;
	int first;
	int all_pass;
	int progress;          /* a line on stderr; the reports go elsewhere */
	size_t count, total;   /* total: the messages named, 0 for all */
};

static int checked(const char *path, uint64_t entry, const char *recorded,
	const custody_dkim_report *r, const char *problem, void *payload)
{
	struct check_state *st = payload;

	st->count++;
	if (st->progress)
		cli_progress("dkim check", st->count, st->total, 0, 0, NULL);
	if (r == NULL) {
		st->all_pass = 0;
		print_problem(path, entry, recorded, problem, st->json,
			&st->first);
		return 0;
	}
	if (!passed(r))
		st->all_pass = 0;
	if (st->json) {
		print_report_at(path, r, 1, &st->first, entry, recorded);
		return 0;
	}
	print_report(path, r, 0, &st->first);
	printf("  dkim entry %" PRIu64 " recorded: %s%s\n", entry, recorded,
		strcmp(recorded, custody_dkim_report_verdict(r)) == 0 ? "" :
		" (the check now differs)");
	return 0;
}

/* dkim check [MSG...]: against the archive's dkim entries. */
static int check_archive(const struct cli *cli, char **paths, int n)
{
	custody_archive *a = NULL;
	custody_error *err = NULL;
	struct check_state st;
	int rc;

	if (cli_open(cli, &a) != EXIT_OK)
		return EXIT_FAILED;
	memset(&st, 0, sizeof(st));
	st.json = cli->json;
	st.first = 1;
	st.all_pass = 1;
	st.progress = cli->progress && !isatty(STDOUT_FILENO);
	st.total = (size_t)n;
	if (cli->json) {
		json_begin("dkim-check");
		fputs(",\"messages\":[", stdout);
	}
	rc = custody_archive_dkim_check(a, (const char *const *)paths,
		(size_t)n, checked, &st, &err);
	cli_progress_end();
	custody_archive_free(a);
	if (cli->json) {
		fputs("]", stdout);
		json_end();
	}
	if (rc != 0)
		return cli_fail(err);
	if (st.count == 0) {
		cli_error("no message has a dkim entry yet; record one with "
			"`custody dkim MSG`");
		return EXIT_FAILED;
	}
	if (!cli->json)
		printf("%s: the keys as DNS served them then, the signed "
			"headers and body.\nNot who wrote the messages, nor "
			"that the keys were still secret then.\n",
			st.all_pass ? "Every message passed. This proves" :
			"Not every message passed. A pass proves");
	return st.all_pass ? EXIT_OK : EXIT_FAILED;
}

static int dkim_check(int argc, char **argv)
{
	static const struct cli_options options = {
		.command = "dkim check", .help = help, .short_options = "o:",
		.common = COMMON, .own = own, .getopt_messages = 1,
	};
	const char *evidence_path = NULL;
	char *msg = NULL, *evidence = NULL;
	size_t len, elen;
	custody_dkim_report *r = NULL;
	custody_error *err = NULL;
	struct cli cli;
	int c, rc = EXIT_FAILED, first = 1, other = 0;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0) {
		if (c == 'e')
			evidence_path = optarg;
		else
			other = 1;
	}
	if (c < 0)
		return cli.status;
	if (other || cli.key_name != NULL)
		return cli_usage("dkim check", "the keys come from the "
			"evidence: no --resolver, --key-record, -o, "
			"--no-record, --note or --key");
	if (evidence_path == NULL)
		return check_archive(&cli, argv + optind, argc - optind);
	if (argc - optind != 1)
		return cli_usage("dkim check", "--evidence is the evidence of "
			"one MSG");
	if (cli_read_file(argv[optind], CUSTODY_DKIM_MAX_MESSAGE, &msg,
	    &len) != EXIT_OK ||
	    cli_read_file(evidence_path, EVIDENCE_MAX, &evidence, &elen) !=
	    EXIT_OK)
		goto done;
	/* the evidence is read as text: a NUL would end it early, and
	 * what follows would go unread */
	if (memchr(evidence, '\0', elen) != NULL) {
		cli_error("%s: byte %zu is a NUL byte: not DKIM evidence "
			"(custody-dkim/v1 is text)", evidence_path,
			(size_t)((char *)memchr(evidence, '\0', elen) -
			evidence) + 1);
		goto done;
	}
	if (custody_dkim_recheck(&r, msg, len, evidence, &err) != 0) {
		cli_error("%s: %s: %s", argv[optind], evidence_path,
			cli_error_text(err));
		custody_error_free(err);
		goto done;
	}
	if (cli.json) {
		json_begin("dkim-check");
		fputs(",\"evidence\":", stdout);
		json_string(stdout, evidence_path);
		fputs(",\"message\":", stdout);
		print_report(argv[optind], r, 1, &first);
		json_end();
	} else {
		char when[32];
		print_report(argv[optind], r, 0, &first);
		utc(custody_dkim_report_time(r), when);
		if (passed(r))
			printf("This proves: the key the signing domain "
				"published in DNS, as observed at %s,\n"
				"signed these headers and this body. It does not "
				"prove who wrote the message,\nnor that the key "
				"was still secret then.\n", when);
		else
			printf("No signature verifies with the key records as "
				"observed at %s:\nthis evidence does not "
				"attest the message.\n", when);
		if (strcmp(custody_dkim_report_arc(r), "pass") == 0)
			printf("The ARC chain passes: each intermediary sealed "
				"what it says it found\n(the results lines), "
				"a claim about earlier checks, weaker than a "
				"DKIM pass.\n");
	}
	rc = passed(r) ? EXIT_OK : EXIT_FAILED;
done:
	custody_dkim_report_free(r);
	free(msg);
	free(evidence);
	return rc;
}

/* Inside an archive: verify and record, one commit. */
static int record(const struct cli *cli, char **paths, int n,
	const custody_dkim_record_options *opts, const char *output)
{
	custody_dkim_report **reports = NULL;
	custody_archive *a = NULL;
	custody_key *key = NULL;
	custody_error *err = NULL;
	char commit[41];
	uint64_t first_index = 0;
	int i, rc, all_pass = 1, first = 1;

	if ((reports = calloc((size_t)n, sizeof(*reports))) == NULL) {
		cli_error("out of memory");
		return EXIT_FAILED;
	}
	if (cli_open_signed(cli, cli->key_name, cli->passphrase_file, &a,
	    &key) != EXIT_OK) {
		free(reports);
		return EXIT_FAILED;
	}
	rc = custody_archive_dkim(a, (const char *const *)paths, (size_t)n,
		opts, reports, &first_index, commit, &err);
	cli_progress_end();
	custody_archive_free(a);
	custody_key_free(key);
	if (rc != 0) {
		free(reports);
		return cli_fail(err);
	}
	if (cli->json) {
		json_begin("dkim");
		fputs(",\"messages\":[", stdout);
	}
	for (i = 0; i < n; i++) {
		if (cli->json) {
			print_report_at(paths[i], reports[i], 1, &first,
				first_index + (uint64_t)i, NULL);
		} else {
			print_report(paths[i], reports[i], 0, &first);
			printf("  recorded: dkim entry %" PRIu64 "\n",
				first_index + (uint64_t)i);
		}
		if (!passed(reports[i]))
			all_pass = 0;
	}
	if (cli->json) {
		fputs("],\"commit\":", stdout);
		json_string(stdout, commit);
		json_end();
	} else {
		printf("recorded %d dkim entr%s, commit %.12s\n", n,
			n == 1 ? "y" : "ies", commit);
	}
	if (output != NULL) {
		const char *ev = custody_dkim_report_evidence(reports[0]);
		if (cli_write_output(output, ev, strlen(ev), 0) != EXIT_OK)
			all_pass = 0;
	}
	for (i = 0; i < n; i++)
		custody_dkim_report_free(reports[i]);
	free(reports);
	return all_pass ? EXIT_OK : EXIT_FAILED;
}

int cmd_dkim(int argc, char **argv)
{
	static const struct cli_options options = {
		.command = "dkim", .help = help, .short_options = "o:",
		.common = COMMON, .own = own, .getopt_messages = 1,
	};
	custody_dkim_record_options ropts = CUSTODY_DKIM_RECORD_OPTIONS_INIT;
	custody_dkim_options *opts = &ropts.dkim;
	const char *record_path = NULL, *output = NULL;
	char *record_text = NULL;
	size_t rlen;
	struct cli cli;
	int c, i, rc = EXIT_FAILED, all_pass = 1, first = 1, evidence = 0;
	int no_record = 0, found = 0, progress;

	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return dkim_check(argc - 1, argv + 1);
	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0) {
		switch (c) {
		case 'r': opts->resolver = optarg; break;
		case 'k': record_path = optarg; break;
		case 'o': output = optarg; break;
		case 'e': evidence = 1; break;
		case 'n': no_record = 1; break;
		case 'N': ropts.note = optarg; break;
		}
	}
	if (c < 0)
		return cli.status;
	ropts.lock_wait_ms = cli.wait_ms;
	if (evidence)
		return cli_usage("dkim", "--evidence is for "
			"`custody dkim check`");
	if (argc - optind < 1)
		return cli_usage("dkim", "want MSG, one or more");
	if (output != NULL && argc - optind != 1)
		return cli_usage("dkim", "-o writes the evidence of one MSG");
	if (no_record && ropts.note != NULL)
		return cli_usage("dkim", "--note goes with a dkim entry, "
			"not with --no-record");
	if (cli_check_value("dkim", "--note", CUSTODY_FIELD_NOTE, ropts.note))
		return EXIT_USAGE;
	if (opts->resolver == NULL && getenv("CUSTODY_RESOLVER") != NULL &&
	    getenv("CUSTODY_RESOLVER")[0] != '\0')
		opts->resolver = getenv("CUSTODY_RESOLVER");
	if (output != NULL && cli_check_output(output, 0) != EXIT_OK)
		return EXIT_FAILED;
	if (!no_record && find_archive(&cli, &found) != EXIT_OK)
		return EXIT_FAILED;
	if (!found && ropts.note != NULL)
		return cli_usage("dkim", "--note goes with a dkim entry, and "
			"there is no archive here");
	if (record_path != NULL) {
		if (cli_read_file(record_path, CUSTODY_DKIM_MAX_KEY_FILE,
		    &record_text, &rlen) != EXIT_OK)
			return EXIT_FAILED;
		if (rlen > 0 && record_text[rlen - 1] == '\n')
			record_text[--rlen] = '\0';
		opts->key_record = record_text;
		opts->key_record_source = record_path;
	}
	if (found) {
		ropts.progress = cli.progress ? cli_progress : NULL;
		rc = record(&cli, argv + optind, argc - optind, &ropts,
			output);
		free(record_text);
		return rc;
	}
	if (cli.json) {
		json_begin("dkim");
		fputs(",\"messages\":[", stdout);
	}
	/* a progress line when the reports do not go to the terminal */
	progress = cli.progress && !isatty(STDOUT_FILENO);
	for (i = optind; i < argc;) {
		void *msgs[BATCH_MESSAGES];
		size_t lens[BATCH_MESSAGES], bytes = 0;
		custody_dkim_report *reports[BATCH_MESSAGES];
		custody_error *errs[BATCH_MESSAGES];
		const char *names[BATCH_MESSAGES];
		int k, batch = 0;

		/* a batch at a time, verified on all cores, reported in the
		 * order named */
		for (; i < argc && batch < BATCH_MESSAGES &&
		    bytes < BATCH_BYTES; i++) {
			char *msg;

			if (cli_read_file(argv[i], CUSTODY_DKIM_MAX_MESSAGE,
			    &msg, &lens[batch]) != EXIT_OK) {
				all_pass = 0;
				continue;
			}
			msgs[batch] = msg;
			names[batch] = argv[i];
			bytes += lens[batch++];
		}
		custody_dkim_verify_many(reports, errs,
			(const void *const *)msgs, lens, NULL, (size_t)batch,
			opts);
		if (progress)
			cli_progress("dkim", (uint64_t)(i - optind),
				(uint64_t)(argc - optind), 0, 0, NULL);
		for (k = 0; k < batch; k++) {
			custody_dkim_report *r = reports[k];

			free(msgs[k]);
			if (r == NULL) {
				cli_error("%s: %s", names[k],
					cli_error_text(errs[k]));
				custody_error_free(errs[k]);
				all_pass = 0;
				continue;
			}
			print_report(names[k], r, cli.json, &first);
			if (!passed(r))
				all_pass = 0;
			if (output != NULL) {
				const char *ev = custody_dkim_report_evidence(r);
				if (cli_write_output(output, ev, strlen(ev), 0) !=
				    EXIT_OK)
					all_pass = 0;
			}
			custody_dkim_report_free(r);
		}
	}
	cli_progress_end();
	if (cli.json) {
		fputs("]", stdout);
		json_end();
	}
	rc = all_pass ? EXIT_OK : EXIT_FAILED;
	free(record_text);
	return rc;
}
