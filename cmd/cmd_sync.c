/* Partner outlets: clone, remote, fetch, sync, push (custody/sync.h). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "keys.h"

#define TRANSPORTS \
"REMOTE is a remote's name (see `custody remote`; default: origin) or a\n" \
"URL: a path, file://, git://, ssh:// or http(s)://. For ssh, the host's\n" \
"key must be in CUSTODY_SSH_KNOWN_HOSTS (default ~/.ssh/known_hosts) and\n" \
"the key used is CUSTODY_SSH_KEY (default: the ssh agent's). For https,\n" \
"the server's certificate must chain to the system's authorities, or to\n" \
"those in the PEM file CUSTODY_TLS_CA_FILE names (then only those).\n" \
"Every byte a remote sends is counted as it is read; the list of refs it\n" \
"sends first, held in memory whole, may be 8 MiB at most.\n"

#define MAX_BYTES \
"  --max-bytes N  stop once the remote sent more than N bytes, the pack\n" \
"                 and all before it (default 16 GiB)\n"

#define CHECKS \
"What arrives lands in a quarantine inside the archive's folder and is\n" \
"checked there with every check `custody verify` makes (signatures by\n" \
"members at each commit, entries only appended, private parts against\n" \
"their commitments, checkpoints signed by the outlet key in force, the\n" \
"tree's layout); it must also extend this archive's history. Only then\n" \
"are its objects taken in and a ref moved (compare-and-swap). On a\n" \
"refusal nothing changes and the message names the commit, the check\n" \
"and the reason; two signed checkpoints that cannot both be true are a\n" \
"fork, kept under .custody/evidence/. A fetch stops after --max-bytes.\n" \
"When the partner's main extends this archive's, which was verified\n" \
"here, only the new commits and entries are checked (\"verified from\n" \
"entry N on\"), building on this archive's own verified state.\n"

static const char clone_help[] =
"usage: custody clone URL [DIR] [--max-bytes N] [--json]\n"
"\n"
"Make the collection folder DIR (default: the URL's last part; it must\n"
"not exist, or be empty) with its archive in DIR/.custody, from the\n"
"partner's archive at URL, remembered as the remote \"origin\". The\n"
"documents the archive stores are written into DIR, each checked\n"
"against its entry. A refusal leaves nothing behind.\n"
"\n" CHECKS "\n" TRANSPORTS
"\n" MAX_BYTES
"  --json         {archive, tip, size, documents_written}\n"
"\n"
"Examples:\n"
"  custody clone https://partner.example/leaks.git leaks\n"
"  custody clone /mnt/usb/leaks --max-bytes 1000000000\n";

static const char remote_help[] =
"usage: custody remote add NAME URL [--archive DIR]\n"
"       custody remote remove NAME [--archive DIR]\n"
"       custody remote list [--json] [--archive DIR]\n"
"\n"
"The partner archives this archive fetches from and pushes to, kept in\n"
"its git config (never in the archive's history).\n"
"\n"
"Examples:\n"
"  custody remote add partner https://partner.example/leaks.git\n"
"  custody remote list\n";

static const char fetch_help[] =
"usage: custody fetch [REMOTE] [--max-bytes N] [--wait S] [--json]\n"
"                     [--archive DIR]\n"
"\n"
"Bring in the remote's main and verify it, changing nothing but its\n"
"remote-tracking ref (refs/remotes/REMOTE/main): main and the documents\n"
"stay as they are. `custody sync` then takes it in.\n"
"\n" CHECKS "\n" TRANSPORTS
"\n" MAX_BYTES
"  --wait S       wait this long if another process holds the archive\n"
"  --json         {remote, tip, size, relation, checked_from when\n"
"                 ahead}; relation: same, ahead\n"
"                 (it brings new entries), behind (this archive has\n"
"                 more) or diverged (both added entries: then also\n"
"                 replay_from, where `custody sync` would append yours\n"
"                 again after theirs, and replayed: 0)\n"
"\n"
"Examples:\n"
"  custody fetch partner\n"
"  custody fetch partner --json\n";

static const char sync_help[] =
"usage: custody sync [REMOTE] [--key NAME] [--passphrase-file FILE]\n"
"                    [--max-bytes N] [--wait S] [--json] [--archive DIR]\n"
"\n"
"Fetch and verify as `custody fetch` does, then move main to the\n"
"remote's when it extends this archive's, and write into the collection\n"
"the stored documents it lacks, each checked against its entry (a copy\n"
"of yours that differs is kept; `custody status` shows it).\n"
"\n"
"When both sides added entries since their common commit, yours are\n"
"appended again after the remote's (new indexes, one commit each signed\n"
"by your key, stored content kept, references between them moved along;\n"
"the result is verified as anything fetched is), but only when no\n"
"checkpoint that covers them is known to others: none was given out in a\n"
"proof, a checkpoint, a consistency proof or a timestamp request, pushed,\n"
"or received from a partner. Member changes, outlet key rotations and\n"
"timestamps are never appended again. Otherwise sync refuses; when the\n"
"two sides' checkpoints cannot both be true, it says \"fork\" and keeps\n"
"both under .custody/evidence/. What moved where is recorded there too\n"
"(replay-*.txt).\n"
"\n" CHECKS "\n" TRANSPORTS
"\n" MAX_BYTES
"  --key NAME     the key that signs entries appended again (default:\n"
"                 CUSTODY_KEY; without one, such a sync is refused)\n"
"  --passphrase-file FILE  read the key's passphrase from FILE\n"
"  --wait S       wait this long if another process holds the archive\n"
"  --json         {remote, tip, size, relation, documents_written,\n"
"                 documents_differing, checked_from when ahead (the\n"
"                 first entry checked one by one)}, and when both sides added\n"
"                 entries, replay_from and replayed\n"
"\n"
"Examples:\n"
"  custody sync partner\n"
"  custody sync partner --key jane --wait 30\n";

static const char push_help[] =
"usage: custody push [REMOTE] [--key NAME] [--passphrase-file FILE]\n"
"                    [--max-bytes N] [--json] [--archive DIR]\n"
"\n"
"Send main to the remote, fast-forward only: refused when the remote has\n"
"commits this archive lacks (`custody sync` first). The remote's answer\n"
"for the ref is checked; when it refuses because its main moved since\n"
"push looked (another writer won the race), push syncs (as `custody\n"
"sync`, with the key given) and tries again, three times at most. Only\n"
"the archive is sent: the remote's collection folder gets the\n"
"documents by `custody restore`.\n"
"\n" TRANSPORTS
"\n"
"  --max-bytes N  stop once the remote sent more than N bytes: its list\n"
"                 of refs, its answer, and what a sync on the way\n"
"                 fetches (default 16 GiB)\n"
"  --key NAME     the key a sync on the way signs with (default:\n"
"                 CUSTODY_KEY)\n"
"  --passphrase-file FILE  read the key's passphrase from FILE\n"
"  --json         {remote, tip, size, relation}: the remote's main after\n"
"                 the push; relation: same (it had it) or behind (sent)\n"
"\n"
"Examples:\n"
"  custody push partner\n";

static const char *const relations[] = { "same", "ahead", "behind",
	"diverged" };

static const struct option sync_own[] = {
	{ "max-bytes", required_argument, NULL, 'M' },
	{ NULL, 0, NULL, 0 }
};

static void print_result(const char *what, const char *remote,
	const custody_fetch_result *r, int json)
{
	if (json) {
		json_begin(what);
		fputs(",\"remote\":", stdout);
		json_string(stdout, remote);
		fputs(",\"tip\":", stdout);
		json_string(stdout, r->tip);
		printf(",\"size\":%" PRIu64 ",\"relation\":\"%s\"", r->size,
			relations[r->relation]);
		if (strcmp(what, "sync") == 0)
			printf(",\"documents_written\":%" PRIu64
				",\"documents_differing\":%" PRIu64,
				r->documents_written, r->documents_differing);
		if (r->relation == CUSTODY_SYNC_DIVERGED)
			printf(",\"replay_from\":%" PRIu64 ",\"replayed\":%"
				PRIu64, r->replay_from, r->replayed);
		if (strcmp(what, "push") != 0 &&
		    r->relation == CUSTODY_SYNC_AHEAD)
			printf(",\"checked_from\":%" PRIu64, r->checked_from);
		json_end();
		return;
	}
	if (strcmp(what, "push") == 0) {
		if (r->relation == CUSTODY_SYNC_SAME)
			printf("%s already has main (%.12s)\n", remote,
				r->tip);
		else
			printf("pushed main to %s\n", remote);
		return;
	}
	switch (r->relation) {
	case CUSTODY_SYNC_SAME:
		printf("%s: main is the same (%.12s, %" PRIu64 " entries)\n",
			remote, r->tip, r->size);
		break;
	case CUSTODY_SYNC_BEHIND:
		printf("%s: main (%.12s) is behind this archive's; nothing "
			"to bring in\n", remote, r->tip);
		break;
	case CUSTODY_SYNC_DIVERGED:
		if (r->replayed > 0) {
			printf("%s: both sides added entries; your %" PRIu64
				" (from entry %" PRIu64 ", known to no one "
				"else) appended again after theirs as entries "
				"%" PRIu64 "-%" PRIu64 "; main is %.12s (%"
				PRIu64 " entries)\n", remote, r->replayed,
				r->replay_from, r->size - r->replayed,
				r->size - 1, r->tip, r->size);
			break;
		}
		printf("%s: main (%.12s, %" PRIu64 " entries) verified; both "
			"sides added entries since entry %" PRIu64 ": `custody "
			"sync` appends yours again after theirs\n", remote,
			r->tip, r->size, r->replay_from);
		break;
	default:
		printf("%s: main (%.12s, %" PRIu64 " entries) verified",
			remote, r->tip, r->size);
		/* from our own main on, which was verified here before */
		if (r->checked_from > 0)
			printf(" from entry %" PRIu64 " on", r->checked_from);
		printf("%s\n", strcmp(what, "sync") == 0 ?
			"; main moved to it" : "");
	}
	if (strcmp(what, "sync") == 0 && (r->documents_written ||
	    r->documents_differing))
		printf("  %" PRIu64 " document%s written, %" PRIu64 " kept "
			"because your copy differs\n", r->documents_written,
			r->documents_written == 1 ? "" : "s",
			r->documents_differing);
}

