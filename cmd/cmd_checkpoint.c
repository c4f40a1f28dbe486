#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "keys.h"

#ifndef CUSTODY_CHECK_ONLY /* the check-only build opens no archive */
static const char help[] =
"usage: custody checkpoint [--json] [--archive DIR]\n"
"       custody checkpoint sign [--key NAME] [--passphrase-file FILE]\n"
"                               [--wait SECONDS] [--json] [--archive DIR]\n"
"\n"
"Print the log's current checkpoint: a C2SP signed note giving the log's\n"
"origin, size and Merkle root, signed by the outlet key. Readers keep\n"
"it, and later ask for a consistency proof to see that the log only\n"
"grew (`custody consistency`).\n"
"\n"
"`sign` signs a new checkpoint covering every entry so far, for the\n"
"holder of the outlet key (found in the key folder's log/ by the\n"
"archive's outlet key). Journalists without it register documents as\n"
"usual; their changes carry no new checkpoint until a holder signs one,\n"
"which proofs, publication and timestamps then use.\n"
"\n"
"  --json   {origin, size, root, note}; for sign, {size, commit}\n"
"\n"
"Examples:\n"
"  custody checkpoint >saved.checkpoint\n"
"  custody checkpoint sign\n";

static int checkpoint_sign(int argc, char **argv)
{
	static const struct cli_options options = {
		.command = "checkpoint", .help = help,
		.common = CLI_KEY | CLI_PASSPHRASE_FILE | CLI_ARCHIVE |
			CLI_JSON | CLI_WAIT,
	};
	custody_archive *archive = NULL;
	custody_key *key = NULL;
	custody_error *err = NULL;
	char commit[CUSTODY_COMMIT_ID_SIZE];
	struct cli cli;
	uint64_t size = 0;
	int rc;

	cli_init(&cli);
	if (cli_getopt(&cli, argc, argv, &options) < 0)
		return cli.status;
	if (optind != argc)
		return cli_usage("checkpoint", "unexpected argument '%s'",
			argv[optind]);
	if (cli_open_signed(&cli, cli.key_name, cli.passphrase_file, &archive,
	    &key) != EXIT_OK)
		return EXIT_FAILED;
	rc = custody_archive_checkpoint_sign(archive, cli.wait_ms, &size,
		commit, &err);
	if (rc == CUSTODY_EINVALID)
		cli_error("this key folder does not hold the outlet key of %s "
			"(%s): only its holder signs checkpoints",
			custody_archive_origin(archive),
			custody_archive_log_key(archive));
	custody_archive_free(archive);
	custody_key_free(key);
	if (rc == CUSTODY_EINVALID) {
		custody_error_free(err);
		return EXIT_FAILED;
	}
	if (rc != 0)
		return cli_fail(err);
	if (cli.json) {
		json_begin("checkpoint-sign");
		printf(",\"size\":%" PRIu64 ",\"commit\":\"%s\"", size,
			commit);
		json_end();
	} else
		printf("signed checkpoint of size %" PRIu64 ": commit %.12s\n",
			size, commit);
	return EXIT_OK;
}

int cmd_checkpoint(int argc, char **argv)
{
	/* the options of `sign` too, which shares the help */
	static const struct cli_options options = {
		.command = "checkpoint", .help = help,
		.common = CLI_KEY | CLI_PASSPHRASE_FILE | CLI_ARCHIVE |
			CLI_JSON | CLI_WAIT,
	};
	custody_checkpoint_info info;
	custody_archive *archive = NULL;
	custody_error *err = NULL;
	custody_buf note = CUSTODY_BUF_INIT;
	struct cli cli;
	int rc;

	if (argc > 1 && strcmp(argv[1], "sign") == 0)
		return checkpoint_sign(argc - 1, argv + 1);
	cli_init(&cli);
	/* no options of its own: cli_getopt says only "over" or "stop" */
	if (cli_getopt(&cli, argc, argv, &options) < 0)
		return cli.status;
	if (optind != argc)
		return cli_usage("checkpoint", "unexpected argument '%s'",
			argv[optind]);
	if (cli_open(&cli, &archive) != EXIT_OK)
		return EXIT_FAILED;
	rc = custody_archive_checkpoint(archive, &note, &info, &err);
	custody_archive_free(archive);
	if (rc != 0)
		return cli_fail(err);
	if (cli.json) {
		json_begin("checkpoint");
		fputs(",\"origin\":", stdout);
		json_string(stdout, info.origin);
		printf(",\"size\":%" PRIu64 ",\"root\":", info.size);
		json_string(stdout, info.root);
		fputs(",\"note\":", stdout);
		json_string(stdout, note.ptr);
		json_end();
	} else {
		fwrite(note.ptr, 1, note.size, stdout);
	}
	custody_buf_dispose(&note);
	return EXIT_OK;
}
#endif

