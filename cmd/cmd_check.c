#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "keys.h"

static const char help[] =
"usage: custody check FILE --proof PROOF (--key KEY | --policy POLICY)\n"
"                     [--checkpoint SAVED [--consistency C]]\n"
"                     [--tsa-ca CA.pem] [--json]\n"
"\n"
"A fact-checker's check, offline and without an archive: is FILE the\n"
"document the outlet registered, in which log, when, and with what\n"
"evidence of time? In order: the proof's form; the checkpoint's\n"
"signature by KEY; the entry the proof carries; the private fields the\n"
"outlet chose to disclose, each against the entry's commitment; FILE's\n"
"SHA-256 and size against the entry; the entry's inclusion in the signed\n"
"tree; the publication entry that names the document, in the same tree;\n"
"a checkpoint you saved earlier (the log must only have grown since);\n"
"the RFC 3161 timestamp over the checkpoint. Each failure names its\n"
"step. For an e-mail message the proof also carries its DKIM verdict\n"
"(a dkim entry, `custody dkim`), proven in the same tree: shown per\n"
"signature with the key-observation time and, where custody has a DKIM\n"
"verifier, the message verified again against the key records the\n"
"entry carries, at that time (step 'dkim-verdict'). A proof shows the document's public fields (digest, size, type,\n"
"time, derivation, publication); its path, who registered it, notes and\n"
"source labels stay private unless the outlet disclosed them.\n"
"\n"
"  --proof PROOF       the proof file (`custody proof` writes it)\n"
"  --key KEY           the outlet's key: the verifier key `custody key\n"
"                      export --vkey` prints, an `ssh-ed25519 ...` line,\n"
"                      or a file holding either\n"
"  --policy POLICY     the outlet's witness policy (C2SP tlog-policy,\n"
"                      `custody policy export`): its log key instead of\n"
"                      --key, and cosignatures by its witnesses to its\n"
"                      quorum, so the outlet cannot show you a history\n"
"                      it did not show them\n"
"  --checkpoint SAVED  a checkpoint of the same log you kept earlier\n"
"  --consistency C     the proof that the log grew from SAVED to the\n"
"                      proof's checkpoint (`custody consistency`)\n"
"  --tsa-ca CA.pem     timestamp authorities you trust; without it a\n"
"                      timestamp is checked but its authority is not\n"
"  --json              print the result as JSON\n"
"\n"
"Examples:\n"
"  custody check memo.pdf --proof memo.proof --key outlet.vkey\n"
"  custody check memo.pdf --proof memo.proof --key outlet.vkey \\\n"
"      --checkpoint saved.checkpoint --consistency grew.proof\n"
"\n"
"Exit status: 0 every check passed, 1 one failed, 2 usage.\n";

#define PROOF_MAX (4 * 1024 * 1024)
#define NOTE_MAX (64 * 1024)

/* The private fields the outlet disclosed, each as checked, and those
 * it kept private. */
static void print_disclosed(const custody_check_result *r)
{
	const struct { const char *name; const char *value; } shown[] = {
		{ "path", r->path }, { "actor", r->actor },
		{ "note", r->note }, { "source", r->source },
		{ "blob", r->blob },
	};
	char kept[CUSTODY_FIELDS_SIZE], list[CUSTODY_FIELDS_SIZE + 2];
	size_t used = 0;

	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		if (shown[i].value[0] != '\0')
			printf("  disclosed    by the outlet: %s = %s\n",
				shown[i].name, strcmp(shown[i].name, "path")
				== 0 ? cli_name(shown[i].value) :
				cli_text(shown[i].value));
	if (r->version != 0)
		printf("  disclosed    by the outlet: version = %" PRIu64 "\n",
			r->version);
	if (r->has_previous)
		printf("  disclosed    by the outlet: previous = %" PRIu64
			" (the entry of the version before)\n", r->previous);
	if (!r->private_fields_known) {
		printf("  private      every field but the public ones (the "
			"outlet disclosed none)\n");
		return;
	}
	/* the entry's private fields less those disclosed */
	kept[0] = '\0';
	snprintf(list, sizeof(list), ",%s,", r->disclosed);
	for (const char *p = r->private_fields; *p != '\0';) {
		size_t n = strcspn(p, ",");
		char name[CUSTODY_FIELDS_SIZE + 2];

		snprintf(name, sizeof(name), ",%.*s,", (int)n, p);
		if (strstr(list, name) == NULL && used < sizeof(kept))
			used += (size_t)snprintf(kept + used, sizeof(kept) -
				used, "%s%.*s", used ? ", " : "", (int)n, p);
		p += n + (p[n] == ',');
	}
	if (used == 0)
		printf("  private      none: the outlet disclosed every "
			"field\n");
	else
		printf("  private      %s (not disclosed)\n", kept);
}

