#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static const char help[] =
"usage: custody dkim MSG... [--resolver ADDR[:PORT]] [--key-record FILE]\n"
"                           [-o EVIDENCE] [--json]\n"
"       custody dkim check MSG --evidence EVIDENCE [--json]\n"
"\n"
"Verify the DKIM signatures of e-mail messages (.eml, RFC 5322) now,\n"
"while the signing domains still publish their keys, and keep the\n"
"evidence: the key record exactly as DNS served it, the server asked,\n"
"the time, the DNSSEC AD bit. `dkim check` verifies a message again\n"
"from that evidence alone, at the observation time it holds, not today.\n"
"Register the evidence file beside the message (custody add) so the\n"
"log timestamps both. The archive itself records nothing yet.\n"
"\n"
"  --resolver ADDR[:PORT]  the DNS server to ask (IPv4; default\n"
"                  $CUSTODY_RESOLVER, else the system's resolver)\n"
"  --key-record FILE  a key record captured earlier (the TXT strings\n"
"                  joined, one line) instead of asking DNS\n"
"  -o, --output EVIDENCE  write the evidence (custody-dkim/v1) there;\n"
"                  one MSG only\n"
"  --evidence EVIDENCE  (check) the evidence written earlier\n"
"  --json          print the result as JSON\n"
"\n"
"A pass says: this domain's key, as DNS served it at that time, signed\n"
"these headers and this body. It does not say who typed the message,\n"
"nor that the key had not leaked before. Keys under 1024 bits give\n"
"\"weak\"; headers no signature covers are listed, \"(top)\" marking a\n"
"duplicate above the signed one (a From: added after signing).\n"
"\n"
"Examples:\n"
"  custody dkim leak/0001.eml -o leak/0001.eml.dkim\n"
"  custody dkim check leak/0001.eml --evidence leak/0001.eml.dkim\n"
"\n"
"Exit status: 0 every message passed, 1 one did not (or an error),\n"
"2 usage.\n";

#define EVIDENCE_MAX (1024 * 1024)

static void utc(int64_t t, char out[32])
{
	cli_utc(t > 0 ? (uint64_t)t : 0, out);
}

static void print_report(const char *file, const custody_dkim_report *r,
	int json, int *first)
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
		fputs("}", stdout);
		return;
	}
	printf("%s: %s (keys observed %s)\n", file,
		custody_dkim_report_verdict(r), when);
	for (i = 0; i < n; i++)
		printf("  %s\n", custody_dkim_report_signature(r, i));
	if (custody_dkim_report_unsigned(r)[0] != '\0')
		printf("  not signed: %s\n", custody_dkim_report_unsigned(r));
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
	{ NULL, 0, NULL, 0 }
};

static int dkim_check(int argc, char **argv)
{
	static const struct cli_options options = {
		.command = "dkim check", .help = help, .short_options = "o:",
		.common = CLI_JSON, .own = own, .getopt_messages = 1,
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
	if (other)
		return cli_usage("dkim check", "the keys come from the "
			"evidence: no --resolver, --key-record or -o");
	if (argc - optind != 1)
		return cli_usage("dkim check", "want one MSG");
	if (evidence_path == NULL)
		return cli_usage("dkim check", "name the evidence with "
			"--evidence EVIDENCE");
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
	}
	rc = passed(r) ? EXIT_OK : EXIT_FAILED;
done:
	custody_dkim_report_free(r);
	free(msg);
	free(evidence);
	return rc;
}

int cmd_dkim(int argc, char **argv)
{
	static const struct cli_options options = {
		.command = "dkim", .help = help, .short_options = "o:",
		.common = CLI_JSON, .own = own, .getopt_messages = 1,
	};
	custody_dkim_options opts = CUSTODY_DKIM_OPTIONS_INIT;
	const char *record_path = NULL, *output = NULL;
	char *record = NULL;
	size_t rlen;
	struct cli cli;
	int c, i, rc = EXIT_FAILED, all_pass = 1, first = 1, evidence = 0;

	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return dkim_check(argc - 1, argv + 1);
	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0) {
		switch (c) {
		case 'r': opts.resolver = optarg; break;
		case 'k': record_path = optarg; break;
		case 'o': output = optarg; break;
		case 'e': evidence = 1; break;
		}
	}
	if (c < 0)
		return cli.status;
	if (evidence)
		return cli_usage("dkim", "--evidence is for "
			"`custody dkim check`");
	if (argc - optind < 1)
		return cli_usage("dkim", "want MSG, one or more");
	if (output != NULL && argc - optind != 1)
		return cli_usage("dkim", "-o writes the evidence of one MSG");
	if (opts.resolver == NULL && getenv("CUSTODY_RESOLVER") != NULL &&
	    getenv("CUSTODY_RESOLVER")[0] != '\0')
		opts.resolver = getenv("CUSTODY_RESOLVER");
	if (output != NULL && cli_check_output(output, 0) != EXIT_OK)
		return EXIT_FAILED;
	if (record_path != NULL) {
		if (cli_read_file(record_path, CUSTODY_DKIM_MAX_KEY_RECORD + 1,
		    &record, &rlen) != EXIT_OK)
			return EXIT_FAILED;
		if (rlen > 0 && record[rlen - 1] == '\n')
			record[--rlen] = '\0';
		opts.key_record = record;
		opts.key_record_source = record_path;
	}
	if (cli.json) {
		json_begin("dkim");
		fputs(",\"messages\":[", stdout);
	}
	for (i = optind; i < argc; i++) {
		custody_dkim_report *r = NULL;
		custody_error *err = NULL;
		char *msg = NULL;
		size_t len;

		if (cli_read_file(argv[i], CUSTODY_DKIM_MAX_MESSAGE, &msg,
		    &len) != EXIT_OK) {
			all_pass = 0;
			continue;
		}
		if (custody_dkim_verify(&r, msg, len, &opts, &err) != 0) {
			cli_error("%s: %s", argv[i], cli_error_text(err));
			custody_error_free(err);
			free(msg);
			all_pass = 0;
			continue;
		}
		free(msg);
		print_report(argv[i], r, cli.json, &first);
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
	if (cli.json) {
		fputs("]", stdout);
		json_end();
	}
	rc = all_pass ? EXIT_OK : EXIT_FAILED;
	free(record);
	return rc;
}
