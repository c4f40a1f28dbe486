#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "keys.h"

static const char help[] =
"usage: custody member add NAME KEY [options]\n"
"       custody member revoke NAME [options]\n"
"       custody member list [--allowed-signers] [--json]\n"
"\n"
"Who may sign this archive's changes. `add` records NAME's Ed25519 key\n"
"(KEY: an `ssh-ed25519 AAAA...` line, a file holding one, such as the\n"
"output of `custody key export` or an OpenSSH .pub file, or the name of\n"
"a key in your key folder); `revoke`\n"
"ends NAME's membership: commits NAME signed before stay valid, none\n"
"after. Each is one log entry in one commit, signed by you, a member.\n"
"`list` shows every member, active or revoked; --allowed-signers prints\n"
"members/allowed_signers, the file git verify-commit and ssh-keygen -Y\n"
"verify take (it is also in the archive's tree).\n"
"\n"
"  --note TEXT     a note on the entry\n"
"  --wait SECONDS  wait this long if another process holds the archive\n"
"  --key NAME      sign with this key (or CUSTODY_KEY)\n"
"  --passphrase-file FILE  read the key's passphrase from FILE (or\n"
"                  CUSTODY_PASSPHRASE; default: ask on the terminal)\n"
"  --archive DIR   the archive (or CUSTODY_ARCHIVE)\n"
"  --json          print the result as JSON\n"
"\n"
"Examples:\n"
"  custody member add bob bob.pub\n"
"  custody member revoke bob --note 'left the desk'\n"
"  custody member list --allowed-signers >signers\n";

struct listing {
	int json;
	int first;
};

static int on_member(const custody_member_info *m, void *payload)
{
	struct listing *l = payload;

	if (l->json) {
		fputs(l->first ? "" : ",", stdout);
		l->first = 0;
		fputs("{\"name\":", stdout);
		json_string(stdout, m->name);
		fputs(",\"key\":", stdout);
		json_string(stdout, m->key);
		fputs(",\"fingerprint\":", stdout);
		json_string(stdout, m->fingerprint);
		printf(",\"founding\":%s,\"since\":", m->founding ? "true" :
			"false");
		json_string(stdout, m->since);
		printf(",\"revoked\":%s,\"until\":", m->revoked ? "true" :
			"false");
		json_string(stdout, m->until);
		fputs("}", stdout);
		return 0;
	}
	printf("%-20s %s  %s%s%s%s\n", m->name, m->fingerprint,
		m->founding ? "founding member" : "member since ",
		m->founding ? "" : m->since,
		m->revoked ? ", revoked " : "", m->revoked ? m->until : "");
	return 0;
}

static int list_members(struct cli *cli, int allowed_signers)
{
	custody_archive *archive = NULL;
	custody_error *err = NULL;
	struct listing l = { cli->json, 1 };
	custody_buf text = CUSTODY_BUF_INIT;
	int rc;

	if (cli_open(cli, &archive) != EXIT_OK)
		return EXIT_FAILED;
	if (allowed_signers) {
		rc = custody_archive_allowed_signers(archive, &text, &err);
		if (rc == 0 && l.json) {
			json_begin("member-allowed-signers");
			fputs(",\"allowed_signers\":", stdout);
			json_string(stdout, text.ptr);
			json_end();
		} else if (rc == 0) {
			fwrite(text.ptr, 1, text.size, stdout);
		}
		custody_buf_dispose(&text);
	} else {
		if (l.json) {
			json_begin("member-list");
			fputs(",\"members\":[", stdout);
		}
		rc = custody_archive_members(archive, on_member, &l, &err);
		if (l.json && rc == 0) {
			fputs("]", stdout);
			json_end();
		}
	}
	custody_archive_free(archive);
	return rc == 0 ? EXIT_OK : cli_fail(err);
}

int cmd_member(int argc, char **argv)
{
	static const struct option own[] = {
		{ "note", required_argument, NULL, 'N' },
		{ "allowed-signers", no_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_options options = {
		.command = "member", .help = help,
		.common = CLI_WAIT | CLI_KEY | CLI_PASSPHRASE_FILE |
			CLI_ARCHIVE | CLI_JSON,
		.own = own,
	};
	custody_member_options opts = CUSTODY_MEMBER_OPTIONS_INIT;
	custody_archive *archive = NULL;
	custody_pubkey *pub = NULL;
	custody_key *key = NULL;
	custody_error *err = NULL;
	const char *verb, *name;
	char *signer = NULL, commit[41];
	int c, rc, allowed_signers = 0, add;
	struct cli cli;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0) {
		switch (c) {
		case 'N': opts.note = optarg; break;
		case 'A': allowed_signers = 1; break;
		}
	}
	if (c < 0)
		return cli.status;
	opts.lock_wait_ms = cli.wait_ms;
	if (optind == argc)
		return cli_usage("member", "say add, revoke or list");
	if (cli_check_value("member", "--note", CUSTODY_FIELD_NOTE, opts.note))
		return EXIT_USAGE;
	verb = argv[optind++];
	if (strcmp(verb, "list") == 0) {
		if (optind != argc)
			return cli_usage("member", "unexpected argument '%s'",
				argv[optind]);
		return list_members(&cli, allowed_signers);
	}
	add = strcmp(verb, "add") == 0;
	if (!add && strcmp(verb, "revoke") != 0)
		return cli_usage("member", "'%s' is not add, revoke or list",
			verb);
	if (argc - optind != (add ? 2 : 1))
		return cli_usage("member", add ? "member add wants NAME and "
			"KEY" : "member revoke wants NAME");
	name = argv[optind];
	if (cli_check_value("member", "NAME", CUSTODY_FIELD_MEMBER, name) !=
	    EXIT_OK)
		return EXIT_USAGE;
	if (add && cli_public_key(argv[optind + 1], &pub) != EXIT_OK)
		return EXIT_FAILED;
	if (cli_open(&cli, &archive) != EXIT_OK) {
		custody_pubkey_free(pub);
		return EXIT_FAILED;
	}
	if (cli_signing_key(cli.key_name, cli.passphrase_file, &key,
	    &signer) != EXIT_OK) {
		rc = EXIT_FAILED;
		goto done;
	}
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
	if ((add ? custody_archive_member_add(archive, name, pub, &opts,
	    commit, &err) : custody_archive_member_revoke(archive, name,
	    &opts, commit, &err)) != 0) {
		rc = cli_fail(err);
		goto done;
	}
	if (cli.json) {
		json_begin("member");
		printf(",\"action\":\"%s\",\"member\":", add ? "add" :
			"revoke");
		json_string(stdout, name);
		fputs(",\"commit\":", stdout);
		json_string(stdout, commit);
		json_end();
	} else {
		printf("%s %s; commit %.12s\n", add ? "added member" :
			"revoked member", name, commit);
	}
	rc = EXIT_OK;
done:
	custody_archive_free(archive);
	custody_pubkey_free(pub);
	custody_key_free(key);
	free(signer);
	return rc;
}
