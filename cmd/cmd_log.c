#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static const char help[] =
"usage: custody log [PATH] [-n COUNT] [--json] [--archive DIR]\n"
"       custody log --published [--json]\n"
"\n"
"Show the log, newest first: every entry. With PATH: that document's\n"
"chain of custody, oldest first: its versions, every event, what was made\n"
"from it (indented, with their own events), publications, and gaps in\n"
"the record (a transfer with nothing recorded from its recipient since).\n"
"With --published: every published document, where and when.\n"
"\n"
"  -n COUNT     show at most COUNT entries\n"
"  --published  what was published, where and when\n"
"  --json       one JSON object: {format, entries}, {format,\n"
"               publications} or, with PATH, {format, path, steps}\n"
"\n"
"Examples:\n"
"  custody log -n 10\n"
"  custody log memos/budget.txt\n"
"  custody log --published --json\n";

struct out {
	int json;
	int first;
};

static int on_publication(const custody_publication *p, void *payload)
{
	struct out *o = payload;

	if (o->json) {
		fputs(o->first ? "" : ",\n", stdout);
		o->first = 0;
		printf("{\"entry\":%" PRIu64 ",\"url\":", p->entry);
		json_string(stdout, p->url);
		fputs(",\"title\":", stdout);
		json_string(stdout, p->title);
		fputs(",\"published\":", stdout);
		json_string(stdout, p->published);
		fputs(",\"recorded\":", stdout);
		json_string(stdout, p->recorded);
		fputs(",\"actor\":", stdout);
		json_string(stdout, p->actor);
		printf(",\"document\":%" PRIu64 ",\"path\":", p->document);
		json_string(stdout, p->path);
		fputs(",\"sha256\":", stdout);
		json_string(stdout, p->sha256);
		fputs("}", stdout);
		return 0;
	}
	printf("%s  %s  %s (entry %" PRIu64 ", sha256:%.16s…)\n",
		p->published, cli_text(p->url), cli_name(p->path),
		p->document, p->sha256);
	return 0;
}

/* "ana, ben (quorum witnesses)": the witness names of a tlog-policy and
 * its quorum, for one log line (names are shown as they are, cut at
 * 200 bytes). */
static const char *policy_summary(const char *policy)
{
	static char out[256];
	const char *p = policy, *quorum = "none", *group = NULL;
	size_t n = 0, qlen = 4, glen = 0;

	out[0] = '\0';
	while (*p != '\0') {
		size_t len = strcspn(p, "\n");

		if (len > 8 && strncmp(p, "witness ", 8) == 0) {
			size_t w = strcspn(p + 8, " \t\n");

			if (n + w + 2 < 200) {
				memcpy(out + n, n ? ", " : "", n ? 2 : 0);
				n += n ? 2 : 0;
				memcpy(out + n, p + 8, w);
				n += w;
				out[n] = '\0';
			}
		} else if (len > 7 && strncmp(p, "quorum ", 7) == 0) {
			quorum = p + 7;
			qlen = strcspn(quorum, " \t\n");
		} else if (len > 17 && strncmp(p, "group witnesses ", 16) == 0) {
			/* custody's own group: say its rule */
			group = p + 16;
			glen = strcspn(group, " \t\n");
		}
		p += len + (p[len] == '\n');
	}
	if (n == 0)
		n = (size_t)snprintf(out, sizeof(out), "none");
	if (group != NULL && qlen == 9 && strncmp(quorum, "witnesses", 9) == 0)
		snprintf(out + n, sizeof(out) - n, " (quorum: %.*s of them)",
			(int)(glen < 8 ? glen : 8), group);
	else
		snprintf(out + n, sizeof(out) - n, " (quorum %.*s)",
			(int)(qlen < 40 ? qlen : 40), quorum);
	return cli_text(out);
}

