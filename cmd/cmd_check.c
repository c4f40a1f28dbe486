#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "keys.h"

static const char help[] =
"usage: custody check FILE --proof PROOF --key KEY\n"
"                     [--checkpoint SAVED [--consistency C]]\n"
"                     [--tsa-ca CA.pem] [--json]\n"
"\n"
"A fact-checker's check, offline and without an archive: is FILE the\n"
"document the outlet registered, in which log, when, and with what\n"
"evidence of time? In order: the proof's form; the checkpoint's\n"
"signature by KEY; the entry the proof carries; FILE's SHA-256 and size\n"
"against the entry; the entry's inclusion in the signed tree; a\n"
"checkpoint you saved earlier (the log must only have grown since); the\n"
"RFC 3161 timestamp over the checkpoint. Each failure names its step.\n"
"\n"
"  --proof PROOF       the proof file (`custody proof` writes it)\n"
"  --key KEY           the outlet's key: the verifier key `custody key\n"
"                      export --vkey` prints, an `ssh-ed25519 ...` line,\n"
"                      or a file holding either\n"
"  --checkpoint SAVED  a checkpoint of the same log you kept earlier\n"
"  --consistency C     the proof that the log grew from SAVED to the\n"
"                      proof's checkpoint (`custody consistency`)\n"
"  --tsa-ca CA.pem     timestamp authorities you trust; without it a\n"
"                      timestamp is checked but its authority is not\n"
"  --json              print the result as JSON\n"
"\n"
"Exit status: 0 every check passed, 1 one failed, 2 usage.\n";

#define PROOF_MAX (4 * 1024 * 1024)
#define NOTE_MAX (64 * 1024)

static void print_result(const custody_check_result *r, const char *file,
	const char *tsa_ca)
{
	printf("OK: %s is the document registered in the log %s\n",
		cli_name(file), cli_text(r->origin));
	printf("  registered   by %s, %s (the outlet's clock), entry %"
		PRIu64 ", version %" PRIu64 " of %s\n", r->actor,
		r->registered, r->index, r->version, r->path);
	printf("  document     SHA-256 %s, %" PRIu64 " bytes\n", r->sha256,
		r->size);
	if (r->is_derivative)
		printf("  derived      by %s from entry %" PRIu64 ", registered "
			"earlier in the same log (the original is not "
			"disclosed)\n", r->derivation, r->derived_from);
	printf("  log          %s at size %" PRIu64 ", root %s\n", r->origin,
		r->tree_size, r->root);
	printf("  signed by    %s, the key you gave\n", r->fingerprint);
	if (!r->has_timestamp)
		printf("  time         no timestamp: only the outlet's own "
			"records say when\n");
	else if (r->timestamp_trusted)
		printf("  time         registered before %s, by an RFC 3161 "
			"timestamp from %s (trusted: %s)\n",
			r->timestamp_time, r->timestamp_authority, tsa_ca);
	else
		printf("  time         an RFC 3161 timestamp says %s, from %s, "
			"but no trusted authority was given (--tsa-ca)\n",
			r->timestamp_time, r->timestamp_authority);
	if (r->has_old_checkpoint)
		printf("  history      consistent with the checkpoint of size %"
			PRIu64 " you saved\n", r->old_size);
}

