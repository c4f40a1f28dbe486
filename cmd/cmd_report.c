#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "commands.h"

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
"usage: custody report DOC [-o report.html] [--archive DIR]\n"
"\n"
"Write a document's chain of custody as one self-contained HTML page for\n"
"an editor or a lawyer: who had it, when, what was done to it, what was\n"
"made from it and what was published, in the order the log recorded it,\n"
"with gaps named and the tree of derivatives drawn. No scripts, no\n"
"outside resources. The same data: `custody log DOC --json`.\n"
"\n"
"  -o, --output FILE  write the page to FILE (default: standard output)\n"
"\n"
"Examples:\n"
"  custody report memo.pdf -o memo.html\n";

struct page {
	FILE *f;
	custody_step *steps;
	size_t n, alloc;
	char **strings;          /* copies owned by the page */
	size_t nstrings;
};

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
		return NULL;
	}
	pg->strings = grown;
	pg->strings[pg->nstrings++] = copy;
	return copy;
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
	return 0;
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

static void write_page(struct page *pg, const char *path,
	const char *origin)
{
	FILE *f = pg->f;
	char now[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<title>Chain of custody: ", f);
	html(f, path);
	fputs("</title>\n<style>\n"
		"body{font-family:Georgia,serif;max-width:60em;margin:2em auto;"
		"color:#222;padding:0 1em}\n"
		"h1{font-size:1.5em}table{border-collapse:collapse;width:100%}\n"
		"th,td{text-align:left;vertical-align:top;padding:.35em .6em;"
		"border-bottom:1px solid #ddd}\n"
		"th{background:#f3f1ea}td.when{white-space:nowrap;"
		"font-family:monospace}\n"
		"tr.gap td{background:#fde8e4;font-weight:bold}\n"
		"tr.published td{background:#e8f2e4}\n"
		".doc{font-family:monospace}.how{color:#666}\n"
		".tree ul{list-style:none;border-left:2px solid #bbb;"
		"margin-left:.6em;padding-left:1em}\n"
		".meta{color:#555;font-size:.9em}\n"
		"</style></head><body>\n<h1>Chain of custody: <span class=\"doc\">",
		f);
	html(f, path);
	fputs("</span></h1>\n<p class=\"meta\">Log <b>", f);
	html(f, origin);
	fprintf(f, "</b>; page written %s from the archive's signed "
		"record. Times are UTC: <i>when</i> is when it happened as "
		"recorded, <i>recorded</i> is when the entry was made.</p>\n",
		now);
	fputs("<h2>What was made from it</h2>\n<div class=\"tree\"><ul><li>"
		"<span class=\"doc\">", f);
	html(f, path);
	fputs("</span>", f);
	tree(pg, path, 0);
	fputs("</li></ul></div>\n<h2>Timeline</h2>\n<table>\n<thead><tr>"
		"<th>When</th><th>Document</th><th>What</th><th>Details</th>"
		"<th>Recorded</th><th>By</th><th>Entry</th></tr></thead>\n"
		"<tbody>\n", f);
	for (size_t i = 0; i < pg->n; i++) {
		const custody_step *s = &pg->steps[i];

		fprintf(f, "<tr class=\"%s\"><td class=\"when\">",
			kind_name(s->kind));
		html(f, s->when);
		fprintf(f, "</td><td class=\"doc\" style=\"padding-left:%dem\">",
			1 + 2 * s->depth);
		html(f, s->path);
		fputs("</td><td>", f);
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
		default:
			break;
		}
		fputs("</td><td>", f);
		if (s->from) {
			fputs("from ", f);
			html(f, s->from);
			fputs(" ", f);
		}
		if (s->to) {
			fputs("to ", f);
			html(f, s->to);
			fputs(" ", f);
		}
		if (s->related_path) {
			fputs("<span class=\"doc\">", f);
			html(f, s->related_path);
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
		fputs("</td><td class=\"when\">", f);
		html(f, s->recorded);
		fputs("</td><td>", f);
		html(f, s->actor);
		fprintf(f, "</td><td>%" PRIu64 "</td></tr>\n", s->entry);
	}
	fputs("</tbody></table>\n<p class=\"meta\">Every row is an entry of "
		"the log, signed by the member named. `custody verify` checks "
		"the whole record; `custody proof` and `custody check` prove a "
		"single document to anyone.</p>\n</body></html>\n", f);
}

int cmd_report(int argc, char **argv)
{
	static const struct option own[] = {
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_options options = {
		.command = "report", .help = help,
		.common = CLI_ARCHIVE, .own = own, .short_options = "o:",
	};
	custody_archive *archive = NULL;
	custody_error *err = NULL;
	struct page pg;
	const char *output = NULL;
	char *text = NULL;
	size_t len = 0;
	struct cli cli;
	int c, rc;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0) {
		switch (c) {
		case 'o': output = optarg; break;
		}
	}
	if (c < 0)
		return cli.status;
	if (argc - optind != 1)
		return cli_usage("report", "name one registered document");
	if (cli_open(&cli, &archive) != EXIT_OK)
		return EXIT_FAILED;
	memset(&pg, 0, sizeof(pg));
	rc = custody_archive_timeline(archive, argv[optind], collect, &pg,
		&err);
	if (rc == 0 && (pg.f = open_memstream(&text, &len)) == NULL)
		rc = -1;
	if (rc == 0) {
		write_page(&pg, argv[optind], custody_archive_origin(archive));
		fclose(pg.f);
	}
	custody_archive_free(archive);
	for (size_t i = 0; i < pg.nstrings; i++)
		free(pg.strings[i]);
	free(pg.strings);
	free(pg.steps);
	if (rc != 0) {
		free(text);
		return err ? cli_fail(err) : (cli_oom(),
			EXIT_FAILED);
	}
	rc = cli_write_file(output, text, len);
	free(text);
	if (rc == EXIT_OK && output != NULL && strcmp(output, "-") != 0)
		fprintf(stderr, "custody: report of %s written to %s\n",
			argv[optind], output);
	return rc;
}