/* The message's DKIM verdict: per signature, what binds it, and whether
 * it was verified again here. */
static void print_dkim(const custody_check_result *r)
{
	if (!r->has_dkim) {
		if (r->is_message)
			printf("  dkim         no dkim entry: the outlet recorded "
				"no DKIM verdict on this message before this "
				"checkpoint\n");
		return;
	}
	/* the resolver: "-" when the key records came from a file */
	printf("  dkim         %s, entry %" PRIu64 ": keys observed %s%s%s\n",
		r->dkim_verdict, r->dkim_entry, r->dkim_observed,
		strcmp(r->dkim_resolver, "-") == 0 ? "" :
		strcmp(r->dkim_resolver, "system") == 0 ?
		", asked of the system's resolver" : ", asked of ",
		strcmp(r->dkim_resolver, "-") == 0 ||
		strcmp(r->dkim_resolver, "system") == 0 ? "" :
		cli_text(r->dkim_resolver));
	for (size_t i = 0; i < r->ndkim_signatures; i++) {
		const struct custody_check_dkim_signature *s =
			&r->dkim_signatures[i];
		char bits[32] = "key";

		if (s->key_bits > 0)
			snprintf(bits, sizeof(bits), "%ld-bit key",
				s->key_bits);
		printf("  signature    d=%s s=%s a=%s: %s (%s from %s, "
			"DNSSEC %s)\n", cli_text(s->domain),
			cli_text(s->selector), cli_text(s->algorithm),
			cli_text(s->result), bits, cli_text(s->key_source),
			cli_text(s->key_dnssec));
	}
	if (r->has_timestamp)
		printf("  dkim bound   entry %" PRIu64 " is in the same signed "
			"tree, which the timestamp dates: verdict and key "
			"records recorded before %s\n", r->dkim_entry,
			r->timestamp_time);
	else
		printf("  dkim bound   entry %" PRIu64 " is in the same signed "
			"tree (size %" PRIu64 "); no timestamp dates it\n",
			r->dkim_entry, r->tree_size);
	if (r->dkim_reverified)
		printf("  dkim again   verified again here against the key "
			"records of entry %" PRIu64 " at %s: %s\n",
			r->dkim_entry, r->dkim_observed, r->dkim_verdict);
	else
		printf("  dkim again   not verified again: this custody has no "
			"DKIM verifier; the verdict shown is the one recorded\n");
}

