#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "keys.h"
#include "verifier_page.h"

/* Where --url keeps the page in the collection: each new page a new
 * version of one document. */
#define VERIFIER_DOCUMENT "custody-verifier/verify.html"

static const char help[] =
"usage: custody site OUT [--url URL [--key NAME] [--passphrase-file FILE]]\n"
"                        [--force] [--archive DIR]\n"
"\n"
"Write the outlet's public page as a static folder OUT: index.html, the\n"
"list of published documents (where and when each was published, its\n"
"SHA-256 and its proof file), the current signed checkpoint, the outlet\n"
"key and the witness policy, and the verifier page (`custody verifier`)\n"
"that checks a proof in the reader's browser. Open index.html from disk\n"
"or put OUT on any static web server: nothing in it loads anything from\n"
"elsewhere. A proof names its document by its entry, never by its path\n"
"in the collection (which stays private).\n"
"\n"
"  OUT/index.html           the list, with links to the rest\n"
"  OUT/verify.html          the verifier page\n"
"  OUT/checkpoint.txt       the signed checkpoint the proofs are at or under\n"
"  OUT/outlet.vkey          the outlet key, as `custody key export --vkey`\n"
"  OUT/policy.txt           the witness policy, as `custody policy export`\n"
"  OUT/proofs/ENTRY.proof   the proof of the document of entry ENTRY\n"
"\n"
"With --url, the verifier page is itself a published document: it is\n"
"written into the collection as " VERIFIER_DOCUMENT " (a new version\n"
"when custody's page changes), registered, and recorded as published at\n"
"URL (where OUT/verify.html will be served), unless this very page is\n"
"already; the site lists it with its proof, so that a reader can check\n"
"the checker with `custody check` or with a copy saved earlier. This\n"
"signs, as `custody publish` does.\n"
"\n"
"  --url URL  where OUT/verify.html will be: register and publish it\n"
"  --force    write into OUT even if it exists and holds files (the\n"
"             files above are replaced; others are left alone)\n"
"\n"
"Examples:\n"
"  custody site public/\n"
"  custody site public/ --url https://example.org/custody/verify.html\n"
"\n"
"Exit status: 0 written, 1 error, 2 usage.\n";

struct listing {
	custody_archive *archive;
	const char *out;
	FILE *html;
	size_t count;
	int status;
};

static void html_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* Only http(s) links become links: a URL is the outlet's, but a
 * "javascript:" one must not run in a reader's browser. */
static int is_web_url(const char *url)
{
	return strncmp(url, "https://", 8) == 0 ||
		strncmp(url, "http://", 7) == 0;
}

static int write_in(const char *out, const char *name, const void *data,
	size_t len)
{
	char *path;
	int rc;

	if (asprintf(&path, "%s/%s", out, name) < 0) {
		cli_error("out of memory");
		return EXIT_FAILED;
	}
	rc = cli_write_file(path, data, len);
	free(path);
	return rc;
}

static int one_publication(const custody_publication *p, void *payload)
{
	struct listing *l = payload;
	custody_entry *entry = NULL;
	custody_error *err = NULL;
	custody_buf proof = CUSTODY_BUF_INIT;
	char name[48];

	if (custody_archive_entry(l->archive, p->document, &entry, &err) != 0 ||
	    custody_archive_proof(l->archive, p->path,
	    custody_entry_version(entry), &proof, &err) != 0) {
		custody_entry_free(entry);
		l->status = cli_fail(err);
		return 1;
	}
	custody_entry_free(entry);
	snprintf(name, sizeof(name), "proofs/%" PRIu64 ".proof", p->document);
	l->status = write_in(l->out, name, proof.ptr, proof.size);
	custody_buf_dispose(&proof);
	if (l->status != EXIT_OK)
		return 1;
	fputs("<tr><td>", l->html);
	html_text(l->html, p->published);
	fputs("</td><td>", l->html);
	if (is_web_url(p->url)) {
		fputs("<a href=\"", l->html);
		html_text(l->html, p->url);
		fputs("\">", l->html);
	}
	html_text(l->html, p->title ? p->title : p->url);
	fputs(is_web_url(p->url) ? "</a>" : "", l->html);
	if (p->title) {
		fputs("<br><small>", l->html);
		html_text(l->html, p->url);
		fputs("</small>", l->html);
	}
	fprintf(l->html, "</td><td>%" PRIu64 "</td><td class=\"hash\">",
		p->document);
	html_text(l->html, p->sha256);
	fprintf(l->html, "</td><td><a href=\"%s\">%" PRIu64 ".proof</a></td>"
		"</tr>\n", name, p->document);
	l->count++;
	return 0;
}

