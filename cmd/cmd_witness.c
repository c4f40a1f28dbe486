#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "keys.h"

static const char help[] =
"usage: custody witness init NAME [--state DIR] [--passphrase-file FILE]\n"
"       custody witness trust ORIGIN VKEY [--state DIR]\n"
"       custody witness logs [--state DIR] [--json]\n"
"       custody witness serve --listen ADDR:PORT [--timeout SECONDS]\n"
"                             [--state DIR] [--passphrase-file FILE]\n"
"       custody witness cosign CHECKPOINT [--old SIZE] [--proof FILE]\n"
"                              [-o FILE [--force]] [--state DIR]\n"
"                              [--passphrase-file FILE]\n"
"       custody witness evidence [--state DIR] [--json]\n"
"  your archive's witnesses:\n"
"       custody witness add NAME URL VKEY [--quorum Q] [--key NAME]\n"
"       custody witness remove NAME [--quorum Q] [--key NAME]\n"
"       custody witness quorum Q [--key NAME]\n"
"       custody witness policy FILE [--key NAME]\n"
"       custody witness list [--json] [--archive DIR]\n"
"\n"
"Witness partner outlets' logs: cosign a checkpoint only once it is shown\n"
"to extend the last checkpoint this witness cosigned for that log, so no\n"
"outlet can show two histories to readers who ask for cosignatures. It\n"
"speaks C2SP tlog-witness (add-checkpoint) and tlog-cosignature\n"
"(cosignature/v1, Ed25519).\n"
"\n"
"`init` makes the witness NAME (a schema-less URL such as\n"
"witness.example.org/w1): an encrypted key in the key folder's witness/\n"
"subfolder and the state folder; it prints the witness's vkey, which\n"
"outlets and readers put in their policies. `trust` adds a log: its\n"
"ORIGIN and VKEY (the outlet's `custody key export --vkey`, or a file\n"
"holding it); a running server sees it at once. `logs` lists them with\n"
"the size last cosigned. `serve` answers POST /add-checkpoint (and GET\n"
"/<origin hash>/checkpoint) over HTTP, one line per request on stderr.\n"
"`cosign` is the same check offline: CHECKPOINT is a signed checkpoint\n"
"file, --old the size this witness last cosigned for its log (0 when\n"
"none), --proof the consistency proof from there (a `custody\n"
"consistency` file, or base64 hashes one a line); the cosignature line\n"
"goes to standard output. `evidence` lists the pairs of signed\n"
"checkpoints of one log that cannot both be true, kept when shown.\n"
"\n"
"The state (the latest checkpoint cosigned per log) is checked and\n"
"updated in one locked, durable step before any answer.\n"
"\n"
"Your archive's witnesses are its C2SP tlog-policy, changed only by a\n"
"policy entry in the log. `add` names one: NAME, the URL it serves\n"
"add-checkpoint under, its VKEY (or a file holding it). Q, the quorum a\n"
"checkpoint must reach, is any, all, majority (the default) or a number.\n"
"`policy` gives the whole policy as FILE (with groups of your own).\n"
"Then `custody cosign` asks them; `custody policy export` is for readers.\n"
"\n"
"Exit status: 0 cosigned / done, 1 refused or an error, 2 usage.\n"
"\n"
"  --state DIR             the state folder (or CUSTODY_WITNESS_DIR;\n"
"                          default $XDG_STATE_HOME/custody/witness or\n"
"                          ~/.local/state/custody/witness)\n"
"  --listen ADDR:PORT      where to serve (port 0: any free port; the\n"
"                          address is printed on standard output)\n"
"  --timeout SECONDS       the longest a client may take to send its\n"
"                          request (default 10)\n"
"  --old SIZE              the size the proof starts from (default: the\n"
"                          proof file's, else 0)\n"
"  --proof FILE            the consistency proof\n"
"  -o, --output FILE       write the cosignature line to FILE\n"
"  --force                 replace that FILE if it exists\n"
"  --quorum Q              any, all, majority or a number of witnesses\n"
"  --key NAME              sign the policy change with this key (or\n"
"                          CUSTODY_KEY)\n"
"  --archive DIR           the archive (or CUSTODY_ARCHIVE)\n"
"  --passphrase-file FILE  read the key's passphrase from FILE\n"
"                          (or CUSTODY_PASSPHRASE; default: ask)\n"
"  --json                  print data as JSON\n"
"\n"
"Examples:\n"
"  custody witness init witness.example.org/w1\n"
"  custody witness serve --listen 127.0.0.1:8080\n"
"  custody witness add partner https://witness.partner.example w.vkey\n";