static int parse_max(const char *arg, custody_sync_options *opts,
	const char *command)
{
	uint64_t n;

	if (cli_parse_u64(arg, &n) != 0 || n == 0)
		return cli_usage(command, "--max-bytes wants a number of "
			"bytes, not '%s'", arg);
	opts->max_bytes = n;
	return 0;
}

static int named_key(const struct cli *cli)
{
	const char *env = getenv("CUSTODY_KEY");

	return (cli->key_name != NULL && cli->key_name[0] != '\0') ||
		(env != NULL && env[0] != '\0');
}

/* How often a push that lost a race syncs and tries again. */
#define PUSH_TRIES 3

/*
 * Push; when the remote's main moved between the look and the send (it
 * was behind ours, then refused the update), sync and push again.
 */
static int push_retrying(custody_archive *archive, const char *remote,
	const custody_sync_options *opts, custody_fetch_result *r,
	custody_error **err)
{
	int rc = 0;

	for (int i = 0; i < PUSH_TRIES; i++) {
		custody_fetch_result s;

		rc = custody_archive_push(archive, remote, opts, r, err);
		if (rc != CUSTODY_EEXISTS || !r->raced || i + 1 == PUSH_TRIES)
			return rc;
		fprintf(stderr, "custody: %s: %s; syncing and pushing "
			"again\n", remote ? remote : "origin",
			custody_error_message(*err));
		custody_error_free(*err);
		*err = NULL;
		if ((rc = custody_archive_sync(archive, remote, opts, &s,
		    err)) != 0)
			return rc;
	}
	return rc;
}