static void print_result(const custody_check_result *r, const char *file,
	const char *tsa_ca)
{
	printf("OK: %s is the document registered in the log %s\n",
		cli_name(file), cli_text(r->origin));
	printf("  registered   %s (the outlet's clock), entry %" PRIu64 "\n",
		r->registered, r->index);
	printf("  document     SHA-256 %s, %" PRIu64 " bytes\n", r->sha256,
		r->size);
	if (r->is_derivative)
		printf("  derived      by %s from entry %" PRIu64 ", registered "
			"earlier in the same log (the original is not "
			"disclosed)\n", r->derivation, r->derived_from);
	if (r->published)
		printf("  publication  published at %s on %s (entry %" PRIu64
			")\n", cli_text(r->url), r->published_at,
			r->publication);
	else
		printf("  publication  registered, not recorded as "
			"published\n");
	print_dkim(r);
	print_disclosed(r);
	printf("  log          %s at size %" PRIu64 ", root %s\n", r->origin,
		r->tree_size, r->root);
	printf("  signed by    %s, the %s\n", r->fingerprint,
		r->has_policy ? "log key of the policy" : "key you gave");
	if (r->has_policy && r->nwitnesses == 0)
		printf("  witnesses    none: the policy asks for no "
			"cosignature\n");
	else if (r->has_policy)
		printf("  witnesses    %zu of the policy's %zu cosigned it, "
			"quorum %s met\n", r->ncosigners, r->nwitnesses,
			cli_text(r->quorum));
	for (size_t i = 0; r->has_policy && i < r->ncosigners; i++) {
		char when[32];

		cli_utc(r->cosigners[i].timestamp, when);
		printf("  cosigned     by %s at %s\n",
			cli_text(r->cosigners[i].name), when);
	}
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

/* The disclosure and the publication as JSON members. */
static void json_disclosure(const custody_check_result *r)
{
	fputs(",\"note\":", stdout);
	json_string(stdout, r->note[0] ? r->note : NULL);
	fputs(",\"source\":", stdout);
	json_string(stdout, r->source[0] ? r->source : NULL);
	fputs(",\"blob\":", stdout);
	json_string(stdout, r->blob[0] ? r->blob : NULL);
	if (r->has_previous)
		printf(",\"previous\":%" PRIu64, r->previous);
	fputs(",\"disclosed\":[", stdout);
	for (const char *p = r->disclosed; *p != '\0';) {
		size_t n = strcspn(p, ",");

		printf("%s\"%.*s\"", p == r->disclosed ? "" : ",", (int)n, p);
		p += n + (p[n] == ',');
	}
	fputs("],\"private_fields\":", stdout);
	if (!r->private_fields_known) {
		fputs("null", stdout);
	} else {
		fputs("[", stdout);
		for (const char *p = r->private_fields; *p != '\0';) {
			size_t n = strcspn(p, ",");

			printf("%s\"%.*s\"", p == r->private_fields ? "" :
				",", (int)n, p);
			p += n + (p[n] == ',');
		}
		fputs("]", stdout);
	}
	printf(",\"publication\":%s", r->published ? "{" : "null");
	if (r->published) {
		printf("\"entry\":%" PRIu64 ",\"url\":", r->publication);
		json_string(stdout, r->url);
		fputs(",\"title\":", stdout);
		json_string(stdout, r->title[0] ? r->title : NULL);
		fputs(",\"published\":", stdout);
		json_string(stdout, r->published_at);
		fputs("}", stdout);
	}
}

static void json_dkim(const custody_check_result *r)
{
	printf(",\"message\":%s,\"dkim\":", r->is_message ? "true" :
		"false");
	if (!r->has_dkim) {
		fputs("null", stdout);
		return;
	}
	printf("{\"entry\":%" PRIu64 ",\"verdict\":", r->dkim_entry);
	json_string(stdout, r->dkim_verdict);
	fputs(",\"observed\":", stdout);
	json_string(stdout, r->dkim_observed);
	fputs(",\"resolver\":", stdout);
	json_string(stdout, r->dkim_resolver);
	printf(",\"reverified\":%s,\"signatures\":[", r->dkim_reverified ?
		"true" : "false");
	for (size_t i = 0; i < r->ndkim_signatures; i++) {
		const struct custody_check_dkim_signature *s =
			&r->dkim_signatures[i];

		fputs(i ? ",{\"domain\":" : "{\"domain\":", stdout);
		json_string(stdout, s->domain);
		fputs(",\"selector\":", stdout);
		json_string(stdout, s->selector);
		fputs(",\"algorithm\":", stdout);
		json_string(stdout, s->algorithm);
		fputs(",\"result\":", stdout);
		json_string(stdout, s->result);
		fputs(",\"key_source\":", stdout);
		json_string(stdout, s->key_source);
		fputs(",\"key_dnssec\":", stdout);
		json_string(stdout, s->key_dnssec);
		if (s->key_bits > 0)
			printf(",\"key_bits\":%ld}", s->key_bits);
		else
			fputs(",\"key_bits\":null}", stdout);
	}
	fputs("]}", stdout);
}

static void json_result(const custody_check_result *r, int ok,
	const char *message)
{
	json_begin("check");
	printf(",\"ok\":%s,\"failed_step\":", ok ? "true" : "false");
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
	if (r->version != 0)
		printf(",\"version\":%" PRIu64, r->version);
	else
		fputs(",\"version\":null", stdout);
	printf(",\"size\":%" PRIu64 ",\"sha256\":", r->size);
	json_string(stdout, r->sha256[0] ? r->sha256 : NULL);
	fputs(",\"registered\":", stdout);
	json_string(stdout, r->registered[0] ? r->registered : NULL);
	fputs(",\"actor\":", stdout);
	json_string(stdout, r->actor[0] ? r->actor : NULL);
	json_disclosure(r);
	json_dkim(r);
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
	if (r->has_policy) {
		printf(",\"witnesses\":{\"quorum\":");
		json_string(stdout, r->quorum);
		printf(",\"quorum_met\":%s,\"policy_witnesses\":%zu,"
			"\"cosigned\":[", r->quorum_met ? "true" : "false",
			r->nwitnesses);
		for (size_t i = 0; i < r->ncosigners; i++) {
			char when[32];

			cli_utc(r->cosigners[i].timestamp, when);
			fputs(i ? ",{\"name\":" : "{\"name\":", stdout);
			json_string(stdout, r->cosigners[i].name);
			printf(",\"timestamp\":%" PRIu64 ",\"time\":\"%s\"}",
				r->cosigners[i].timestamp, when);
		}
		fputs("]}", stdout);
	}
	if (r->is_derivative) {
		fputs(",\"derivation\":", stdout);
		json_string(stdout, r->derivation);
		printf(",\"derived_from\":%" PRIu64, r->derived_from);
	}
	json_end();
}

int cmd_check(int argc, char **argv)
{
	static const struct option own[] = {
		{ "proof", required_argument, NULL, 'p' },
		{ "key", required_argument, NULL, 'k' },
		{ "checkpoint", required_argument, NULL, 'c' },
		{ "consistency", required_argument, NULL, 'C' },
		{ "tsa-ca", required_argument, NULL, 't' },
		{ "policy", required_argument, NULL, 'P' },
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
	const char *consistency = NULL, *policy = NULL;
	char *proof = NULL, *key_text = NULL, *saved_text = NULL;
	char *policy_text = NULL;
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
		case 'P': policy = optarg; break;
		}
	}
	if (c < 0)
		return cli.status;
	if (argc - optind != 1)
		return cli_usage("check", "name the one FILE to check");
	if (proof_path == NULL || (key == NULL) == (policy == NULL))
		return cli_usage("check", "--proof is required, with --key or "
			"--policy (one of them)");
	if (consistency != NULL && saved == NULL)
		return cli_usage("check", "--consistency goes with "
			"--checkpoint");
	if (cli_read_file(proof_path, PROOF_MAX, &proof, &proof_len) !=
	    EXIT_OK || (key != NULL && cli_key_text(key, &key_text) !=
	    EXIT_OK) || (policy != NULL && cli_read_text_file(policy,
	    64 * 1024, &policy_text, &opts.policy_len) != EXIT_OK))
		goto done;
	opts.key = key_text;
	opts.policy = policy_text;
	if (saved != NULL && cli_read_text_file(saved, NOTE_MAX, &saved_text,
	    &opts.old_checkpoint_len) != EXIT_OK)
		goto done;
	opts.old_checkpoint = saved_text;
	if (consistency != NULL && cli_read_text_file(consistency, NOTE_MAX,
	    &consistency_text, &opts.consistency_len) != EXIT_OK)
		goto done;
	opts.consistency = consistency_text;
	if (custody_check(argv[optind], proof, proof_len, &opts, &result,
	    &err) != 0) {
		if (cli.json)
			json_result(&result, 0, cli_error_text(err));
		/* a proof that does not parse: name the file, as every
		 * reader of a file the user gave does */
		if (strcmp(result.failed_step, "proof") == 0)
			cli_error("check failed at step 'proof': %s: %s",
				proof_path, cli_error_text(err));
		else
			cli_error("check failed at step '%s': %s",
				result.failed_step, cli_error_text(err));
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
	free(policy_text);
	return rc;
}
