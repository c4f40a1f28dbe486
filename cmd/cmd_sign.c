#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "keys.h"

static const char help[] =
"usage: custody sign FILE... [--output SIG] [--force] [--key NAME]\n"
"                    [--passphrase-file FILE] [--namespace NS] [--json]\n"
"\n"
"Sign files with your key: FILE.sig beside each FILE, an SSHSIG signature\n"
"(namespace \"custody\") that `custody verify-signature` and\n"
"`ssh-keygen -Y verify -n custody` check.\n"
"\n"
"  --output SIG    write the signature here (one FILE; - for stdout)\n"
"  --force         replace an existing signature file\n"
"  --namespace NS  sign for another namespace (default custody)\n"
"  --key NAME      sign with this key (or CUSTODY_KEY)\n"
"  --passphrase-file FILE  read the key's passphrase from FILE (or\n"
"                  CUSTODY_PASSPHRASE; default: ask on the terminal)\n"
"  --json          print what was signed as JSON\n"
"\n"
"Examples:\n"
"  custody sign report.pdf\n"
"  custody sign report.pdf --output - >report.sig\n";

static int write_signature(const char *path, const custody_buf *sig,
	int force)
{
	if (cli_check_output(path, force) != EXIT_OK)
		return EXIT_FAILED;
	return cli_write_output(path, sig->ptr, sig->size, force);
}

int cmd_sign(int argc, char **argv)
{
	static const struct option own[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "namespace", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_options options = {
		.command = "sign", .help = help,
		.common = CLI_KEY | CLI_PASSPHRASE_FILE | CLI_JSON, .own = own,
		.getopt_messages = 1,
	};
	const char *output = NULL, *ns = "custody";
	custody_key *key = NULL;
	custody_error *err = NULL;
	char *member = NULL, fingerprint[64];
	struct cli cli;
	int force = 0, c, rc = EXIT_OK, listed = 0;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0) {
		switch (c) {
		case 'o': output = optarg; break;
		case 'f': force = 1; break;
		case 'n': ns = optarg; break;
		}
	}
	if (c < 0)
		return cli.status;
	if (optind == argc)
		return cli_usage("sign", "name a FILE to sign");
	if (output != NULL && argc - optind > 1)
		return cli_usage("sign", "--output goes with one FILE");
	if (ns[0] == '\0')
		return cli_usage("sign", "--namespace may not be empty");
	if (cli.json && output != NULL && strcmp(output, "-") == 0)
		return cli_usage("sign", "--output - and --json both want "
			"standard output; name a file with --output");
	if (cli_signing_key(cli.key_name, cli.passphrase_file, &key,
	    &member) != EXIT_OK)
		return EXIT_FAILED;
	custody_pubkey_fingerprint(custody_key_public(key), fingerprint);
	if (cli.json) {
		json_begin("sign");
		fputs(",\"signed\":[", stdout);
	}
	for (int i = optind; i < argc; i++) {
		custody_buf sig = CUSTODY_BUF_INIT;
		char *sig_path = NULL;
		int fd = cli_open_input(argv[i], "");

		if (fd < 0) {
			rc = EXIT_FAILED;
			continue;
		}
		if (custody_sshsig_sign_fd(key, ns, fd, &sig, &err) != 0) {
			close(fd);
			cli_error("%s: %s", argv[i], cli_error_text(err));
			custody_error_free(err);
			err = NULL;
			rc = EXIT_FAILED;
			continue;
		}
		close(fd);
		if (output != NULL && strcmp(output, "-") == 0) {
			fwrite(sig.ptr, 1, sig.size, stdout);
			custody_buf_dispose(&sig);
			continue;
		}
		if (output == NULL && asprintf(&sig_path, "%s.sig",
		    argv[i]) < 0) {
			cli_oom();
			custody_buf_dispose(&sig);
			rc = EXIT_FAILED;
			break;
		}
		if (write_signature(output ? output : sig_path, &sig, force) !=
		    EXIT_OK) {
			rc = EXIT_FAILED;
		} else if (cli.json) {
			fputs(listed++ ? ",{\"file\":" : "{\"file\":", stdout);
			json_string(stdout, argv[i]);
			fputs(",\"signature\":", stdout);
			json_string(stdout, output ? output : sig_path);
			fputs("}", stdout);
		} else {
			printf("Signed %s -> %s\n", argv[i],
				output ? output : sig_path);
		}
		free(sig_path);
		custody_buf_dispose(&sig);
	}
	/* a file not signed is a failure: custody-error/v1 names it (the
	 * others' signatures are written, as without --json) */
	if (cli.json && rc == EXIT_OK) {
		fputs("],\"key\":", stdout);
		json_string(stdout, member);
		fputs(",\"fingerprint\":", stdout);
		json_string(stdout, fingerprint);
		fputs(",\"namespace\":", stdout);
		json_string(stdout, ns);
		json_end();
	}
	custody_key_free(key);
	free(member);
	return rc;
}