static int on_entry(const custody_entry *e, void *payload)
{
	struct out *o = payload;

	if (o->json) {
		fputs(o->first ? "" : ",\n", stdout);
		o->first = 0;
		json_entry(stdout, e);
		return 0;
	}
	printf("#%-6" PRIu64 " %s  %-10s %-8s", custody_entry_index(e),
		custody_entry_time(e), custody_entry_actor(e),
		custody_entry_type_name(e));
	if (custody_entry_path(e))
		printf(" %s  v%" PRIu64 "  sha256:%.16s…  %" PRIu64 " bytes"
			"%s%s%s", cli_name(custody_entry_path(e)),
			custody_entry_version(e), custody_entry_sha256(e),
			custody_entry_size(e),
			custody_entry_media_type(e) ? "  " : "",
			custody_entry_media_type(e) ?
			custody_entry_media_type(e) : "",
			custody_entry_blob(e) ? "" : "  (hashes only)");
	else if (custody_entry_origin(e))
		printf(" origin %s, founding member %s",
			custody_entry_origin(e), custody_entry_member(e));
	else if (custody_entry_previous_log_key(e))
		printf(" outlet key rotated to %s",
			custody_entry_log_key(e));
	else if (custody_entry_policy(e))
		printf(" witnesses now %s", policy_summary(
			custody_entry_policy(e)));
	else if (custody_entry_dkim_message(e))
		printf(" %s for #%" PRIu64 "  keys observed %s",
			custody_entry_dkim_verdict(e),
			custody_entry_dkim_message(e),
			custody_entry_dkim_observed(e));
	else if (custody_entry_event_document(e))
		printf(" %s #%" PRIu64 "  sha256:%.16s…",
			custody_entry_action(e),
			custody_entry_event_document(e),
			custody_entry_sha256(e));
	else if (custody_entry_action(e))
		printf(" %s %s", custody_entry_action(e),
			custody_entry_member(e));
	else if (custody_entry_skipped(e))
		printf(" paths left out by add --skip-refused:");
	else if (custody_entry_url(e))
		printf(" %zu document%s at %s, published %s",
			custody_entry_document_count(e),
			custody_entry_document_count(e) == 1 ? "" : "s",
			cli_text(custody_entry_url(e)),
			custody_entry_published(e));
	putchar('\n');
	if (custody_entry_derived_from(e))
		printf("         %s of #%" PRIu64 " (its entry's leaf hash "
			"%.16s…)\n", custody_entry_derivation(e),
			custody_entry_derived_from(e),
			custody_entry_original_leaf(e));
	if (custody_entry_dkim_evidence(e))
		cli_dkim_signatures(stdout, custody_entry_dkim_evidence(e),
			"         ");
	if (custody_entry_from(e))
		printf("         from: %s\n", cli_text(custody_entry_from(e)));
	if (custody_entry_to(e))
		printf("         to: %s\n", cli_text(custody_entry_to(e)));
	if (custody_entry_at(e))
		printf("         happened: %s\n",
			cli_text(custody_entry_at(e)));
	if (custody_entry_backdate_reason(e))
		printf("         backdated because: %s\n",
			cli_text(custody_entry_backdate_reason(e)));
	for (const char *line = custody_entry_skipped(e); line && *line; ) {
		const char *tab = strchr(line, '\t');
		const char *nl = tab ? strchr(tab, '\n') : NULL;

		if (nl == NULL)
			break;   /* the reader checked the lines */
		/* both parts are quoted already: no control characters */
		printf("         skipped %.*s: %.*s\n", (int)(tab - line), line,
			(int)(nl - tab - 1), tab + 1);
		line = nl + 1;
	}
	if (custody_entry_source(e))
		printf("         source: %s\n",
			cli_text(custody_entry_source(e)));
	if (custody_entry_note(e))
		printf("         note: %s\n", cli_text(custody_entry_note(e)));
	return 0;
}

int cmd_log(int argc, char **argv)
{
	static const struct option own[] = {
		{ "published", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cli_options options = {
		.command = "log", .help = help,
		.common = CLI_ARCHIVE | CLI_JSON, .own = own,
		.short_options = "n:",
	};
	custody_archive *archive = NULL;
	custody_error *err = NULL;
	struct out o = { 0, 1 };
	struct cli cli;
	uint64_t limit = 0;
	const char *path = NULL;
	int c, rc, published = 0;

	cli_init(&cli);
	while ((c = cli_getopt(&cli, argc, argv, &options)) > 0) {
		switch (c) {
		case 'n':
			if (cli_parse_u64(optarg, &limit) != 0)
				return cli_usage("log", "-n wants a count, not "
					"'%s'", optarg);
			break;
		case 'P': published = 1; break;
		}
	}
	if (c < 0)
		return cli.status;
	if (optind < argc)
		path = argv[optind++];
	if (optind != argc)
		return cli_usage("log", "unexpected argument '%s'",
			argv[optind]);
	if (published && (path != NULL || limit != 0))
		return cli_usage("log", "--published lists every publication; "
			"it takes no PATH or -n");
	if (path != NULL && limit != 0)
		return cli_usage("log", "-n goes with the whole log, not with "
			"a document's chain of custody");
	if (cli_open(&cli, &archive) != EXIT_OK)
		return EXIT_FAILED;
	if (path != NULL) {
		rc = cli_timeline(&cli, archive, path);
		custody_archive_free(archive);
		return rc;
	}
	o.json = cli.json;
	if (cli.json) {
		json_begin(published ? "log-published" : "log");
		fputs(published ? ",\"publications\":[" : ",\"entries\":[",
			stdout);
	}
	rc = published ? custody_archive_published(archive, on_publication, &o,
		&err) : custody_archive_log(archive, path, limit, on_entry, &o,
		&err);
	if (cli.json && rc == 0) {
		fputs("]", stdout);
		json_end();
	}
	custody_archive_free(archive);
	if (rc != 0)
		return cli_fail(err);
	return EXIT_OK;
}
