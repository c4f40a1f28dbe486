#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "keys.h"

static const char help[] =
"usage: custody bag validate BAG [--legacy-encoding] [--threads N]\n"
"                   [--key KEY | --policy POLICY] [--json]\n"
"       custody bag export OUT [PATH...] [--link] [--fetch-base URL]\n"
"                   [--at SIZE|CHECKPOINT] [--archive DIR] [--json]\n"
"       custody bag import BAG [--into DIR] [--legacy-encoding] [--key NAME]\n"
"                   [--passphrase-file FILE] [--wait SECONDS]\n"
"                   [--archive DIR] [--json]\n"
"       custody bag fetch BAG [--allow-file] [--key KEY | --policy POLICY]\n"
"                   [--max-bytes N] [--legacy-encoding] [--json]\n"
"\n"
"BagIt bags (RFC 8493), the format libraries and archives move\n"
"collections in. `validate` checks any bag, made by any tool: complete\n"
"(bagit.txt, data/, every listed file present, every payload file in\n"
"every payload manifest) and valid (every checksum of every payload and\n"
"tag manifest: md5, sha1, sha224, sha256, sha384, sha512), with\n"
"Payload-Oxum, fetch.txt, paths and tag-file encodings. It lists every\n"
"problem, not only the first, as FILE:LINE: and the RFC's section, on\n"
"stderr; warnings (names equal after Unicode normalisation, '%' left\n"
"unencoded, weak algorithms) do not make a bag invalid. In manifest\n"
"and fetch.txt paths only %0D, %0A and %25 are decoded, as the RFC says;\n"
"any other %XX is part of the name.\n"
"\n"
"`export` makes the new folder OUT a bag of the registered documents\n"
"(PATHs, or all), latest versions: data/, SHA-256 and SHA-512 manifests\n"
"from one read of each file, checked against its entry as it is copied,\n"
"bag-info.txt, tag manifests, and custody/checkpoint and one\n"
"custody/proofs/PATH.proof per file, so the bag proves itself offline.\n"
"`import` validates BAG, copies its payload into the collection (data/X\n"
"to X, or DIR/X) and registers it with a `received` event per document\n"
"naming the bag, in one signed commit; nothing is taken if one name is\n"
"refused or already there. `fetch` completes a holey bag: each file\n"
"fetch.txt lists is downloaded (http, https), checked against its\n"
"length, the manifests and (with --key) its custody proof, then moved in.\n"
"On a terminal a progress line on stderr shows the files and bytes done.\n"
"\n"
"  --legacy-encoding   take manifest paths as written, decoding nothing\n"
"                      (bags from tools that wrote raw names)\n"
"  --threads N         hashing threads (default: one per core)\n"
"  --key KEY           validate: check custody/proofs/ too, each proof\n"
"                      against its file, with the outlet's key (as\n"
"                      custody check --key); import: the key to sign\n"
"                      with (or CUSTODY_KEY)\n"
"  --policy POLICY     validate: the same with the outlet's witness policy\n"
"  --into DIR          import: the collection folder to put the payload in\n"
"  --allow-file        fetch: file:// URLs too\n"
"  --max-bytes N       fetch: stop a file that brings more than N bytes\n"
"                      (default 16 GiB; fetch.txt's length '-' sets none)\n"
"  --passphrase-file FILE  the signing key's passphrase (or\n"
"                      CUSTODY_PASSPHRASE)\n"
"  --wait SECONDS      wait this long if another process holds the archive\n"
"  --link              hard-link files from the collection, not copy\n"
"  --fetch-base URL    a holey bag: no payload, fetch.txt lists URL+PATH\n"
"  --at SIZE           the collection when the log had SIZE entries (or\n"
"                      the size of a saved checkpoint file)\n"
"  --archive DIR       the archive (or CUSTODY_ARCHIVE)\n"
"  --json              print the result (and every problem) as JSON\n"
"\n"
"Examples:\n"
"  custody bag validate delivery/\n"
"  custody bag validate delivery/ --key outlet.vkey --json\n"
"  custody bag import delivery/ --into received/2026-12\n"
"\n"
"Exit status: 0 the bag is valid, 1 it is not (or an error), 2 usage.\n";

struct shown {
	const char *bag;
	int json;
	int first;
	FILE *out;      /* where JSON problems go (a memory stream) */
};

