/* custody: prove what a newsroom holds, what it published, and when. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static const struct command commands[] = {
#ifdef CUSTODY_CHECK_ONLY
	/* the check-only build (-Dcheck_only=true): the offline checks */
	{ "check",   cmd_check,   "a fact-checker's offline check of a proof" },
	{ "check-reveal", cmd_check_reveal,
	             "check the disclosure of a derivative's original" },
	{ "consistency", cmd_consistency,
	             "check that the log only grew" },
	{ "verify-signature", cmd_verify_signature,
	             "check a file's SSHSIG signature" },
#else
	{ "init",    cmd_init,    "create an archive for this collection" },
	{ "add",     cmd_add,     "register documents (one commit)" },
	{ "status",  cmd_status,  "new, modified, missing, moved files" },
	{ "verify",  cmd_verify,  "check history, entries, objects, files" },
	{ "log",     cmd_log,     "history, newest first; or one document's" },
	{ "restore", cmd_restore, "give back a stored version byte for byte" },
	{ "event",   cmd_event,   "record a hand-over, access, seal, ... of a document" },
	{ "derive",  cmd_derive,  "register a redaction, translation, ... of a document" },
	{ "publish", cmd_publish, "record where and when documents went out" },
	{ "proof",   cmd_proof,   "the file a fact-checker needs for a document" },
	{ "check",   cmd_check,   "a fact-checker's offline check of a proof" },
	{ "reveal",  cmd_reveal,  "disclose the original a derivative was made from" },
	{ "check-reveal", cmd_check_reveal, "check such a disclosure offline" },
	{ "report",  cmd_report,  "a document's chain of custody as an HTML page" },
	{ "checkpoint", cmd_checkpoint, "the log's current signed checkpoint" },
	{ "consistency", cmd_consistency,
	             "prove or check that the log only grew" },
	{ "log-key", cmd_log_key, "rotate the outlet key that signs checkpoints" },
	{ "timestamp", cmd_timestamp, "RFC 3161 trusted time for the log" },
	{ "clone",   cmd_clone,   "copy a partner's archive, verified first" },
	{ "remote",  cmd_remote,  "partner archives: add, remove, list" },
	{ "fetch",   cmd_fetch,   "bring in and verify a partner's additions" },
	{ "sync",    cmd_sync,    "fetch, verify, and move main to them" },
	{ "push",    cmd_push,    "send main to a partner (fast-forward only)" },
	{ "evidence", cmd_evidence, "forks, replays and refused histories kept" },
	{ "witness", cmd_witness, "cosign partners' checkpoints: init, trust, serve, cosign" },
	{ "member",  cmd_member,  "who may sign: add, revoke, list" },
	{ "key",     cmd_key,     "your signing keys: new, import, list, export" },
	{ "sign",    cmd_sign,    "sign a file (SSHSIG, as ssh-keygen -Y sign)" },
	{ "verify-signature", cmd_verify_signature,
	             "check a file's SSHSIG signature" },
#endif
	{ NULL, NULL, NULL }
};

static void usage(FILE *out)
{
	fputs("usage: custody <command> [options] [arguments]\n\n"
		"Commands:\n", out);
	for (const struct command *c = commands; c->name; c++)
		fprintf(out, "  %-16s %s\n", c->name, c->summary);
#ifdef CUSTODY_CHECK_ONLY
	fputs("\nEvery command takes --help; --json prints data for scripts. "
		"This is the\ncheck-only build of custody: it checks proofs, "
		"disclosures and signatures;\nmaking them takes the full "
		"build.\n"
		"Exit status: 0 ok, 1 a check failed or an error, 2 usage.\n",
		out);
#else
	fputs("\nEvery command takes --help. Common options: --archive DIR "
		"(or CUSTODY_ARCHIVE)\nselects the archive; --json prints data "
		"for scripts.\n"
		"Exit status: 0 ok, 1 a check failed or an error, 2 usage.\n",
		out);
#endif
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("custody %s\n", custody_version());
		return EXIT_OK;
	}
	for (const struct command *c = commands; c->name; c++)
		if (strcmp(argv[1], c->name) == 0)
			return c->run(argc - 1, argv + 1);
	fprintf(stderr, "custody: '%s' is not a custody command\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