/* fetch, sync and push: one shape. */
static int transfer(const char *what, int argc, char **argv)
{
	static const struct cli_options fetch_options = {
		.command = "fetch", .help = fetch_help, .own = sync_own,
		.common = CLI_ARCHIVE | CLI_JSON | CLI_WAIT,
	};
	static const struct cli_options sync_options = {
		.command = "sync", .help = sync_help, .own = sync_own,
		.common = CLI_ARCHIVE | CLI_JSON | CLI_WAIT | CLI_KEY |
			CLI_PASSPHRASE_FILE,
	};
	static const struct cli_options push_options = {
		.command = "push", .help = push_help, .own = sync_own,
		.common = CLI_ARCHIVE | CLI_JSON | CLI_KEY |
			CLI_PASSPHRASE_FILE,
	};
	const struct cli_options *o = strcmp(what, "fetch") == 0 ?
		&fetch_options : strcmp(what, "sync") == 0 ? &sync_options :
		&push_options;
	custody_sync_options opts = CUSTODY_SYNC_OPTIONS_INIT;
	custody_fetch_result r;
	custody_archive *archive = NULL;
	custody_key *key = NULL;
	custody_error *err = NULL;
	const char *remote;
	struct cli cli;
	int c, rc;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, o)) > 0)
		if (c == 'M' && (rc = parse_max(optarg, &opts, what)) != 0)
			return rc;
	if (c < 0)
		return cli.status;
	if (argc - optind > 1)
		return cli_usage(what, "unexpected argument '%s'",
			argv[optind + 1]);
	remote = optind < argc ? argv[optind] : NULL;
	/* sync signs only when it appends local entries again after the
	 * remote's, and only with a key named (--key, CUSTODY_KEY): a
	 * partner's replica needs none */
	if (strcmp(what, "fetch") != 0 && named_key(&cli) ?
	    cli_open_signed(&cli, cli.key_name, cli.passphrase_file,
	    &archive, &key) != EXIT_OK : cli_open(&cli, &archive) != EXIT_OK)
		return EXIT_FAILED;
	opts.lock_wait_ms = cli.wait_ms;
	if (cli.progress) {
		opts.progress = cli_progress;
	}
	if (strcmp(what, "fetch") == 0)
		rc = custody_archive_fetch(archive, remote, &opts, &r, &err);
	else if (strcmp(what, "sync") == 0)
		rc = custody_archive_sync(archive, remote, &opts, &r, &err);
	else
		rc = push_retrying(archive, remote, &opts, &r, &err);
	cli_progress_end();
	custody_archive_free(archive);
	custody_key_free(key);
	if (rc != 0)
		return cli_fail(err);
	print_result(what, remote ? remote : "origin", &r, cli.json);
	return EXIT_OK;
}

