#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "keys.h"

/* ---- the timeline as text and JSON (custody log DOC) ---- */

static const char *kind_name(custody_step_kind k)
{
	switch (k) {
	case CUSTODY_STEP_REGISTERED: return "registered";
	case CUSTODY_STEP_EVENT: return "event";
	case CUSTODY_STEP_DERIVED: return "derived";
	case CUSTODY_STEP_DERIVATIVE: return "derivative";
	case CUSTODY_STEP_PUBLISHED: return "published";
	case CUSTODY_STEP_GAP: return "gap";
	case CUSTODY_STEP_DKIM: return "dkim";
	}
	return "?";
}

struct printer {
	int json, first;
};

static int print_step(const custody_step *s, void *payload)
{
	struct printer *p = payload;

	if (p->json) {
		fputs(p->first ? "" : ",\n", stdout);
		p->first = 0;
		printf("{\"kind\":\"%s\",\"entry\":%" PRIu64 ",\"when\":",
			kind_name(s->kind), s->entry);
		json_string(stdout, s->when);
		fputs(",\"recorded\":", stdout);
		json_string(stdout, s->recorded);
		fputs(",\"actor\":", stdout);
		json_string(stdout, s->actor);
		fputs(",\"path\":", stdout);
		json_string(stdout, s->path);
		printf(",\"depth\":%d,\"what\":", s->depth);
		json_string(stdout, s->what);
		fputs(",\"from\":", stdout);
		json_string(stdout, s->from);
		fputs(",\"to\":", stdout);
		json_string(stdout, s->to);
		fputs(",\"url\":", stdout);
		json_string(stdout, s->url);
		fputs(",\"note\":", stdout);
		json_string(stdout, s->note);
		fputs(",\"backdate_reason\":", stdout);
		json_string(stdout, s->backdate_reason);
		if (s->kind == CUSTODY_STEP_REGISTERED)
			printf(",\"version\":%" PRIu64, s->version);
		if (s->related_path) {
			fputs(",\"derivative\":", stdout);
			json_string(stdout, s->related_path);
		}
		fputs(",\"message\":", stdout);
		json_string(stdout, s->message);
		fputs("}", stdout);
		return 0;
	}
	printf("%s  %*s", s->when, 2 * s->depth, "");
	switch (s->kind) {
	case CUSTODY_STEP_REGISTERED:
		if (s->what)
			printf("%s registered (%s of entry %" PRIu64 "), "
				"version %" PRIu64, cli_name(s->path),
				cli_text(s->what),
				s->related, s->version);
		else
			printf("%s registered, version %" PRIu64,
				cli_name(s->path),
				s->version);
		break;
	case CUSTODY_STEP_EVENT:
		printf("%s: %s", cli_name(s->path), cli_text(s->what));
		if (s->from)
			printf(" from %s", cli_text(s->from));
		if (s->to)
			printf(" to %s", cli_text(s->to));
		if (s->backdate_reason)
			printf(" (backdated: %s)",
				cli_text(s->backdate_reason));
		break;
	case CUSTODY_STEP_DERIVATIVE:
		printf("%s: %s made from it (%s)", cli_name(s->path),
			cli_name(s->related_path), cli_text(s->what));
		break;
	case CUSTODY_STEP_PUBLISHED:
		printf("%s published at %s", cli_name(s->path),
			cli_text(s->url));
		break;
	case CUSTODY_STEP_GAP:
		printf("GAP: %s: %s", cli_name(s->path),
			cli_text(s->message));
		break;
	case CUSTODY_STEP_DKIM:
		printf("%s: DKIM %s (keys observed then; entry %" PRIu64
			" registered it)", cli_name(s->path), cli_text(s->what),
			s->related);
		break;
	default:
		break;
	}
	if (s->kind != CUSTODY_STEP_GAP)
		printf("  [entry %" PRIu64 ", by %s]", s->entry, s->actor);
	putchar('\n');
	if (s->note)
		printf("%*s  note: %s\n", (int)strlen(s->when) + 2 * s->depth,
			"", s->note);
	return 0;
}

int cli_timeline(struct cli *cli, custody_archive *archive, const char *path)
{
	struct printer p = { cli->json, 1 };
	custody_error *err = NULL;
	int rc;

	if (p.json) {
		json_begin("log-document");
		fputs(",\"path\":", stdout);
		json_string(stdout, path);
		fputs(",\"steps\":[", stdout);
	}
	rc = custody_archive_timeline(archive, path, print_step, &p, &err);
	if (p.json && rc == 0) {
		fputs("]", stdout);
		json_end();
	}
	return rc == 0 ? EXIT_OK : cli_fail(err);
}

/* ---- the HTML report ---- */