#define CHECKPOINT_MAX (64 * 1024)
#define PROOF_MAX (64 * 1024)

struct witness_args {
	struct cli cli;
	const char *state;
	const char *listen;
	const char *old;
	const char *proof;
	const char *output;
	int force;
	const char *quorum;
	unsigned int timeout_s;
};

static int open_witness(const struct witness_args *a, custody_witness **w)
{
	custody_error *err = NULL;

	if (custody_witness_open(w, a->state, &err) != 0) {
		if (custody_error_code(err) == CUSTODY_ENOTFOUND) {
			cli_error("%s (make one with `custody witness init "
				"NAME`, or name its folder with --state DIR "
				"or CUSTODY_WITNESS_DIR)",
				custody_error_message(err));
			custody_error_free(err);
			return EXIT_FAILED;
		}
		return cli_fail(err);
	}
	return EXIT_OK;
}

/* The key folder's witness/ subfolder, malloc'd into *out. */
static int witness_key_dir(char **out)
{
	custody_buf dir = CUSTODY_BUF_INIT;
	custody_error *err = NULL;

	*out = NULL;
	if (custody_keystore_dir(&dir, &err) != 0)
		return cli_fail(err);
	if (asprintf(out, "%s/witness", dir.ptr) < 0) {
		*out = NULL;
		custody_buf_dispose(&dir);
		cli_oom();
		return EXIT_FAILED;
	}
	custody_buf_dispose(&dir);
	return EXIT_OK;
}

/* A key file name from a witness name: witness.example/w1 ->
 * witness.example-w1 (key names allow A-Z a-z 0-9 . _ @ + -). */
static void key_name_of(const char *name, char *out, size_t size)
{
	size_t n = 0;

	for (const char *p = name; *p && n + 1 < size && n < 64; p++) {
		char c = *p;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || strchr("._@-", c);

		if (n == 0 && (c == '.' || c == '-'))
			ok = 0;
		out[n] = ok ? c : (n == 0 ? 'w' : '-');
		n++;
	}
	out[n] = '\0';
}

static int witness_init(struct witness_args *a, const char *name)
{
	custody_buf path = CUSTODY_BUF_INIT;
	custody_witness *w = NULL;
	char *dir = NULL;
	custody_key *key = NULL;
	custody_error *err = NULL;
	char key_name[80], passphrase[CLI_PASSPHRASE_MAX + 2], prompt[200];
	size_t len = 0;
	int rc = EXIT_FAILED;

	key_name_of(name, key_name, sizeof(key_name));
	if (witness_key_dir(&dir) != EXIT_OK)
		goto done;
	/* the state folder first: a witness there already is refused
	 * before a passphrase is asked for or a key made */
	if (custody_witness_open(&w, a->state, NULL) == 0) {
		cli_error("%s holds the witness %s already",
			custody_witness_path(w), custody_witness_name(w));
		goto done;
	}
	if (custody_keystore_prepare(dir, key_name, &err) != 0) {
		rc = cli_fail(err);
		goto done;
	}
	snprintf(prompt, sizeof(prompt), "Passphrase for the new witness key "
		"'%s': ", key_name);
	if (cli_passphrase(a->cli.passphrase_file, prompt, 1, passphrase,
	    &len) != EXIT_OK)
		goto done;
	if (custody_key_generate(&key, &err) != 0 ||
	    custody_witness_init(a->state, name, custody_key_public(key),
	    key_name, &err) != 0 ||
	    custody_keystore_save(dir, key_name, key, passphrase, len,
	    &path, &err) != 0) {
		rc = cli_fail(err);
		goto done;
	}
	if (custody_witness_open(&w, a->state, &err) != 0) {
		rc = cli_fail(err);
		goto done;
	}
	if (a->cli.json) {
		json_begin("witness-init");
		fputs(",\"name\":", stdout);
		json_string(stdout, name);
		fputs(",\"vkey\":", stdout);
		json_string(stdout, custody_witness_vkey(w));
		fputs(",\"state\":", stdout);
		json_string(stdout, custody_witness_path(w));
		fputs(",\"key\":", stdout);
		json_string(stdout, path.ptr);
		json_end();
	} else {
		printf("witness %s: state in %s, key in %s\n", name,
			cli_name(custody_witness_path(w)), cli_name(path.ptr));
		printf("%s\n", custody_witness_vkey(w));
	}
	rc = EXIT_OK;
done:
	explicit_bzero(passphrase, sizeof(passphrase));
	custody_witness_free(w);
	custody_key_free(key);
	free(dir);
	custody_buf_dispose(&path);
	return rc;
}