int cmd_fetch(int argc, char **argv) { return transfer("fetch", argc, argv); }
int cmd_sync(int argc, char **argv) { return transfer("sync", argc, argv); }
int cmd_push(int argc, char **argv) { return transfer("push", argc, argv); }

/* The folder a URL names: its last part, without .git or .custody. */
static char *default_dir(const char *url)
{
	size_t n = strlen(url);
	const char *start;
	char *dir;

	while (n > 0 && url[n - 1] == '/')
		n--;
	if (n >= 9 && strncmp(url + n - 9, "/.custody", 9) == 0)
		n -= 9;
	start = url + n;
	while (start > url && start[-1] != '/' && start[-1] != ':')
		start--;
	if ((dir = strndup(start, (size_t)(url + n - start))) == NULL)
		return NULL;
	n = strlen(dir);
	if (n > 4 && strcmp(dir + n - 4, ".git") == 0)
		dir[n - 4] = '\0';
	return dir;
}

int cmd_clone(int argc, char **argv)
{
	static const struct cli_options options = {
		.command = "clone", .help = clone_help, .own = sync_own,
		.common = CLI_JSON,
	};
	custody_sync_options opts = CUSTODY_SYNC_OPTIONS_INIT;
	custody_fetch_result r;
	custody_archive *archive = NULL;
	custody_error *err = NULL;
	char *dir = NULL;
	struct cli cli;
	int c, rc;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0)
		if (c == 'M' && (rc = parse_max(optarg, &opts, "clone")) != 0)
			return rc;
	if (c < 0)
		return cli.status;
	if (argc - optind < 1 || argc - optind > 2)
		return cli_usage("clone", "want URL [DIR]");
	dir = argc - optind == 2 ? strdup(argv[optind + 1]) :
		default_dir(argv[optind]);
	if (dir == NULL || dir[0] == '\0' || strcmp(dir, ".") == 0 ||
	    strcmp(dir, "..") == 0) {
		free(dir);
		return cli_usage("clone", "name the folder to clone into");
	}
	if (cli.progress)
		opts.progress = cli_progress;
	rc = custody_clone(argv[optind], dir, &opts, &archive, &r, &err);
	cli_progress_end();
	if (rc != 0) {
		custody_archive_free(archive);
		free(dir);
		return cli_fail(err);
	}
	if (cli.json) {
		json_begin("clone");
		fputs(",\"archive\":", stdout);
		json_string(stdout, custody_archive_path(archive));
		fputs(",\"tip\":", stdout);
		json_string(stdout, r.tip);
		printf(",\"size\":%" PRIu64 ",\"documents_written\":%" PRIu64,
			r.size, r.documents_written);
		json_end();
	} else {
		printf("cloned %s into %s: %" PRIu64 " entries verified, %"
			PRIu64 " document%s written\n", custody_archive_origin(
			archive), dir, r.size, r.documents_written,
			r.documents_written == 1 ? "" : "s");
	}
	custody_archive_free(archive);
	free(dir);
	return EXIT_OK;
}