static const char help[] =
"usage: custody report DOC [-o report.html] [--force] [--no-sign]\n"
"                      [--key NAME] [--passphrase-file FILE] [--archive DIR]\n"
"\n"
"Write a document's chain of custody as one self-contained HTML page for\n"
"an editor or a lawyer: who had it, when, what was done to it, what was\n"
"made from it and what was published, in the order the log recorded it,\n"
"with gaps named and the tree of derivatives drawn; each version's\n"
"SHA-256, size and media type, and the key of the member who registered\n"
"it; the checkpoint (size, root) the page was made at; and the result of\n"
"`custody verify`, run as the page is written. No scripts, no outside\n"
"resources; readable from a phone to paper. The same timeline as data:\n"
"`custody log DOC --json`.\n"
"\n"
"With -o FILE the page is signed with your key: FILE.sig is an SSHSIG\n"
"(namespace custody), as `custody sign FILE` would write, that\n"
"`custody verify-signature` and `ssh-keygen -Y verify -n custody` check;\n"
"FILE.sha256 holds the page's SHA-256 for `sha256sum -c` (a page cannot\n"
"hold its own hash), and the hash is printed.\n"
"\n"
"  -o, --output FILE  write the page to FILE (default: standard output,\n"
"                     unsigned, its SHA-256 on standard error)\n"
"  --force            replace FILE, FILE.sig and FILE.sha256 if they exist\n"
"  --no-sign          write FILE and FILE.sha256 but no signature (no key\n"
"                     needed)\n"
"  --key NAME         sign with this key (or CUSTODY_KEY)\n"
"  --passphrase-file FILE  read the key's passphrase from FILE (or\n"
"                     CUSTODY_PASSPHRASE; default: ask on the terminal)\n"
"\n"
"Examples:\n"
"  custody report memo.pdf -o memo.html\n"
"  custody report memo.pdf -o memo.html --force --key jane\n"
"  custody report memo.pdf >memo.html\n"
"\n"
"Exit status 0 when the page is written and verify passed; 1 when verify\n"
"found a problem (the page is written and says so) or on an error; 2\n"
"usage.\n";

/* The most problems a page lists; it counts the others. */
#define PROBLEMS_SHOWN 20

struct version {
	uint64_t entry;
	const char *sha256, *media_type, *actor;
	uint64_t size;
};

/* A member's key and the entries it could sign: a name revoked and
 * added again has one of these per key. */
struct member {
	const char *name, *fingerprint;
	uint64_t added, revoked;    /* revoked 0: still active */
};

struct page {
	FILE *f;
	custody_step *steps;
	size_t n, alloc;
	struct version *versions;   /* one per registered step, in order */
	size_t nversions;
	struct member *members;
	size_t nmembers;
	custody_problem problems[PROBLEMS_SHOWN];
	uint64_t nproblems;
	char **strings;          /* copies owned by the page */
	size_t nstrings;
	int oom;
};

/* What the page says about itself, its record and its signer. */
struct facts {
	const char *document, *origin;
	const char *file;        /* the name it is saved as; NULL: stdout */
	custody_checkpoint_info checkpoint;
	int verify_rc;           /* custody_archive_verify's */
	const char *verify_error;
	custody_verify_summary summary;
	const char *signer;      /* the member; NULL: not signed */
	char fingerprint[CUSTODY_FINGERPRINT_SIZE];
	const char *signer_key;  /* "ssh-ed25519 AAAA..." */
	char written[32];
};

/*
 * The FILE.sha256 line, as GNU sha256sum writes it: a name holding a
 * backslash, a line feed or a carriage return is escaped (\\ \n \r)
 * and the line starts with a backslash, so that `sha256sum -c` reads it
 * back. malloc'd; NULL on out of memory.
 */
static char *sums_line(const char *hex, const char *name)
{
	size_t len = strlen(name), j = 0;
	int escaped = strpbrk(name, "\\\n\r") != NULL;
	char *line = malloc(1 + strlen(hex) + 2 + 2 * len + 2);

	if (line == NULL)
		return NULL;
	if (escaped)
		line[j++] = '\\';
	memcpy(line + j, hex, strlen(hex));
	j += strlen(hex);
	line[j++] = ' ';
	line[j++] = ' ';
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (escaped && (c == '\\' || c == '\n' || c == '\r')) {
			line[j++] = '\\';
			c = c == '\n' ? 'n' : c == '\r' ? 'r' : c;
		}
		line[j++] = c;
	}
	line[j++] = '\n';
	line[j] = '\0';
	return line;
}

static void html(FILE *f, const char *s)
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

