#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "keys.h"

static const char cosign_help[] =
"usage: custody cosign [--key NAME] [--passphrase-file FILE]\n"
"                      [--archive DIR] [--json]\n"
"\n"
"Ask the archive's witnesses (`custody witness add`) to cosign its\n"
"checkpoint, and keep their cosignatures in the archive (one commit), so\n"
"`custody proof` hands readers a checkpoint that independent partners\n"
"vouch for: each has checked that it extends every checkpoint of this log\n"
"it cosigned before. A witness is sent the checkpoint with a consistency\n"
"proof from the size it last cosigned (C2SP tlog-witness); one that\n"
"answers with another size (409) is asked again from there. When this key\n"
"folder holds the outlet key and the checkpoint does not cover every\n"
"entry, a new one that does is signed first. Witnesses that cosigned this\n"
"checkpoint already are not asked again.\n"
"\n"
"Exit status: 0 the quorum is met; 1 it is not (what was collected is\n"
"kept; each witness's line says why it failed) or an error; 2 usage.\n"
"\n"
"  --key NAME              sign the commit with this key (or CUSTODY_KEY)\n"
"  --passphrase-file FILE  read the key's passphrase from FILE\n"
"  --archive DIR           the archive (or CUSTODY_ARCHIVE)\n"
"  --json                  print the result as JSON\n"
"\n"
"Examples:\n"
"  custody cosign\n"
"  custody cosign --json\n"
"  custody cosign --key jane --archive /srv/leaks\n";

static void print_json(const custody_cosign_info *info)
{
	json_begin("cosign");
	printf(",\"size\":%" PRIu64 ",\"root\":", info->size);
	json_string(stdout, info->root);
	printf(",\"cosignatures\":%zu,\"quorum_met\":%s,\"commit\":",
		info->cosignatures, info->quorum_met ? "true" : "false");
	json_string(stdout, info->commit[0] ? info->commit : NULL);
	fputs(",\"witnesses\":[", stdout);
	for (size_t i = 0; i < info->nwitnesses; i++) {
		const custody_cosign_witness *w = &info->witnesses[i];
		static const char *const results[] = { "not-asked", "failed",
			"cosigned", "already" };
		char when[32];

		fputs(i ? ",{\"name\":" : "{\"name\":", stdout);
		json_string(stdout, w->name);
		printf(",\"result\":\"%s\"", results[w->result + 1]);
		if (w->result > 0) {
			cli_utc(w->timestamp, when);
			printf(",\"timestamp\":%" PRIu64 ",\"time\":\"%s\"",
				w->timestamp, when);
		}
		if (w->result == 1)
			printf(",\"old_size\":%" PRIu64, w->old_size);
		if (w->result <= 0) {
			fputs(",\"error\":", stdout);
			json_string(stdout, w->message);
		}
		fputs("}", stdout);
	}
	fputs("]", stdout);
	json_end();
}

static void print_text(const custody_cosign_info *info)
{
	for (size_t i = 0; i < info->nwitnesses; i++) {
		const custody_cosign_witness *w = &info->witnesses[i];
		char when[32];

		if (w->result > 0)
			cli_utc(w->timestamp, when);
		if (w->result == 1)
			printf("%s: cosigned at %s (proof from size %" PRIu64
				")\n", cli_text(w->name), when, w->old_size);
		else if (w->result == 2)
			printf("%s: had cosigned it at %s\n",
				cli_text(w->name), when);
		else
			fprintf(stderr, "custody: %s: %s\n",
				cli_text(w->name), cli_text(w->message));
	}
	printf("checkpoint of size %" PRIu64 ": %zu cosignature%s, quorum "
		"%s%s%.12s\n", info->size, info->cosignatures,
		info->cosignatures == 1 ? "" : "s", info->quorum_met ? "met" :
		"NOT met", info->commit[0] ? "; commit " : "", info->commit);
}

int cmd_cosign(int argc, char **argv)
{
	static const struct option own[] = { { NULL, 0, NULL, 0 } };
	static const struct cli_options options = {
		.command = "cosign", .help = cosign_help,
		.common = CLI_KEY | CLI_PASSPHRASE_FILE | CLI_ARCHIVE |
			CLI_JSON,
		.own = own, .short_options = "",
	};
	custody_cosign_info info;
	custody_archive *archive = NULL;
	custody_key *key = NULL;
	custody_error *err = NULL;
	struct cli cli;
	int c, rc;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0)
		;
	if (c < 0)
		return cli.status;
	if (optind != argc)
		return cli_usage("cosign", "unexpected argument '%s'",
			argv[optind]);
	if (cli_open_signed(&cli, cli.key_name, cli.passphrase_file, &archive,
	    &key) != EXIT_OK)
		return EXIT_FAILED;
	rc = custody_archive_cosign(archive, &info, &err);
	if (info.nwitnesses > 0 || rc == 0) {
		if (cli.json)
			print_json(&info);
		else
			print_text(&info);
	}
	/* under --json the witnesses' reasons were printed already */
	if (rc != 0 && cli.json && info.nwitnesses > 0) {
		custody_error_free(err);
		rc = EXIT_FAILED;
	} else if (rc != 0) {
		rc = cli_fail(err);
	}
	custody_archive_free(archive);
	custody_key_free(key);
	return rc;
}

static const char policy_help[] =
"usage: custody policy export [-o FILE] [--force] [--archive DIR]\n"
"\n"
"Print the policy readers check this outlet's proofs with (C2SP\n"
"tlog-policy): the outlet key in force as its log, the witnesses and\n"
"the quorum. A reader saves it and runs `custody check --policy FILE`,\n"
"which then needs the outlet's signature and enough cosignatures. With\n"
"no witness yet it is the outlet key alone (\"quorum none\").\n"
"\n"
"  -o, --output FILE  write it to FILE (default: standard output)\n"
"  --force            replace FILE if it exists\n"
"  --archive DIR      the archive (or CUSTODY_ARCHIVE)\n"
"\n"
"Examples:\n"
"  custody policy export\n"
"  custody policy export -o example.org.policy\n";

int cmd_policy(int argc, char **argv)
{
	static const struct option own[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_options options = {
		.command = "policy", .help = policy_help,
		.common = CLI_ARCHIVE, .own = own, .short_options = "o:",
	};
	custody_archive *archive = NULL;
	custody_error *err = NULL;
	custody_buf text = CUSTODY_BUF_INIT;
	const char *output = NULL;
	struct cli cli;
	int c, rc, force = 0;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0) {
		if (c == 'o')
			output = optarg;
		else if (c == 'F')
			force = 1;
	}
	if (c < 0)
		return cli.status;
	if (optind == argc)
		return cli_usage("policy", "say export");
	if (strcmp(argv[optind], "export") != 0)
		return cli_usage("policy", "'%s' is not export",
			argv[optind]);
	if (optind + 1 != argc)
		return cli_usage("policy", "unexpected argument '%s'",
			argv[optind + 1]);
	if (cli_check_output(output, force) != EXIT_OK)
		return EXIT_FAILED;
	if (cli_open(&cli, &archive) != EXIT_OK)
		return EXIT_FAILED;
	if (custody_archive_policy_text(archive, &text, &err) != 0)
		rc = cli_fail(err);
	else
		rc = cli_write_output(output, text.ptr, text.size, force);
	custody_buf_dispose(&text);
	custody_archive_free(archive);
	return rc;
}