static int witness_trust(struct witness_args *a, const char *origin,
	const char *given)
{
	custody_witness *w = NULL;
	custody_error *err = NULL;
	char *vkey = NULL;
	int added = 0, rc;

	if (cli_key_text(given, &vkey) != EXIT_OK)
		return EXIT_FAILED;
	if (open_witness(a, &w) != EXIT_OK) {
		free(vkey);
		return EXIT_FAILED;
	}
	rc = custody_witness_trust(w, origin, vkey, &added, &err);
	if (rc == 0 && a->cli.json) {
		json_begin("witness-trust");
		fputs(",\"origin\":", stdout);
		json_string(stdout, origin);
		fputs(",\"vkey\":", stdout);
		json_string(stdout, vkey);
		printf(",\"added\":%s", added ? "true" : "false");
		json_end();
	} else if (rc == 0)
		printf("%s %s (%s)\n", added ? "trusting" : "already trusting",
			cli_name(origin), vkey);
	custody_witness_free(w);
	free(vkey);
	return rc == 0 ? EXIT_OK : cli_fail(err);
}

struct listing {
	int json;
	int first;
};

static int on_log(const custody_witness_log *log, void *payload)
{
	struct listing *l = payload;

	if (l->json) {
		fputs(l->first ? "{\"origin\":" : ",{\"origin\":", stdout);
		l->first = 0;
		json_string(stdout, log->origin);
		fputs(",\"vkey\":", stdout);
		json_string(stdout, log->vkey);
		if (log->cosigned) {
			printf(",\"size\":%" PRIu64 ",\"root\":", log->size);
			json_string(stdout, log->root);
		} else {
			fputs(",\"size\":null,\"root\":null", stdout);
		}
		fputs("}", stdout);
	} else if (log->cosigned) {
		printf("%s  size %" PRIu64 "  %s\n", cli_name(log->origin),
			log->size, log->root);
	} else {
		printf("%s  nothing cosigned yet\n", cli_name(log->origin));
	}
	return 0;
}

static int witness_logs(struct witness_args *a)
{
	struct listing l = { a->cli.json, 1 };
	custody_witness *w = NULL;
	custody_error *err = NULL;
	int rc;

	if (open_witness(a, &w) != EXIT_OK)
		return EXIT_FAILED;
	if (l.json) {
		json_begin("witness-logs");
		fputs(",\"logs\":[", stdout);
	}
	rc = custody_witness_logs(w, on_log, &l, &err);
	if (l.json && rc == 0) {
		fputs("]", stdout);
		json_end();
	}
	custody_witness_free(w);
	return rc == 0 ? EXIT_OK : cli_fail(err);
}