static const char *keep(struct page *pg, const char *s)
{
	char **grown;
	char *copy;

	if (s == NULL)
		return NULL;
	if ((copy = strdup(s)) == NULL ||
	    (grown = realloc(pg->strings, (pg->nstrings + 1) *
	    sizeof(*grown))) == NULL) {
		free(copy);
		pg->oom = 1;
		return NULL;
	}
	pg->strings = grown;
	pg->strings[pg->nstrings++] = copy;
	return copy;
}

static void *grow(void *array, size_t n, size_t size)
{
	/* room for one more: doubling at powers of two from 16 */
	if (n >= 16 && (n & (n - 1)) != 0)
		return array;
	return realloc(array, (n < 16 ? 16 : 2 * n) * size);
}

/* The callback's strings live only during the call: keep copies. */
static int collect(const custody_step *s, void *payload)
{
	struct page *pg = payload;
	custody_step *c;

	if (pg->n == pg->alloc) {
		size_t alloc = pg->alloc ? 2 * pg->alloc : 64;
		custody_step *grown = realloc(pg->steps,
			alloc * sizeof(*grown));

		if (grown == NULL)
			return -1;
		pg->steps = grown;
		pg->alloc = alloc;
	}
	c = &pg->steps[pg->n++];
	*c = *s;
	c->when = keep(pg, s->when);
	c->recorded = keep(pg, s->recorded);
	c->actor = keep(pg, s->actor);
	c->path = keep(pg, s->path);
	c->what = keep(pg, s->what);
	c->from = keep(pg, s->from);
	c->to = keep(pg, s->to);
	c->url = keep(pg, s->url);
	c->note = keep(pg, s->note);
	c->backdate_reason = keep(pg, s->backdate_reason);
	c->related_path = keep(pg, s->related_path);
	c->message = keep(pg, s->message);
	return pg->oom ? -1 : 0;
}

static int collect_member(const custody_member_info *m, void *payload)
{
	struct page *pg = payload;
	struct member *grown;

	if ((grown = grow(pg->members, pg->nmembers,
	    sizeof(*grown))) == NULL)
		return -1;
	pg->members = grown;
	grown[pg->nmembers].name = keep(pg, m->name);
	grown[pg->nmembers].fingerprint = keep(pg, m->fingerprint);
	grown[pg->nmembers].added = m->added;
	grown[pg->nmembers].revoked = m->revoked_entry;
	pg->nmembers++;
	return pg->oom ? -1 : 0;
}

static int collect_problem(const custody_problem *p, void *payload)
{
	struct page *pg = payload;

	cli_progress_end();
	if (pg->nproblems < PROBLEMS_SHOWN) {
		pg->problems[pg->nproblems].where = keep(pg, p->where);
		pg->problems[pg->nproblems].message = keep(pg, p->message);
	}
	pg->nproblems++;
	return 0;
}

/* Each registered version's entry: its digest, size, type and actor. */
static int collect_versions(struct page *pg, custody_archive *archive,
	custody_error **err)
{
	for (size_t i = 0; i < pg->n; i++) {
		const custody_step *s = &pg->steps[i];
		custody_entry *e = NULL;
		struct version *grown, *v;
		int rc;

		if (s->kind != CUSTODY_STEP_REGISTERED)
			continue;
		if ((rc = custody_archive_entry(archive, s->entry, &e,
		    err)) != 0)
			return rc;
		if ((grown = grow(pg->versions, pg->nversions,
		    sizeof(*grown))) == NULL) {
			custody_entry_free(e);
			return CUSTODY_ENOMEM;
		}
		pg->versions = grown;
		v = &grown[pg->nversions++];
		v->entry = s->entry;
		v->sha256 = keep(pg, custody_entry_sha256(e));
		v->media_type = keep(pg, custody_entry_media_type(e));
		v->actor = keep(pg, custody_entry_actor(e));
		v->size = custody_entry_size(e);
		custody_entry_free(e);
		if (pg->oom)
			return CUSTODY_ENOMEM;
	}
	return 0;
}

/* The key `name` held when entry `index` was appended; NULL for none. */
static const char *fingerprint_of(const struct page *pg, const char *name,
	uint64_t index)
{
	for (size_t i = 0; name != NULL && i < pg->nmembers; i++) {
		const struct member *m = &pg->members[i];

		if (strcmp(m->name, name) == 0 && m->added < index &&
		    (m->revoked == 0 || index < m->revoked))
			return m->fingerprint;
	}
	return NULL;
}

/* A table cell with the label the narrow layout shows before it. */
static void cell(FILE *f, const char *label, const char *class_)
{
	fprintf(f, "<td data-label=\"%s\"", label);
	if (class_ != NULL)
		fprintf(f, " class=\"%s\"", class_);
	fputc('>', f);
}