static const char style[] =
"body{font:16px/1.5 system-ui,sans-serif;margin:0}"
"main{max-width:60rem;margin:0 auto;padding:1rem}"
"table{border-collapse:collapse;width:100%}"
"th,td{text-align:left;vertical-align:top;padding:.3rem .5rem;"
"border-bottom:1px solid #ccc}"
".hash{font-family:monospace;overflow-wrap:anywhere;font-size:.85rem}"
"pre{white-space:pre-wrap;overflow-wrap:anywhere}"
"@media (max-width:40rem){thead{display:none}tr,td{display:block}"
"td{border:0;padding:.1rem 0}tr{border-bottom:1px solid #ccc;"
"padding:.5rem 0}}";

static int write_site(custody_archive *archive, const char *out)
{
	struct listing l = { archive, out, NULL, 0, EXIT_OK };
	custody_checkpoint_info info;
	custody_buf note = CUSTODY_BUF_INIT, policy = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	char *page = NULL, vkey[1024];
	size_t page_len = 0;
	int rc = EXIT_FAILED;

	if (custody_archive_checkpoint(archive, &note, &info, &err) != 0 ||
	    custody_archive_policy_text(archive, &policy, &err) != 0) {
		rc = cli_fail(err);
		goto done;
	}
	snprintf(vkey, sizeof(vkey), "%s\n", custody_archive_log_key(archive));
	if ((l.html = open_memstream(&page, &page_len)) == NULL) {
		cli_error("out of memory");
		goto done;
	}
	fputs("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<meta name=\"viewport\" content=\"width=device-width, "
		"initial-scale=1\"><meta http-equiv=\"Content-Security-Policy\" "
		"content=\"default-src 'none'; style-src 'unsafe-inline'\">"
		"<title>Published documents of ", l.html);
	html_text(l.html, info.origin);
	fprintf(l.html, "</title><style>%s</style></head><body><main>\n"
		"<h1>Published documents of ", style);
	html_text(l.html, info.origin);
	fputs("</h1>\n<p>Each document below was registered in this outlet's "
		"log before it was published. To check one, save it and its "
		"proof, open the <a href=\"verify.html\">verifier</a> (it runs "
		"in your browser, offline) and give it the document, the proof "
		"and the <a href=\"outlet.vkey\">outlet key</a>; or run <code>"
		"custody check DOCUMENT --proof PROOF --key outlet.vkey</code>."
		"</p>\n<table><thead><tr><th>published</th><th>where</th>"
		"<th>entry</th><th>SHA-256</th><th>proof</th></tr></thead>"
		"<tbody>\n", l.html);
	if (custody_archive_published(archive, one_publication, &l, &err) != 0
	    && l.status == EXIT_OK) {
		fclose(l.html);
		l.html = NULL;
		rc = cli_fail(err);
		goto done;
	}
	if (l.status != EXIT_OK) {
		rc = l.status;
		goto done;
	}
	if (l.count == 0)
		fputs("<tr><td colspan=\"5\">nothing published yet</td></tr>\n",
			l.html);
	fprintf(l.html, "</tbody></table>\n<h2>The log</h2>\n<p>The checkpoint "
		"(size %" PRIu64 "), signed by the outlet key; keep a copy to "
		"check later that the log only grew (<a href=\"checkpoint.txt\">"
		"checkpoint.txt</a>):</p>\n<pre>", info.size);
	html_text(l.html, note.ptr);
	fputs("</pre>\n<p>The outlet key: <a href=\"outlet.vkey\">outlet.vkey"
		"</a>; its witness policy: <a href=\"policy.txt\">policy.txt</a>."
		"</p>\n<p>The verifier's SHA-256 (as <code>custody verifier"
		"</code> prints it): <span class=\"hash\">", l.html);
	fputs(custody_verifier_page_sha256, l.html);
	fputs("</span></p>\n</main></body></html>\n", l.html);
	if (fclose(l.html) != 0) {
		l.html = NULL;
		cli_error("out of memory");
		goto done;
	}
	l.html = NULL;
	if (write_in(out, "verify.html", custody_verifier_page,
	    custody_verifier_page_size) != EXIT_OK ||
	    write_in(out, "checkpoint.txt", note.ptr, note.size) != EXIT_OK ||
	    write_in(out, "outlet.vkey", vkey, strlen(vkey)) != EXIT_OK ||
	    write_in(out, "policy.txt", policy.ptr, policy.size) != EXIT_OK ||
	    write_in(out, "index.html", page, page_len) != EXIT_OK)
		goto done;
	printf("wrote %s: %zu published document%s, checkpoint of size %"
		PRIu64 "\n", out, l.count, l.count == 1 ? "" : "s", info.size);
	rc = EXIT_OK;
done:
	if (l.html != NULL)
		fclose(l.html);
	free(page);
	custody_buf_dispose(&note);
	custody_buf_dispose(&policy);
	return rc;
}

struct already {
	const char *url;
	int published;
};

static int same_page(const custody_publication *p, void *payload)
{
	struct already *a = payload;

	a->published |= strcmp(p->sha256, custody_verifier_page_sha256) == 0
		&& strcmp(p->url, a->url) == 0;
	return 0;
}

/* The page into the collection, registered, and published at `url`
 * unless this page already is. */