static const char consistency_help[] =
"usage: custody consistency OLD [NEW] [-o FILE] [--force] [--archive DIR]\n"
"       custody consistency OLD NEW --proof C --key KEY\n"
"\n"
"Prove that a log only grew. In an archive: write the consistency proof\n"
"from checkpoint OLD (a file a reader saved) to NEW (default: the\n"
"current checkpoint). Anywhere, offline: with --proof and --key, check\n"
"that NEW extends OLD: both signed by KEY, and the proof holds. Two\n"
"validly signed checkpoints that cannot both be true are reported as\n"
"evidence of a fork (exit 1).\n"
"\n"
"  -o, --output FILE  write the proof to FILE (default: standard output)\n"
"  --force            replace FILE if it exists\n"
"  --proof C          the consistency proof to check\n"
"  --key KEY          the outlet's key (verifier key, ssh-ed25519 line, or\n"
"                     a file holding one)\n"
"\n"
"Examples:\n"
#ifndef CUSTODY_CHECK_ONLY
"  custody consistency saved.checkpoint -o grew.proof\n"
#endif
"  custody consistency saved.checkpoint now.checkpoint \\\n"
"      --proof grew.proof --key outlet.vkey\n"
#ifdef CUSTODY_CHECK_ONLY
"\n"
"This custody is the check-only build: it checks a proof; making one\n"
"needs the full build, in the archive.\n"
#endif
;

#define NOTE_MAX (64 * 1024)

#ifndef CUSTODY_CHECK_ONLY
/* In the archive: the proof from the checkpoint in file OLD to the one in
 * NEW (NULL: the checkpoint at head), written to `output`. */
static int consistency_prove(const struct cli *cli, const char *old_path,
	const char *new_path, const char *output, int force)
{
	custody_archive *archive = NULL;
	custody_error *err = NULL;
	custody_buf out = CUSTODY_BUF_INIT;
	char *old = NULL, *new_ = NULL;
	size_t old_len = 0, new_len = 0;
	int rc = EXIT_FAILED;

	if (cli_check_output(output, force) != EXIT_OK ||
	    cli_read_text_file(old_path, NOTE_MAX, &old, &old_len) !=
	    EXIT_OK || (new_path != NULL && cli_read_text_file(new_path,
	    NOTE_MAX, &new_, &new_len) != EXIT_OK))
		goto done;
	if (cli_open(cli, &archive) != EXIT_OK)
		goto done;
	if (custody_archive_consistency(archive, old, old_len, new_, new_len,
	    &out, &err) != 0) {
		rc = cli_fail(err);
		goto done;
	}
	rc = cli_write_output(output, out.ptr, out.size, force);
done:
	custody_archive_free(archive);
	custody_buf_dispose(&out);
	free(old);
	free(new_);
	return rc;
}
#else
/* The check-only build checks consistency proofs; making one takes the
 * archive, which it cannot open. */
static int consistency_prove(const struct cli *cli, const char *old_path,
	const char *new_path, const char *output, int force)
{
	return cli_usage("consistency", "this custody is the check-only "
		"build: it checks a consistency proof (OLD NEW --proof C --key "
		"KEY); making one (OLD [NEW] in an archive) needs the full "
		"build");
}
#endif

int cmd_consistency(int argc, char **argv)
{
	static const struct option own[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "proof", required_argument, NULL, 'p' },
		{ "key", required_argument, NULL, 'k' },
		{ "force", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_options options = {
		.command = "consistency", .help = consistency_help,
		.common = CLI_ARCHIVE, .own = own, .short_options = "o:",
	};
	custody_error *err = NULL;
	const char *output = NULL, *proof_path = NULL, *key = NULL;
	char *old = NULL, *new_ = NULL, *proof = NULL, *key_text = NULL;
	size_t old_len = 0, new_len = 0, proof_len = 0;
	struct cli cli;
	int c, rc = EXIT_FAILED, nargs, force = 0;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0) {
		switch (c) {
		case 'o': output = optarg; break;
		case 'p': proof_path = optarg; break;
		case 'k': key = optarg; break;
		case 'F': force = 1; break;
		}
	}
	if (c < 0)
		return cli.status;
	nargs = argc - optind;
	if (nargs < 1 || nargs > 2)
		return cli_usage("consistency", "want OLD [NEW] checkpoints");
	if ((proof_path != NULL) != (key != NULL) ||
	    (proof_path != NULL && nargs != 2))
		return cli_usage("consistency", "checking wants OLD NEW "
			"--proof C --key KEY");
	if (proof_path == NULL)
		return consistency_prove(&cli, argv[optind], nargs == 2 ?
			argv[optind + 1] : NULL, output, force);
	if (cli_read_text_file(argv[optind], NOTE_MAX, &old, &old_len) !=
	    EXIT_OK || (nargs == 2 && cli_read_text_file(argv[optind + 1],
	    NOTE_MAX, &new_, &new_len) != EXIT_OK))
		goto done;
	if (cli_read_text_file(proof_path, NOTE_MAX, &proof, &proof_len) !=
	    EXIT_OK)
		goto done;
	if (cli_key_text(key, &key_text) != EXIT_OK)
		goto done;
	if (custody_consistency_check(old, old_len, new_, new_len, proof,
	    proof_len, key_text, &err) != 0) {
		rc = cli_fail(err);
		goto done;
	}
	printf("consistent: the second checkpoint extends the first\n");
	rc = EXIT_OK;
done:
	free(old);
	free(new_);
	free(proof);
	free(key_text);
	return rc;
}