static const char *severity_word(custody_bag_severity s)
{
	return s == CUSTODY_BAG_ERROR ? "error" : "warning";
}

static int print_problem(const custody_bag_problem *p, void *payload)
{
	struct shown *shown = payload;
	char where[64] = "";

	cli_progress_end();
	if (shown->json) {
		FILE *out = shown->out;

		fputs(shown->first ? "{\"severity\":" : ",{\"severity\":",
			out);
		shown->first = 0;
		json_string(out, severity_word(p->severity));
		fputs(",\"file\":", out);
		json_string(out, p->file);
		fprintf(out, ",\"line\":%zu,\"path\":", p->line);
		json_string(out, p->path);
		fputs(",\"section\":", out);
		json_string(out, p->section);
		fputs(",\"message\":", out);
		json_string(out, p->message);
		fputs("}", out);
		return 0;
	}
	if (p->line > 0)
		snprintf(where, sizeof(where), ":%zu", p->line);
	if (p->path != NULL && strcmp(p->path, p->file) != 0)
		fprintf(stderr, "custody: %s/%s%s: %s: %s: %s (RFC 8493 %s)\n",
			cli_name(shown->bag), cli_name(p->file), where,
			severity_word(p->severity), cli_name(p->path),
			cli_text(p->message), p->section);
	else
		fprintf(stderr, "custody: %s/%s%s: %s: %s (RFC 8493 %s)\n",
			cli_name(shown->bag), cli_name(p->file), where,
			severity_word(p->severity), cli_text(p->message),
			p->section);
	return 0;
}

/* BAG without the slashes it may end in, for BAG/FILE in messages. */
static char *bag_name(const char *bag)
{
	size_t n = strlen(bag);
	char *name;

	while (n > 1 && bag[n - 1] == '/')
		n--;
	if ((name = strndup(bag, n)) == NULL)
		cli_oom();
	return name;
}

static int bag_export(struct cli *cli, const char *out,
	char **paths, size_t npaths, const custody_bag_export_options *opts)
{
	custody_bag_export_summary sum;
	custody_archive *archive = NULL;
	custody_error *err = NULL;
	int rc;

	if (cli_open(cli, &archive) != EXIT_OK)
		return EXIT_FAILED;
	rc = custody_bag_export(archive, out, (const char *const *)paths,
		npaths, opts, &sum, &err);
	cli_progress_end();
	custody_archive_free(archive);
	if (rc != 0)
		return cli_fail(err);
	if (cli->json) {
		json_begin("bag-export");
		fputs(",\"bag\":", stdout);
		json_string(stdout, out);
		printf(",\"files\":%" PRIu64 ",\"fetch\":%" PRIu64
			",\"bytes\":%" PRIu64 ",\"proofs\":%" PRIu64
			",\"origin\":",
			sum.files, sum.holes, sum.bytes, sum.proofs);
		json_string(stdout, sum.origin);
		printf(",\"tree_size\":%" PRIu64, sum.tree_size);
		json_end();
	} else {
		printf("bag %s: %" PRIu64 " file%s, %" PRIu64 " bytes",
			cli_name(out), sum.files + sum.holes,
			sum.files + sum.holes == 1 ? "" : "s", sum.bytes);
		if (sum.holes > 0)
			printf(" (%" PRIu64 " to fetch)", sum.holes);
		printf(", %" PRIu64 " custody proof%s at checkpoint %s/%"
			PRIu64 "\n", sum.proofs, sum.proofs == 1 ? "" : "s",
			cli_text(sum.origin), sum.tree_size);
	}
	return EXIT_OK;
}