/* The derivation tree below `path`: nested lists. */
static void tree(struct page *pg, const char *path, int depth)
{
	int any = 0;

	for (size_t i = 0; i < pg->n; i++) {
		const custody_step *s = &pg->steps[i];

		if (s->kind != CUSTODY_STEP_DERIVATIVE || s->depth != depth ||
		    strcmp(s->path, path) != 0)
			continue;
		fputs(any ? "" : "<ul>", pg->f);
		any = 1;
		fputs("<li><span class=\"doc\">", pg->f);
		html(pg->f, s->related_path);
		fputs("</span> <span class=\"how\">", pg->f);
		html(pg->f, s->what);
		fprintf(pg->f, ", entry %" PRIu64 "</span>", s->related);
		tree(pg, s->related_path, depth + 1);
		fputs("</li>", pg->f);
	}
	if (any)
		fputs("</ul>", pg->f);
}

/* Tables on a wide screen; below 48em one block per row, each cell
 * labelled; on paper the timeline stays a table, the versions blocks. */
static const char style[] =
"*{box-sizing:border-box}\n"
"body{font-family:Georgia,serif;line-height:1.4;color:#222;"
"max-width:72em;margin:1em auto;padding:0 1em}\n"
"h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em}\n"
"h1,p,li,dd{overflow-wrap:anywhere}\n"
"code,.doc,.hash,.when{font-family:monospace}\n"
"code,td.doc,td.details{overflow-wrap:anywhere}\n"
".hash,.fingerprint{word-break:break-all}\n"
"td.doc{min-width:10em}\n"
"table{border-collapse:collapse;width:100%}\n"
"th,td{text-align:left;vertical-align:top;padding:.35em .5em;"
"border-bottom:1px solid #ddd}\n"
"th{background:#f3f1ea}\n"
"tr.gap td{background:#fde8e4}tr.published td{background:#e8f2e4}\n"
".how,.meta{color:#555}.meta{font-size:.9em}\n"
".pass{color:#17601a;font-weight:bold}"
".fail{color:#a31212;font-weight:bold}\n"
"dl.facts{display:grid;grid-template-columns:max-content minmax(0,1fr);"
"gap:.3em 1em}\n"
"dl.facts dt{font-weight:bold}dl.facts dd{margin:0}\n"
".tree ul{list-style:none;border-left:2px solid #bbb;margin-left:.6em;"
"padding-left:1em}\n"
"@media screen and (max-width:48em){\n"
" table,tbody,tr,td{display:block}thead{display:none}\n"
" tr{border:1px solid #ccc;margin:0 0 .8em;padding:.3em .4em}\n"
" td{border:0;padding:.1em 0}\n"
" td::before{content:attr(data-label) \": \";font-weight:bold;"
"font-family:Georgia,serif}\n"
" dl.facts{grid-template-columns:minmax(0,1fr)}dl.facts dd{margin-left:1em}\n"
"}\n"
"@media print{\n"
" body{max-width:none;margin:0;padding:0;font-size:9pt}\n"
" tr{break-inside:avoid}th{background:none;border-bottom:2px solid #999}\n"
" tr.gap td,tr.published td{background:none}\n"
" tr.gap td:first-child{border-left:3px solid #a31212}\n"
" table.versions,table.versions tbody,table.versions tr,"
"table.versions td{display:block}\n"
" table.versions thead{display:none}\n"
" table.versions tr{border-bottom:1px solid #999;padding:.3em 0}\n"
" table.versions td{border:0;padding:0}\n"
" table.versions td::before{content:attr(data-label) \": \";"
"font-weight:bold;font-family:Georgia,serif}\n"
"}\n";