static int on_evidence(const custody_witness_evidence *e, void *payload)
{
	struct listing *l = payload;

	if (l->json) {
		fputs(l->first ? "{\"origin\":" : ",{\"origin\":", stdout);
		l->first = 0;
		json_string(stdout, e->origin);
		fputs(",\"kind\":", stdout);
		json_string(stdout, e->kind);
		fputs(",\"time\":", stdout);
		json_string(stdout, e->time);
		printf(",\"cosigned\":{\"size\":%" PRIu64 ",\"root\":",
			e->cosigned_size);
		json_string(stdout, e->cosigned_root);
		printf("},\"presented\":{\"size\":%" PRIu64 ",\"root\":",
			e->presented_size);
		json_string(stdout, e->presented_root);
		fputs("},\"path\":", stdout);
		json_string(stdout, e->path);
		fputs("}", stdout);
		return 0;
	}
	printf("%s  %s  %s\n  cosigned:  size %" PRIu64 " %s\n"
		"  presented: size %" PRIu64 " %s\n  kept in %s\n", e->time,
		e->kind, cli_name(e->origin), e->cosigned_size,
		e->cosigned_root, e->presented_size, e->presented_root,
		cli_name(e->path));
	return 0;
}

static int witness_evidence(struct witness_args *a)
{
	struct listing l = { a->cli.json, 1 };
	custody_witness *w = NULL;
	custody_error *err = NULL;
	int rc;

	if (open_witness(a, &w) != EXIT_OK)
		return EXIT_FAILED;
	if (l.json) {
		json_begin("witness-evidence");
		fputs(",\"evidence\":[", stdout);
	}
	rc = custody_witness_evidence_list(w, on_evidence, &l, &err);
	if (l.json && rc == 0) {
		fputs("]", stdout);
		json_end();
	}
	custody_witness_free(w);
	return rc == 0 ? EXIT_OK : cli_fail(err);
}

/* The witness's key, opened with its passphrase. */
static int load_key(const struct witness_args *a, custody_witness *w,
	custody_key **out)
{
	custody_buf path = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	char passphrase[CLI_PASSPHRASE_MAX + 2], prompt[200], *dir = NULL;
	size_t len = 0;
	int rc = EXIT_FAILED;

	*out = NULL;
	if (witness_key_dir(&dir) != EXIT_OK)
		goto done;
	if (custody_keystore_find(dir, custody_witness_key_name(w), NULL,
	    &path, NULL, &err) != 0) {
		rc = cli_fail(err);
		goto done;
	}
	snprintf(prompt, sizeof(prompt), "Passphrase for the witness key "
		"'%s': ", custody_witness_key_name(w));
	if (cli_passphrase(a->cli.passphrase_file, prompt, 0, passphrase,
	    &len) != EXIT_OK)
		goto done;
	if (custody_key_load(out, path.ptr, passphrase, len, &err) != 0 ||
	    custody_witness_set_key(w, *out, &err) != 0) {
		custody_key_free(*out);
		*out = NULL;
		rc = cli_fail(err);
		goto done;
	}
	rc = EXIT_OK;
done:
	explicit_bzero(passphrase, sizeof(passphrase));
	free(dir);
	custody_buf_dispose(&path);
	return rc;
}

static volatile int stop_serving;

static void on_signal(int sig)
{
	(void)sig;
	stop_serving = 1;
}

static void on_ready(const char *address, void *payload)
{
	printf("witness %s listening on http://%s\n",
		custody_witness_name(payload), address);
	fflush(stdout);
}

static void on_logged(const char *line, void *payload)
{
	(void)payload;
	fprintf(stderr, "%s\n", line);
}

