#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "keys.h"

static const char help[] =
"usage: custody verify-signature FILE SIG --key KEY [--namespace NS]\n"
"                                [--json]\n"
"\n"
"Check that SIG (an SSHSIG signature, from `custody sign` or\n"
"`ssh-keygen -Y sign -n custody`) is KEY's signature over FILE, exactly.\n"
"No network, no other program.\n"
"\n"
"  --key KEY       who must have signed: an `ssh-ed25519 AAAA...` line, a\n"
"                  file holding one (a .pub file), a C2SP verifier key, or\n"
"                  the name of a key in your key folder\n"
"  --namespace NS  the namespace the signature must be for (default\n"
"                  custody; git commits use git)\n"
"  --json          print the result as JSON\n"
"\n"
"Examples:\n"
"  custody verify-signature report.pdf report.pdf.sig --key jane.pub\n"
"\n"
"Exit status: 0 the signature is good, 1 it is not (or cannot be read),\n"
"2 usage.\n";

#define SIG_MAX 65536

static int read_signature(const char *path, char *out, size_t *len)
{
	FILE *f = cli_fopen_input(path, "");

	if (f == NULL)
		return EXIT_FAILED;
	*len = fread(out, 1, SIG_MAX, f);
	if (ferror(f) || *len == SIG_MAX) {
		fclose(f);
		cli_error("%s: %s", path, *len == SIG_MAX ?
			"too big for a signature" : "cannot read");
		return EXIT_FAILED;
	}
	fclose(f);
	return EXIT_OK;
}

/* The verdict under --json: valid, or why not (signer NULL: the
 * signature did not verify at all). */
static void print_json(const char *file, const char *sig_path,
	const char *ns, const char *signer, const char *expected,
	const char *error)
{
	json_begin("verify-signature");
	fputs(",\"file\":", stdout);
	json_string(stdout, file);
	fputs(",\"signature\":", stdout);
	json_string(stdout, sig_path);
	printf(",\"valid\":%s,\"fingerprint\":", error ? "false" : "true");
	json_string(stdout, signer);
	fputs(",\"expected_fingerprint\":", stdout);
	json_string(stdout, expected);
	fputs(",\"namespace\":", stdout);
	json_string(stdout, ns);
	fputs(",\"error\":", stdout);
	json_string(stdout, error);
	json_end();
}

int cmd_verify_signature(int argc, char **argv)
{
	static const struct option own[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "namespace", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_options options = {
		.command = "verify-signature", .help = help,
		.common = CLI_JSON, .own = own, .getopt_messages = 1,
	};
	const char *key_text = NULL, *ns = "custody", *file, *sig_path;
	custody_pubkey *expected = NULL, *signer = NULL;
	custody_error *err = NULL;
	char *sig = NULL, want[64], got[64];
	size_t sig_len;
	struct cli cli;
	int c, fd, rc = EXIT_FAILED, vr;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0) {
		switch (c) {
		case 'k': key_text = optarg; break;
		case 'n': ns = optarg; break;
		}
	}
	if (c < 0)
		return cli.status;
	if (argc - optind != 2)
		return cli_usage("verify-signature", "want FILE and SIG");
	if (key_text == NULL)
		return cli_usage("verify-signature", "say whose signature it "
			"must be with --key KEY");
	file = argv[optind];
	sig_path = argv[optind + 1];
	if (cli_public_key(key_text, &expected) != EXIT_OK)
		return EXIT_FAILED;
	if ((sig = malloc(SIG_MAX)) == NULL) {
		cli_oom();
		goto done;
	}
	if (read_signature(sig_path, sig, &sig_len) != EXIT_OK)
		goto done;
	if ((fd = cli_open_input(file, "")) < 0)
		goto done;
	vr = custody_sshsig_verify_fd(sig, sig_len, ns, fd, &signer, &err);
	close(fd);
	custody_pubkey_fingerprint(expected, want);
	if (vr != 0) {
		if (cli.json)
			print_json(file, sig_path, ns, NULL, want,
				cli_error_text(err));
		cli_error("%s: bad signature %s: %s", file, sig_path,
			cli_error_text(err));
		custody_error_free(err);
		goto done;
	}
	custody_pubkey_fingerprint(signer, got);
	if (!custody_pubkey_equal(signer, expected)) {
		if (cli.json)
			print_json(file, sig_path, ns, got, want,
				"a signature by another key");
		cli_error("%s: %s is a signature by %s, not by the key given "
			"(%s)", file, sig_path, got, want);
		goto done;
	}
	if (cli.json) {
		print_json(file, sig_path, ns, got, want, NULL);
	} else {
		printf("Good signature on %s by %s (namespace %s)\n", file, got,
			ns);
	}
	rc = EXIT_OK;
done:
	free(sig);
	custody_pubkey_free(expected);
	custody_pubkey_free(signer);
	return rc;
}