static int bag_import(struct cli *cli, const char *bag,
	custody_bag_import_options *opts)
{
	custody_bag_import_summary sum;
	custody_archive *archive = NULL;
	custody_key *key = NULL;
	custody_error *err = NULL;
	struct shown shown = { NULL, 0, 1 };
	int rc;

	if ((shown.bag = bag_name(bag)) == NULL)
		return EXIT_FAILED;
	if (cli_open_signed(cli, cli->key_name, cli->passphrase_file,
	    &archive, &key) != EXIT_OK) {
		free((char *)shown.bag);
		return EXIT_FAILED;
	}
	opts->problem = print_problem;
	opts->payload = &shown;
	opts->lock_wait_ms = cli->wait_ms;
	rc = custody_bag_import(archive, bag, opts, &sum, &err);
	cli_progress_end();
	custody_archive_free(archive);
	custody_key_free(key);
	free((char *)shown.bag);
	if (rc != 0)
		return cli_fail(err);
	if (cli->json) {
		json_begin("bag-import");
		fputs(",\"bag\":", stdout);
		json_string(stdout, bag);
		printf(",\"files\":%" PRIu64 ",\"registered\":%" PRIu64
			",\"new_versions\":%" PRIu64 ",\"received_events\":%"
			PRIu64 ",\"commit\":", sum.files, sum.registered,
			sum.new_versions, sum.events);
		json_string(stdout, sum.commit);
		fputs(",\"manifest\":", stdout);
		json_string(stdout, sum.manifest);
		fputs(",\"manifest_sha256\":", stdout);
		json_string(stdout, sum.manifest_sha256);
		fputs(",\"bagging_date\":", stdout);
		json_string(stdout, sum.bagging_date[0] ? sum.bagging_date :
			NULL);
		fputs(",\"source_organization\":", stdout);
		json_string(stdout, sum.source[0] ? sum.source : NULL);
		json_end();
	} else {
		printf("imported %s: %" PRIu64 " registered, %" PRIu64
			" received event%s; commit %.12s\n", cli_name(bag),
			sum.registered + sum.new_versions, sum.events,
			sum.events == 1 ? "" : "s", sum.commit);
	}
	return EXIT_OK;
}

static int bag_fetch(struct cli *cli, const char *bag,
	custody_bag_fetch_options *opts)
{
	custody_bag_fetch_summary sum;
	custody_error *err = NULL;
	struct shown shown = { NULL, 0, 1 };
	int rc;

	if ((shown.bag = bag_name(bag)) == NULL)
		return EXIT_FAILED;
	opts->problem = print_problem;
	opts->payload = &shown;
	rc = custody_bag_fetch(bag, opts, &sum, &err);
	cli_progress_end();
	free((char *)shown.bag);
	if (rc != 0 && rc != CUSTODY_EVERIFY)
		return cli_fail(err);
	if (cli->json) {
		json_begin("bag-fetch");
		printf(",\"fetched\":%zu,\"present\":%zu,\"failed\":%zu,"
			"\"bytes\":%" PRIu64, sum.fetched, sum.present,
			sum.failed, sum.bytes);
		json_end();
	}
	else
		printf("fetched %zu file%s (%" PRIu64 " bytes), %zu already "
			"there, %zu failed\n", sum.fetched, sum.fetched == 1 ?
			"" : "s", sum.bytes, sum.present, sum.failed);
	custody_error_free(err);
	return rc == 0 ? EXIT_OK : EXIT_FAILED;
}

