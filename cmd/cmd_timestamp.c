#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "commands.h"
#include "keys.h"

static const char help[] =
"usage: custody timestamp request [-o FILE.tsq [--force]] [--json]\n"
"       custody timestamp request --tsa URL [--tsa-ca CA.pem] [--json]\n"
"       custody timestamp add FILE.tsr [--tsa-ca CA.pem] [--json]\n"
"\n"
"Trusted time for the log (RFC 3161). `request` writes a timestamp query\n"
"for the current checkpoint (SHA-256 of the signed checkpoint file), to\n"
"send to a timestamp authority (TSA) yourself, e.g.\n"
"  curl -H 'Content-Type: application/timestamp-query' \\\n"
"       --data-binary @q.tsq https://tsa.example/ -o r.tsr\n"
"`add` checks the authority's reply against the current checkpoint and\n"
"stores it, with the checkpoint, in the archive (one signed commit);\n"
"proofs of documents in that checkpoint then carry it. With --tsa,\n"
"`request` POSTs the query to URL itself and adds the reply; when this\n"
"key folder holds the outlet key and the checkpoint does not cover every\n"
"entry (members without the key added some), it first signs one that\n"
"does, so the time covers them too.\n"
"\n"
"  -o, --output FILE  write the query to FILE (default: standard output)\n"
"  --force            replace FILE if it exists\n"
"  --tsa URL          the authority's http(s) address\n"
"  --tsa-ca CA        PEM certificates of authorities you trust; without\n"
"                     it the reply is checked, but not whom it comes from\n"
"  --key NAME         sign the commit with this key (or CUSTODY_KEY)\n"
"  --passphrase-file FILE  read the key's passphrase from FILE\n"
"  --archive DIR      the archive (or CUSTODY_ARCHIVE)\n"
"  --json             print the result as JSON; for request -o FILE,\n"
"                     {query, bytes} (the query itself goes to a file)\n"
"\n"
"Examples:\n"
"  custody timestamp request --tsa https://tsa.example/\n"
"  custody timestamp request -o q.tsq\n"
"  custody timestamp add r.tsr --tsa-ca tsa-ca.pem\n";

static void print_info(const custody_timestamp_info *info, int json)
{
	if (json) {
		json_begin("timestamp");
		printf(",\"size\":%" PRIu64 ",\"time\":", info->size);
		json_string(stdout, info->time);
		fputs(",\"authority\":", stdout);
		json_string(stdout, info->authority);
		printf(",\"trusted\":%s,\"commit\":", info->trusted ? "true" :
			"false");
		json_string(stdout, info->commit);
		json_end();
		return;
	}
	printf("timestamped the checkpoint of size %" PRIu64 ": %s by %s%s; "
		"commit %.12s\n", info->size, info->time, info->authority,
		info->trusted ? "" : " (authority not checked: no --tsa-ca)",
		info->commit);
}

int cmd_timestamp(int argc, char **argv)
{
	static const struct option own[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "tsa", required_argument, NULL, 'u' },
		{ "tsa-ca", required_argument, NULL, 'c' },
		{ "force", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_options options = {
		.command = "timestamp", .help = help,
		.common = CLI_KEY | CLI_PASSPHRASE_FILE | CLI_ARCHIVE |
			CLI_JSON,
		.own = own, .short_options = "o:",
	};
	custody_timestamp_info info;
	custody_archive *archive = NULL;
	custody_key *key = NULL;
	custody_error *err = NULL;
	custody_buf query = CUSTODY_BUF_INIT;
	const char *output = NULL, *url = NULL, *ca = NULL, *verb;
	char *member = NULL, *reply = NULL;
	size_t reply_len;
	struct cli cli;
	uint64_t nonce;
	int c, rc = EXIT_FAILED, add, force = 0;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0) {
		switch (c) {
		case 'o': output = optarg; break;
		case 'u': url = optarg; break;
		case 'c': ca = optarg; break;
		case 'F': force = 1; break;
		}
	}
	if (c < 0)
		return cli.status;
	if (optind == argc)
		return cli_usage("timestamp", "say request or add");
	verb = argv[optind++];
	add = strcmp(verb, "add") == 0;
	if (!add && strcmp(verb, "request") != 0)
		return cli_usage("timestamp", "'%s' is not request or add",
			verb);
	if (argc - optind != (add ? 1 : 0))
		return cli_usage("timestamp", add ? "timestamp add wants the "
			"authority's reply FILE.tsr" : "timestamp request "
			"takes no argument");
	if (add && (url != NULL || output != NULL))
		return cli_usage("timestamp", "--tsa and -o go with request");
	if (!add && url != NULL && output != NULL)
		return cli_usage("timestamp", "-o and --tsa do not go together");
	if (!add && url == NULL && ca != NULL)
		return cli_usage("timestamp", "--tsa-ca goes with --tsa or add");
	if (!add && url == NULL && cli.json && (output == NULL ||
	    strcmp(output, "-") == 0))
		return cli_usage("timestamp", "--json prints on standard "
			"output; write the query to a file with -o FILE");
	if (force && output == NULL)
		return cli_usage("timestamp", "--force goes with -o FILE");
	if (cli_check_output(output, force) != EXIT_OK)
		return EXIT_FAILED;
	/* the addresses custody_timestamp_post takes */
	if (url != NULL && strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0)
		return cli_usage("timestamp", "--tsa '%s' must start with "
			"https:// or http://", cli_text(url));
	if (add && cli_read_file(argv[optind], 1 << 20, &reply, &reply_len) !=
	    EXIT_OK)
		return EXIT_FAILED;
	if (cli_open(&cli, &archive) != EXIT_OK)
		goto done;
	if (!add && url == NULL) {
		if (custody_archive_timestamp_request(archive, &query, &nonce,
		    &err) != 0) {
			rc = cli_fail(err);
			goto done;
		}
		rc = cli_write_output(output, query.ptr, query.size, force);
		if (rc == EXIT_OK && cli.json) {
			json_begin("timestamp-request");
			fputs(",\"query\":", stdout);
			json_string(stdout, output);
			printf(",\"bytes\":%zu", query.size);
			json_end();
		}
		goto done;
	}
	if (cli_signing_key(cli.key_name, cli.passphrase_file, &key,
	    &member) != EXIT_OK)
		goto done;
	custody_archive_set_signer(archive, key);
	{
		/* the outlet key, when this key folder holds it, signs the
		 * checkpoint of the change */
		const custody_key *outlet = NULL;

		if (cli_load_outlet_key(archive, cli.passphrase_file,
		    &outlet) != EXIT_OK) {
			rc = EXIT_FAILED;
			goto done;
		}
		custody_archive_set_log_key(archive, outlet);
	}
	if ((add ? custody_archive_timestamp_add(archive, reply, reply_len, 0,
	    ca, &info, &err) : custody_archive_timestamp_fetch(archive, url,
	    ca, &info, &err)) != 0) {
		rc = cli_fail(err);
		goto done;
	}
	print_info(&info, cli.json);
	rc = EXIT_OK;
done:
	custody_archive_free(archive);
	custody_key_free(key);
	custody_buf_dispose(&query);
	free(member);
	free(reply);
	return rc;
}