static int witness_serve(struct witness_args *a)
{
	custody_witness_serve_options opts =
		CUSTODY_WITNESS_SERVE_OPTIONS_INIT;
	custody_witness *w = NULL;
	custody_key *key = NULL;
	custody_error *err = NULL;
	struct sigaction sa;
	int rc;

	if (a->listen == NULL)
		return cli_usage("witness", "serve wants --listen ADDR:PORT");
	if (a->cli.json)
		return cli_usage("witness", "serve prints no JSON; its log "
			"lines go to standard error");
	if (open_witness(a, &w) != EXIT_OK)
		return EXIT_FAILED;
	if (load_key(a, w, &key) != EXIT_OK) {
		custody_witness_free(w);
		return EXIT_FAILED;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stderr, NULL, _IOLBF, 0);
	opts.timeout_ms = a->timeout_s * 1000;
	opts.ready = on_ready;
	opts.logged = on_logged;
	opts.payload = w;
	opts.stop = &stop_serving;
	rc = custody_witness_serve(w, a->listen, &opts, &err);
	custody_witness_free(w);
	custody_key_free(key);
	return rc == 0 ? EXIT_OK : cli_fail(err);
}

/*
 * The request body from files: "old N\n", the proof's hashes, "\n", the
 * checkpoint. A custody-consistency/v1 proof names its sizes, which must
 * agree with --old and the checkpoint.
 */
static int build_request(const struct witness_args *a, const char *note,
	size_t note_len, char **out, size_t *out_len)
{
	FILE *m;
	char *proof = NULL, *p;
	size_t proof_len = 0;
	uint64_t old = 0, file_old = 0;
	int have_old = a->old != NULL, rc = EXIT_FAILED;

	if (have_old && cli_parse_u64(a->old, &old) != 0)
		return cli_usage("witness", "--old wants a size, not '%s'",
			a->old);
	if (a->proof != NULL && cli_read_text_file(a->proof, PROOF_MAX, &proof,
	    &proof_len) != EXIT_OK)
		return EXIT_FAILED;
	p = proof;
	if (proof != NULL && strncmp(proof, "custody-consistency/v1\n", 23) ==
	    0) {
		char *old_line = proof + 23, *new_line, *rest;

		new_line = strchr(old_line, '\n');
		rest = new_line ? strchr(new_line + 1, '\n') : NULL;
		if (rest == NULL || strncmp(old_line, "old ", 4) != 0 ||
		    strncmp(new_line + 1, "new ", 4) != 0) {
			cli_error("%s: not a custody-consistency/v1 file",
				cli_name(a->proof));
			goto done;
		}
		*new_line = '\0';
		if (cli_parse_u64(old_line + 4, &file_old) != 0) {
			cli_error("%s: bad old size", cli_name(a->proof));
			goto done;
		}
		if (have_old && file_old != old) {
			cli_error("%s proves from size %" PRIu64 ", not from "
				"--old %" PRIu64, cli_name(a->proof),
				file_old, old);
			goto done;
		}
		old = file_old;
		p = rest + 1;
	}
	if ((m = open_memstream(out, out_len)) == NULL) {
		cli_oom();
		goto done;
	}
	fprintf(m, "old %" PRIu64 "\n", old);
	if (p != NULL && *p != '\0')
		fprintf(m, "%s%s", p, p[strlen(p) - 1] != '\n' ? "\n" : "");
	fputc('\n', m);
	fwrite(note, 1, note_len, m);
	if (fclose(m) != 0) {
		cli_oom();
		goto done;
	}
	rc = EXIT_OK;
done:
	free(proof);
	return rc;
}