static int bag_validate(struct cli *cli, const char *bag,
	custody_bag_validate_options *opts)
{
	custody_bag_summary sum;
	custody_error *err = NULL;
	struct shown shown = { NULL, cli->json, 1, NULL };
	char *problems = NULL;
	size_t problems_len = 0;
	int rc;

	if ((shown.bag = bag_name(bag)) == NULL)
		return EXIT_FAILED;
	if (cli->json && (shown.out = open_memstream(&problems,
	    &problems_len)) == NULL) {
		free((char *)shown.bag);
		cli_oom();
		return EXIT_FAILED;
	}
	opts->problem = print_problem;
	opts->payload = &shown;
	rc = custody_bag_validate(bag, opts, &sum, &err);
	cli_progress_end();
	if (shown.out != NULL)
		fclose(shown.out);
	if (rc != 0 && rc != CUSTODY_EVERIFY) {
		free(problems);
		free((char *)shown.bag);
		return cli_fail(err);
	}
	custody_error_free(err);
	if (cli->json) {
		json_begin("bag-validate");
		printf(",\"problems\":[%s]", problems ? problems : "");
		fputs(",\"bag\":", stdout);
		json_string(stdout, bag);
		printf(",\"valid\":%s,\"complete\":%s,\"bagit_version\":",
			sum.valid ? "true" : "false",
			sum.complete ? "true" : "false");
		json_string(stdout, sum.bagit_version[0] ? sum.bagit_version :
			NULL);
		fputs(",\"encoding\":", stdout);
		json_string(stdout, sum.encoding);
		fputs(",\"algorithms\":", stdout);
		json_string(stdout, sum.algorithms);
		fputs(",\"tag_algorithms\":", stdout);
		json_string(stdout, sum.tag_algorithms);
		printf(",\"payload_files\":%" PRIu64 ",\"payload_bytes\":%"
			PRIu64 ",\"fetch_missing\":%" PRIu64 ",\"errors\":%zu,"
			"\"warnings\":%zu,\"proofs_checked\":%zu",
			sum.payload_files, sum.payload_bytes, sum.fetch_missing,
			sum.errors, sum.warnings, sum.proofs_checked);
		json_end();
	} else if (sum.valid) {
		printf("valid: %s: BagIt %s, %" PRIu64 " payload file%s, %"
			PRIu64 " bytes, manifests %s%s%s", cli_name(shown.bag),
			sum.bagit_version, sum.payload_files,
			sum.payload_files == 1 ? "" : "s", sum.payload_bytes,
			sum.algorithms, sum.tag_algorithms[0] ?
			", tag manifests " : "", sum.tag_algorithms);
		if (sum.proofs_checked > 0)
			printf(", %zu custody proof%s checked",
				sum.proofs_checked, sum.proofs_checked == 1 ?
				"" : "s");
		if (sum.warnings > 0)
			printf("; %zu warning%s", sum.warnings,
				sum.warnings == 1 ? "" : "s");
		putchar('\n');
	} else {
		printf("invalid: %s: %zu error%s, %zu warning%s\n",
			cli_name(shown.bag), sum.errors,
			sum.errors == 1 ? "" : "s", sum.warnings,
			sum.warnings == 1 ? "" : "s");
	}
	free(problems);
	free((char *)shown.bag);
	return sum.valid ? EXIT_OK : EXIT_FAILED;
}

/* --at: a log size, or a checkpoint file (its second line is the size) */
static int at_size(const char *text, uint64_t *out)
{
	char *note = NULL, *line;
	size_t len;
	int rc = EXIT_USAGE;

	if (cli_parse_u64(text, out) == 0 && *out > 0)
		return EXIT_OK;
	if (cli_read_file(text, 64 * 1024, &note, &len) != EXIT_OK)
		return EXIT_USAGE;
	line = strchr(note, '\n');
	if (line != NULL) {
		char *end = strchr(line + 1, '\n');

		if (end != NULL)
			*end = '\0';
		if (cli_parse_u64(line + 1, out) == 0 && *out > 0)
			rc = EXIT_OK;
	}
	if (rc != EXIT_OK)
		cli_usage("bag", "--at wants a log size or a checkpoint file, "
			"not '%s'", text);
	free(note);
	return rc;
}

