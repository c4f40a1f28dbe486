#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "keys.h"

static const char help[] =
"usage: custody proof DOC [--version N] [--disclose FIELDS] [-o FILE]\n"
"                    [--force] [--key NAME] [--passphrase-file FILE]\n"
"                    [--archive DIR]\n"
"\n"
"Write the one file a fact-checker needs, with the document and the\n"
"outlet's public key, to check offline that this exact document was\n"
"registered in this log (`custody check`). It holds the public part of\n"
"the document's entry (digest, size, media type, time, derivation\n"
"link), its inclusion proof, the signed checkpoint, the publication\n"
"entry that names the document if there is one, for an e-mail message\n"
"its newest dkim entry (the DKIM verdict and the key records it was\n"
"checked with, `custody dkim`), each proven in the same tree, and, when\n"
"the checkpoint has one, its RFC 3161 timestamp (docs/proof-format.md).\n"
"The dkim entry is public: it names the signing domain, the selector\n"
"and the DNS server asked (docs/dkim.md, \"Source protection\").\n"
"The entry's private fields (path, actor, note, source, blob, version,\n"
"previous) stay out unless named with --disclose. About other entries\n"
"it reveals only their salted hashes.\n"
"\n"
"A proof needs a checkpoint signed by the outlet key that covers the\n"
"entry. When none does yet and this key folder holds the outlet key,\n"
"proof signs one first (as `custody checkpoint sign`, a commit signed\n"
"with your member key); otherwise it says so and writes nothing.\n"
"\n"
"  --version N        the version to prove (default: the latest)\n"
"  --disclose FIELDS  also disclose these private fields, comma-\n"
"                     separated (path,actor,note,source,blob,version,\n"
"                     previous), each with what checks it\n"
"  -o, --output FILE  write the proof to FILE (default: standard output)\n"
"  --force            replace FILE if it exists\n"
"  --key NAME         your member key, if a checkpoint must be signed\n"
"  --passphrase-file FILE  read the passphrases from FILE (or\n"
"                     CUSTODY_PASSPHRASE; default: ask on the terminal)\n"
"\n"
"Examples:\n"
"  custody proof memo-redacted.pdf -o memo.proof\n"
"  custody proof memo-redacted.pdf --disclose path -o memo.proof\n";

/* The fields a registration holds, which --disclose may name. */
static const char *const disclosable[] = { "path", "actor", "note",
	"source", "blob", "version", "previous", NULL };

/* "path,actor" into fields[] (pointing into the copy *buf); 0, or the
 * usage error's exit status. */
static int parse_fields(const char *arg, char **buf, const char **fields,
	size_t *n)
{
	char *save = NULL, *f;

	*n = 0;
	if ((*buf = strdup(arg)) == NULL) {
		cli_oom();
		return EXIT_FAILED;
	}
	for (f = strtok_r(*buf, ",", &save); f != NULL;
	    f = strtok_r(NULL, ",", &save)) {
		size_t k;

		for (k = 0; disclosable[k] != NULL; k++)
			if (strcmp(disclosable[k], f) == 0)
				break;
		if (disclosable[k] == NULL)
			return cli_usage("proof", "--disclose names the private "
				"fields path, actor, note, source, blob, "
				"version and previous, not '%s'", f);
		if (*n < 16)
			fields[(*n)++] = f;
	}
	if (*n == 0)
		return cli_usage("proof", "--disclose wants one or more "
			"field names");
	return 0;
}

/*
 * No signed checkpoint covers the entry yet. When this key folder holds
 * the outlet key, sign one now, in a commit signed with the member key
 * (*key, freed by the caller), and say so; EXIT_OK then. EXIT_FAILED
 * without the outlet key (nothing printed) or when signing fails
 * (printed).
 */