static int witness_cosign(struct witness_args *a, const char *checkpoint)
{
	custody_witness_answer answer = CUSTODY_WITNESS_ANSWER_INIT;
	char *request = NULL;
	size_t request_len = 0;
	custody_witness *w = NULL;
	custody_key *key = NULL;
	custody_error *err = NULL;
	char *note = NULL;
	size_t note_len = 0;
	int rc = EXIT_FAILED;

	/* refused before the state moves, so that no cosignature is lost */
	if (cli_check_output(a->output, a->force) != EXIT_OK ||
	    cli_read_text_file(checkpoint, CHECKPOINT_MAX, &note, &note_len) !=
	    EXIT_OK)
		return EXIT_FAILED;
	if ((rc = build_request(a, note, note_len, &request,
	    &request_len)) != EXIT_OK)
		goto done;
	rc = EXIT_FAILED;
	if (open_witness(a, &w) != EXIT_OK || load_key(a, w, &key) != EXIT_OK)
		goto done;
	if (custody_witness_add_checkpoint(w, request, request_len,
	    &answer, &err) != 0) {
		rc = cli_fail(err);
		goto done;
	}
	if (answer.status == 200 && a->cli.json) {
		/* the cosignature lines go in the object, and to -o FILE */
		rc = a->output == NULL || strcmp(a->output, "-") == 0 ?
			EXIT_OK : cli_write_output(a->output, answer.body.ptr,
			answer.body.size, a->force);
		if (rc == EXIT_OK) {
			answer.body.ptr[answer.body.size - 1] = '\0';
			json_begin("witness-cosign");
			fputs(",\"output\":", stdout);
			json_string(stdout, a->output && strcmp(a->output,
				"-") != 0 ? a->output : NULL);
			fputs(",\"cosignature\":", stdout);
			json_string(stdout, answer.body.ptr);
			json_end();
		}
		goto done;
	}
	if (answer.status == 200) {
		rc = cli_write_output(a->output, answer.body.ptr,
			answer.body.size, a->force);
		goto done;
	}
	answer.body.ptr[answer.body.size - 1] = '\0'; /* its "\n" */
	if (answer.status == 409)
		cli_error("refused (409): this witness last cosigned size %s "
			"of this log: give --old %s and a proof from there",
			answer.body.ptr, answer.body.ptr);
	else
		cli_error("refused (%d): %s", answer.status,
			cli_text(answer.body.ptr));
done:
	custody_witness_answer_dispose(&answer);
	free(request);
	custody_witness_free(w);
	custody_key_free(key);
	free(note);
	return rc;
}

/* ---- the outlet's side: the archive's witnesses ---- */

static int quorum_ok(const char *q)
{
	uint64_t k;

	return strcmp(q, "any") == 0 || strcmp(q, "all") == 0 ||
		strcmp(q, "majority") == 0 ||
		(cli_parse_u64(q, &k) == 0 && k >= 1 && k <= 32);
}

/* add NAME URL VKEY, remove NAME, quorum Q, policy FILE */
static int outlet_edit(struct witness_args *a, const char *verb,
	char **args)
{
	custody_archive *archive = NULL;
	custody_key *key = NULL;
	custody_error *err = NULL;
	char *text = NULL;
	size_t len = 0;
	uint64_t index = 0;
	int rc = EXIT_FAILED;

	if (verb[0] == 'a' && cli_key_text(args[2], &text) != EXIT_OK)
		return EXIT_FAILED;
	if (verb[0] == 'p' && cli_read_text_file(args[0], 64 * 1024, &text,
	    &len) != EXIT_OK)
		return EXIT_FAILED;
	if (cli_open_signed(&a->cli, a->cli.key_name, a->cli.passphrase_file,
	    &archive, &key) != EXIT_OK)
		goto done;
	switch (verb[0]) {
	case 'a':
		rc = custody_archive_witness_add(archive, args[0], args[1],
			text, a->quorum, &index, &err);
		break;
	case 'r':
		rc = custody_archive_witness_remove(archive, args[0],
			a->quorum, &index, &err);
		break;
	case 'q':
		rc = custody_archive_witness_quorum(archive, args[0], &index,
			&err);
		break;
	default:
		rc = custody_archive_witness_policy(archive, text, len, &index,
			&err);
		break;
	}
	if (rc != 0) {
		rc = cli_fail(err);
		goto done;
	}
	if (a->cli.json) {
		json_begin("witness-change");
		fputs(",\"action\":", stdout);
		json_string(stdout, verb);
		printf(",\"entry\":%" PRIu64, index);
		json_end();
	} else
		printf("the policy is now entry %" PRIu64 " of the log; `custody "
			"witness list` shows it\n", index);
	rc = EXIT_OK;
done:
	custody_archive_free(archive);
	custody_key_free(key);
	free(text);
	return rc;
}