int cmd_bag(int argc, char **argv)
{
	static const struct option own[] = {
		{ "legacy-encoding", no_argument, NULL, 'L' },
		{ "threads", required_argument, NULL, 't' },
		{ "key", required_argument, NULL, 'k' },
		{ "policy", required_argument, NULL, 'P' },
		{ "link", no_argument, NULL, 'l' },
		{ "fetch-base", required_argument, NULL, 'f' },
		{ "into", required_argument, NULL, 'i' },
		{ "allow-file", no_argument, NULL, 'F' },
		{ "at", required_argument, NULL, 'a' },
		{ "max-bytes", required_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_options options = {
		.command = "bag", .help = help,
		.common = CLI_JSON | CLI_ARCHIVE | CLI_PASSPHRASE_FILE |
			CLI_WAIT,
		.own = own,
	};
	custody_bag_validate_options vopts = CUSTODY_BAG_VALIDATE_OPTIONS_INIT;
	custody_bag_export_options eopts = CUSTODY_BAG_EXPORT_OPTIONS_INIT;
	custody_bag_import_options iopts = CUSTODY_BAG_IMPORT_OPTIONS_INIT;
	custody_bag_fetch_options fopts = CUSTODY_BAG_FETCH_OPTIONS_INIT;
	int validate_only = 0, export_only = 0, import_only = 0;
	const char *verb, *key = NULL, *policy = NULL;
	char *key_text = NULL, *policy_text = NULL;
	struct cli cli;
	uint64_t n;
	int c, rc = EXIT_FAILED;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0) {
		switch (c) {
		case 'L':
			vopts.legacy_encoding = iopts.legacy_encoding = 1;
			break;
		case 't':
			if (cli_parse_u64(optarg, &n) != 0 || n == 0 ||
			    n > 1024)
				return cli_usage("bag", "--threads wants 1 to "
					"1024, not '%s'", optarg);
			vopts.threads = iopts.threads = (unsigned int)n;
			break;
		case 'k': key = optarg; break;
		case 'P': policy = optarg; validate_only = 1; break;
		case 'l': eopts.link = 1; export_only = 1; break;
		case 'f': eopts.fetch_base = optarg; export_only = 1; break;
		case 'i': iopts.into = optarg; import_only = 1; break;
		case 'F': fopts.allow_file = 1; break;
		case 'M':
			if (cli_parse_u64(optarg, &n) != 0 || n == 0)
				return cli_usage("bag", "--max-bytes wants a "
					"number of bytes, not '%s'", optarg);
			fopts.max_bytes = n;
			break;
		case 'a':
			if (at_size(optarg, &eopts.at) != EXIT_OK)
				return EXIT_USAGE;
			export_only = 1;
			break;
		}
	}
	if (c < 0)
		return cli.status;
	/* the progress line is for people: not beside --json */
	if (cli.progress && !cli.json)
		vopts.progress = eopts.progress = iopts.progress =
			fopts.progress = cli_progress;
	if (optind == argc)
		return cli_usage("bag", "say validate, export, import or "
			"fetch");
	verb = argv[optind++];
	if (strcmp(verb, "import") == 0) {
		if (validate_only || export_only || policy != NULL ||
		    fopts.allow_file || fopts.max_bytes != 0)
			return cli_usage("bag", "bag import takes --into, "
				"--legacy-encoding, --threads, --key and the "
				"common options");
		if (argc - optind != 1)
			return cli_usage("bag", "bag import wants one BAG");
		cli.key_name = key;
		return bag_import(&cli, argv[optind], &iopts);
	}
	if ((fopts.allow_file || fopts.max_bytes != 0) &&
	    strcmp(verb, "fetch") != 0)
		return cli_usage("bag", "--allow-file and --max-bytes are for "
			"bag fetch");
	if (import_only || cli.passphrase_file != NULL || cli.wait_ms != 0)
		return cli_usage("bag", "--into, --passphrase-file and --wait "
			"are for bag import");
	if (strcmp(verb, "export") == 0) {
		if (validate_only || key != NULL || policy != NULL ||
		    vopts.legacy_encoding || vopts.threads != 0)
			return cli_usage("bag", "--legacy-encoding, --threads, "
				"--key and --policy are not for bag export");
		if (argc - optind < 1)
			return cli_usage("bag", "bag export wants OUT, the "
				"new bag's folder");
		if (eopts.fetch_base != NULL && (strstr(eopts.fetch_base,
		    "://") == NULL || strpbrk(eopts.fetch_base, " \t\r\n")))
			return cli_usage("bag", "--fetch-base wants an "
				"absolute URL without spaces, not '%s'",
				eopts.fetch_base);
		return bag_export(&cli, argv[optind], argv + optind + 1,
			(size_t)(argc - optind - 1), &eopts);
	}
	if (strcmp(verb, "validate") != 0 && strcmp(verb, "fetch") != 0)
		return cli_usage("bag", "'%s' is not validate, export, import "
			"or fetch", verb);
	if (export_only)
		return cli_usage("bag", "--link and --fetch-base are for bag "
			"export");
	if (argc - optind != 1)
		return cli_usage("bag", "bag %s wants one BAG", verb);
	if (key != NULL && policy != NULL)
		return cli_usage("bag", "--key or --policy, not both");
	if ((key != NULL && cli_key_text(key, &key_text) != EXIT_OK) ||
	    (policy != NULL && cli_read_file(policy, 64 * 1024, &policy_text,
	    &vopts.policy_len) != EXIT_OK))
		goto done;
	vopts.key = fopts.key = key_text;
	vopts.policy = fopts.policy = policy_text;
	fopts.policy_len = vopts.policy_len;
	fopts.legacy_encoding = vopts.legacy_encoding;
	if (strcmp(verb, "fetch") == 0)
		rc = bag_fetch(&cli, argv[optind], &fopts);
	else
		rc = bag_validate(&cli, argv[optind], &vopts);
done:
	free(key_text);
	free(policy_text);
	return rc;
}