static void write_facts(struct page *pg, const struct facts *fx)
{
	FILE *f = pg->f;

	fputs("<h2>The record as this page was written</h2>\n"
		"<dl class=\"facts\">\n<dt>Checkpoint</dt>"
		"<dd id=\"checkpoint\">the log ", f);
	html(f, fx->origin);
	fprintf(f, " at size <b id=\"checkpoint-size\">%" PRIu64 "</b>, "
		"root <code id=\"checkpoint-root\" class=\"hash\">", fx->checkpoint.size);
	html(f, fx->checkpoint.root);
	fputs("</code>: the signed checkpoint <code>custody checkpoint"
		"</code> printed then</dd>\n<dt>Verification</dt>"
		"<dd id=\"verify\">", f);
	if (fx->verify_rc == 0) {
		fprintf(f, "<span class=\"pass\">passed</span>: <code>custody "
			"verify</code> found no problem: %" PRIu64
			" commits, each signed by a member; %" PRIu64
			" entries, %" PRIu64 " documents", fx->summary.commits,
			fx->summary.entries, fx->summary.documents);
	} else if (pg->nproblems > 0) {
		fprintf(f, "<span class=\"fail\">FAILED</span>: <code>custody "
			"verify</code> found %" PRIu64 " problem%s<ul>",
			pg->nproblems, pg->nproblems == 1 ? "" : "s");
		for (uint64_t i = 0; i < pg->nproblems &&
		    i < PROBLEMS_SHOWN; i++) {
			fputs("<li><code>", f);
			html(f, cli_text(pg->problems[i].where));
			fputs("</code>: ", f);
			html(f, cli_text(pg->problems[i].message));
			fputs("</li>", f);
		}
		if (pg->nproblems > PROBLEMS_SHOWN)
			fprintf(f, "<li>and %" PRIu64 " more</li>",
				pg->nproblems - PROBLEMS_SHOWN);
		fputs("</ul>", f);
	} else {
		fputs("<span class=\"fail\">FAILED</span>: <code>custody "
			"verify</code> could not run: ", f);
		html(f, fx->verify_error);
	}
	fputs("</dd>\n<dt>Signed by</dt><dd id=\"signer\">", f);
	if (fx->signer != NULL) {
		html(f, fx->signer);
		fputs(", key <code class=\"fingerprint\">", f);
		html(f, fx->fingerprint);
		fputs("</code>", f);
	} else {
		fputs("not signed", f);
	}
	fprintf(f, "</dd>\n<dt>Written</dt><dd>%s, by custody %s</dd>\n"
		"</dl>\n", fx->written, custody_version());
}