static int on_archive_witness(const custody_archive_witness *w,
	void *payload)
{
	struct listing *l = payload;

	if (l->json) {
		fputs(l->first ? "{\"name\":" : ",{\"name\":", stdout);
		l->first = 0;
		json_string(stdout, w->name);
		fputs(",\"vkey\":", stdout);
		json_string(stdout, w->vkey);
		fputs(",\"url\":", stdout);
		json_string(stdout, w->url[0] ? w->url : NULL);
		fputs("}", stdout);
	} else {
		l->first = 0;
		printf("%s  %s  %s\n", cli_text(w->name),
			w->url[0] ? cli_text(w->url) : "(no URL)",
			cli_text(w->vkey));
	}
	return 0;
}

static int outlet_list(struct witness_args *a)
{
	struct listing l = { a->cli.json, 1 };
	custody_archive *archive = NULL;
	custody_error *err = NULL;
	custody_buf policy = CUSTODY_BUF_INIT;
	int rc;

	if (cli_open(&a->cli, &archive) != EXIT_OK)
		return EXIT_FAILED;
	if (l.json) {
		json_begin("witness-list");
		fputs(",\"witnesses\":[", stdout);
	}
	rc = custody_archive_witnesses(archive, on_archive_witness, &l, &err);
	if (rc == 0)
		rc = custody_archive_policy_text(archive, &policy, &err);
	if (rc == 0) {
		const char *q = strstr(policy.ptr, "\nquorum ");
		size_t qn = q ? strcspn(q + 8, "\n") : 0;

		if (l.json) {
			fputs("],\"policy\":", stdout);
			json_string(stdout, policy.ptr);
			json_end();
		} else if (l.first) {
			puts("no witnesses: `custody witness add NAME URL "
				"VKEY` names one");
		} else {
			const char *g = strstr(policy.ptr,
				"\ngroup witnesses ");

			if (g != NULL && q != NULL && strncmp(q + 8,
			    "witnesses\n", 10) == 0)
				printf("quorum: %.*s of the witnesses\n",
					(int)strcspn(g + 17, " \n"), g + 17);
			else
				printf("quorum: %.*s (a policy of your own: "
					"custody policy export)\n", (int)qn,
					q ? q + 8 : "?");
		}
	}
	custody_buf_dispose(&policy);
	custody_archive_free(archive);
	return rc == 0 ? EXIT_OK : cli_fail(err);
}

/* "host:port" or "[v6]:port", the shape custody_witness_serve takes;
 * whether the host exists is its to say */
static int listen_address(const char *text)
{
	const char *colon = strrchr(text, ':');
	size_t digits;

	if (colon == NULL || colon == text)
		return 0;
	digits = strlen(colon + 1);
	return digits >= 1 && digits <= 5 && strspn(colon + 1,
		"0123456789") == digits && strtoul(colon + 1, NULL, 10) <=
		65535 && !(colon - text == 2 && text[0] == '[');
}