static int sign_for_proof(const struct cli *cli, custody_archive *archive,
	custody_key **key, int *held)
{
	const custody_key *outlet = NULL;
	custody_error *err = NULL;
	char *member = NULL, commit[CUSTODY_COMMIT_ID_SIZE];
	uint64_t size = 0;

	*held = 0;
	if (cli_load_outlet_key(archive, cli->passphrase_file, &outlet) !=
	    EXIT_OK)
		return EXIT_FAILED;
	if (outlet == NULL)
		return EXIT_FAILED;
	*held = 1;
	if (cli_signing_key(cli->key_name, cli->passphrase_file, key,
	    &member) != EXIT_OK)
		return EXIT_FAILED;
	free(member);
	custody_archive_set_signer(archive, *key);
	custody_archive_set_log_key(archive, outlet);
	if (custody_archive_checkpoint_sign(archive, 0, &size, commit, &err)
	    != 0)
		return cli_fail(err);
	fprintf(stderr, "custody: signed a checkpoint of size %" PRIu64
		" to cover the entry: commit %.12s\n", size, commit);
	return EXIT_OK;
}

int cmd_proof(int argc, char **argv)
{
	static const struct option own[] = {
		{ "version", required_argument, NULL, 'v' },
		{ "output", required_argument, NULL, 'o' },
		{ "disclose", required_argument, NULL, 'd' },
		{ "force", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_options options = {
		.command = "proof", .help = help,
		.common = CLI_ARCHIVE | CLI_KEY | CLI_PASSPHRASE_FILE,
		.own = own, .short_options = "o:",
	};
	custody_archive *archive = NULL;
	custody_key *key = NULL;
	custody_error *err = NULL;
	custody_buf proof = CUSTODY_BUF_INIT;
	const char *output = NULL, *disclose = NULL, *fields[16];
	char *fields_buf = NULL;
	size_t nfields = 0;
	struct cli cli;
	uint64_t version = 0;
	int c, rc, force = 0;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0) {
		switch (c) {
		case 'v':
			if (cli_parse_u64(optarg, &version) != 0 ||
			    version == 0)
				return cli_usage("proof", "--version wants a "
					"number from 1, not '%s'", optarg);
			break;
		case 'o': output = optarg; break;
		case 'd': disclose = optarg; break;
		case 'F': force = 1; break;
		}
	}
	/* the names are judged after the options, so --help comes first */
	if (c < 0)
		return cli.status;
	if (argc - optind != 1)
		return cli_usage("proof", "name one registered document");
	if (cli_check_output(output, force) != EXIT_OK)
		return EXIT_FAILED;
	if (disclose != NULL && (rc = parse_fields(disclose, &fields_buf,
	    fields, &nfields)) != 0) {
		free(fields_buf);
		return rc;
	}
	if (cli_open(&cli, &archive) != EXIT_OK) {
		free(fields_buf);
		return EXIT_FAILED;
	}
	rc = custody_archive_proof_disclosing(archive, argv[optind], version,
		fields, nfields, &proof, &err);
	if (rc == CUSTODY_ENOTFOUND &&
	    custody_error_hint(err) == CUSTODY_HINT_SIGN_CHECKPOINT) {
		int held;

		if (sign_for_proof(&cli, archive, &key, &held) == EXIT_OK) {
			custody_error_free(err);
			err = NULL;
			rc = custody_archive_proof_disclosing(archive,
				argv[optind], version, fields, nfields, &proof,
				&err);
		} else if (held) {
			custody_error_free(err);
			custody_archive_free(archive);
			custody_key_free(key);
			free(fields_buf);
			return EXIT_FAILED;
		}
	}
	custody_archive_free(archive);
	custody_key_free(key);
	free(fields_buf);
	if (rc != 0)
		return cli_fail(err);
	rc = cli_write_output(output, proof.ptr, proof.size, force);
	custody_buf_dispose(&proof);
	if (rc == EXIT_OK && output != NULL && strcmp(output, "-") != 0)
		fprintf(stderr, "custody: proof of %s written to %s\n",
			cli_name(argv[optind]), cli_name(output));
	return rc;
}