static void json_result(const custody_check_result *r, int ok,
	const char *message)
{
	printf("{\"ok\":%s,\"failed_step\":", ok ? "true" : "false");
	json_string(stdout, ok ? NULL : r->failed_step);
	fputs(",\"error\":", stdout);
	json_string(stdout, message);
	fputs(",\"origin\":", stdout);
	json_string(stdout, r->origin[0] ? r->origin : NULL);
	printf(",\"tree_size\":%" PRIu64 ",\"root\":", r->tree_size);
	json_string(stdout, r->root[0] ? r->root : NULL);
	fputs(",\"fingerprint\":", stdout);
	json_string(stdout, r->fingerprint[0] ? r->fingerprint : NULL);
	printf(",\"index\":%" PRIu64 ",\"path\":", r->index);
	json_string(stdout, r->path[0] ? r->path : NULL);
	printf(",\"version\":%" PRIu64 ",\"size\":%" PRIu64 ",\"sha256\":",
		r->version, r->size);
	json_string(stdout, r->sha256[0] ? r->sha256 : NULL);
	fputs(",\"registered\":", stdout);
	json_string(stdout, r->registered[0] ? r->registered : NULL);
	fputs(",\"actor\":", stdout);
	json_string(stdout, r->actor[0] ? r->actor : NULL);
	printf(",\"timestamp\":%s", r->has_timestamp ? "{" : "null");
	if (r->has_timestamp) {
		fputs("\"time\":", stdout);
		json_string(stdout, r->timestamp_time);
		fputs(",\"authority\":", stdout);
		json_string(stdout, r->timestamp_authority);
		printf(",\"trusted\":%s}", r->timestamp_trusted ? "true" :
			"false");
	}
	if (r->has_old_checkpoint)
		printf(",\"saved_checkpoint_size\":%" PRIu64, r->old_size);
	if (r->is_derivative) {
		fputs(",\"derivation\":", stdout);
		json_string(stdout, r->derivation);
		printf(",\"derived_from\":%" PRIu64, r->derived_from);
	}
	fputs("}\n", stdout);
}

int cmd_check(int argc, char **argv)
{
	static const struct option own[] = {
		{ "proof", required_argument, NULL, 'p' },
		{ "key", required_argument, NULL, 'k' },
		{ "checkpoint", required_argument, NULL, 'c' },
		{ "consistency", required_argument, NULL, 'C' },
		{ "tsa-ca", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_options options = {
		.command = "check", .help = help,
		.common = CLI_JSON, .own = own,
	};
	custody_check_options opts = CUSTODY_CHECK_OPTIONS_INIT;
	custody_check_result result;
	custody_error *err = NULL;
	const char *proof_path = NULL, *key = NULL, *saved = NULL;
	const char *consistency = NULL;
	char *proof = NULL, *key_text = NULL, *saved_text = NULL;
	char *consistency_text = NULL;
	size_t proof_len = 0;
	struct cli cli;
	int c, rc = EXIT_FAILED;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0) {
		switch (c) {
		case 'p': proof_path = optarg; break;
		case 'k': key = optarg; break;
		case 'c': saved = optarg; break;
		case 'C': consistency = optarg; break;
		case 't': opts.tsa_ca = optarg; break;
		}
	}
	if (c < 0)
		return cli.status;
	if (argc - optind != 1)
		return cli_usage("check", "name the one FILE to check");
	if (proof_path == NULL || key == NULL)
		return cli_usage("check", "--proof and --key are required");
	if (consistency != NULL && saved == NULL)
		return cli_usage("check", "--consistency goes with "
			"--checkpoint");
	if (cli_read_file(proof_path, PROOF_MAX, &proof, &proof_len) !=
	    EXIT_OK || cli_key_text(key, &key_text) != EXIT_OK)
		goto done;
	opts.key = key_text;
	if (saved != NULL && cli_read_file(saved, NOTE_MAX, &saved_text,
	    &opts.old_checkpoint_len) != EXIT_OK)
		goto done;
	opts.old_checkpoint = saved_text;
	if (consistency != NULL && cli_read_file(consistency, NOTE_MAX,
	    &consistency_text, &opts.consistency_len) != EXIT_OK)
		goto done;
	opts.consistency = consistency_text;
	if (custody_check(argv[optind], proof, proof_len, &opts, &result,
	    &err) != 0) {
		if (cli.json)
			json_result(&result, 0, cli_error_text(err));
		cli_error("check failed at step '%s': %s", result.failed_step,
			cli_error_text(err));
		custody_error_free(err);
		goto done;
	}
	if (cli.json)
		json_result(&result, 1, NULL);
	else
		print_result(&result, argv[optind], opts.tsa_ca);
	rc = EXIT_OK;
done:
	free(proof);
	free(key_text);
	free(saved_text);
	free(consistency_text);
	return rc;
}