static int register_verifier(custody_archive *archive, const char *url)
{
	custody_add_options add = CUSTODY_ADD_OPTIONS_INIT;
	custody_publish_options pub = CUSTODY_PUBLISH_OPTIONS_INIT;
	custody_add_summary summary;
	custody_error *err = NULL;
	struct already a = { url, 0 };
	const char *collection = custody_archive_collection(archive);
	char *path, *folder;
	char commit[CUSTODY_COMMIT_ID_SIZE];
	uint64_t index;
	int rc = EXIT_FAILED;

	if (asprintf(&path, "%s/%s", collection, VERIFIER_DOCUMENT) < 0)
		path = NULL;
	if (asprintf(&folder, "%s/custody-verifier", collection) < 0)
		folder = NULL;
	if (path == NULL || folder == NULL) {
		cli_error("out of memory");
		goto done;
	}
	if (mkdir(folder, 0755) != 0 && errno != EEXIST) {
		cli_error("%s: cannot make the folder: %s", folder,
			strerror(errno));
		goto done;
	}
	if (cli_write_file(path, custody_verifier_page,
	    custody_verifier_page_size) != EXIT_OK)
		goto done;
	if (custody_archive_add(archive, (const char *const *)&path, 1, &add,
	    NULL, NULL, &summary, &err) != 0 ||
	    custody_archive_published(archive, same_page, &a, &err) != 0) {
		rc = cli_fail(err);
		goto done;
	}
	if (a.published) {
		printf("the verifier page (%s, SHA-256 %.16s...) is published "
			"at %s already\n", VERIFIER_DOCUMENT,
			custody_verifier_page_sha256, url);
		rc = EXIT_OK;
		goto done;
	}
	pub.url = url;
	pub.title = "custody verifier page";
	if (custody_archive_publish(archive, (const char *const *)&path, 1,
	    &pub, &index, commit, &err) != 0) {
		rc = cli_fail(err);
		goto done;
	}
	printf("registered the verifier page (%s, SHA-256 %.16s...) and "
		"published it at %s: entry %" PRIu64 "\n", VERIFIER_DOCUMENT,
		custody_verifier_page_sha256, url, index);
	rc = EXIT_OK;
done:
	free(path);
	free(folder);
	return rc;
}

/* OUT and OUT/proofs, made when missing; an OUT that holds files only
 * with --force. */
static int make_folders(const char *out, int force)
{
	char *proofs;
	int rc = EXIT_OK;

	if (mkdir(out, 0755) != 0) {
		if (errno != EEXIST) {
			cli_error("%s: cannot make the folder: %s", out,
				strerror(errno));
			return EXIT_FAILED;
		}
		if (!force && rmdir(out) != 0 && errno == ENOTEMPTY) {
			cli_error("%s: exists and holds files; use --force to "
				"write into it", out);
			return EXIT_FAILED;
		}
		if (!force && mkdir(out, 0755) != 0) {
			cli_error("%s: cannot make the folder: %s", out,
				strerror(errno));
			return EXIT_FAILED;
		}
	}
	if (asprintf(&proofs, "%s/proofs", out) < 0) {
		cli_error("out of memory");
		return EXIT_FAILED;
	}
	if (mkdir(proofs, 0755) != 0 && errno != EEXIST) {
		cli_error("%s: cannot make the folder: %s", proofs,
			strerror(errno));
		rc = EXIT_FAILED;
	}
	free(proofs);
	return rc;
}

int cmd_site(int argc, char **argv)
{
	static const struct option own[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "url", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_options options = {
		.command = "site", .help = help,
		.common = CLI_ARCHIVE | CLI_KEY | CLI_PASSPHRASE_FILE,
		.own = own,
	};
	custody_archive *archive = NULL;
	custody_key *key = NULL;
	const char *url = NULL;
	struct cli cli;
	int force = 0, c, rc;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0) {
		if (c == 'f')
			force = 1;
		else if (c == 'u')
			url = optarg;
	}
	if (c < 0)
		return cli.status;
	if (argc - optind != 1)
		return cli_usage("site", "name one folder to write");
	if (cli_check_value("site", "--url", CUSTODY_FIELD_URL, url))
		return EXIT_USAGE;
	if (custody_verifier_page_size == 0) {
		cli_error("this custody was built without the verifier page "
			"(it needs node and web/node_modules: ./dev.sh build)");
		return EXIT_FAILED;
	}
	if (url != NULL ? cli_open_signed(&cli, cli.key_name,
	    cli.passphrase_file, &archive, &key) != EXIT_OK :
	    cli_open(&cli, &archive) != EXIT_OK)
		return EXIT_FAILED;
	rc = make_folders(argv[optind], force);
	if (rc == EXIT_OK && url != NULL)
		rc = register_verifier(archive, url);
	if (rc == EXIT_OK)
		rc = write_site(archive, argv[optind]);
	custody_archive_free(archive);
	custody_key_free(key);
	return rc;
}