int cmd_witness(int argc, char **argv)
{
	static const struct option own[] = {
		{ "state", required_argument, NULL, 'S' },
		{ "listen", required_argument, NULL, 'L' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "old", required_argument, NULL, 'O' },
		{ "proof", required_argument, NULL, 'P' },
		{ "output", required_argument, NULL, 'o' },
		{ "quorum", required_argument, NULL, 'Q' },
		{ "force", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_options options = {
		.command = "witness", .help = help,
		.common = CLI_PASSPHRASE_FILE | CLI_JSON | CLI_KEY |
			CLI_ARCHIVE,
		.own = own, .short_options = "o:",
	};
	struct witness_args a;
	const char *verb;
	uint64_t timeout;
	int c, nargs;

	memset(&a, 0, sizeof(a));
	a.timeout_s = 10;
	cli_init(&a.cli);
	while ((c = cli_getopt(&a.cli, argc, argv, &options)) > 0) {
		switch (c) {
		case 'S': a.state = optarg; break;
		case 'L': a.listen = optarg; break;
		case 'O': a.old = optarg; break;
		case 'P': a.proof = optarg; break;
		case 'o': a.output = optarg; break;
		case 'F': a.force = 1; break;
		case 'Q':
			if (!quorum_ok(optarg))
				return cli_usage("witness", "--quorum wants "
					"any, all, majority or a number of "
					"witnesses, not '%s'", optarg);
			a.quorum = optarg;
			break;
		case 'T':
			if (cli_parse_u64(optarg, &timeout) != 0 ||
			    timeout == 0 || timeout > 3600)
				return cli_usage("witness", "--timeout wants "
					"1 to 3600 seconds, not '%s'", optarg);
			a.timeout_s = (unsigned int)timeout;
			break;
		}
	}
	if (c < 0)
		return a.cli.status;
	/* after the options, so that --help after them still helps */
	if (a.listen != NULL && !listen_address(a.listen))
		return cli_usage("witness", "--listen wants ADDR:PORT (a port "
			"up to 65535), not '%s'", cli_text(a.listen));
	if (a.old != NULL && cli_parse_u64(a.old, &timeout) != 0)
		return cli_usage("witness", "--old wants a size, not '%s'",
			cli_text(a.old));
	if (optind == argc)
		return cli_usage("witness", "say init, trust, logs, serve, "
			"cosign, evidence, add, remove, quorum, policy or "
			"list");
	verb = argv[optind++];
	nargs = argc - optind;
	if (strcmp(verb, "init") == 0) {
		if (nargs != 1)
			return cli_usage("witness", "init wants NAME");
		return witness_init(&a, argv[optind]);
	}
	if (strcmp(verb, "trust") == 0) {
		if (nargs != 2)
			return cli_usage("witness", "trust wants ORIGIN VKEY");
		return witness_trust(&a, argv[optind], argv[optind + 1]);
	}
	if (strcmp(verb, "add") == 0) {
		if (nargs != 3)
			return cli_usage("witness", "add wants NAME URL VKEY");
		/* a witness's name follows the rule for a log's origin (both
		 * are C2SP note names), its URL a publication's */
		if (cli_check_value("witness", "NAME", CUSTODY_FIELD_ORIGIN,
		    argv[optind]) != EXIT_OK || cli_check_value("witness",
		    "URL", CUSTODY_FIELD_URL, argv[optind + 1]) != EXIT_OK)
			return EXIT_USAGE;
		return outlet_edit(&a, verb, argv + optind);
	}
	if (strcmp(verb, "remove") == 0 || strcmp(verb, "quorum") == 0 ||
	    strcmp(verb, "policy") == 0) {
		if (nargs != 1)
			return cli_usage("witness", "%s wants %s", verb,
				verb[0] == 'r' ? "NAME" : verb[0] == 'q' ? "Q" :
				"FILE");
		if (verb[0] == 'q' && !quorum_ok(argv[optind]))
			return cli_usage("witness", "the quorum is any, all, "
				"majority or a number of witnesses, not '%s'",
				argv[optind]);
		return outlet_edit(&a, verb, argv + optind);
	}
	if (strcmp(verb, "cosign") == 0) {
		if (nargs != 1)
			return cli_usage("witness", "cosign wants CHECKPOINT");
		return witness_cosign(&a, argv[optind]);
	}
	if (nargs != 0)
		return cli_usage("witness", "unexpected argument '%s'",
			argv[optind]);
	if (strcmp(verb, "logs") == 0)
		return witness_logs(&a);
	if (strcmp(verb, "serve") == 0)
		return witness_serve(&a);
	if (strcmp(verb, "evidence") == 0)
		return witness_evidence(&a);
	if (strcmp(verb, "list") == 0)
		return outlet_list(&a);
	return cli_usage("witness", "'%s' is not init, trust, logs, serve, "
		"cosign, evidence, add, remove, quorum, policy or list", verb);
}
