/* custody: prove what a newsroom holds, what it published, and when. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	{ "log",     cmd_log,     "history, newest first; a document's, oldest first" },
	{ "restore", cmd_restore, "give back a stored version byte for byte" },
	{ "event",   cmd_event,   "record a hand-over, access, seal, ... of a document" },
	{ "derive",  cmd_derive,  "register a redaction, translation, ... of a document" },
	{ "publish", cmd_publish, "record where and when documents went out" },
	{ "proof",   cmd_proof,   "the file a fact-checker needs for a document" },
	{ "check",   cmd_check,   "a fact-checker's offline check of a proof" },
	{ "reveal",  cmd_reveal,  "disclose the original a derivative was made from" },
	{ "check-reveal", cmd_check_reveal,
	             "check a derivative's disclosure offline" },
	{ "report",  cmd_report,  "a document's chain of custody as an HTML page" },
	{ "verifier", cmd_verifier, "write the offline check as one web page" },
	{ "site",    cmd_site,    "the outlet's public page: documents, proofs, verifier" },
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
	{ "witness", cmd_witness, "cosign partners' checkpoints; name your own witnesses" },
	{ "cosign",  cmd_cosign,  "have your witnesses cosign the checkpoint" },
	{ "policy",  cmd_policy,  "the witness policy readers check proofs with" },
	{ "bag",     cmd_bag,     "BagIt bags (RFC 8493): validate, export, import" },
	{ "dkim",    cmd_dkim,    "verify e-mail's DKIM signatures and keep the evidence" },
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
	fputs("usage: custody <command> [options] [arguments]\n"
		"       custody help <command>\n"
		"       custody --version\n\n"
		"custody: prove what a newsroom holds, what it published, and "
		"when.\n\n"
		"Commands:\n", out);
	for (const struct command *c = commands; c->name; c++)
		fprintf(out, "  %-16s %s\n", c->name, c->summary);
#ifdef CUSTODY_CHECK_ONLY
	fputs("\nEvery command takes --help; --json prints data for scripts. "
		"This is the\ncheck-only build of custody: it checks proofs, "
		"disclosures and signatures;\nmaking them takes the full "
		"build.\n\n"
		"Exit status: 0 ok, 1 a check failed or an error, 2 usage.\n",
		out);
#else
	fputs("\nEvery command takes --help (or: custody help COMMAND) and "
		"has a manual page,\ncustody-COMMAND(1), as `man custody-add`. "
		"Common options: --archive DIR\n(or CUSTODY_ARCHIVE) selects the "
		"archive (the collection folder or its\n.custody); --json prints "
		"data for scripts. Before the command: -C DIR runs\nas if started "
		"in DIR, --archive DIR as above.\n\n"
		"Environment:\n"
		"  CUSTODY_ARCHIVE      the archive, as --archive\n"
		"  CUSTODY_KEY          the key to sign with, as --key\n"
		"  CUSTODY_KEY_DIR      the key folder (default: "
		"$XDG_CONFIG_HOME/custody/keys,\n"
		"                       else ~/.config/custody/keys)\n"
		"  CUSTODY_PASSPHRASE   the key's passphrase, for scripts "
		"(people type it)\n"
		"  CUSTODY_WITNESS_DIR  a witness's state folder, as "
		"custody witness --state\n\n"
		"Exit status: 0 ok, 1 a check failed or an error, 2 usage.\n",
		out);
#endif
}

static const struct command *find(const char *name)
{
	for (const struct command *c = commands; c->name; c++)
		if (strcmp(name, c->name) == 0)
			return c;
	return NULL;
}

/* An unknown command: the nearest one, if one is near. */
static int unknown(const char *name)
{
	const char *names[sizeof(commands) / sizeof(commands[0])];
	size_t n = 0;
	const char *near;

	for (const struct command *c = commands; c->name; c++)
		names[n++] = c->name;
	near = cli_nearest(name, names, n);
	if (near != NULL) {
		fprintf(stderr, "custody: '%s' is not a custody command; did "
			"you mean '%s'?\n", name, near);
		cli_error_said("'%s' is not a custody command; did you mean "
			"'%s'?", name, near);
	} else {
		fprintf(stderr, "custody: '%s' is not a custody command\n",
			name);
		cli_error_said("'%s' is not a custody command", name);
	}
	fputs("Run 'custody --help' for the list.\n", stderr);
	return EXIT_USAGE;
}

/*
 * Options before the command, as git takes them: -C DIR runs as if
 * started in DIR; --archive DIR stands for CUSTODY_ARCHIVE (an option
 * after the command still wins). Returns the index of the command, or
 * -1 with the exit status in *status.
 */
static int global_options(int argc, char **argv, int *status)
{
	int i = 1;

	while (i < argc && argv[i][0] == '-' && strcmp(argv[i], "-h") != 0 &&
	    strcmp(argv[i], "--help") != 0 &&
	    strcmp(argv[i], "--version") != 0) {
		const char *a = argv[i], *value = NULL;
		int take = 2;

		if (strncmp(a, "--archive=", 10) == 0) {
			value = a + 10;
			take = 1;
		} else if (strcmp(a, "-C") == 0 ||
		    strcmp(a, "--archive") == 0) {
			if (i + 1 >= argc) {
				*status = cli_usage_top("%s wants a folder",
					a);
				return -1;
			}
			value = argv[i + 1];
		} else {
			*status = cli_usage_top("unknown option '%s' before "
				"the command (only -C DIR and --archive DIR "
				"go there)", a);
			return -1;
		}
		if (*value == '\0') {
			*status = cli_usage_top("%s wants a folder, not an "
				"empty name", a);
			return -1;
		}
		if (strcmp(a, "-C") == 0) {
			if (chdir(value) != 0) {
				fprintf(stderr, "custody: -C %s: cannot go "
					"there: %s\n", value, strerror(errno));
				cli_error_said("-C %s: cannot go there: %s",
					value, strerror(errno));
				*status = EXIT_FAILED;
				return -1;
			}
		} else if (setenv("CUSTODY_ARCHIVE", value, 1) != 0) {
			*status = EXIT_FAILED;
			return -1;
		}
		i += take;
	}
	return i;
}

static int run(int argc, char **argv)
{
	const struct command *c;
	int i, status = EXIT_OK;

	if ((i = global_options(argc, argv, &status)) < 0)
		return status;
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
	    (strcmp(argv[i], "help") == 0 && i + 1 >= argc)) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[i], "help") == 0) {
		/* custody help CMD: its --help */
		char *args[] = { argv[i + 1], "--help", NULL };

		if ((c = find(argv[i + 1])) == NULL)
			return unknown(argv[i + 1]);
		return c->run(2, args);
	}
	if (strcmp(argv[i], "--version") == 0) {
		printf("custody %s\n", custody_version());
		return EXIT_OK;
	}
	cli_json_command(argv[i]);
	if ((c = find(argv[i])) != NULL)
		return c->run(argc - i, argv + i);
	return unknown(argv[i]);
}

int main(int argc, char **argv)
{
	/* under --json, stdout holds one JSON object, even on failure */
	cli_json_start(argc, argv);
	return cli_json_finish(run(argc, argv));
}