static void write_versions(struct page *pg, const struct facts *fx)
{
	FILE *f = pg->f;
	size_t v = 0;

	fputs("<h2>Versions</h2>\n<table class=\"versions\">\n<thead><tr>"
		"<th>Document</th><th>Version</th><th>SHA-256</th>"
		"<th>Size</th><th>Media type</th><th>Registered by</th>"
		"<th>In the checkpoint</th></tr></thead>\n<tbody>\n", f);
	for (size_t i = 0; i < pg->n && v < pg->nversions; i++) {
		const custody_step *s = &pg->steps[i];
		const struct version *ver;
		const char *fp;

		if (s->kind != CUSTODY_STEP_REGISTERED)
			continue;
		ver = &pg->versions[v++];
		fputs("<tr>", f);
		cell(f, "Document", "doc");
		html(f, cli_name(s->path));
		fputs("</td>", f);
		cell(f, "Version", NULL);
		fprintf(f, "%" PRIu64 ", entry %" PRIu64 "</td>", s->version,
			ver->entry);
		cell(f, "SHA-256", "hash");
		html(f, ver->sha256);
		fputs("</td>", f);
		cell(f, "Size", NULL);
		fprintf(f, "%" PRIu64 " bytes</td>", ver->size);
		cell(f, "Media type", NULL);
		html(f, ver->media_type ? ver->media_type : "not recorded");
		fputs("</td>", f);
		cell(f, "Registered by", NULL);
		html(f, ver->actor);
		fp = fingerprint_of(pg, ver->actor, ver->entry);
		if (fp != NULL) {
			fputs(", key <code class=\"fingerprint\">", f);
			html(f, fp);
			fputs("</code>", f);
		}
		fputs("</td>", f);
		cell(f, "In the checkpoint", NULL);
		if (ver->entry < fx->checkpoint.size)
			fputs("yes", f);
		else
			fputs("not yet: no signed checkpoint covers it", f);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

static void write_timeline(struct page *pg)
{
	FILE *f = pg->f;

	fputs("<h2>Timeline</h2>\n<table class=\"timeline\">\n<thead><tr>"
		"<th>When</th><th>Document</th><th>What</th><th>Details</th>"
		"<th>Recorded</th><th>By</th><th>Entry</th></tr></thead>\n"
		"<tbody>\n", f);
	for (size_t i = 0; i < pg->n; i++) {
		const custody_step *s = &pg->steps[i];
		int depth = s->depth < 3 ? s->depth : 3;

		fprintf(f, "<tr class=\"%s\">", kind_name(s->kind));
		cell(f, "When", "when");
		html(f, s->when);
		fputs("</td>", f);
		fprintf(f, "<td data-label=\"Document\" class=\"doc\" "
			"style=\"padding-left:%dem\">", 1 + 2 * depth);
		html(f, cli_name(s->path));
		fputs("</td>", f);
		cell(f, "What", NULL);
		switch (s->kind) {
		case CUSTODY_STEP_REGISTERED:
			fprintf(f, "registered, version %" PRIu64, s->version);
			if (s->what) {
				fputs(" (", f);
				html(f, s->what);
				fputs(")", f);
			}
			break;
		case CUSTODY_STEP_EVENT:
			html(f, s->what);
			break;
		case CUSTODY_STEP_DERIVATIVE:
			fputs("derivative made: ", f);
			html(f, s->what);
			break;
		case CUSTODY_STEP_PUBLISHED:
			fputs("published", f);
			break;
		case CUSTODY_STEP_GAP:
			fputs("gap in the record", f);
			break;
		case CUSTODY_STEP_DKIM:
			fputs("DKIM checked: ", f);
			html(f, s->what);
			fputs(" (keys observed at this time)", f);
			break;
		default:
			break;
		}
		fputs("</td>", f);
		cell(f, "Details", "details");
		/* a gap's message says whom it was sent to, and when: its
		 * labels and times would only say it again */
		if (s->from && s->kind != CUSTODY_STEP_GAP) {
			fputs("from ", f);
			html(f, s->from);
			fputs(" ", f);
		}
		if (s->to && s->kind != CUSTODY_STEP_GAP) {
			fputs("to ", f);
			html(f, s->to);
			fputs(" ", f);
		}
		if (s->related_path) {
			fputs("<span class=\"doc\">", f);
			html(f, cli_name(s->related_path));
			fputs("</span> ", f);
		}
		if (s->url) {
			fputs("at ", f);
			html(f, s->url);
			fputs(" ", f);
		}
		if (s->backdate_reason) {
			fputs("<i>backdated:</i> ", f);
			html(f, s->backdate_reason);
			fputs(" ", f);
		}
		if (s->message)
			html(f, s->message);
		if (s->note) {
			fputs("<br><i>note:</i> ", f);
			html(f, s->note);
		}
		fputs("</td>", f);
		cell(f, "Recorded", "when");
		if (s->kind != CUSTODY_STEP_GAP)
			html(f, s->recorded);
		fputs("</td>", f);
		cell(f, "By", NULL);
		html(f, s->actor);
		fputs("</td>", f);
		cell(f, "Entry", NULL);
		if (s->kind == CUSTODY_STEP_GAP)
			fprintf(f, "after %" PRIu64, s->entry);
		else
			fprintf(f, "%" PRIu64, s->entry);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

/* How a reader checks the page: its hash, its signature. */
static void write_checking(struct page *pg, const struct facts *fx)
{
	FILE *f = pg->f;
	const char *name = fx->file;

	fputs("<h2>Checking this page</h2>\n", f);
	if (name == NULL) {
		fputs("<p>This page was written to standard output, unsigned; "
			"<code>custody report</code> printed its SHA-256 on "
			"standard error. A file cannot contain its own hash. "
			"<code>custody report DOC -o FILE</code> signs "
			"it.</p>\n", f);
		return;
	}
	fputs("<p>A file cannot contain its own hash, so this page's SHA-256 "
		"is not written in it: <code>custody report</code> printed it "
		"when it wrote the page, and wrote it beside the page in "
		"<code>", f);
	html(f, cli_name(name));
	fputs(".sha256</code>. Compare it with what <code>sha256sum ", f);
	html(f, cli_name(name));
	fputs("</code> prints, or run <code>sha256sum -c ", f);
	html(f, cli_name(name));
	fputs(".sha256</code> in its folder; a page changed by even one byte "
		"has another hash.</p>\n", f);
	if (fx->signer == NULL) {
		fputs("<p>This page was written without a signature "
			"(<code>--no-sign</code>).</p>\n", f);
		return;
	}
	fputs("<p><code>", f);
	html(f, cli_name(name));
	fputs(".sig</code> is ", f);
	html(f, fx->signer);
	fputs("'s signature over the page's bytes, exactly (SSHSIG, namespace "
		"<code>custody</code>, by the key <code>", f);
	html(f, fx->fingerprint);
	fputs("</code>; confirm that fingerprint with its holder, not from "
		"this page). With custody: <code>custody verify-signature ",
		f);
	html(f, cli_name(name));
	fputc(' ', f);
	html(f, cli_name(name));
	fputs(".sig --key KEY.pub</code>. With OpenSSH alone: put the line "
		"<code>", f);
	html(f, fx->signer);
	fputs(" namespaces=\"custody\" ", f);
	html(f, fx->signer_key);
	fputs("</code> in a file <code>allowed_signers</code> and run "
		"<code>ssh-keygen -Y verify -f allowed_signers -I ", f);
	html(f, fx->signer);
	fputs(" -n custody -s ", f);
	html(f, cli_name(name));
	fputs(".sig &lt;", f);
	html(f, cli_name(name));
	fputs("</code>.</p>\n", f);
}

static void write_page(struct page *pg, const struct facts *fx)
{
	FILE *f = pg->f;

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head>"
		"<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
		"content=\"width=device-width, initial-scale=1\">\n"
		"<title>Chain of custody: ", f);
	html(f, cli_name(fx->document));
	fprintf(f, "</title>\n<style>\n%s</style></head><body>\n"
		"<h1>Chain of custody: <span class=\"doc\">", style);
	html(f, cli_name(fx->document));
	fputs("</span></h1>\n<p class=\"meta\">Log <b>", f);
	html(f, fx->origin);
	fputs("</b>; this page was written from the archive's signed "
		"record. Times are UTC: <i>when</i> is when it happened as "
		"recorded, <i>recorded</i> is when the entry was made.</p>\n",
		f);
	write_facts(pg, fx);
	write_versions(pg, fx);
	fputs("<h2>What was made from it</h2>\n<div class=\"tree\"><ul><li>"
		"<span class=\"doc\">", f);
	html(f, cli_name(fx->document));
	fputs("</span>", f);
	tree(pg, fx->document, 0);
	fputs("</li></ul></div>\n", f);
	write_timeline(pg);
	fputs("<p class=\"meta\">Every row is an entry of the log, signed by "
		"the member named. <code>custody verify</code> checks the "
		"whole record; <code>custody proof</code> and <code>custody "
		"check</code> prove a single document to anyone.</p>\n", f);
	write_checking(pg, fx);
	fputs("</body></html>\n", f);
}

static void page_free(struct page *pg)
{
	for (size_t i = 0; i < pg->nstrings; i++)
		free(pg->strings[i]);
	free(pg->strings);
	free(pg->steps);
	free(pg->versions);
	free(pg->members);
}

/* The signer as a member: the one whose key it is, by fingerprint. */
static int find_signer(struct page *pg, custody_key *key,
	const char *key_name, struct facts *fx)
{
	custody_buf line = CUSTODY_BUF_INIT;
	custody_error *err = NULL;

	custody_pubkey_fingerprint(custody_key_public(key), fx->fingerprint);
	for (size_t i = 0; i < pg->nmembers; i++)
		if (strcmp(pg->members[i].fingerprint, fx->fingerprint) == 0)
			fx->signer = pg->members[i].name;
	if (fx->signer == NULL) {
		cli_error("the key '%s' (%s) is not a member's key in this "
			"archive: a report is signed by a member; give --key, "
			"or --no-sign", key_name, fx->fingerprint);
		return EXIT_FAILED;
	}
	if (custody_pubkey_openssh(custody_key_public(key), &line, &err) != 0)
		return cli_fail(err);
	fx->signer_key = keep(pg, line.ptr);
	custody_buf_dispose(&line);
	if (pg->oom) {
		cli_oom();
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Write the page, its hash and its signature; print what was written. */
static int save(const char *output, const char *text, size_t len,
	const struct facts *fx, custody_key *key, int force)
{
	custody_buf sig = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	char hex[CUSTODY_SHA256_HEX_SIZE];
	char *sidecar = NULL, *sig_path = NULL, *sums = NULL;
	int rc = EXIT_FAILED;

	if (custody_sha256_hex(text, len, hex, &err) != 0)
		return cli_fail(err);
	if (output == NULL) {
		if (cli_write_file(NULL, text, len) != EXIT_OK)
			return EXIT_FAILED;
		fprintf(stderr, "custody: report SHA-256 %s (unsigned: "
			"-o FILE signs it)\n", hex);
		return EXIT_OK;
	}
	if (asprintf(&sidecar, "%s.sha256", output) < 0 ||
	    asprintf(&sig_path, "%s.sig", output) < 0 ||
	    (sums = sums_line(hex, base_name(output))) == NULL) {
		cli_oom();
		goto done;
	}
	if (key != NULL && custody_sshsig_sign(key, "custody", text, len,
	    &sig, &err) != 0) {
		cli_error("%s: %s", output, cli_error_text(err));
		custody_error_free(err);
		goto done;
	}
	if (cli_write_output(output, text, len, force) != EXIT_OK ||
	    cli_write_output(sidecar, sums, strlen(sums), force) != EXIT_OK ||
	    (key != NULL && cli_write_output(sig_path, sig.ptr, sig.size,
	    force) != EXIT_OK))
		goto done;
	printf("%s: report of %s\n  SHA-256    %s (in %s)\n",
		cli_name(output), cli_name(fx->document), hex,
		cli_name(sidecar));
	if (key != NULL)
		printf("  signature  %s, by %s, key %s\n", cli_name(sig_path),
			cli_name(fx->signer), fx->fingerprint);
	rc = EXIT_OK;
done:
	custody_buf_dispose(&sig);
	free(sidecar);
	free(sig_path);
	free(sums);
	return rc;
}

int cmd_report(int argc, char **argv)
{
	static const struct option own[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "no-sign", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_options options = {
		.command = "report", .help = help,
		.common = CLI_ARCHIVE | CLI_KEY | CLI_PASSPHRASE_FILE,
		.own = own, .short_options = "o:",
	};
	custody_verify_options vopts = CUSTODY_VERIFY_OPTIONS_INIT;
	custody_archive *archive = NULL;
	custody_key *key = NULL;
	custody_error *err = NULL, *verr = NULL;
	custody_buf note = CUSTODY_BUF_INIT;
	struct facts fx;
	struct page pg;
	const char *output = NULL;
	char *text = NULL, *key_name = NULL, *sidecar = NULL, *sig_path = NULL;
	size_t len = 0;
	struct cli cli;
	int force = 0, sign = 1, c, rc = 0, status = EXIT_FAILED;
	time_t now = time(NULL);
	struct tm tm;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0) {
		switch (c) {
		case 'o': output = optarg; break;
		case 'f': force = 1; break;
		case 'n': sign = 0; break;
		}
	}
	if (c < 0)
		return cli.status;
	if (argc - optind != 1)
		return cli_usage("report", "name one registered document");
	if (output != NULL && strcmp(output, "-") == 0)
		output = NULL;
	if (output == NULL && force)
		return cli_usage("report", "--force goes with -o FILE");
	memset(&pg, 0, sizeof(pg));
	memset(&fx, 0, sizeof(fx));
	fx.document = argv[optind];
	fx.file = output ? base_name(output) : NULL;
	gmtime_r(&now, &tm);
	strftime(fx.written, sizeof(fx.written), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (output != NULL && (asprintf(&sidecar, "%s.sha256", output) < 0 ||
	    asprintf(&sig_path, "%s.sig", output) < 0)) {
		cli_oom();
		goto done;
	}
	/* before any work: nothing is replaced without --force */
	if (output != NULL && (cli_check_output(output, force) != EXIT_OK ||
	    cli_check_output(sidecar, force) != EXIT_OK ||
	    (sign && cli_check_output(sig_path, force) != EXIT_OK)))
		goto done;
	if (cli_open(&cli, &archive) != EXIT_OK)
		goto done;
	/* on standard output there is no FILE.sig to write */
	if (output != NULL && sign && cli_signing_key(cli.key_name,
	    cli.passphrase_file, &key, &key_name) != EXIT_OK)
		goto done;
	rc = custody_archive_timeline(archive, fx.document, collect, &pg,
		&err);
	if (rc == 0)
		rc = collect_versions(&pg, archive, &err);
	if (rc == 0)
		rc = custody_archive_members(archive, collect_member, &pg,
			&err);
	if (rc == 0)
		rc = custody_archive_checkpoint(archive, &note, &fx.checkpoint,
			&err);
	if (rc != 0 || pg.oom) {
		if (err != NULL)
			cli_fail(err);
		else
			cli_oom();
		goto done;
	}
	/* the checkpoint's copy: the archive's may be read again */
	fx.origin = fx.checkpoint.origin;
	if (key != NULL && find_signer(&pg, key, key_name, &fx) != EXIT_OK)
		goto done;
	/* the same check as `custody verify`, as the page is written */
	vopts.progress = cli.progress ? cli_progress : NULL;
	fx.verify_rc = custody_archive_verify(archive, &vopts,
		collect_problem, &pg, &fx.summary, &verr);
	cli_progress_end();
	fx.verify_error = verr ? cli_error_text(verr) : "";
	if (pg.oom || (pg.f = open_memstream(&text, &len)) == NULL) {
		cli_oom();
		goto done;
	}
	write_page(&pg, &fx);
	if (fclose(pg.f) != 0 || text == NULL) {
		cli_oom();
		goto done;
	}
	if (save(output, text, len, &fx, key, force) != EXIT_OK)
		goto done;
	status = EXIT_OK;
	if (fx.verify_rc != 0) {
		if (pg.nproblems > 0)
			cli_error("verify found %" PRIu64 " problem%s; the "
				"report lists them", pg.nproblems,
				pg.nproblems == 1 ? "" : "s");
		else
			cli_error("verify could not run: %s; the report says "
				"so", cli_error_text(verr));
		status = EXIT_FAILED;
	}
done:
	custody_error_free(verr);
	custody_archive_free(archive);
	custody_key_free(key);
	custody_buf_dispose(&note);
	page_free(&pg);
	free(key_name);
	free(sidecar);
	free(sig_path);
	free(text);
	return status;
}