static int on_remote(const char *name, const char *url, void *payload)
{
	int *json = payload;

	if (*json < 0) {
		printf("%s\t%s\n", name, url);
		return 0;
	}
	fputs(*json == 1 ? "{\"name\":" : ",{\"name\":", stdout);
	json_string(stdout, name);
	fputs(",\"url\":", stdout);
	json_string(stdout, url);
	fputs("}", stdout);
	*json = 2;
	return 0;
}

int cmd_remote(int argc, char **argv)
{
	static const struct cli_options options = {
		.command = "remote", .help = remote_help,
		.common = CLI_ARCHIVE | CLI_JSON,
	};
	custody_archive *archive = NULL;
	custody_error *err = NULL;
	const char *sub, *why;
	struct cli cli;
	int c, rc, n, json;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0)
		;
	if (c < 0)
		return cli.status;
	n = argc - optind;
	sub = n > 0 ? argv[optind] : "";
	if ((strcmp(sub, "add") == 0 && n != 3) ||
	    (strcmp(sub, "remove") == 0 && n != 2) ||
	    (strcmp(sub, "list") == 0 && n != 1))
		return cli_usage("remote", "usage: remote add NAME URL, remote "
			"remove NAME, remote list");
	if (strcmp(sub, "add") != 0 && strcmp(sub, "remove") != 0 &&
	    strcmp(sub, "list") != 0)
		return cli_usage("remote", "want a subcommand: add, remove or "
			"list");
	if (strcmp(sub, "add") == 0 &&
	    (why = custody_remote_name_check(argv[optind + 1])) != NULL)
		return cli_usage("remote", "NAME '%s' %s",
			cli_text(argv[optind + 1]), why);
	if (cli_open(&cli, &archive) != EXIT_OK)
		return EXIT_FAILED;
	if (strcmp(sub, "add") == 0)
		rc = custody_archive_remote_add(archive, argv[optind + 1],
			argv[optind + 2], &err);
	else if (strcmp(sub, "remove") == 0)
		rc = custody_archive_remote_remove(archive, argv[optind + 1],
			&err);
	else {
		json = cli.json ? 1 : -1;
		if (cli.json) {
			json_begin("remote-list");
			fputs(",\"remotes\":[", stdout);
		}
		rc = custody_archive_remotes(archive, on_remote, &json, &err);
		if (cli.json && rc == 0) {
			fputs("]", stdout);
			json_end();
		}
	}
	if (rc == 0 && cli.json && strcmp(sub, "list") != 0) {
		json_begin("remote");
		fputs(",\"action\":", stdout);
		json_string(stdout, sub);
		fputs(",\"name\":", stdout);
		json_string(stdout, argv[optind + 1]);
		fputs(",\"url\":", stdout);
		json_string(stdout, strcmp(sub, "add") == 0 ?
			argv[optind + 2] : NULL);
		json_end();
	}
	custody_archive_free(archive);
	return rc == 0 ? EXIT_OK : cli_fail(err);
}

