#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static const char help[] =
"usage: custody proof DOC [--version N] [--disclose FIELDS] [-o FILE]\n"
"                    [--archive DIR]\n"
"\n"
"Write the one file a fact-checker needs, with the document and the\n"
"outlet's public key, to check offline that this exact document was\n"
"registered in this log (`custody check`). It holds the public part of\n"
"the document's entry (digest, size, media type, time, derivation\n"
"link), its inclusion proof, the signed checkpoint, the publication\n"
"entry that names the document if there is one, and, when the\n"
"checkpoint has one, its RFC 3161 timestamp (docs/proof-format.md).\n"
"The entry's private fields (path, actor, note, source, blob, version,\n"
"previous) stay out unless named with --disclose. About other entries\n"
"it reveals only their salted hashes.\n"
"\n"
"  --version N        the version to prove (default: the latest)\n"
"  --disclose FIELDS  also disclose these private fields, comma-\n"
"                     separated (path,actor,note,source,blob,version,\n"
"                     previous), each with what checks it\n"
"  -o, --output FILE  write the proof to FILE (default: standard output)\n"
"\n"
"Example: custody proof memo-redacted.pdf --disclose path -o memo.proof\n";

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

int cmd_proof(int argc, char **argv)
{
	static const struct option own[] = {
		{ "version", required_argument, NULL, 'v' },
		{ "output", required_argument, NULL, 'o' },
		{ "disclose", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_options options = {
		.command = "proof", .help = help,
		.common = CLI_ARCHIVE, .own = own, .short_options = "o:",
	};
	custody_archive *archive = NULL;
	custody_error *err = NULL;
	custody_buf proof = CUSTODY_BUF_INIT;
	const char *output = NULL, *fields[16], *disclose = NULL;
	char *fields_buf = NULL;
	size_t nfields = 0;
	struct cli cli;
	uint64_t version = 0;
	int c, rc;

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
		}
	}
	if (c < 0)
		return cli.status;
	/* judged after the options, so that a --help after it still wins */
	if (disclose != NULL && (rc = parse_fields(disclose, &fields_buf,
	    fields, &nfields)) != 0) {
		free(fields_buf);
		return rc;
	}
	if (argc - optind != 1) {
		free(fields_buf);
		return cli_usage("proof", "name one registered document");
	}
	if (cli_open(&cli, &archive) != EXIT_OK) {
		free(fields_buf);
		return EXIT_FAILED;
	}
	rc = custody_archive_proof_disclosing(archive, argv[optind], version,
		fields, nfields, &proof, &err);
	custody_archive_free(archive);
	free(fields_buf);
	if (rc != 0)
		return cli_fail(err);
	rc = cli_write_file(output, proof.ptr, proof.size);
	custody_buf_dispose(&proof);
	if (rc == EXIT_OK && output != NULL && strcmp(output, "-") != 0)
		fprintf(stderr, "custody: proof of %s written to %s\n",
			argv[optind], output);
	return rc;
}