static const char evidence_help[] =
"usage: custody evidence [--json] [--archive DIR]\n"
"\n"
"List what this archive keeps as evidence, oldest first, none of it ever\n"
"overwritten:\n"
"  fork      two signed checkpoints of this archive's origin that cannot\n"
"            both be true (a partner showed another history): a folder\n"
"            with ours.checkpoint, theirs.checkpoint and a README; anyone\n"
"            checks them offline with `custody consistency`\n"
"  replay    local entries `custody sync` appended again after a\n"
"            partner's: which entry went where\n"
"  refused   a main that moved back or was rewritten, refused\n"
"\n"
"  --json   one JSON object: {format, evidence: [{kind, time, path,\n"
"           summary}]}\n"
"\n"
"Examples:\n"
"  custody evidence\n"
"  custody evidence --json\n";

static const char *const evidence_kinds[] = { "", "fork", "replay",
	"refused" };

static int print_evidence(const custody_evidence_item *it, void *payload)
{
	int *count = payload;

	if (count == NULL) {
		printf("%-8s %s  %s\n         %s\n", evidence_kinds[it->kind],
			it->time, it->summary, it->path);
		return 0;
	}
	fputs((*count)++ ? ",{\"kind\":" : "{\"kind\":", stdout);
	json_string(stdout, evidence_kinds[it->kind]);
	fputs(",\"time\":", stdout);
	json_string(stdout, it->time);
	fputs(",\"path\":", stdout);
	json_string(stdout, it->path);
	fputs(",\"summary\":", stdout);
	json_string(stdout, it->summary);
	fputs("}", stdout);
	return 0;
}

static int count_evidence(const custody_evidence_item *it, void *payload)
{
	(void)it;
	++*(int *)payload;
	return 0;
}

int cmd_evidence(int argc, char **argv)
{
	static const struct cli_options options = {
		.command = "evidence", .help = evidence_help,
		.common = CLI_ARCHIVE | CLI_JSON,
	};
	custody_archive *archive = NULL;
	custody_error *err = NULL;
	struct cli cli;
	int c, rc, n = 0;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0)
		;
	if (c < 0)
		return cli.status;
	if (optind < argc)
		return cli_usage("evidence", "unexpected argument '%s'",
			argv[optind]);
	if (cli_open(&cli, &archive) != EXIT_OK)
		return EXIT_FAILED;
	if (cli.json) {
		json_begin("evidence");
		fputs(",\"evidence\":[", stdout);
		rc = custody_archive_evidence(archive, print_evidence, &n,
			&err);
		if (rc == 0) {
			fputs("]", stdout);
			json_end();
		}
	} else if ((rc = custody_archive_evidence(archive, count_evidence,
	    &n, &err)) == 0 && n == 0) {
		puts("no evidence kept");
	} else if (rc == 0) {
		rc = custody_archive_evidence(archive, print_evidence, NULL,
			&err);
	}
	custody_archive_free(archive);
	return rc != 0 ? cli_fail(err) : EXIT_OK;
}
